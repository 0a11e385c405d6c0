"""Reads findings.xlsx back and checks it against the CSV files and
summary.json of the same run: the sheets, their frozen header rows of
Chinese and English titles, their auto-filters, money held as numbers in a
money format, and every value of every row.

Usage: workbook_check.py OUTDIR [NEUTRALISED]
NEUTRALISED: a cell text (with its apostrophe) that must appear in both.
"""
import csv
import json
import sys
from decimal import Decimal

try:
    import openpyxl
    from openpyxl.utils import get_column_letter
except ImportError:
    sys.exit("FAIL: python3-openpyxl is missing: run scripts/deps")

out = sys.argv[1]
neutralised = sys.argv[2] if len(sys.argv) > 2 else None
failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, file=sys.stderr)


def read_csv(name):
    with open(f"{out}/{name}", encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def text(value):
    return "" if value is None else value


def check_sheet(ws, rows, numeric, money):
    """rows: header then data, as strings; numeric: column names held as
    integers; money: column names held as yuan with two decimals."""
    header, data = rows[0], rows[1:]
    if ws.freeze_panes != "A2":
        fail(f"{ws.title}: header row not frozen ({ws.freeze_panes})")
    want_filter = f"A1:{get_column_letter(len(header))}{max(len(data) + 1, 2)}"
    if ws.auto_filter.ref != want_filter:
        fail(f"{ws.title}: auto-filter {ws.auto_filter.ref}, want {want_filter}")
    got = [c.value for c in ws[1]]
    if len(got) != len(header):
        fail(f"{ws.title}: {len(got)} header cells, want {len(header)}")
    for cell, name in zip(got, header):
        lines = (cell or "").split("\n")
        if len(lines) != 2 or lines[1] != name or not any(ord(ch) > 0x2E80 for ch in lines[0]):
            fail(f"{ws.title}: header {cell!r} is not a Chinese title over {name!r}")
    if ws.max_row != len(data) + 1:
        fail(f"{ws.title}: {ws.max_row - 1} rows, the CSV has {len(data)}")
    checked = 0
    for r, (want, cells) in enumerate(zip(data, ws.iter_rows(min_row=2))):
        for name, value, cell in zip(header, want, cells):
            where = f"{ws.title}!{cell.coordinate}"
            if name in money:
                if not isinstance(cell.value, (int, float)):
                    fail(f"{where}: money {cell.value!r} is not a number")
                elif Decimal(value) != Decimal(f"{cell.value:.2f}"):
                    fail(f"{where}: {cell.value} != {value}")
                if cell.number_format != "#,##0.00":
                    fail(f"{where}: money format {cell.number_format!r}")
            elif name in numeric:
                if not isinstance(cell.value, (int, float)) or int(cell.value) != int(value):
                    fail(f"{where}: {cell.value!r} != {value}")
            elif text(cell.value) != value:
                fail(f"{where}: {cell.value!r} != {value!r}")
            checked += 1
    return checked


wb = openpyxl.load_workbook(f"{out}/findings.xlsx")
want_sheets = ["线索 findings", "拒收 rejects", "数据源 feeds"]
if wb.sheetnames != want_sheets:
    sys.exit(f"FAIL: sheets {wb.sheetnames}, want {want_sheets}")

findings = read_csv("findings.csv")
rejects = read_csv("rejects.csv")
cells = check_sheet(wb[want_sheets[0]], findings, {"overlap_days"}, {"amount_at_stake"})
cells += check_sheet(wb[want_sheets[1]], rejects, {"line"}, set())

with open(f"{out}/summary.json", encoding="utf-8") as f:
    summary = json.load(f)


def guarded(value):
    """The formula guard the CSV files apply (summary.json has none)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


names = ["name", "agency", "encoding", "bytes", "rows_read", "rows_ingested", "rows_rejected"]
feeds = [names] + [[guarded(str(feed[n])) for n in names] for feed in summary["feeds"]]
cells += check_sheet(wb[want_sheets[2]], feeds,
                     {"bytes", "rows_read", "rows_ingested", "rows_rejected"}, set())

if neutralised:
    in_csv = any(neutralised in row for row in findings + rejects)
    in_xlsx = any(c.value == neutralised for ws in wb for row in ws.iter_rows() for c in row)
    if not (in_csv and in_xlsx):
        fail(f"the neutralised cell {neutralised!r} is not in both (csv {in_csv}, xlsx {in_xlsx})")

if failures:
    sys.exit(1)
print(f"findings.xlsx: {len(findings) - 1} findings, {len(rejects) - 1} rejects, "
      f"{len(feeds) - 1} feeds; {cells} cells equal to the CSV files and summary.json")
