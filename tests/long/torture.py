#!/usr/bin/python3
"""tests/long/torture.py — nightly cycles over damaged feeds, killed runs
and full disks, with the invariants checked after every run.

Not part of the unit suite (it runs for minutes); `meson test torture_smoke`
runs a few cycles of it so that it keeps working.  Usage:

    tests/long/torture.py --aidmatch build/aidmatch --gen build/bench/gen_county \\
        [--minutes M | --cycles N] [--seed S] [--persons P]

Each cycle copies the generated county's feeds, damages some of them at
random (cut short, bytes flipped, lines dropped or repeated, invalid UTF-8,
a broken header, an empty file, a gzip cut short, a feed missing), and runs
`aidmatch reconcile` with the previous night's output directory as --previous
and a run date one day later, on 1 or 2 threads, sometimes in partitions on
disk and sometimes with a snapshot.  The run is left alone, killed (SIGKILL)
at a random moment, or given a disk (a tmpfs) that fills at a random moment.
After each run:

  exit      a run not killed exits 0, 1 or 3; 1 or 3 only if a feed was
            damaged or the disk filled, and never 0 with a feed missing;
  counts    after exit 0, every output file is there, summary.json is of
            this night and, per feed, rows_read = rows_ingested +
            rows_rejected;
  previous  after any other end, the output directory is byte for byte the
            last good run's, or, for a run killed after the exchange had put
            its outputs in place, a whole run of this night with its counts
            as above; the centre's own file in it is intact;
  clean     after exit 0, no staging directory and no partition directory
            is left;
  identity  no raw resident ID, household number or registry name appears
            in any file the run left on the disk, nor on stderr.

Prints a summary and exits 1 if any invariant failed (each failure is
printed with its cycle, seed and what was done), 0 otherwise.  Needs root
for the tmpfs; without it, full disks are skipped and said so.
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

OUTPUTS = ["findings.csv", "rejects.csv", "summary.json", "suppressed.csv", "report.html",
           "findings.xlsx", "links.csv"]
DAMAGES = ["truncate", "flip", "drop_lines", "repeat_lines", "bad_utf8", "broken_header",
           "empty", "gzip_cut", "missing"]
DISK_BYTES = 512 << 20
ID_RE = re.compile(rb"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
HOUSEHOLD_RE = re.compile(rb"(?<![0-9])[0-9]{16}(?![0-9])")
CJK_RE = re.compile("[\u4e00-\u9fff]{2,}")


def read_feed(path):
    with open(path, "rb") as f:
        data = f.read()
    return gzip.decompress(data) if path.endswith(".gz") else data


def identities(county):
    """The raw IDs, household numbers and names the county's feeds hold."""
    ids, households, names = set(), set(), set()
    for name in os.listdir(county):
        if not (name.endswith(".csv") or name.endswith(".csv.gz") or name.endswith(".tsv")):
            continue
        if name == "truth.csv":
            continue
        data = read_feed(os.path.join(county, name))
        ids.update(ID_RE.findall(data))
        households.update(h for h in HOUSEHOLD_RE.findall(data) if h.startswith(b"32"))
        if name.startswith("psb_hukou"):
            for line in data.decode("utf-8", "replace").splitlines()[1:]:
                fields = line.split(",")
                if len(fields) > 3 and len(fields[3]) >= 2:
                    names.add(fields[3])
    return ids, households, names


def leaks(data, known):
    """What of the known identities data holds: a list of kinds found."""
    ids, households, names = known
    found = []
    if any(m in ids for m in ID_RE.findall(data)):
        found.append("resident ID")
    if any(m in households for m in HOUSEHOLD_RE.findall(data)):
        found.append("household number")
    for run in CJK_RE.findall(data.decode("utf-8", "ignore")):
        if any(run[i:j] in names for i in range(len(run)) for j in range(i + 2, min(len(run), i + 4) + 1)):
            found.append("name")
            break
    return found


def damage(rng, path, kind):
    """Damages the feed at path in place (or removes it)."""
    if kind == "missing":
        os.unlink(path)
        return
    raw = open(path, "rb").read()
    if kind == "gzip_cut":
        open(path, "wb").write(raw[: max(1, rng.randrange(len(raw)))])
        return
    gz = path.endswith(".gz")
    data = gzip.decompress(raw) if gz else raw
    lines = data.split(b"\n")
    if kind == "truncate":
        data = data[: rng.randrange(1, max(2, len(data)))]
    elif kind == "flip":
        b = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
        data = bytes(b)
    elif kind == "drop_lines":
        keep = [lines[0]] + [l for l in lines[1:] if rng.random() > 0.03]
        data = b"\n".join(keep)
    elif kind == "repeat_lines":
        out = [lines[0]]
        for l in lines[1:]:
            out.append(l)
            if l and rng.random() < 0.03:
                out.append(l)
        data = b"\n".join(out)
    elif kind == "bad_utf8":
        for _ in range(rng.randint(1, 5)):
            i = rng.randrange(1, len(lines)) if len(lines) > 1 else 0
            lines[i] = lines[i] + b"\xff\xfe\xc3"
        data = b"\n".join(lines)
    elif kind == "broken_header":
        data = b"a,b,c\n" + b"\n".join(lines[1:])
    elif kind == "empty":
        data = b""
    open(path, "wb").write(gzip.compress(data, 1) if gz else data)


def tree_state(path):
    """Every file under path with its bytes' hash, or None if path is absent."""
    if not os.path.isdir(path):
        return None
    state = {}
    for root, _, files in os.walk(path):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                state[os.path.relpath(p, path)] = hashlib.sha256(fh.read()).hexdigest()
    return state


class Disk:
    """A tmpfs of its own (root only), which a filler file fills on demand."""

    def __init__(self, path):
        self.path = path
        os.makedirs(path)
        self.mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=%d" % DISK_BYTES, "tmpfs", path],
            stderr=subprocess.DEVNULL).returncode == 0
        self.filler = os.path.join(path, "filler")

    def free(self):
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def fill(self, leave):
        """Leaves about `leave` bytes free."""
        size = self.free() - leave
        if size > 0:
            fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, size)
            finally:
                os.close(fd)

    def unfill(self):
        if os.path.exists(self.filler):
            os.unlink(self.filler)

    def close(self):
        if self.mounted:
            subprocess.run(["umount", self.path])


class Torture:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.work = tempfile.mkdtemp(prefix="aidmatch-torture-")
        self.failures = []
        self.tally = {"cycles": 0, "runs_ok": 0, "runs_failed": 0, "killed": 0,
                      "killed_after_exchange": 0, "disk_full": 0,
                      "damaged_feeds": 0, "partitioned": 0, "snapshots": 0, "checks": 0}
        self.damage_kinds = {k: 0 for k in DAMAGES}
        self.exits = {}

    def fail(self, cycle, what, plan):
        self.failures.append("cycle %d: %s (%s)" % (cycle, what, plan))
        print("FAIL cycle %d: %s (%s)" % (cycle, what, plan), file=sys.stderr, flush=True)

    def check(self, ok, cycle, what, plan):
        self.tally["checks"] += 1
        if not ok:
            self.fail(cycle, what, plan)

    def setup(self):
        a = self.args
        self.county = os.path.join(self.work, "county")
        subprocess.run([a.gen, "--persons", str(a.persons), "--seed", str(a.seed), "--bad-rows",
                        "--out", self.county, "--catalogue", os.path.join(a.root, "data/catalogue"),
                        "--rules", os.path.join(a.root, "data/rules/default.rules")],
                       check=True, stdout=subprocess.DEVNULL)
        self.known = identities(self.county)
        self.feeds = sorted(n for n in os.listdir(self.county)
                            if n not in ("centre.ini", "county.key", "truth.csv"))
        self.disk = Disk(os.path.join(self.work, "disk"))
        self.out = os.path.join(self.disk.path, "out")
        self.temp = os.path.join(self.disk.path, "tmp")
        os.makedirs(self.temp)
        self.snapshot = os.path.join(self.disk.path, "night.snap")
        self.good = None      # the output directory's state after the last good run
        self.own_file = None  # the centre's own file, once the directory is a run
        self.run_seconds = 1.0
        self.out_bytes = 1 << 20

    def night(self, cycle):
        rng = self.rng
        feeds = os.path.join(self.work, "feeds")
        shutil.rmtree(feeds, ignore_errors=True)
        shutil.copytree(self.county, feeds)
        damaged = []
        if cycle > 0 and rng.random() < 0.5:
            for name in rng.sample(self.feeds, rng.randint(1, 3)):
                kinds = [k for k in DAMAGES if k != "gzip_cut" or name.endswith(".gz")]
                kind = rng.choice(kinds)
                damage(rng, os.path.join(feeds, name), kind)
                damaged.append((name, kind))
        mode = "normal" if cycle == 0 else rng.choices(["normal", "kill", "full"], [5, 3, 2])[0]
        if mode == "full" and not self.disk.mounted:
            mode = "normal"
        argv = [self.args.aidmatch, "reconcile", os.path.join(feeds, "centre.ini"), "--out",
                self.out, "--previous", self.out, "--quiet", "--run-date",
                time.strftime("%Y-%m-%d", time.gmtime(1767225600 + 86400 * cycle)),
                "--threads", str(rng.choice([1, 2]))]
        if rng.random() < 0.3:
            argv += ["--partitions", str(rng.choice([1, 3, 8])), "--temp-dir", self.temp]
            self.tally["partitioned"] += 1
        if rng.random() < 0.3:
            argv += ["--snapshot", self.snapshot]
            self.tally["snapshots"] += 1
        plan = "seed %d, %s, damaged %s, %s" % (
            self.args.seed, mode, damaged or "none",
            " ".join(a for a in argv[3:] if not a.startswith(self.work)))
        return argv, mode, damaged, plan

    def run(self, cycle):
        argv, mode, damaged, plan = self.night(cycle)
        self.tally["cycles"] += 1
        self.tally["damaged_feeds"] += len(damaged)
        for _, kind in damaged:
            self.damage_kinds[kind] += 1
        if mode == "full":
            self.disk.fill(self.rng.randrange(0, int(self.out_bytes * 1.5) + 1))
            self.tally["disk_full"] += 1
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if mode == "kill":
            try:
                proc.wait(timeout=self.rng.uniform(0, self.run_seconds * 1.2))
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                self.tally["killed"] += 1
        try:
            out, err = proc.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            self.fail(cycle, "the run hung for 10 minutes", plan)
        elapsed = time.monotonic() - started
        self.disk.unfill()
        rc = proc.returncode
        self.exits[rc] = self.exits.get(rc, 0) + 1
        self.verify(cycle, rc, err, damaged, mode, plan, argv[argv.index("--run-date") + 1])
        if rc == 0 and mode == "normal" and not damaged:
            self.run_seconds = elapsed
            self.out_bytes = sum(os.path.getsize(os.path.join(self.out, f))
                                 for f in os.listdir(self.out))

    def verify(self, cycle, rc, err, damaged, mode, plan, run_date):
        killed = rc == -signal.SIGKILL
        kinds = {k for _, k in damaged}
        if not killed:
            self.check(rc in (0, 1, 3), cycle, "exit %d" % rc, plan)
            if not damaged and mode == "normal":
                self.check(rc == 0, cycle, "a clean night exited %d: %s" % (rc, err[-300:]), plan)
            if "missing" in kinds:
                self.check(rc != 0, cycle, "a night with a feed missing exited 0", plan)
            self.check(b"AddressSanitizer" not in err and b"runtime error" not in err, cycle,
                       "a sanitizer report", plan)
        # Killed after the exchange, a run has put its complete outputs in
        # place: the directory holds the new run, which is as good.
        state = tree_state(self.out)
        exchanged = killed and state != self.good and self.complete(run_date)
        if rc == 0 or exchanged:
            self.tally["runs_ok" if rc == 0 else "killed_after_exchange"] += 1
            for f in OUTPUTS:
                self.check(os.path.isfile(os.path.join(self.out, f)), cycle, "no " + f, plan)
            try:
                summary = json.load(open(os.path.join(self.out, "summary.json")))
                self.check(summary["run_date"] == run_date, cycle,
                           "summary.json is of %s" % summary["run_date"], plan)
                for feed in summary["feeds"]:
                    self.check(feed["rows_read"] == feed["rows_ingested"] + feed["rows_rejected"],
                               cycle, "feed %s: %d read, %d ingested, %d rejected" % (
                                   feed["name"], feed["rows_read"], feed["rows_ingested"],
                                   feed["rows_rejected"]), plan)
            except (OSError, ValueError, KeyError) as e:
                self.fail(cycle, "summary.json unreadable: %s" % e, plan)
        if rc == 0:
            leftovers = [n for n in os.listdir(self.disk.path)
                         if n.startswith("out.new-") or n.startswith("out.old-")]
            if "--partitions" in plan:  # a partitioned run cleans what a killed one left
                leftovers += os.listdir(self.temp)
            self.check(not leftovers, cycle, "left behind: %s" % leftovers, plan)
            if self.own_file is None:
                self.own_file = os.path.join(self.out, "centre-notes.txt")
                with open(self.own_file, "w") as f:
                    f.write("the centre's own file\n")
        if rc == 0 or exchanged:
            self.good = tree_state(self.out)
        else:
            self.tally["runs_failed"] += 1
            self.check(state == self.good, cycle,
                       "the output directory changed in a run that ended with %d" % rc, plan)
        if self.own_file is not None:
            try:
                intact = open(self.own_file).read() == "the centre's own file\n"
            except OSError:
                intact = False
            self.check(intact, cycle, "the centre's own file was lost", plan)
        found = leaks(err, self.known)
        self.check(not found, cycle, "stderr holds a %s" % ", ".join(found), plan)
        for root, _, files in os.walk(self.disk.path):
            for f in files:
                p = os.path.join(root, f)
                if p == self.disk.filler:
                    continue
                with open(p, "rb") as fh:
                    found = leaks(fh.read(), self.known)
                self.check(not found, cycle, "%s holds a %s" % (
                    os.path.relpath(p, self.disk.path), ", ".join(found)), plan)

    def complete(self, run_date):
        """Whether the output directory holds a whole run of run_date."""
        if not all(os.path.isfile(os.path.join(self.out, f)) for f in OUTPUTS):
            return False
        try:
            return json.load(open(os.path.join(self.out, "summary.json")))["run_date"] == run_date
        except (OSError, ValueError, KeyError):
            return False

    def report(self, seconds):
        t = self.tally
        print("torture: %d cycles in %.0f s (seed %d, %d persons): %d runs ok, %d failed, "
              "%d killed (%d of them after the exchange), %d on a full disk; %d damaged "
              "feeds, %d partitioned, %d with a snapshot; %d invariant checks, %d violations" % (
                  t["cycles"], seconds, self.args.seed, self.args.persons, t["runs_ok"],
                  t["runs_failed"], t["killed"], t["killed_after_exchange"], t["disk_full"],
                  t["damaged_feeds"], t["partitioned"], t["snapshots"], t["checks"],
                  len(self.failures)))
        print("  damage: " + ", ".join("%s %d" % kv for kv in self.damage_kinds.items()))
        print("  exits: " + ", ".join("%s %d" % (("SIGKILL" if k == -9 else k), v)
                                      for k, v in sorted(self.exits.items())))
        if not self.disk.mounted:
            print("  full disks skipped: a tmpfs needs root")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--aidmatch", required=True)
    p.add_argument("--gen", required=True)
    p.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", ".."))
    p.add_argument("--cycles", type=int, default=0)
    p.add_argument("--minutes", type=float, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--persons", type=int, default=3000)
    args = p.parse_args()
    if not args.cycles and not args.minutes:
        args.cycles = 20
    t = Torture(args)
    started = time.monotonic()
    try:
        t.setup()
        cycle = 0
        while True:
            if args.cycles and cycle >= args.cycles:
                break
            if args.minutes and time.monotonic() - started >= args.minutes * 60:
                break
            t.run(cycle)
            cycle += 1
    finally:
        if hasattr(t, "disk"):
            t.disk.close()
        shutil.rmtree(t.work, ignore_errors=True)
    t.report(time.monotonic() - started)
    return 1 if t.failures else 0


if __name__ == "__main__":
    sys.exit(main())
