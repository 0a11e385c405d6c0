// bench/duckdb/run.mjs — the same reconciliation as `aidmatch reconcile`,
// written as SQL and run by DuckDB through its Node.js API: an independent
// oracle at scale, and the yardstick for aidmatch's speed and memory.
//
//   node run.mjs prep      --county DIR --work DIR --token-map BIN
//   node run.mjs reconcile --county DIR --work DIR [--threads 2]     (timed)
//   node run.mjs compare   --county DIR --work DIR --aidmatch-out DIR [--json FILE]
//   node run.mjs report    [--md FILE] [--machine ...] MEASURE.txt ...   (bench/run's table)
//
// @duckdb/node-api is loaded from bench/cache/node (AIDMATCH_BENCH_NODE
// overrides), where bench/run installs it.
// The SQL is generated from the county's own centre.ini (feed layouts and
// item maps), the catalogue it names and the rules file it names, following
// the rule semantics of docs/rules.md and docs/reference.md (§3 inputs,
// §5.4 duplicates).  Nothing is read from aidmatch's code or output until
// `compare`.
//
// prep (untimed, cached by bench/run): decides each feed's encoding the way
// aidmatch's `auto` does and converts what DuckDB cannot read natively
// (GB18030, UTF-16) to UTF-8 with iconv; extracts every normalised resident
// ID and household ID of the raw feeds and has bench/token_map compute their
// keyed tokens, so that the tokenised feed (ids = token) can be joined to
// the raw ones and findings can be compared by subject.
//
// reconcile (timed): reads every feed with read_csv (gzip, tab, BOM handled
// by DuckDB), normalises and validates IDs, dates, months, amounts, grades,
// item maps, then computes the six finding kinds.  Writes findings.csv
// (subjects as internal keys), ingest.csv (rows read / ingested per feed)
// and prints a per-(kind, rule) summary.
//
// compare (untimed): maps DuckDB's subjects to tokens and compares finding
// by finding with aidmatch's findings.csv, per (kind, rule): count, the
// identity (kind, rule, subject, items) and overlap_days; per feed:
// rows read and ingested against summary.json; and both against truth.csv.
// Exit status 3 when they disagree.
//
// Where the documents and aidmatch's code could be read two ways, this
// oracle follows the documents: a person's holdings end at their death for
// household_unique's "one person, two households" half too (docs/rules.md:
// every rule but ends_at looks only at days up to the date of death).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import os from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NODE_DIR = process.env.AIDMATCH_BENCH_NODE || path.join(HERE, '..', 'cache', 'node');
const require = createRequire(path.join(NODE_DIR, 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const EVER = -62091;        // aidmatch's AM_DAY_EVER (1800-01-01)
const OPEN = 1000000000;    // an open end: far beyond any date, and end + 1 cannot overflow

// ---------------------------------------------------------------------------
// Arguments, files
// ---------------------------------------------------------------------------

function parseArgs(argv) {
  const a = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) {
      const k = argv[i].slice(2);
      a[k] = i + 1 < argv.length && !argv[i + 1].startsWith('--') ? argv[++i] : true;
    } else a._.push(argv[i]);
  }
  return a;
}

function die(msg) {
  process.stderr.write(`duckdb/run.mjs: ${msg}\n`);
  process.exit(1);
}

const sq = (s) => `'${String(s).replace(/'/g, "''")}'`;   // SQL string literal
const qi = (s) => `"${String(s).replace(/"/g, '""')}"`;   // SQL identifier

// A small CSV parser (RFC 4180 quoting) for the catalogue and outputs.
function parseCSV(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows = [];
  let row = [], field = '', i = 0, q = false;
  while (i < text.length) {
    const c = text[i];
    if (q) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        q = false; i++; continue;
      }
      field += c; i++; continue;
    }
    if (c === '"' && field === '') { q = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r') { i++; continue; }
    if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; continue; }
    field += c; i++;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  const header = rows.shift() || [];
  return rows.filter((r) => r.length > 1 || r[0] !== '').map((r) => Object.fromEntries(header.map((h, k) => [h, r[k] ?? ''])));
}

// ---------------------------------------------------------------------------
// centre.ini (docs/reference.md §2), catalogue (§4), rules (docs/rules.md)
// ---------------------------------------------------------------------------

function parseCentre(file) {
  let text = fs.readFileSync(file, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const centre = {}, feeds = [];
  let section = null, lastKey = null;
  const stripComment = (v) => {
    const m = v.match(/[ \t];/);
    return (m ? v.slice(0, m.index) : v).trim();
  };
  for (const raw of text.split(/\r?\n/)) {
    const t = raw.trim();
    if (t === '' || t[0] === ';' || t[0] === '#') continue;
    if (/^[ \t]/.test(raw)) { // continuation of item_map / fact_map
      if (!section || !lastKey) die(`${file}: continuation line outside a key`);
      section[lastKey] += ' | ' + stripComment(t);
      continue;
    }
    const sec = t.match(/^\[(.*)\]/);
    if (sec) {
      const name = sec[1].trim();
      if (name === 'centre') section = centre;
      else if (name.startsWith('feed ')) {
        const fname = name.slice(5).trim();
        section = feeds.find((f) => f.feed === fname);
        if (!section) { section = { feed: fname }; feeds.push(section); }
      } else die(`${file}: unknown section ${name}`);
      lastKey = null;
      continue;
    }
    const m = raw.match(/^([^=:]+)[=:](.*)$/);
    if (!m || !section) die(`${file}: cannot read line: ${raw}`);
    lastKey = m[1].trim();
    section[lastKey] = stripComment(m[2]);
  }
  const dir = path.dirname(path.resolve(file));
  const rel = (p) => (path.isAbsolute(p) ? p : path.join(dir, p));
  // A feed's own keys (name is its name column!) plus feed = its section name, path = its file.
  for (const f of feeds) f.path = rel(f.file);
  return { centre, feeds, dir, catalogue: rel(centre.catalogue), rules: centre.rules ? rel(centre.rules) : null,
           key: rel(centre.key) };
}

function parseMap(s) {
  const m = [];
  for (const part of (s || '').split('|')) {
    const e = part.trim();
    if (!e) continue;
    const k = e.lastIndexOf(':');
    m.push([e.slice(0, k).trim(), e.slice(k + 1).trim()]);
  }
  return m;
}

function loadCatalogue(dir) {
  const items = parseCSV(fs.readFileSync(path.join(dir, 'items.csv'), 'utf8'));
  const facts = parseCSV(fs.readFileSync(path.join(dir, 'facts.csv'), 'utf8'));
  const codes = [];
  for (const it of items)
    codes.push({ name: it.code, item: true, household: it.unit === 'household', periodic: it.periodicity === 'periodic',
                 win: it.periodicity === 'periodic' || it.duplicate_window_days === 'none' ? 0 : Number(it.duplicate_window_days) });
  for (const f of facts)
    codes.push({ name: f.code, item: false, vmin: f.value_min === '' ? null : Number(f.value_min),
                 vmax: f.value_max === '' ? null : Number(f.value_max) });
  codes.forEach((c, i) => { c.n = i; });
  const byName = new Map(codes.map((c) => [c.name, c]));
  return { codes, byName, nitems: items.length };
}

// A group "A|B=2|C=1-2" -> [{code, lo, hi}]
function parseGroup(s, cat) {
  return s.split('|').map((x) => x.trim()).filter(Boolean).map((x) => {
    const m = x.match(/^([A-Z0-9_]+)(?:=(\d+)(?:-(\d+))?)?$/);
    if (!m || !cat.byName.has(m[1])) die(`rules: bad code ${x}`);
    return { code: cat.byName.get(m[1]).n, name: m[1], lo: m[2] ? Number(m[2]) : null, hi: m[2] ? Number(m[3] ?? m[2]) : null };
  });
}

function parseRules(file, cat) {
  if (!file) return [];
  const rules = [];
  let cur = null;
  for (const raw of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const t = raw.trim();
    if (t === '' || t[0] === '#') continue;
    if (raw.startsWith('rule ')) { cur = { text: t.slice(5) }; rules.push(cur); continue; }
    if (!cur) die(`${file}: option outside a rule`);
    cur.text += ' ' + (t.startsWith('source') ? '' : t);
  }
  return rules.map((r) => {
    const w = r.text.trim();
    const [id, kind, ...rest] = w.split(/\s+/);
    let body = rest.join(' ');
    const opt = {};
    body = body.replace(/\b(grace|window|scope|except)\s+(\S+)\s*$/g, (_, k, v) => { opt[k] = v; return ''; }).trim();
    // options may come in any order: strip repeatedly
    for (;;) {
      const m = body.match(/^(.*?)\s+(grace|window|scope|except)\s+(\S+)\s*$/);
      if (!m) break;
      opt[m[2]] = m[3]; body = m[1].trim();
    }
    const rule = { id, kind, opt };
    if (kind === 'exclusive') {
      const [a, b] = body.split(/\s+vs\s+/);
      rule.a = parseGroup(a, cat); rule.b = parseGroup(b, cat);
      rule.scope = opt.scope || 'person';
    } else if (kind === 'entitles') {
      const [cond, target] = body.split(/\s*->\s*/);
      rule.terms = cond.split('&').map((t) => parseGroup(t, cat));
      rule.b = parseGroup(target, cat);
      rule.grace = Number(opt.grace || 0);
    } else if (kind === 'household_unique') {
      rule.a = parseGroup(body, cat);
      rule.window = opt.window ? Number(opt.window) : 0;
    } else if (kind === 'ends_at') {
      rule.a = parseGroup(body, cat);
      rule.except = opt.except ? parseGroup(opt.except, cat) : [];
    } else if (kind === 'disqualifies') {
      const [fact, ...g] = body.split(/\s+/);
      rule.a = parseGroup(fact, cat); rule.b = parseGroup(g.join(' '), cat);
    } else die(`rules: unknown kind ${kind}`);
    return rule;
  });
}

// ---------------------------------------------------------------------------
// Feed files: compression and encoding (reference §3.1, §3.2)
// ---------------------------------------------------------------------------

function headBytes(file, n = 1 << 20) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(n);
  const got = fs.readSync(fd, buf, 0, n, 0);
  fs.closeSync(fd);
  const b = buf.subarray(0, got);
  if (b[0] === 0x1f && b[1] === 0x8b) {
    try { return { gzip: true, bytes: zlib.gunzipSync(b, { finishFlush: zlib.constants.Z_SYNC_FLUSH }) }; }
    catch { return { gzip: true, bytes: Buffer.alloc(0) }; }
  }
  return { gzip: false, bytes: b };
}

// The uncompressed size of a gzip file (its trailer, mod 2^32): for ordering work only.
function gzipSize(file, bytes) {
  const fd = fs.openSync(file, 'r');
  const b = Buffer.alloc(4);
  fs.readSync(fd, b, 0, 4, Math.max(0, bytes - 4));
  fs.closeSync(fd);
  return b.readUInt32LE(0);
}

// aidmatch's `auto`: a BOM decides; else ASCII until the first non-ASCII
// byte, then 256 bytes from there are UTF-8 if they hold at least one valid
// multi-byte character and at least 8 valid per invalid sequence; else
// GB18030.
function detectEncoding(b) {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  let i = 0;
  while (i < b.length && b[i] < 0x80) i++;
  if (i === b.length) return 'utf-8';
  const end = Math.min(b.length, i + 256);
  let valid = 0, invalid = 0;
  while (i < end) {
    const c = b[i];
    if (c < 0x80) { i++; continue; }
    const n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? (c <= 0xef ? 3 : 0) : c >= 0xc2 && c <= 0xdf ? 2 : 0;
    if (!n) { invalid++; i++; continue; }
    if (i + n > end) break;
    let ok = true;
    for (let k = 1; k < n; k++) if ((b[i + k] & 0xc0) !== 0x80) ok = false;
    if (ok) { valid++; i += n; } else { invalid++; i++; }
  }
  return valid >= 1 && valid >= 8 * invalid ? 'utf-8' : 'gb18030';
}

function normEncoding(e) {
  e = (e || 'auto').toLowerCase().replace(/-/g, '');
  if (e === 'auto') return 'auto';
  if (e === 'utf8') return 'utf-8';
  if (['gbk', 'gb2312', 'gb18030'].includes(e)) return 'gb18030';
  if (e === 'utf16' || e === 'utf16le') return 'utf-16le';
  if (e === 'utf16be') return 'utf-16be';
  die(`unknown encoding ${e}`);
}

// ---------------------------------------------------------------------------
// SQL: macros shared by prep and reconcile
// ---------------------------------------------------------------------------

const WS = `' ' || chr(9) || chr(12288)`;                                  // trimmed from mapped cells
const WS_ID = `' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(12288)`;

const MACROS = [
  `CREATE OR REPLACE MACRO tr(x) AS nullif(trim(x, ${WS}), '')`,
  // Resident IDs (reference §3.6): trim, drop inner spaces, full-width to ASCII, x to X.
  `CREATE OR REPLACE MACRO idc(x) AS CASE WHEN regexp_full_match(x, '[0-9]{17}[0-9X]') THEN x
      ELSE translate(replace(replace(trim(x, ${WS_ID}), ' ', ''), chr(12288), ''), '０１２３４５６７８９Ｘｘx', '0123456789XXX') END`,
  // The first 17 characters, a 15-digit legacy ID upgraded (19 before the year).
  `CREATE OR REPLACE MACRO id17(c) AS CASE WHEN length(c) = 15 THEN substr(c, 1, 6) || '19' || substr(c, 7, 9) ELSE substr(c, 1, 17) END`,
  `CREATE OR REPLACE MACRO idshape(c) AS regexp_full_match(c, '[0-9]{15}|[0-9]{17}[0-9X]')`,
  // The check character of 17 digits given as a number.
  `CREATE OR REPLACE MACRO chk(n) AS substr('10X98765432', 1 + ((${[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
      .map((w, k) => `((n // ${10n ** BigInt(16 - k)}) % 10) * ${w}`).join(' + ')}) % 11), 1)`,
  `CREATE OR REPLACE MACRO ymdok(y, m, d) AS y BETWEEN 1880 AND 2100 AND m BETWEEN 1 AND 12 AND d BETWEEN 1 AND
      CASE WHEN m = 2 THEN CASE WHEN (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0 THEN 29 ELSE 28 END WHEN m IN (4, 6, 9, 11) THEN 30 ELSE 31 END`,
  // c: cleaned ID, n: its first 17 characters (15-digit IDs upgraded) as a number, shape: idshape(c);
  // columns, so that nothing is computed twice.  The birth date is digits 7-14.
  `CREATE OR REPLACE MACRO idkey(c, n, shape) AS CASE WHEN shape
      AND ymdok(n // 1000 % 100000000 // 10000, n // 1000 % 10000 // 100, n // 1000 % 100)
      AND (length(c) = 15 OR substr(c, 18, 1) = chk(n)) THEN n END`,
  // Dates, auto (§3.4): YYYYMMDD, or YYYY-M-D / YYYY/M/D / YYYY.M.D with one separator twice; years 1800-2200.
  // (the year range, 1800-2200, is checked by the caller with inrange(), once the day is a column)
  `CREATE OR REPLACE MACRO pday(s) AS (CASE substr(s, 5, 1) WHEN '-' THEN try_strptime(s, '%Y-%m-%d')
      WHEN '/' THEN try_strptime(s, '%Y/%m/%d') WHEN '.' THEN try_strptime(s, '%Y.%m.%d')
      ELSE CASE WHEN length(s) = 8 THEN try_strptime(s, '%Y%m%d') END END::DATE - DATE '1970-01-01')::INTEGER`,
  `CREATE OR REPLACE MACRO inrange(d) AS CASE WHEN d BETWEEN ${EVER} AND ${Math.round(Date.UTC(2200, 11, 31) / 86400000)} THEN d END`,
  `CREATE OR REPLACE MACRO pexcel(s) AS CASE WHEN regexp_full_match(s, '[0-9]{2,6}') AND s::INTEGER BETWEEN 61 AND 120000
      THEN s::INTEGER - 25569 END`,
  // Months: YYYYMM, YYYY-MM, YYYY/MM, YYYY-M, YYYY/M -> the first day (as a DATE)
  `CREATE OR REPLACE MACRO pmonth(s) AS CASE WHEN regexp_full_match(s, '[0-9]{6}|[0-9]{4}[-/][0-9]{1,2}')
      THEN try_strptime(s, ['%Y%m', '%Y-%m', '%Y/%m'])::DATE END`,
  // Amounts (§3.5) in fen: [¥￥][+-]digits[,...][.dd]; NULL if not an amount.
  `CREATE OR REPLACE MACRO fen(a) AS CASE WHEN regexp_full_match(a, '[0-9]{1,15}\\.[0-9]{2}') THEN replace(a, '.', '')::BIGINT
      WHEN regexp_full_match(a, '[¥￥]?[+-]?([0-9][0-9,]*(\\.[0-9]{0,2})?|\\.[0-9]{1,2})')
      THEN TRY_CAST(TRY_CAST(replace(regexp_replace(a, '^[¥￥]', ''), ',', '') AS DECIMAL(18, 2)) * 100 AS BIGINT) END`,
  // Grades: 1, 01, 12, optional 级, or 一..九 (§3.7)
  `CREATE OR REPLACE MACRO grade(v) AS CASE WHEN regexp_full_match(v, '[0-9]{1,2}级?') THEN regexp_replace(v, '级', '')::INTEGER
      WHEN regexp_full_match(v, '[一二三四五六七八九]级?') THEN instr('一二三四五六七八九', substr(v, 1, 1)) END`,
];

function readCsv(feed) {
  const opts = [`header = true`, `all_varchar = true`, `quote = '"'`, `escape = '"'`, `null_padding = true`,
                `delim = ${sq(feed.delim)}`, `compression = ${sq(feed.gzip ? 'gzip' : 'none')}`, `encoding = 'utf-8'`];
  return `read_csv(${sq(feed.duckPath)}, ${opts.join(', ')})`;
}

function delimOf(f) {
  const d = f.delimiter ?? ',';
  if (d === 'tab' || d === '\\t') return '\t';
  return d === '' ? ',' : d;
}

function codeExpr(feed, cat) {
  const reg = (feed.kind || 'payments') === 'registry';
  const constant = reg ? feed.fact : feed.item;
  if (constant) {
    const c = cat.byName.get(constant.trim());
    if (!c) die(`feed ${feed.feed}: unknown code ${constant}`);
    return `${c.n}`;
  }
  const col = reg ? feed.fact_column ?? feed.item_column : feed.item_column ?? feed.fact_column;
  const map = parseMap(reg ? feed.fact_map ?? feed.item_map : feed.item_map ?? feed.fact_map);
  if (!col || !map.length) die(`feed ${feed.feed}: no item or item_column with a map`);
  const whens = map.map(([v, code]) => {
    const c = cat.byName.get(code);
    if (!c) die(`feed ${feed.feed}: unknown code ${code}`);
    return `WHEN ${sq(v)} THEN ${c.n}`;
  });
  return `CASE tr(${qi(col)}) ${whens.join(' ')} END`;
}

// The staging SELECT for one feed: every row with its key, code, period and
// household key, and ok = whether aidmatch would ingest it.  In levels, so
// that each cell is parsed once: L0 reads and trims, L1 cleans and parses,
// L2 derives, L3 judges.  withRaw adds the raw household ID (prep).
function stageSQL(feed, fi, cat, withRaw = false) {
  const reg = (feed.kind || 'payments') === 'registry';
  const token = (feed.ids || 'raw') === 'token';
  const excel = (feed.date_format || 'auto') === 'excel';
  const pd = (x) => (excel ? `pexcel(${x})` : `pday(${x})`);
  const col = (k) => (feed[k] ? `tr(${qi(feed[k])})` : 'NULL::VARCHAR');
  const L0 = [`${codeExpr(feed, cat)} AS code`], L1 = ['code'], L2 = ['code'];
  let dates; // L3: the period and whether it is acceptable
  if (feed.date) {
    L0.push(`${col('date')} AS sc`); L1.push(`${pd('sc')} AS sp`); L2.push('inrange(sp) AS sp');
    dates = { s: 'sp', e: 'sp', ok: 'sp IS NOT NULL' };
  } else if (feed.month) {
    L0.push(`${col('month')} AS mc`); L1.push(`pmonth(mc) AS md`);
    L2.push(`inrange((md - DATE '1970-01-01')::INTEGER) AS sp`, `(last_day(md) - DATE '1970-01-01')::INTEGER AS ep`);
    dates = { s: 'sp', e: 'ep', ok: 'sp IS NOT NULL' };
  } else if (feed.start) {
    L0.push(`${col('start')} AS sc`, `${col('end')} AS ec`);
    L1.push(`${pd('sc')} AS sp`, `sc IS NULL AS sb`, `${pd('ec')} AS ep`, `ec IS NULL AS eb`);
    L2.push('inrange(sp) AS sp', 'sb', 'inrange(ep) AS ep', 'eb');
    dates = reg ? { s: `coalesce(sp, ${EVER})`, e: `coalesce(ep, ${OPEN})`, ok: '(sb OR sp IS NOT NULL) AND (eb OR ep IS NOT NULL)' }
                : { s: 'sp', e: 'ep', ok: 'sp IS NOT NULL AND ep IS NOT NULL' };
  } else die(`feed ${feed.feed}: no start, date or month`);
  let pk, pOk;
  if (token) {
    L0.push(`lower(${col('person_id')}) AS pk0`); L1.push('pk0'); L2.push('pk0');
    pk = 'pk0'; pOk = `regexp_full_match(coalesce(pk0, ''), '[0-9a-f]{32}')`;
  } else {
    L0.push(`${qi(feed.person_id)} AS pc`); L1.push('idc(pc) AS c');
    L2.push('c', 'TRY_CAST(id17(c) AS BIGINT) AS n', 'idshape(c) AS shape');
    pk = 'idkey(c, n, shape)'; pOk = 'pkey IS NOT NULL';
  }
  let hOk = 'true', hkey = 'NULL::UBIGINT';
  if (feed.household_id) {
    L0.push(`${col('household_id')} AS hraw`); L1.push('hraw'); L2.push('hraw');
    hOk = token ? `(hraw IS NULL OR regexp_full_match(hraw, '[0-9a-fA-F]{32}'))` : '(hraw IS NULL OR strlen(hraw) <= 64)';
    hkey = token ? '(SELECT hkey FROM tokh WHERE tokh.token = lower(hraw))' : 'CASE WHEN hraw IS NOT NULL THEN hash(hraw) END';
  } else { L0.push('NULL::VARCHAR AS hraw'); L1.push('hraw'); L2.push('hraw'); }
  // A fact's value, only for facts with a range (no value column rejects them all).
  const ranged = cat.codes.filter((c) => !c.item && c.vmin !== null);
  let val = '0', vOk = 'true';
  if (reg && ranged.length) {
    L0.push(`${col('value')} AS gc`); L1.push('grade(gc) AS g'); L2.push('g');
    val = `CASE WHEN code IN (${ranged.map((c) => c.n).join(',')}) THEN g ELSE 0 END`;
    vOk = `(CASE ${ranged.map((c) => `WHEN code = ${c.n} THEN coalesce(g BETWEEN ${c.vmin} AND ${c.vmax}, false)`).join(' ')} ELSE true END)`;
  }
  let aOk = 'true';
  if (!reg) {
    L0.push(`${col('amount')} AS ac`); L1.push('fen(ac) AS a'); L2.push('a');
    aOk = `coalesce(a BETWEEN 0 AND ${feed.max_amount ? `coalesce(fen(${sq(feed.max_amount)}), 10000000)` : '10000000'}, false)`;
  }
  const sql = `SELECT ${fi}::SMALLINT AS f, pkey, code::USMALLINT AS code, (${val})::UTINYINT AS val, ${dates.s} AS s, ${dates.e} AS e,
      ${hkey} AS hkey${withRaw ? ', hraw' : ''},
      ${pOk} AND code IS NOT NULL AND ${dates.ok} AND ${dates.e} >= ${dates.s} AND ${aOk} AND ${hOk} AND ${vOk} AS okx
    FROM (SELECT *, ${pk} AS pkey FROM (SELECT ${L2.join(', ')} FROM (SELECT ${L1.join(', ')} FROM (SELECT ${L0.join(', ')} FROM ${readCsv(feed)}))))`;
  if (!token) return `SELECT f, pkey, code, val, s, e, hkey${withRaw ? ', hraw' : ''}, okx AS ok FROM (${sql})`;
  return `SELECT f, tokp.pkey AS pkey, code, val, s, e, hkey, okx AND tokp.pkey IS NOT NULL AS ok
    FROM (${sql}) j LEFT JOIN tokp ON tokp.token = j.pkey`;
}

// ---------------------------------------------------------------------------
// Common set-up for each mode
// ---------------------------------------------------------------------------

function loadCounty(args) {
  const county = args.county || die('--county DIR');
  const work = args.work || die('--work DIR');
  fs.mkdirSync(work, { recursive: true });
  const c = parseCentre(path.join(county, 'centre.ini'));
  const cat = loadCatalogue(c.catalogue);
  const rules = parseRules(c.rules, cat);
  return { county, work, ...c, cat, rules };
}

async function openDB(threads) {
  const inst = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const con = await inst.connect();
  const q = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
  const run = async (sql) => { await con.run(sql); };
  await run(`SET preserve_insertion_order = false`);
  for (const m of MACROS) await run(m);
  return { inst, con, q, run };
}

function feedsJson(work) {
  const p = path.join(work, 'feeds.json');
  if (!fs.existsSync(p)) die(`${p}: run prep first`);
  return JSON.parse(fs.readFileSync(p, 'utf8'));
}

// ---------------------------------------------------------------------------
// prep
// ---------------------------------------------------------------------------

async function prep(args) {
  const C = loadCounty(args);
  const tokenMap = args['token-map'] || die('--token-map BIN');
  const conv = path.join(C.work, 'conv');
  fs.mkdirSync(conv, { recursive: true });
  const info = [];
  for (const f of C.feeds) {
    const { gzip, bytes: head } = headBytes(f.path);
    let enc = normEncoding(f.encoding);
    if (enc === 'auto') enc = detectEncoding(head);
    const bytes = fs.statSync(f.path).size;
    const entry = { feed: f.feed, path: f.path, gzip, encoding: enc, delim: delimOf(f), converted: false, bytes,
                    textBytes: gzip ? gzipSize(f.path, bytes) : bytes };
    if (enc !== 'utf-8') { // DuckDB reads UTF-8 (and UTF-16LE, latin-1) only: convert once
      const out = path.join(conv, `${f.feed}.csv`);
      const from = enc === 'gb18030' ? 'GB18030' : enc === 'utf-16le' ? 'UTF-16LE' : 'UTF-16BE';
      const cmd = `${gzip ? `gzip -dc ${sq(f.path)}` : `cat ${sq(f.path)}`} | iconv -f ${from} -t UTF-8 > ${sq(out)}`;
      execFileSync('sh', ['-c', cmd], { stdio: 'inherit' });
      Object.assign(entry, { duckPath: out, gzip: false, converted: true });
    } else entry.duckPath = f.path;
    info.push(entry);
  }
  fs.writeFileSync(path.join(C.work, 'feeds.json'), JSON.stringify(info, null, 1));
  const feeds = C.feeds.map((f, i) => ({ ...f, ...info[i] }));

  // Every normalised resident ID and household ID of the rows the raw feeds would ingest.
  const db = await openDB(args.threads || 2);
  const raw = feeds.map((f, i) => [f, i]).filter(([f]) => (f.ids || 'raw') !== 'token');
  await db.run(`CREATE TABLE st AS SELECT pkey, hraw FROM (${raw.map(([f, i]) => stageSQL(f, i, C.cat, true)).join(' UNION ALL ')}) WHERE ok`);
  const parts = [`SELECT DISTINCT 'P' AS k, lpad(pkey::VARCHAR, 17, '0') || chk(pkey) AS t FROM st`, `SELECT DISTINCT 'H', hraw FROM st WHERE hraw IS NOT NULL`];
  const idsFile = path.join(C.work, 'ids.txt'), mapFile = path.join(C.work, 'tokmap.csv');
  await db.run(`COPY (SELECT k || chr(9) || t FROM (${parts.join(' UNION ALL ')}))
    TO ${sq(idsFile)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER chr(1))`);
  const r = spawnSync(tokenMap, [C.key], { stdio: [fs.openSync(idsFile, 'r'), fs.openSync(mapFile, 'w'), 'inherit'] });
  if (r.status !== 0) die(`token_map failed (${r.status})`);
  fs.unlinkSync(idsFile);

  // The tokenised feeds' tokens, keyed like the raw side (or, for tokens of
  // persons and households no raw feed names, by a hash of the token).
  await db.run(`CREATE TABLE tm AS SELECT kind, raw, token FROM read_csv(${sq(mapFile)}, header = true, all_varchar = true)`);
  const hc = await db.q(`SELECT count(DISTINCT raw) AS n, count(DISTINCT hash(raw)) AS h FROM tm WHERE kind = 'H'`);
  if (hc[0].n !== hc[0].h) die(`household key collision: ${hc[0].n} IDs, ${hc[0].h} hashes`);
  const tp = [], th = [];
  for (const f of feeds) {
    if ((f.ids || 'raw') !== 'token') continue;
    tp.push(`SELECT DISTINCT lower(tr(${qi(f.person_id)})) AS token FROM ${readCsv(f)} WHERE tr(${qi(f.person_id)}) IS NOT NULL`);
    if (f.household_id)
      th.push(`SELECT DISTINCT lower(tr(${qi(f.household_id)})) AS token FROM ${readCsv(f)} WHERE tr(${qi(f.household_id)}) IS NOT NULL`);
  }
  const tokp = path.join(C.work, 'tokp.csv'), tokh = path.join(C.work, 'tokh.csv');
  const pSrc = tp.length ? tp.join(' UNION ') : `SELECT ''::VARCHAR AS token WHERE false`;
  const hSrc = th.length ? th.join(' UNION ') : `SELECT ''::VARCHAR AS token WHERE false`;
  await db.run(`COPY (SELECT t.token, coalesce(substr(m.raw, 1, 17)::BIGINT, -((hash('T:' || t.token) >> 2)::BIGINT)) AS pkey
      FROM (${pSrc}) t LEFT JOIN tm m ON m.kind = 'P' AND m.token = t.token) TO ${sq(tokp)} (FORMAT csv, HEADER true)`);
  await db.run(`COPY (SELECT t.token, coalesce(hash(m.raw), hash('T:' || t.token)) AS hkey
      FROM (${hSrc}) t LEFT JOIN tm m ON m.kind = 'H' AND m.token = t.token) TO ${sq(tokh)} (FORMAT csv, HEADER true)`);
  const known = await db.q(`SELECT count(*) AS n, count(m.token) AS k FROM read_csv(${sq(tokp)}, header = true, all_varchar = true) t
      LEFT JOIN tm m ON m.kind = 'P' AND m.token = t.token`);
  process.stderr.write(`prep: ${info.filter((x) => x.converted).map((x) => `${x.feed} (${x.encoding})`).join(', ') || 'nothing'} converted to UTF-8; ` +
    `token feeds: ${known[0].k} of ${known[0].n} person tokens relate to raw IDs\n`);
}

// ---------------------------------------------------------------------------
// reconcile (the timed part)
// ---------------------------------------------------------------------------

// Merges each key's spans into maximal runs (touching spans merge).
function merged(src, keys = 'pkey') {
  return `SELECT ${keys}, min(s) AS s, max(e) AS e FROM (
      SELECT *, sum(CASE WHEN s <= pm + 1 THEN 0 ELSE 1 END) OVER (PARTITION BY ${keys} ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS g
      FROM (SELECT ${keys}, s, e, max(e) OVER (PARTITION BY ${keys} ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pm
            FROM (${src}))) GROUP BY ${keys}, g`;
}

// Days covered by two or more of the spans, per key: a sweep over +1/-1 events.
function multiCover(src, keys) {
  return `SELECT ${keys}, sum(CASE WHEN c >= 2 THEN nd - d ELSE 0 END) AS days,
      min(CASE WHEN c >= 2 THEN d END) AS ps, max(CASE WHEN c >= 2 THEN nd - 1 END) AS pe
    FROM (SELECT ${keys}, d, c, lead(d) OVER (PARTITION BY ${keys} ORDER BY d) AS nd
          FROM (SELECT ${keys}, d, sum(sum(delta)) OVER (PARTITION BY ${keys} ORDER BY d ROWS UNBOUNDED PRECEDING) AS c
                FROM (SELECT ${keys}, s AS d, 1 AS delta FROM (${src}) UNION ALL SELECT ${keys}, e + 1, -1 FROM (${src}))
                GROUP BY ${keys}, d))
    GROUP BY ${keys} HAVING sum(CASE WHEN c >= 2 THEN nd - d ELSE 0 END) > 0`;
}

async function reconcile(args) {
  const C = loadCounty(args);
  const info = feedsJson(C.work);
  const feeds = C.feeds.map((f, i) => ({ ...f, ...info[i] }));
  const threads = Number(args.threads || 2);
  const t0 = Date.now();
  const db = await openDB(threads);
  const { cat, rules } = C;
  const phase = [];
  const step = async (name, sql) => {
    const t = Date.now();
    await db.run(sql);
    phase.push(`${name} ${((Date.now() - t) / 1000).toFixed(2)}`);
  };
  const list = (a) => (a.length ? a.join(',') : 'NULL');
  const items = cat.codes.filter((c) => c.item);
  const HHUNIT = items.filter((c) => c.household).map((c) => c.n);
  const PERIODIC = items.filter((c) => c.periodic).map((c) => c.n);
  const HUKOU = cat.byName.get('HUKOU')?.n ?? -1, DEATH = cat.byName.get('DEATH')?.n ?? -1;
  const huRules = rules.filter((r) => r.kind === 'household_unique');
  const NEEDCH = [...new Set([...HHUNIT, ...huRules.flatMap((r) => r.a.map((g) => g.code))])];

  await db.run(`CREATE TABLE tokp AS SELECT token, pkey::BIGINT AS pkey FROM read_csv(${sq(path.join(C.work, 'tokp.csv'))}, header = true, all_varchar = true)`);
  await db.run(`CREATE TABLE tokh AS SELECT token, hkey::UBIGINT AS hkey FROM read_csv(${sq(path.join(C.work, 'tokh.csv'))}, header = true, all_varchar = true)`);
  await db.run(`CREATE TABLE codes AS SELECT * FROM (VALUES ${cat.codes.map((c) => `(${c.n}, ${sq(c.name)})`).join(',')}) t(code, name)`);

  // 1. Ingest: every feed, every row judged.  DuckDB reads a CSV file of
  // this size on one thread, so feeds are staged concurrently, one per
  // connection, as many connections as threads (largest feeds first).
  {
    const t = Date.now();
    var feedTimes = [];
    const cost = (f) => (f.textBytes ?? f.bytes) * (f.gzip ? 2 : 1); // inflating costs about as much as parsing
    const queue = feeds.map((f, i) => [f, i]).sort((x, y) => cost(y[0]) - cost(x[0]));
    const cons = [db.con];
    for (let k = 1; k < threads; k++) cons.push(await db.inst.connect());
    await Promise.all(cons.map(async (con) => {
      while (queue.length) {
        const [f, i] = queue.shift();
        const t1 = Date.now();
        await con.run(`CREATE TABLE st${i} AS ${stageSQL(f, i, cat)}`);
        feedTimes.push(`${f.feed} ${((Date.now() - t1) / 1000).toFixed(2)}`);
      }
    }));
    phase.push(`ingest ${((Date.now() - t) / 1000).toFixed(2)}`);
  }
  const stages = feeds.map((f, i) => `SELECT * FROM st${i}`).join(' UNION ALL ');
  await step('counts', `CREATE TABLE ingest AS SELECT f, count(*) AS rows_read, count(*) FILTER (ok) AS rows_ingested FROM (${stages}) GROUP BY f`);
  await step('rec', `CREATE TABLE rec AS SELECT f, pkey, code, val, s, e, hkey FROM (${stages}) WHERE ok`);
  for (let i = 0; i < feeds.length; i++) await db.run(`DROP TABLE st${i}`);

  // 2. Deaths, the window, claim households, memberships, derived holdings.
  await step('death', `CREATE TABLE death AS SELECT pkey, min(s) AS d FROM rec WHERE code = ${DEATH} GROUP BY pkey`);
  const W = (await db.q(`SELECT min(s) AS ws, max(e) AS we FROM rec WHERE code IN (${list(PERIODIC)})`))[0];
  const ws = Number(W.ws), we = Number(W.we);
  await step('hukou', `CREATE TABLE hk AS SELECT pkey, hkey, s, e FROM rec WHERE code = ${HUKOU} AND hkey IS NOT NULL`);
  // The claim household of a payment: its own column, else the payee's
  // hukou household on the first day (the earliest-starting membership).
  await step('claims', `CREATE TABLE claim AS
      SELECT rowid AS rid, pkey, code, s, e, hkey AS ch FROM rec WHERE code IN (${list(NEEDCH)}) AND hkey IS NOT NULL
      UNION ALL
      SELECT p.rowid, any_value(p.pkey), any_value(p.code), any_value(p.s), any_value(p.e), arg_min(h.hkey, h.s::BIGINT * 4294967296 + (h.e::BIGINT + 2147483648))
      FROM rec p JOIN hk h ON h.pkey = p.pkey AND h.s <= p.s AND p.s <= h.e
      WHERE p.code IN (${list(NEEDCH)}) AND p.hkey IS NULL GROUP BY p.rowid`);
  // Members of a household: its hukou register, and whoever claims a
  // household item for it (for the claimed period).
  await step('members', `CREATE TABLE mem AS ${merged(`SELECT pkey, hkey AS hh, s, e FROM hk
      UNION ALL SELECT pkey, ch, s, e FROM claim WHERE code IN (${list(HHUNIT)})`, 'pkey, hh')}`);
  // What a household is paid, every other member holds, for the days they belong.
  await step('derived', `CREATE TABLE derived AS SELECT m.pkey, c.code, greatest(c.s, m.s) AS s, least(c.e, m.e) AS e, m.hh
      FROM claim c JOIN mem m ON c.ch = m.hh AND c.pkey <> m.pkey AND c.s <= m.e AND m.s <= c.e
      WHERE c.code IN (${list(HHUNIT)})`);

  // Holdings of a group: own records and derived ones.
  const pred = (g, withVal = true) => '(' + g.map((x) => (x.lo === null || !withVal ? `code = ${x.code}` :
      `(code = ${x.code} AND val BETWEEN ${x.lo} AND ${x.hi})`)).join(' OR ') + ')';
  const holdSrc = (g, cols = 'pkey, code, s, e') => {
    const dg = g.filter((x) => x.lo === null && cat.codes[x.code].item && cat.codes[x.code].household);
    return `SELECT ${cols} FROM rec WHERE ${pred(g)}` + (dg.length ? ` UNION ALL SELECT ${cols} FROM derived WHERE ${pred(dg, false)}` : '');
  };
  // Merged days of a group, up to death.
  const gdCache = new Map();
  let ntab = 0;
  const groupDays = async (g) => {
    const sig = JSON.stringify(g.map((x) => [x.code, x.lo, x.hi]).sort());
    if (gdCache.has(sig)) return gdCache.get(sig);
    const t = `gd${ntab++}`;
    await step(t, `CREATE TABLE ${t} AS ${merged(`SELECT h.pkey, h.s, least(h.e, coalesce(d.d, ${OPEN})) AS e
        FROM (${holdSrc(g)}) h LEFT JOIN death d USING (pkey) WHERE h.s <= coalesce(d.d, ${OPEN})`)}`);
    gdCache.set(sig, t);
    return t;
  };
  const intersect = (a, b) => `SELECT a.pkey, greatest(a.s, b.s) AS s, least(a.e, b.e) AS e FROM (${a}) a JOIN (${b}) b
      ON a.pkey = b.pkey AND a.s <= b.e AND b.s <= a.e`;
  // Item codes of the group's holdings that touch the finding's days.
  const itemsTouching = (g, days) => `SELECT DISTINCT h.pkey, h.code FROM (${holdSrc(g.filter((x) => cat.codes[x.code].item))}) h
      JOIN (${days}) x ON x.pkey = h.pkey AND h.s <= x.e AND x.s <= h.e`;

  const F = []; // finding selects: kind, rule, pkey, hkey, items, days, ps, pe
  const finding = (kind, rule, src, itemsSrc) => `SELECT ${sq(kind)} AS kind, ${sq(rule)} AS rule_id, x.pkey, NULL::UBIGINT AS hkey,
      i.items, x.days, x.ps, x.pe FROM (SELECT pkey, sum(e - s + 1) AS days, min(s) AS ps, max(e) AS pe FROM (${src}) GROUP BY pkey) x
      JOIN (SELECT pkey, string_agg(name, ';' ORDER BY name) AS items FROM (SELECT DISTINCT pkey, name FROM (${itemsSrc}) JOIN codes USING (code)) GROUP BY pkey) i
      USING (pkey)`;

  // 3. DUPLICATE: the payee's own records of one item.
  const oneoff = items.filter((c) => !c.periodic && c.win > 0);
  await step('dup_periodic', `CREATE TABLE f_dup_p AS WITH p AS (SELECT pkey, code, s, e FROM rec WHERE code IN (${list(PERIODIC)})),
      o AS (SELECT DISTINCT pkey, code FROM (SELECT pkey, code, s, max(e) OVER (PARTITION BY pkey, code ORDER BY s, e
              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pm FROM p) WHERE s <= pm),
      po AS (SELECT p.* FROM p SEMI JOIN o ON o.pkey = p.pkey AND o.code = p.code)
    SELECT 'DUPLICATE' AS kind, 'DUP' AS rule_id, pkey, NULL::UBIGINT AS hkey, name AS items, days, ps, pe
    FROM (${multiCover('SELECT * FROM po', 'pkey, code')}) JOIN codes USING (code)`);
  await step('dup_oneoff', `CREATE TABLE f_dup_o AS SELECT 'DUPLICATE' AS kind, 'DUP' AS rule_id, pkey, NULL::UBIGINT AS hkey, name AS items,
      max(s) - min(s) + 1 AS days, min(s) AS ps, max(s) AS pe
      FROM (SELECT pkey, code, s, s - lag(s) OVER w AS gp, lead(s) OVER w - s AS gn,
              CASE code ${oneoff.map((c) => `WHEN ${c.n} THEN ${c.win}`).join(' ')} END AS win
            FROM rec WHERE code IN (${list(oneoff.map((c) => c.n))}) WINDOW w AS (PARTITION BY pkey, code ORDER BY s))
      JOIN codes USING (code) WHERE gp < win OR gn < win GROUP BY pkey, code, name`);
  F.push('SELECT * FROM f_dup_p', 'SELECT * FROM f_dup_o');

  // 4. The rules.
  for (const r of rules) {
    const t = `f_${r.id.toLowerCase()}`;
    if (r.kind === 'exclusive') {
      if (r.scope !== 'person') die(`rule ${r.id}: scope household is not implemented in the oracle`);
      const days = intersect(`SELECT * FROM ${await groupDays(r.a)}`, `SELECT * FROM ${await groupDays(r.b)}`);
      await step(t, `CREATE TABLE ${t} AS WITH x AS (${days}) ${finding('CONFLICT', r.id, 'SELECT * FROM x',
          itemsTouching([...r.a, ...r.b], 'SELECT * FROM x'))}`);
    } else if (r.kind === 'disqualifies') {
      const days = intersect(`SELECT * FROM ${await groupDays(r.a)}`, `SELECT * FROM ${await groupDays(r.b)}`);
      await step(t, `CREATE TABLE ${t} AS WITH x AS (${days}) ${finding('DISQUALIFIED', r.id, 'SELECT * FROM x',
          itemsTouching(r.b, 'SELECT * FROM x'))}`);
    } else if (r.kind === 'entitles') {
      let cond = `SELECT * FROM ${await groupDays(r.terms[0])}`;
      for (const term of r.terms.slice(1)) cond = intersect(cond, `SELECT * FROM ${await groupDays(term)}`);
      const b = await groupDays(r.b);
      // Within the window; then what the target item does not cover.
      const c = `SELECT pkey, greatest(s, ${ws}) AS s, least(e, ${we}) AS e FROM (${cond}) WHERE s <= ${we} AND e >= ${ws}`;
      await step(t, `CREATE TABLE ${t} AS WITH c AS (${c}),
        cb AS (SELECT c.pkey, c.s AS cs, c.e AS ce, b.s AS bs, b.e AS be FROM c LEFT JOIN ${b} b ON b.pkey = c.pkey AND b.s <= c.e AND c.s <= b.e),
        gaps AS (
          SELECT pkey, coalesce(lag(be) OVER w + 1, cs) AS s, coalesce(bs - 1, ce) AS e FROM cb WINDOW w AS (PARTITION BY pkey, cs ORDER BY bs)
          UNION ALL
          SELECT pkey, max(be) + 1, any_value(ce) FROM cb WHERE bs IS NOT NULL GROUP BY pkey, cs),
        u AS (SELECT pkey, s, e FROM gaps WHERE e - s + 1 > ${r.grace})
        SELECT 'MISSING' AS kind, ${sq(r.id)} AS rule_id, pkey, NULL::UBIGINT AS hkey, ${sq(r.b[0].name)} AS items,
          sum(e - s + 1) AS days, min(s) AS ps, max(e) AS pe FROM u GROUP BY pkey`);
    } else if (r.kind === 'ends_at') {
      const factDay = r.a.length === 1 && r.a[0].code === DEATH && r.a[0].lo === null ? 'death'
        : `(SELECT pkey, min(s) AS d FROM rec WHERE ${pred(r.a)} GROUP BY pkey)`;
      const exc = r.except.map((x) => x.code);
      await step(t, `CREATE TABLE ${t} AS SELECT 'AFTER_DEATH' AS kind, ${sq(r.id)} AS rule_id, pkey, NULL::UBIGINT AS hkey, name AS items,
          sum(e - s + 1) AS days, min(s) AS ps, max(e) AS pe
        FROM (${merged(`SELECT p.pkey, p.code, greatest(p.s, d.d + 1) AS s, p.e FROM rec p JOIN ${factDay} d USING (pkey)
              WHERE p.code < ${cat.nitems} ${exc.length ? `AND p.code NOT IN (${list(exc)})` : ''} AND p.e > d.d`, 'pkey, code')})
        JOIN codes USING (code) GROUP BY pkey, name`);
    } else if (r.kind === 'household_unique') {
      const g = r.a.map((x) => x.code);
      const per = g.every((c) => cat.codes[c].periodic), one = g.every((c) => !cat.codes[c].periodic);
      if (!per && !one) die(`rule ${r.id}: a group mixing periodic and one-off items is not implemented in the oracle`);
      const reach = (s, e, code) => (per ? e : `${s} + CASE ${code} ${g.map((c) => `WHEN ${c} THEN ${r.window || cat.codes[c].win}`).join(' ')} END - 1`);
      // (a, c) one household, claims clustered by reach; a cluster with two
      // claimants or two items collides.
      const cl = `${t}_cl`;
      await step(cl, `CREATE TABLE ${cl} AS WITH c AS (SELECT rid, ch, pkey, code, s, e, ${reach('s', 'e', 'code')} AS r FROM claim WHERE code IN (${list(g)})),
          b AS (SELECT *, sum(CASE WHEN s <= pm THEN 0 ELSE 1 END) OVER (PARTITION BY ch ORDER BY s, code, pkey, rid ROWS UNBOUNDED PRECEDING) AS k
                FROM (SELECT *, max(r) OVER (PARTITION BY ch ORDER BY s, code, pkey, rid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pm FROM c)),
          hit AS (SELECT ch, k FROM b GROUP BY ch, k HAVING count(*) >= 2 AND (count(DISTINCT code) > 1 OR count(DISTINCT pkey) > 1))
        SELECT b.* FROM b SEMI JOIN hit ON hit.ch = b.ch AND hit.k = b.k`);
      const hdays = per
        ? `SELECT ch, sum(days) AS days, min(ps) AS ps, max(pe) AS pe FROM (${multiCover(`SELECT ch, k, s, e FROM ${cl}`, 'ch, k')}) GROUP BY ch`
        : `SELECT ch, max(s) - min(s) + 1 AS days, min(s) AS ps, max(s) AS pe FROM ${cl} GROUP BY ch`;
      await step(`${t}_h`, `CREATE TABLE ${t}_h AS SELECT 'HOUSEHOLD_DUPLICATE' AS kind, ${sq(r.id)} AS rule_id, NULL::BIGINT AS pkey, d.ch AS hkey,
          i.items, d.days, d.ps, d.pe FROM (${hdays}) d
          JOIN (SELECT ch, string_agg(DISTINCT name, ';' ORDER BY name) AS items FROM ${cl} JOIN codes USING (code) GROUP BY ch) i USING (ch)`);
      // (b) one person holding the group through two households at once;
      // like every holding (docs/rules.md, "What holds means"), only up to
      // the person's death.
      const hs = `SELECT pkey, code, s, e, hh, least(${reach('s', 'e', 'code')}, coalesce(d, ${OPEN})) AS r FROM (
            SELECT c.pkey, c.code, c.s, c.e, c.ch AS hh FROM claim c WHERE c.code IN (${list(g)})
            UNION ALL SELECT pkey, code, s, e, hh FROM derived WHERE code IN (${list(g)})) LEFT JOIN death USING (pkey)
          WHERE s <= coalesce(d, ${OPEN})`;
      await step(`${t}_p`, `CREATE TABLE ${t}_p AS WITH h AS (${hs}),
          two AS (SELECT pkey FROM h GROUP BY pkey HAVING count(DISTINCT hh) > 1),
          hx AS (SELECT h.*, row_number() OVER () AS n FROM h SEMI JOIN two USING (pkey)),
          pairs AS (SELECT a.pkey, a.n AS an, b.n AS bn, greatest(a.s, b.s) AS s, least(a.r, b.r) AS e
                    FROM hx a JOIN hx b ON a.pkey = b.pkey AND a.n < b.n AND a.hh <> b.hh AND greatest(a.s, b.s) <= least(a.r, b.r)),
          days AS (${merged('SELECT pkey, s, e FROM pairs')}),
          inv AS (SELECT DISTINCT pkey, code FROM hx WHERE n IN (SELECT an FROM pairs UNION SELECT bn FROM pairs))
        SELECT 'HOUSEHOLD_DUPLICATE' AS kind, ${sq(r.id)} AS rule_id, d.pkey, NULL::UBIGINT AS hkey, i.items, d.days, d.ps, d.pe
        FROM (SELECT pkey, sum(e - s + 1) AS days, min(s) AS ps, max(e) AS pe FROM days GROUP BY pkey) d
        JOIN (SELECT pkey, string_agg(name, ';' ORDER BY name) AS items FROM inv JOIN codes USING (code) GROUP BY pkey) i USING (pkey)`);
      F.push(`SELECT * FROM ${t}_h`);
      F.push(`SELECT * FROM ${t}_p`);
      continue;
    }
    F.push(`SELECT * FROM ${t}`);
  }

  // 5. Outputs.
  const out = path.join(C.work, 'findings.csv');
  await step('write', `COPY (${F.join(' UNION ALL ')}) TO ${sq(out)} (FORMAT csv, HEADER true)`);
  await db.run(`COPY (SELECT f, rows_read, rows_ingested FROM ingest ORDER BY f) TO ${sq(path.join(C.work, 'ingest.csv'))} (FORMAT csv, HEADER true)`);
  const sum = await db.q(`SELECT kind, rule_id, count(*) AS n, sum(days) AS days FROM read_csv(${sq(out)}, header = true) GROUP BY ALL ORDER BY ALL`);
  const rows = await db.q(`SELECT sum(rows_read) AS r, sum(rows_ingested) AS i FROM ingest`);
  const secs = (Date.now() - t0) / 1000;
  process.stderr.write(`duckdb ${(await db.q('SELECT version() AS v'))[0].v}, ${threads} threads: ${rows[0].r} rows read, ${rows[0].i} ingested, ` +
    `window ${ws}..${we}, ${sum.reduce((a, x) => a + Number(x.n), 0)} findings, ${secs.toFixed(2)} s\n`);
  process.stderr.write(`phases (s): ${phase.join(', ')}\n`);
  fs.writeFileSync(path.join(C.work, 'phases.txt'), phase.join('\n') + '\nfeeds (s, staged concurrently): ' + feedTimes.join(', ') + '\n');
  for (const x of sum) process.stderr.write(`  ${x.kind.padEnd(20)} ${x.rule_id.padEnd(5)} ${String(x.n).padStart(7)} ${String(x.days).padStart(10)}\n`);
}

// ---------------------------------------------------------------------------
// compare (untimed)
// ---------------------------------------------------------------------------

async function compare(args) {
  const C = loadCounty(args);
  const amOut = args['aidmatch-out'] || die('--aidmatch-out DIR');
  const db = await openDB(args.threads || 2);
  const w = (f) => sq(path.join(C.work, f));
  await db.run(`CREATE TABLE tm AS SELECT kind, raw, token FROM read_csv(${w('tokmap.csv')}, header = true, all_varchar = true)`);
  await db.run(`CREATE TABLE pmap AS SELECT DISTINCT pkey, token FROM (
      SELECT substr(raw, 1, 17)::BIGINT AS pkey, token FROM tm WHERE kind = 'P'
      UNION ALL SELECT pkey::BIGINT, token FROM read_csv(${w('tokp.csv')}, header = true, all_varchar = true))`);
  await db.run(`CREATE TABLE hmap AS SELECT DISTINCT hkey, token FROM (
      SELECT hash(raw) AS hkey, token FROM tm WHERE kind = 'H'
      UNION ALL SELECT hkey::UBIGINT, token FROM read_csv(${w('tokh.csv')}, header = true, all_varchar = true))`);
  await db.run(`CREATE TABLE dk AS SELECT d.kind, d.rule_id, coalesce(p.token, h.token) AS subject, d.items, d.days::BIGINT AS days
      FROM read_csv(${w('findings.csv')}, header = true, types = {'pkey': 'BIGINT', 'hkey': 'UBIGINT', 'items': 'VARCHAR', 'days': 'BIGINT'}) d
      LEFT JOIN pmap p ON p.pkey = d.pkey LEFT JOIN hmap h ON h.hkey = d.hkey`);
  const unmapped = await db.q(`SELECT count(*) AS n FROM dk WHERE subject IS NULL`);
  await db.run(`CREATE TABLE am AS SELECT kind, rule_id, subject, items, overlap_days::BIGINT AS days
      FROM read_csv(${sq(path.join(amOut, 'findings.csv'))}, header = true, all_varchar = true)`);
  const truthFile = path.join(C.county, 'truth.csv');
  await db.run(fs.existsSync(truthFile)
    ? `CREATE TABLE truth AS SELECT kind, rule_id, subject, items FROM read_csv(${sq(truthFile)}, header = true, all_varchar = true)`
    : `CREATE TABLE truth (kind VARCHAR, rule_id VARCHAR, subject VARCHAR, items VARCHAR)`);
  const per = await db.q(`WITH k AS (SELECT DISTINCT kind, rule_id FROM am UNION SELECT DISTINCT kind, rule_id FROM dk UNION SELECT DISTINCT kind, rule_id FROM truth),
      j AS (SELECT coalesce(a.kind, d.kind) AS kind, coalesce(a.rule_id, d.rule_id) AS rule_id, a.days AS ad, d.days AS dd,
              a.subject IS NOT NULL AS ina, d.subject IS NOT NULL AS ind
            FROM am a FULL JOIN dk d ON a.kind = d.kind AND a.rule_id = d.rule_id AND a.subject = d.subject AND a.items = d.items)
    SELECT k.kind, k.rule_id,
      (SELECT count(*) FROM am WHERE am.kind = k.kind AND am.rule_id = k.rule_id) AS am_n,
      (SELECT count(*) FROM dk WHERE dk.kind = k.kind AND dk.rule_id = k.rule_id) AS dk_n,
      (SELECT count(*) FROM truth t WHERE t.kind = k.kind AND t.rule_id = k.rule_id) AS truth_n,
      (SELECT coalesce(sum(days), 0) FROM am WHERE am.kind = k.kind AND am.rule_id = k.rule_id) AS am_days,
      (SELECT coalesce(sum(days), 0) FROM dk WHERE dk.kind = k.kind AND dk.rule_id = k.rule_id) AS dk_days,
      (SELECT count(*) FROM j WHERE j.kind = k.kind AND j.rule_id = k.rule_id AND ina AND ind) AS both_n,
      (SELECT count(*) FROM j WHERE j.kind = k.kind AND j.rule_id = k.rule_id AND ina AND ind AND ad <> dd) AS days_differ
    FROM k ORDER BY k.kind, k.rule_id`);
  const diffs = await db.q(`SELECT coalesce(a.kind, d.kind) AS kind, coalesce(a.rule_id, d.rule_id) AS rule_id,
      coalesce(a.subject, d.subject) AS subject, coalesce(a.items, d.items) AS items, a.days AS am_days, d.days AS dk_days
    FROM am a FULL JOIN dk d ON a.kind = d.kind AND a.rule_id = d.rule_id AND a.subject = d.subject AND a.items = d.items
    WHERE a.subject IS NULL OR d.subject IS NULL OR a.days <> d.days ORDER BY ALL LIMIT 50`);
  // Rows read and ingested per feed, against summary.json.
  const summary = JSON.parse(fs.readFileSync(path.join(amOut, 'summary.json'), 'utf8'));
  const ing = parseCSV(fs.readFileSync(path.join(C.work, 'ingest.csv'), 'utf8'));
  const feedDiff = [];
  summary.feeds.forEach((f, i) => {
    const d = ing.find((x) => Number(x.f) === i) || { rows_read: 0, rows_ingested: 0 };
    if (Number(d.rows_read) !== f.rows_read || Number(d.rows_ingested) !== f.rows_ingested)
      feedDiff.push(`${f.name}: aidmatch ${f.rows_read}/${f.rows_ingested}, duckdb ${d.rows_read}/${d.rows_ingested} (read/ingested)`);
  });
  const agree = per.every((x) => x.am_n === x.dk_n && x.both_n === x.am_n && x.am_days === x.dk_days) && !feedDiff.length &&
    Number(unmapped[0].n) === 0;
  const result = { agree, per, diffs, feedDiff, unmapped: Number(unmapped[0].n),
                   rows_read: summary.feeds.reduce((a, f) => a + f.rows_read, 0),
                   rows_ingested: summary.feeds.reduce((a, f) => a + f.rows_ingested, 0) };
  if (args.json) fs.writeFileSync(args.json, JSON.stringify(result, null, 1));
  const pad = (s, n) => String(s).padStart(n);
  console.log(`per (kind, rule): findings aidmatch / duckdb / same identity (kind, rule, subject, items) / planted truth;` +
              ` sum of overlap_days aidmatch / duckdb`);
  for (const x of per)
    console.log(`  ${x.kind.padEnd(20)} ${x.rule_id.padEnd(5)} ${pad(x.am_n, 7)} ${pad(x.dk_n, 7)} ${pad(x.both_n, 7)} ${pad(x.truth_n, 7)}` +
                `   days ${pad(x.am_days, 9)} ${pad(x.dk_days, 9)}${x.days_differ !== '0' ? `  (${x.days_differ} differ)` : ''}` +
                `${x.am_n === x.dk_n && x.both_n === x.am_n && x.am_days === x.dk_days ? '' : '   <-- DIFFERS'}`);
  for (const f of feedDiff) console.log(`  feed ${f}`);
  if (Number(unmapped[0].n)) console.log(`  ${unmapped[0].n} DuckDB findings whose subject has no token`);
  for (const d of diffs) console.log(`  diff: ${d.kind} ${d.rule_id} ${d.subject} ${d.items} aidmatch days ${d.am_days ?? '-'} duckdb days ${d.dk_days ?? '-'}`);
  console.log(agree ? 'AGREE: every (kind, rule) count, finding identity and overlap_days sum, and every feed\'s row counts'
                    : 'DISAGREE: see above');
  process.exitCode = agree ? 0 : 3;
}

// ---------------------------------------------------------------------------
// report: bench/run's table (stdout) and its RESULTS.md section (--md FILE)
// ---------------------------------------------------------------------------

// Whether a "1m, 5m, 15m / 1m, 5m, 15m" load string reached the core count.
function loadHigh(load) {
  const v = String(load || '').split(/[ ,\/]+/).map(Number).filter((x) => !Number.isNaN(x));
  return v.length > 0 && Math.max(...v) >= os.cpus().length;
}

function report(args) {
  const files = args._.slice(1);
  const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '-' : Number(x).toFixed(d));
  const big = (x) => Math.round(x).toLocaleString('en-US');
  const rows = [], ratios = [], agreeLines = [], kindTables = [], notes = new Set();
  for (const file of files) {
    const m = Object.fromEntries(fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => {
      const k = l.indexOf('=');
      return [l.slice(0, k), l.slice(k + 1)];
    }));
    const cmp = JSON.parse(fs.readFileSync(m.compare, 'utf8'));
    const n = Number(m.n), nrows = cmp.rows_read, bytes = Number(m.bytes);
    // The county's label: its persons, and its shape when the register is plain text.
    const county = `${big(n)}${m.shape === 'plain' ? ' (plain register)' : ''}`;
    const tool = (name, label) => {
      const [wall, user, sys, rss] = m[name].split(' ').map(Number);
      const r = { county, rows: nrows, bytes, tool: label, wall, cpu: user + sys, rss: rss / 1024 };
      r.rps = nrows / wall; r.mbps = bytes / 1e6 / wall;
      rows.push(r);
      return r;
    };
    const a = tool('aidmatch', `aidmatch ${m.aidmatch_threads.startsWith('--threads') ? `(${m.aidmatch_threads.replace('--threads ', '')} threads)` : ''}`.trim());
    const f = tool('csv_floor', 'libcsv floor');
    const f2 = m.csv_floor2 ? tool('csv_floor2', 'libcsv floor (2 threads)') : null;
    const d = tool('duckdb', `DuckDB ${m.duckdb_version} (2 threads)`);
    const ingest = Number(m.ingest_seconds);
    ratios.push({ county, time: a.wall / d.wall, cpu: a.cpu / d.cpu, mem: a.rss / d.rss, floor: a.wall / f.wall,
      ingest: f2 && ingest > 0 ? f2.wall / ingest : NaN });
    const bad = cmp.per.filter((x) => !(x.am_n === x.dk_n && x.both_n === x.am_n && x.am_days === x.dk_days));
    agreeLines.push(`N=${county} (seed ${m.seed}): ${cmp.agree ? 'AGREE' : 'DISAGREE'} — ${cmp.per.length} (kind, rule) pairs, ` +
      `${cmp.per.reduce((s, x) => s + Number(x.am_n), 0)} findings by aidmatch, ${cmp.per.reduce((s, x) => s + Number(x.dk_n), 0)} by DuckDB, ` +
      `${cmp.per.reduce((s, x) => s + Number(x.both_n), 0)} identical (kind, rule, subject token, items); ` +
      `rows read/ingested per feed ${cmp.feedDiff.length ? `differ: ${cmp.feedDiff.join('; ')}` : 'equal'}` +
      (bad.length ? `; differing: ${bad.map((x) => `${x.kind}/${x.rule_id}`).join(', ')}` : ''));
    const kinds = {};
    for (const x of cmp.per) {
      const k = (kinds[x.kind] ||= { am: 0, dk: 0, both: 0, truth: 0, ad: 0, dd: 0, rules: 0 });
      k.am += Number(x.am_n); k.dk += Number(x.dk_n); k.both += Number(x.both_n); k.truth += Number(x.truth_n);
      k.ad += Number(x.am_days); k.dd += Number(x.dk_days); k.rules++;
    }
    kindTables.push({ county, kinds });
    if (m.converted) notes.add(`converted to UTF-8 with iconv once, outside the timed region (DuckDB's CSV reader reads UTF-8, UTF-16 and Latin-1; GB18030 needs its separately downloaded encodings extension): ${m.converted}`);
  }
  const head = ['N', 'rows', 'bytes', 'tool', 'wall s', 'user+sys s', 'peak RSS MiB', 'rows/s', 'MB/s'];
  const body = rows.map((r) => [r.county, big(r.rows), big(r.bytes), r.tool, fmt(r.wall), fmt(r.cpu), fmt(r.rss, 0), big(r.rps), fmt(r.mbps, 1)]);
  const rhead = ['N', 'aidmatch/DuckDB time', 'aidmatch/DuckDB CPU', 'aidmatch/DuckDB memory', 'aidmatch/libcsv-floor time',
    'ingest speed / floor speed (2 threads)'];
  const rbody = ratios.map((r) => [r.county, fmt(r.time), fmt(r.cpu), fmt(r.mem), fmt(r.floor), fmt(r.ingest)]);
  const khead = ['N', 'kind', 'rules', 'aidmatch', 'DuckDB', 'identical', 'planted truth', 'overlap_days aidmatch', 'overlap_days DuckDB'];
  const kbody = kindTables.flatMap((t) => Object.entries(t.kinds).map(([k, v]) =>
    [t.county, k, v.rules, v.am, v.dk, v.both, v.truth, big(v.ad), big(v.dd)]));
  const tc = args['token-cost'] && fs.existsSync(args['token-cost'])
    ? Object.fromEntries(fs.readFileSync(args['token-cost'], 'utf8').trim().split('\n').map((l) => l.split(' '))) : {};
  const text = (h, b) => {
    const w = h.map((x, i) => Math.max(String(x).length, ...b.map((r) => String(r[i]).length)));
    return [h, ...b].map((r) => r.map((x, i) => (i === 3 && h === head ? String(x).padEnd(w[i]) : String(x).padStart(w[i]))).join('  ')).join('\n');
  };
  const md = (h, b) => [`| ${h.join(' | ')} |`, `|${h.map(() => '---').join('|')}|`, ...b.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  const noteList = [
    'rows = data rows read (summary.json rows_read); bytes = the feed files as stored (the .gz ones compressed); MB = 10^6 bytes, MiB = 2^20 bytes (peak RSS, from the KiB that /usr/bin/time reports); rows/s and MB/s over wall time.',
    'Wall, user+sys CPU and peak RSS from /usr/bin/time -v of the whole process (DuckDB: the Node.js process, including start-up and writing its findings).',
    'DuckDB: SET threads=2. DuckDB reads a gzip file, or a plain CSV file of a few tens of MB, on one thread, so feeds are staged ' +
      'two at a time on two connections, then matched by set-based SQL on both threads. ' +
      'Its raw-ID → token map (for the tokenised housing feed and for comparing subjects) is computed outside the timed region by bench/token_map.',
    ...notes,
    `CPU/wall (about 2 when a two-thread program gets both cores): ${rows.map((r) => `${r.county} ${r.tool} ${fmt(r.cpu / r.wall)}`).join('; ')}.` +
      (loadHigh(args.load) ? ' The load average was at or above the core count, so the two-thread programs got about one core each.' : ''),
    'libcsv floor: build/bench/csv_floor, libcsv parsing the same files (gzip inflated) and nothing else: no decoding, mapping, hashing or matching; ' +
      '"2 threads": csv_floor -j 2, two threads taking whole files largest first, as aidmatch reads them.',
    'ingest speed / floor speed: the two-thread floor\'s wall time over the wall time of the ingest phase alone of build/bench/phases ' +
      '(the same calls as aidmatch reconcile, 2 threads): 1.00 would be ingest as fast as parsing alone on the same cores.',
    'Agreement: per (kind, rule), DuckDB\'s findings mapped to tokens and compared with findings.csv by (kind, rule, subject, items), and the sums of overlap_days.',
  ];
  let out = `${text(head, body)}\n\n${text(rhead, rbody)}\n\n${agreeLines.join('\n')}\n\n${text(khead, kbody)}\n`;
  if (tc.siphashx24) out += `\nkeyed tokens, one core: SipHash-2-4-128 (crypto_shorthash_siphashx24) ${tc.siphashx24} ns/ID, ` +
    `am_token_person ${tc.am_token_person} ns/ID, am_id_normalise + am_token_person ${tc['normalise+token']} ns/ID\n`;
  out += `load average before / after: ${args.load}\n`;
  process.stdout.write(out);
  if (args.md) {
    const mdText = [`## ${args.date} — commit ${args.commit}`, '',
      `- machine: ${args.machine}`, `- load average (1, 5, 15 min) before / after: ${args.load} (a shared machine: other jobs were running)`,
      `- Node.js ${args.node}; the working tree may hold other engineers' uncommitted changes`, '',
      md(head, body), '', md(rhead, rbody), '', ...agreeLines.map((l) => `- ${l}`), '', md(khead, kbody), '',
      tc.siphashx24 ? `Keyed-token cost, one core, best of 5 over 4 Mi distinct IDs (build/bench/token_cost): SipHash-2-4-128 ` +
        `(libsodium crypto_shorthash_siphashx24, 18 bytes) **${tc.siphashx24} ns/ID**; am_token_person ${tc.am_token_person} ns/ID; ` +
        `am_id_normalise + am_token_person ${tc['normalise+token']} ns/ID.\n` : '',
      'Notes:', ...noteList.map((l) => `- ${l}`), ''].join('\n');
    fs.writeFileSync(args.md, mdText);
  }
}

// ---------------------------------------------------------------------------

const args = parseArgs(process.argv.slice(2));
const mode = args._[0];
if (mode === 'prep') await prep(args);
else if (mode === 'reconcile') await reconcile(args);
else if (mode === 'compare') await compare(args);
else if (mode === 'report') report(args);
else die('usage: run.mjs prep|reconcile|compare|report ... (see the header)');
