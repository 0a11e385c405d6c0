/*
 * aidmatch.h — the public API of libaidmatch.
 *
 * libaidmatch cross-matches the payment and registry feeds of the agencies
 * that a county social-assistance centre reconciles, and reports duplicate,
 * conflicting, missing and wrongful aid with the evidence a caseworker needs.
 *
 * Conventions, which hold for every function below unless its comment says
 * otherwise:
 *  - Everything happens inside an am_ctx: one per run, no global state.  A
 *    context is not safe for concurrent use, but separate contexts may be
 *    used from separate threads at the same time.  (findings.xlsx is
 *    written with libxlsxwriter, which calls gmtime(): the library closes
 *    one workbook at a time, but an embedder's own gmtime() in another
 *    thread during am_write_outputs() should be gmtime_r().)
 *  - Functions return an am_status.  On failure the context keeps a message
 *    ("file:line: what was expected") that am_errmsg() returns until the
 *    next call that fails.  Every failure sets it, those of accessors given
 *    a const context included; misuse names the call ("am_finding_get: no
 *    finding 7: there are 3"); an am_check's accessors leave theirs in
 *    am_check_errmsg() alike.  Only a NULL context, feed, window or check
 *    has nowhere to keep a message: a call given one returns
 *    AM_ERR_INVALID (a count 0, a string "", a handle NULL) and sets no
 *    message.  The library never prints, exits or aborts.
 *  - Strings are UTF-8.  Pointers passed in are borrowed for the duration of
 *    the call only; the library copies what it keeps.  Pointers handed out
 *    are owned by the library and stay valid for the lifetime stated.
 *  - Raw resident IDs and names are never kept: a raw ID is normalised and
 *    turned into a keyed token as it is read, and names are not stored.
 *  - The structs the library fills (am_feed_stats, am_finding, ...) keep
 *    their size and layout for the life of the major version: what a later
 *    version adds comes through new functions, never new fields (counts per
 *    reject reason, for one, through am_feed_rejected()), so a program
 *    built against this header keeps working with a newer library.
 *
 * Stable and experimental, as zstd splits its header:
 *  - Everything declared before the "Experimental" section is stable: within
 *    soversion 0 (libaidmatch.so.0) no function is removed or changes its
 *    prototype, no struct changes its size or layout, no enum value changes
 *    its number, and what a function is documented to do it keeps doing.
 *  - The experimental section is compiled in only where AM_EXPERIMENTAL is
 *    defined before this header is included.  Its calls are exported from
 *    the same library, but may change or go in any release, patch releases
 *    included; a program that uses them must be built against the exact
 *    version it runs with.  Every new call starts there, and moves to the
 *    stable part in a release once its shape has stood a release of use.
 *  - The library exports exactly the functions this header declares, both
 *    parts, under the symbol version AIDMATCH_0 (lib/aidmatch.map); nothing
 *    else is visible to the dynamic linker.
 */
#ifndef AIDMATCH_H
#define AIDMATCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(AM_BUILDING_LIBRARY) && defined(__GNUC__)
#define AM_API __attribute__((visibility("default")))
#else
#define AM_API
#endif

#define AIDMATCH_VERSION_MAJOR 0
#define AIDMATCH_VERSION_MINOR 1
#define AIDMATCH_VERSION_PATCH 0
#define AIDMATCH_VERSION_STRING "0.1.0"
#define AIDMATCH_VERSION_NUMBER \
    (AIDMATCH_VERSION_MAJOR * 10000 + AIDMATCH_VERSION_MINOR * 100 + AIDMATCH_VERSION_PATCH)

/* Returns the version of the library actually linked, as "MAJOR.MINOR.PATCH"
 * (a static string).  If number is not NULL it receives the same version as
 * AIDMATCH_VERSION_NUMBER does for the header.  Cannot fail. */
AM_API const char *am_version(int *number);

typedef enum am_status {
    AM_OK = 0,
    AM_ERR_NOMEM,   /* an allocation failed; the context is still usable */
    AM_ERR_IO,      /* a file could not be opened, read or written */
    AM_ERR_FORMAT,  /* an input the run cannot continue with: catalogue,
                       centre file, rules, a feed's header or encoding */
    AM_ERR_KEY,     /* key missing, malformed or readable by others, or a
                       feed tokenised under a different key */
    AM_ERR_INVALID, /* misuse: a NULL or unknown argument, a wrong order of calls */
    AM_ERR_LIMIT,   /* a configured resource limit was exceeded */
    AM_ERR_ABORTED, /* a callback asked the library to stop */
    AM_ERR_STATE    /* the run is not at a stage where the call is possible: the
                       message names the call to make first (see "Stages") */
} am_status;

/* Returns a static English description of a status.  Cannot fail; an
 * unknown value gets "unknown status". */
AM_API const char *am_strerror(am_status status);

/* Why an input row was rejected.  Names (am_reject_name) are a stable
 * contract: they appear in rejects.csv and summary.json. */
typedef enum am_reject {
    AM_REJECT_MISSING_ID = 0,  /* the person ID field is empty */
    AM_REJECT_BAD_LENGTH,      /* not 15 or 18 characters after normalising */
    AM_REJECT_BAD_CHAR,        /* a character other than digits (and a final X) */
    AM_REJECT_BAD_BIRTH_DATE,  /* the birth date in the ID is not a real date */
    AM_REJECT_BAD_CHECK_DIGIT, /* GB 11643 check character does not match */
    AM_REJECT_EXCEL_MANGLED,   /* scientific notation or 15-significant-digit
                                  truncation: unrecoverable, never matched */
    AM_REJECT_BAD_TOKEN,       /* a tokenised feed's ID is not 32 hex digits */
    AM_REJECT_BAD_HOUSEHOLD,   /* household ID unusable */
    AM_REJECT_MISSING_DATE,    /* a required date is empty */
    AM_REJECT_BAD_DATE,        /* a date that does not parse or does not exist */
    AM_REJECT_END_BEFORE_START,
    AM_REJECT_MISSING_AMOUNT,
    AM_REJECT_BAD_AMOUNT,      /* not a decimal yuan amount with <= 2 decimals */
    AM_REJECT_NEGATIVE_AMOUNT,
    AM_REJECT_ABSURD_AMOUNT,   /* above the feed's max_amount */
    AM_REJECT_UNKNOWN_ITEM,    /* item value not mapped to a catalogue item */
    AM_REJECT_BAD_GRADE,       /* a fact value (e.g. disability grade) outside the
                                  range facts.csv gives the fact */
    AM_REJECT_TOO_FEW_FIELDS,
    AM_REJECT_TOO_MANY_FIELDS,
    AM_REJECT_BAD_ENCODING,    /* bytes invalid in the feed's encoding */
    AM_REJECT_FIELD_TOO_LONG,  /* a field longer than the feed's max_field */
    AM_REJECT_EMBEDDED_NUL,    /* a NUL byte inside a field */
    AM_REJECT__COUNT
} am_reject;

/* Returns the stable snake_case name of a reject reason (static), or
 * "unknown" for a value out of range. */
AM_API const char *am_reject_name(am_reject reason);

/* ------------------------------------------------------------------ */
/* Context                                                              */

typedef struct am_ctx am_ctx;

/* Creates a context.  *out receives it, or NULL on failure.
 * Returns AM_OK, AM_ERR_INVALID (out is NULL) or AM_ERR_NOMEM.
 * The caller owns the context and releases it with am_ctx_free(). */
AM_API am_status am_ctx_new(am_ctx **out);

/* Releases a context and everything it owns; every pointer the library
 * handed out for it becomes invalid.  Key material is wiped first.
 * NULL is accepted and ignored. */
AM_API void am_ctx_free(am_ctx *ctx);

/* Returns the message of the last failure in ctx, "" if none.  The string
 * is owned by ctx and valid until the next call on ctx.  Messages never
 * contain raw IDs, names or key material. */
AM_API const char *am_errmsg(const am_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Stages                                                               */

/* A run goes through stages, and each call below says in a "Stages:" line
 * which it accepts and where it leaves the run; a call in another stage
 * returns AM_ERR_STATE, with a message naming the call to make first (in
 * a snapshot's context: the three calls that ask it questions).
 * Calls without such a line accept every stage and leave it as it was.
 *   setup       after am_ctx_new(): catalogue, key, rules, feeds, settings;
 *   ingested    rows ingested since the last am_reconcile() (or none yet);
 *   reconciled  findings drawn from every row ingested;
 *   reviewed    and reviewed against the previous run and outcomes;
 *   snapshot    after am_snapshot_open(): the context answers questions only.
 * Ingesting, loading rules or setting the window in a reconciled or
 * reviewed run sends it back to ingested (its findings no longer describe
 * its records); a run date, previous run or outcomes send a reviewed run
 * back to reconciled. */

/* ------------------------------------------------------------------ */
/* Configuration                                                        */

/* Loads the catalogue from a directory holding agencies.csv, items.csv and
 * facts.csv (format: docs/reference.md).  Must precede feeds and rules.
 * Returns AM_OK, AM_ERR_IO (a file missing or unreadable), AM_ERR_FORMAT
 * (with file:line: a bad unit, an unknown agency, a duplicate code, ...),
 * AM_ERR_LIMIT (a table of more than 65,535 rows), AM_ERR_INVALID (a
 * catalogue is already loaded) or AM_ERR_NOMEM. */
AM_API am_status am_load_catalogue(am_ctx *ctx, const char *dir);

/* Loads the 128-bit tokenisation key from a key file: 32 hex digits, an
 * optional trailing newline.  A file readable by group or others is refused
 * (AM_ERR_KEY) without being read.  The key is kept in locked memory where
 * possible and wiped when ctx is freed.
 * Returns AM_OK, AM_ERR_IO, AM_ERR_KEY or AM_ERR_INVALID (a key is already
 * loaded). */
AM_API am_status am_load_key_file(am_ctx *ctx, const char *path);

/* Creates a new random key file at path (mode 0600; an existing file is
 * never overwritten).  Needs no context: run once per centre, then share
 * the file with the agencies that tokenise their own exports.
 * Returns AM_OK, AM_ERR_IO (the file exists or cannot be written; errmsg,
 * if not NULL, receives a message of up to errmsg_len bytes). */
AM_API am_status am_generate_key_file(const char *path, char *errmsg, size_t errmsg_len);

/* As am_load_key_file, from 16 raw key bytes in memory (len must be 16).
 * The caller keeps ownership of key and should wipe its own copy. */
AM_API am_status am_load_key(am_ctx *ctx, const void *key, size_t len);

/* Returns the key fingerprint: 16 lowercase hex digits of a keyed-hash of
 * the key under a fixed label, safe to print and record; "" if no key is
 * loaded.  Owned by ctx, valid until ctx is freed. */
AM_API const char *am_key_fingerprint(const am_ctx *ctx);

/* Loads a rules file (docs/rules.md) and adds its rules to those already
 * loaded.  Needs the catalogue, since rules name its codes.
 * Returns AM_OK, AM_ERR_IO, AM_ERR_FORMAT ("file:line: expected ..., got
 * '...'"; no rule of the file is kept), AM_ERR_INVALID (no catalogue) or
 * AM_ERR_NOMEM.
 * Stages: any but snapshot; reconciled and reviewed go back to ingested. */
AM_API am_status am_load_rules(am_ctx *ctx, const char *path);

/* As am_load_rules, from len bytes of text; name is used in messages. */
AM_API am_status am_load_rules_mem(am_ctx *ctx, const char *text, size_t len, const char *name);

/* Sets the reconciliation window, "YYYY-MM-DD" to "YYYY-MM-DD" inclusive:
 * the days over which entitlements are judged.  Without it the window runs
 * from the earliest to the latest day paid by any periodic payment.
 * Returns AM_OK or AM_ERR_FORMAT (not dates, or end before start).
 * Stages: any; reconciled and reviewed go back to ingested. */
AM_API am_status am_set_window(am_ctx *ctx, const char *start, const char *end);

/* Sets the data directory (dir/catalogue/, dir/rules/default.rules, as
 * meson install lays them out under share/aidmatch), used by the centre
 * file loaders when a centre file names no catalogue or no rules; NULL
 * (the default) uses none.  dir is copied.
 * Returns AM_OK, AM_ERR_INVALID (ctx NULL) or AM_ERR_NOMEM. */
AM_API am_status am_set_data_dir(am_ctx *ctx, const char *dir);

/* How grave a problem am_check_centre() found is: an error stops a run
 * (am_load_centre or am_ingest would fail, or the findings would be
 * wrong); a warning lets it go on. */
typedef enum am_severity { AM_SEVERITY_ERROR = 0, AM_SEVERITY_WARNING } am_severity;

typedef struct am_diagnostic {
    am_severity severity;
    /* "centre.ini:LINE: what was found; what was expected: a suggestion",
     * naming the feed file and its line where one applies.  Never a value
     * of a feed's rows. */
    const char *message;
} am_diagnostic;

/* Checks a centre file, its catalogue, rules and every feed's header and
 * first sample_rows rows (0: 10,000) without stopping at the first
 * problem, and keeps every problem found on ctx (am_diagnostic_get).  ctx
 * is used for its data directory and run date (a window stretched past
 * the run date is a warning); nothing is loaded into it.
 * Returns AM_OK when the check ran, whatever it found (an unreadable
 * centre file is a diagnostic), AM_ERR_INVALID or AM_ERR_NOMEM. */
AM_API am_status am_check_centre(am_ctx *ctx, const char *path, uint64_t sample_rows);

/* As am_check_centre, from the centre file's text in memory (len bytes,
 * not necessarily NUL-terminated; the caller keeps it).  name stands for
 * the file in messages ("name:LINE"); base_dir (NULL: the current
 * directory) resolves relative paths, as the file's directory does for
 * am_check_centre.  Same returns. */
AM_API am_status am_check_centre_mem(am_ctx *ctx, const char *text, size_t len,
                                     const char *name, const char *base_dir,
                                     uint64_t sample_rows);

/* Returns how many problems the last am_check_centre() found. */
AM_API size_t am_diagnostic_count(const am_ctx *ctx);

/* Fills *out with problem i, in the order of the centre file; the message
 * is owned by ctx, valid until the next check or am_ctx_free().
 * Returns AM_OK or AM_ERR_INVALID. */
AM_API am_status am_diagnostic_get(const am_ctx *ctx, size_t i, am_diagnostic *out);

/* Loads a centre file (INI; docs/reference.md): the [centre] section names
 * the catalogue, key and rules, each [feed NAME] section declares a feed.
 * Relative paths are taken from the centre file's directory.  Loads the
 * catalogue and key it names unless already loaded.
 * Returns AM_OK, AM_ERR_IO, AM_ERR_FORMAT (file:line and the key at fault),
 * AM_ERR_KEY, AM_ERR_INVALID or AM_ERR_NOMEM. */
AM_API am_status am_load_centre(am_ctx *ctx, const char *path);

/* As am_load_centre, from text in memory (len bytes; the caller keeps
 * it); base_dir (may be NULL for the current directory) resolves relative
 * paths and name is used in messages.  Same returns. */
AM_API am_status am_load_centre_mem(am_ctx *ctx, const char *text, size_t len,
                                    const char *name, const char *base_dir);

/* ------------------------------------------------------------------ */
/* Feeds                                                                */

typedef struct am_feed am_feed;

/* Declares a feed in code, for embedders: the same keys as a [feed NAME]
 * section of the centre file are then given with am_feed_set().  *out
 * receives a handle owned by ctx, valid until ctx is freed.
 * Returns AM_OK, AM_ERR_INVALID (a feed of that name exists, or no
 * catalogue is loaded) or AM_ERR_NOMEM. */
AM_API am_status am_feed_new(am_ctx *ctx, const char *name, am_feed **out);

/* Sets one key of a feed spec (e.g. "agency", "person_id", "item").
 * Returns AM_OK, AM_ERR_FORMAT (unknown key or bad value; the message says
 * what was expected) or AM_ERR_NOMEM. */
AM_API am_status am_feed_set(am_feed *feed, const char *key, const char *value);

/* Ingests every declared feed not yet ingested from its file: each file is
 * checked first, in declaration order, then the feeds are read most text
 * first on am_set_threads() threads (the records and findings do not
 * depend on the order).  A feed without a file, or whose file is missing
 * or unreadable, fails the whole call: reconciling without an agency's
 * feed would invent missing aid.
 * Rows that cannot be used are rejected with a reason and counted; they do
 * not fail the call.
 * Returns AM_OK, AM_ERR_IO (also a truncated or corrupt .gz), AM_ERR_FORMAT
 * (e.g. a mapped column absent from the header, an unterminated quote),
 * AM_ERR_KEY, AM_ERR_LIMIT or AM_ERR_NOMEM.
 * Stages: any; moves to ingested as soon as a feed's first rows are
 * stored, so that a progress callback already finds the findings stale,
 * and in any case once a feed has been read (in a snapshot's context, the
 * rows are ignored and the stage stays). */
AM_API am_status am_ingest(am_ctx *ctx);

/* Ingests one feed from a buffer instead of its file (data, len: the bytes
 * of the CSV file, possibly gzip-compressed).  Failures as am_ingest().
 * A feed can be ingested once.  Stages: as am_ingest(). */
AM_API am_status am_feed_ingest_buffer(am_feed *feed, const void *data, size_t len);

/* Per-feed statistics.  The counts reconcile:
 * rows_read == rows_ingested + rows_rejected, and am_feed_rejected() over
 * every reason adds up to rows_rejected. */
typedef struct am_feed_stats {
    const char *name;     /* the feed's name */
    const char *agency;   /* its agency code */
    const char *path;     /* its file, or "" when none is set */
    const char *file_xxh3; /* XXH3-128 of the file's bytes, 32 hex digits */
    const char *encoding; /* the encoding the feed was read in */
    uint64_t rows_read;
    uint64_t rows_ingested;
    uint64_t rows_rejected;
    uint64_t bytes_read;
} am_feed_stats;

/* Returns the number of declared feeds. */
AM_API size_t am_feed_count(const am_ctx *ctx);

/* Fills *out with the statistics of feed i (0-based, declaration order).
 * The strings are owned by ctx and valid until it is freed.
 * Returns AM_OK or AM_ERR_INVALID (i out of range, out NULL). */
AM_API am_status am_feed_stats_get(const am_ctx *ctx, size_t i, am_feed_stats *out);

/* Returns how many rows of feed i (as for am_feed_stats_get) were rejected
 * for reason; 0 when ctx is NULL, i is out of range or reason is unknown
 * to this library (a reason added after it was built). */
AM_API uint64_t am_feed_rejected(const am_ctx *ctx, size_t i, am_reject reason);

/* One rejected row, as am_reject_get() gives it.  The strings are owned
 * by ctx and valid until it is freed.  detail never repeats a raw ID or
 * name. */
typedef struct am_reject_row {
    const char *feed;
    uint64_t line;     /* physical line where the row starts, 1-based */
    am_reject reason;
    const char *detail;
} am_reject_row;

/* Returns the number of rejected rows kept by ctx, all feeds: at most a
 * feed's max_rejects per feed and reason (am_feed_rejected counts all). */
AM_API size_t am_reject_count(const am_ctx *ctx);

/* Fills *out with rejected row i, in feed order then line order.
 * Returns AM_OK or AM_ERR_INVALID. */
AM_API am_status am_reject_get(const am_ctx *ctx, size_t i, am_reject_row *out);

/* ------------------------------------------------------------------ */
/* Reconciliation                                                       */

typedef enum am_kind {
    AM_KIND_DUPLICATE = 0,      /* one person, one item, overlapping periods */
    AM_KIND_HOUSEHOLD_DUPLICATE, /* one household, one household item, twice */
    AM_KIND_CONFLICT,           /* mutually exclusive items held together */
    AM_KIND_MISSING,            /* entitled but not receiving */
    AM_KIND_AFTER_DEATH,        /* paid for a period after death */
    AM_KIND_DISQUALIFIED,       /* paid while a disqualifying fact holds */
    AM_KIND__COUNT
} am_kind;

/* Returns the stable upper-case name of a finding kind (static), or
 * "UNKNOWN". */
AM_API const char *am_kind_name(am_kind kind);

/* One finding.  All pointers are owned by ctx and valid until the next
 * am_reconcile() on ctx or until ctx is freed. */
typedef struct am_finding {
    const char *id;          /* 32 hex digits, stable across nightly runs */
    am_kind kind;
    const char *rule_id;     /* the rule that fired ("DUP" for implicit duplicates) */
    const char *unit;        /* "person" or "household" */
    const char *subject;     /* person or household token, 32 hex digits */
    const char *items;       /* item codes, ';'-separated, sorted */
    const char *agencies;    /* agency codes, ';'-separated, sorted */
    const char *period_start; /* YYYY-MM-DD */
    const char *period_end;   /* YYYY-MM-DD */
    int64_t overlap_days;     /* days at issue */
    int64_t amount_fen;       /* money at stake, in fen (0.01 yuan) */
    const char *evidence;     /* feed:line of every record involved, ';'-separated */
    const char *policy_source;
    const char *priority;     /* "high", "normal" or "low" */
} am_finding;

/* Receives findings one at a time.  Return 0 to go on, anything else to
 * stop (am_reconcile then returns AM_ERR_ABORTED). */
typedef int (*am_finding_fn)(void *user, const am_finding *finding);

/* Runs every rule over the ingested records and delivers the findings to
 * fn (which may be NULL) sorted by amount at stake, descending, then id.
 * The findings are also kept by ctx for am_finding_get() and
 * am_write_outputs().  May be called again after more ingestion.
 * Returns AM_OK, AM_ERR_STATE, AM_ERR_INVALID (no catalogue),
 * AM_ERR_ABORTED or AM_ERR_NOMEM.
 * Stages: ingested, reconciled, reviewed; moves to reconciled (also when
 * the callback stops the delivery). */
AM_API am_status am_reconcile(am_ctx *ctx, am_finding_fn fn, void *user);

/* Sets how many threads the run may use (1 to 64; the default is 1, so
 * an embedder decides what to spend): am_ingest() reads feeds on them,
 * am_reconcile() matches on them, am_write_outputs() writes the workbook
 * beside the other files when there are two or more.  The findings and
 * outputs do not depend on it.  Returns AM_OK or AM_ERR_INVALID (ctx NULL, or
 * threads out of range: "threads: expected 1 to 64, got 0"). */
AM_API am_status am_set_threads(am_ctx *ctx, unsigned threads);

/* Reconciles a run larger than memory: ingestion writes records to
 * partition files instead of memory, and am_reconcile() matches them a
 * partition at a time, as many partitions as keep this process under
 * about bytes (docs/partitions.md); the findings, rejects and outputs are
 * those of the run in memory.  Call before any feed is ingested.  A
 * partitioned run is reconciled once and cannot write a snapshot yet.
 * Returns AM_OK or AM_ERR_INVALID (ctx NULL, bytes below 128M, or a feed
 * already ingested). */
AM_API am_status am_set_memory_limit(am_ctx *ctx, uint64_t bytes);

/* Partitions the run as am_set_memory_limit() does, into at least n
 * partitions (1 to 4096), whatever the memory: for tests and for spreading
 * partitions over machines.  Returns as am_set_memory_limit(). */
AM_API am_status am_set_partitions(am_ctx *ctx, unsigned n);

/* The directory a partitioned run makes its own directory of partition
 * files in (default /var/tmp); ctx copies dir.  The files are removed when
 * the run ends, or by the next run after a crash.  Returns AM_OK,
 * AM_ERR_INVALID (dir NULL or empty, or records already spilled) or
 * AM_ERR_NOMEM. */
AM_API am_status am_set_temp_dir(am_ctx *ctx, const char *dir);

/* Returns the number of findings of the last am_reconcile(). */
AM_API size_t am_finding_count(const am_ctx *ctx);

/* Fills *out with finding i of the last reconciliation, in output order.
 * Returns AM_OK or AM_ERR_INVALID. */
AM_API am_status am_finding_get(const am_ctx *ctx, size_t i, am_finding *out);

/* Writes findings.csv, rejects.csv and summary.json into dir (created if
 * absent).  The files are written and synced in a new directory beside dir,
 * which then replaces dir in one atomic exchange: whenever the process
 * dies, dir holds the previous complete run or the new one.  dir must be
 * absent, empty or marked as a run's (.aidmatch-run); a symbolic link is
 * resolved once; other files in dir are carried over as hard links; a lock
 * on dir.lock admits one run at a time (docs/reference.md §5.0).
 * Files are created readable by their owner only (mode 0600).
 * wall_seconds is recorded in summary.json (pass a negative value to omit).
 * Returns AM_OK, AM_ERR_IO (dir refused or locked, or a file error; the
 * message names the directory or file and the reason), AM_ERR_NOMEM,
 * AM_ERR_STATE (no findings of every row ingested: am_reconcile() first)
 * or the review's failures.
 * Stages: reconciled (reviews first, as am_review()), reviewed; moves to
 * reviewed. */
AM_API am_status am_write_outputs(am_ctx *ctx, const char *dir, double wall_seconds);

/* Whether the CSV files am_write_outputs writes open with a UTF-8 byte
 * order mark (bom = 1, the default: Excel and WPS then read them as UTF-8)
 * or not (bom = 0, for programs that do not expect one).  [centre]
 * csv_bom sets it too.  Returns AM_OK or AM_ERR_INVALID (NULL ctx). */
AM_API am_status am_set_csv_bom(am_ctx *ctx, int bom);

/* ------------------------------------------------------------------ */
/* Agency side                                                          */

/* Reads a declared feed's file and writes it to out_path as UTF-8 CSV with
 * the person and household ID columns replaced by tokens and, unless
 * keep_name is non-zero, the name column dropped: what an agency sends
 * instead of raw IDs.  Rows whose ID is rejected are not written; they are
 * counted in the feed's statistics and listed by am_reject_get().
 * The output is written atomically.  The feed must read raw IDs.
 * Returns AM_OK, AM_ERR_IO, AM_ERR_FORMAT, AM_ERR_KEY (no key),
 * AM_ERR_INVALID or AM_ERR_NOMEM. */
AM_API am_status am_tokenise_feed(am_feed *feed, const char *out_path, int keep_name);

/* Looks up a declared feed by name; NULL if there is none.  The handle is
 * owned by ctx. */
AM_API am_feed *am_feed_find(am_ctx *ctx, const char *name);

/* ------------------------------------------------------------------ */
/* The nightly cycle: what changed since the previous run, caseworkers'  */
/* outcomes, feed drift, the report, and progress while reading          */

/* With these, am_write_outputs() also writes into dir: suppressed.csv
 * (findings a no_issue outcome suppresses; findings.csv no longer lists
 * them), report.html (a self-contained report for people), and, when a
 * previous run is loaded, delta.csv.  findings.csv and suppressed.csv end
 * with a facts column.  It reviews first (am_review), and fails as that
 * does. */

/* Sets the date of this run, "YYYY-MM-DD": it dates first_seen and
 * last_seen in delta.csv and decides which outcomes are already recorded.
 * The library never reads the clock (outputs depend on inputs only); the
 * aidmatch command passes today's date unless told otherwise.
 * Returns AM_OK, AM_ERR_INVALID (NULL argument) or AM_ERR_FORMAT.
 * Stages: any; reviewed goes back to reconciled (so too for
 * am_load_previous() and am_load_outcomes()). */
AM_API am_status am_set_run_date(am_ctx *ctx, const char *date);

/* Sets by how much a feed's row count may move against the previous run
 * before it is flagged, in per mille of the previous count (500, the
 * default, flags a change of more than 50 %).  [centre] drift_share sets
 * it too.  Returns AM_OK or AM_ERR_INVALID (ctx NULL, or above 1000000:
 * "drift share: expected at most 1000000 per mille, got ..."). */
AM_API am_status am_set_drift_share(am_ctx *ctx, unsigned per_mille);

/* Reads the outputs of the previous run from dir: findings.csv and
 * summary.json, and suppressed.csv and delta.csv when present.  Everything
 * is read at once, so dir may be the directory this run will write.
 * A dir that does not exist yet is the first night: no previous run is
 * loaded, am_previous_missing() names dir, and summary.json says so.
 * A run recorded under another key fingerprint, or of another centre name,
 * is refused.  Comparing with a previous run needs a run date
 * (am_set_run_date) not earlier than the previous run's.
 * Returns AM_OK, AM_ERR_IO (a file missing or unreadable), AM_ERR_FORMAT
 * ("file:line: expected ...", or another centre's run), AM_ERR_KEY
 * (another key's run), AM_ERR_LIMIT (a file of more than 10,000,000
 * rows), AM_ERR_INVALID (a previous run is already loaded) or
 * AM_ERR_NOMEM.  The key and centre are checked again by am_review()
 * when they were loaded after the previous run. */
AM_API am_status am_load_previous(am_ctx *ctx, const char *dir);

/* The directory am_load_previous was given when it did not exist yet (no
 * previous run: the first night), or NULL.  Owned by ctx, valid until the
 * next am_load_previous or am_ctx_free. */
AM_API const char *am_previous_missing(const am_ctx *ctx);

/* What a caseworker decided about a finding. */
typedef enum am_outcome {
    AM_OUTCOME_NONE = 0,         /* nothing recorded yet */
    AM_OUTCOME_CONFIRMED,        /* the finding is right; action follows */
    AM_OUTCOME_ERROR_CORRECTED,  /* it was right and the payment has been corrected */
    AM_OUTCOME_NO_ISSUE,         /* it is not a problem: suppressed while its facts hold */
    AM_OUTCOME__COUNT
} am_outcome;

/* Returns "none", "confirmed", "error_corrected" or "no_issue" (static),
 * or "unknown". */
AM_API const char *am_outcome_name(am_outcome outcome);

/* Loads an outcomes file, CSV with a header naming the columns finding_id,
 * outcome, date and (optional) note, in English or as 线索编号, 处理结果,
 * 日期, 备注; other columns are ignored.  Outcomes are the English names or
 * the report's labels (属实, 已纠正, 无问题).  Adds to the outcomes already
 * loaded.  [centre] outcomes names one.  Notes are never kept or written
 * anywhere.  A row that cannot be read is skipped and recorded (see
 * am_outcome_skipped_get), never failing the load.
 * Returns AM_OK, AM_ERR_IO, AM_ERR_FORMAT ("file:1: expected a header ...";
 * no row of the file is kept), AM_ERR_LIMIT (more than 10,000,000 rows; none
 * kept) or AM_ERR_NOMEM. */
AM_API am_status am_load_outcomes(am_ctx *ctx, const char *path);

/* How many rows of the outcomes files loaded so far were skipped. */
AM_API size_t am_outcome_skipped_count(const am_ctx *ctx);

/* Skipped row i (in load order): its file as named to am_load_outcomes,
 * its line, and what was expected (never the row's text).  Strings are
 * owned by ctx until am_ctx_free.  Returns AM_OK or AM_ERR_INVALID. */
AM_API am_status am_outcome_skipped_get(const am_ctx *ctx, size_t i, const char **file,
                                        uint64_t *line, const char **reason);

/* A finding against the previous run. */
typedef enum am_change {
    AM_CHANGE_NEW = 0,      /* not a finding of the previous run (or there is none) */
    AM_CHANGE_PERSISTING,   /* also a finding of the previous run */
    AM_CHANGE_RESOLVED,     /* a finding of the previous run only */
    AM_CHANGE__COUNT
} am_change;

/* Returns "new", "persisting" or "resolved" (static), or "unknown". */
AM_API const char *am_change_name(am_change change);

/* Reviews the findings of the last am_reconcile() against the previous
 * run and the outcomes: fingerprints each finding's facts, classifies it,
 * and suppresses those marked no_issue whose facts are unchanged
 * (docs/reference.md gives the exact rule).  am_write_outputs() reviews
 * when this has not been called since the last am_reconcile().
 * Returns AM_OK, AM_ERR_STATE, AM_ERR_INVALID (a previous run without a
 * run date, or dated after this run) or AM_ERR_NOMEM.
 * Stages: reconciled, reviewed; moves to reviewed. */
AM_API am_status am_review(am_ctx *ctx);

/* What the review says about one finding.  Strings are owned by ctx and
 * valid until the next am_reconcile() or am_review(). */
typedef struct am_finding_review {
    const char *facts;        /* facts fingerprint, 32 hex digits */
    am_change change;         /* AM_CHANGE_NEW or AM_CHANGE_PERSISTING */
    const char *first_seen;   /* YYYY-MM-DD, "" when unknown */
    am_outcome outcome;       /* latest outcome dated on or before the run date */
    const char *outcome_date; /* its date, "" when none */
    int suppressed;           /* moved to suppressed.csv rather than findings.csv */
    const char *area;         /* six-digit area code of the IDs in its evidence
                                 (where they were issued), "" when unknown */
} am_finding_review;

/* Fills *out for finding i (am_finding_get order).
 * Returns AM_OK, AM_ERR_INVALID (i out of range) or AM_ERR_STATE (not
 * reviewed).  ctx is const, but a failure still sets am_errmsg(ctx): the
 * message is not part of the run.  Stages: reviewed. */
AM_API am_status am_finding_review_get(const am_ctx *ctx, size_t i, am_finding_review *out);

/* One row of delta.csv.  Strings as for am_finding_review. */
typedef struct am_delta_row {
    const char *finding_id;
    am_change change;
    const char *first_seen; /* "" when unknown */
    const char *last_seen;
} am_delta_row;

/* Returns the number of delta rows: every finding of this run (in output
 * order, suppressed ones included) then every finding of the previous run
 * that is gone (resolved, by id); 0 without a previous run or review. */
AM_API size_t am_delta_count(const am_ctx *ctx);

/* Fills *out with delta row i.  Returns AM_OK or AM_ERR_INVALID. */
AM_API am_status am_delta_get(const am_ctx *ctx, size_t i, am_delta_row *out);

/* A feed against the previous run. */
typedef struct am_feed_drift {
    const char *name;
    int in_previous;             /* the previous run read a feed of this name */
    uint64_t rows_read;
    uint64_t previous_rows_read; /* 0 when not in_previous */
    int64_t change_permille;     /* (rows - previous) * 1000 / previous, truncated;
                                    0 when previous is 0 */
    int shrunk, grew;            /* moved by more than the drift share */
    int stale;                   /* its file has stayed the same for its
                                    stale_days (am_feed_age_get) */
} am_feed_drift;

/* Fills *out for feed i (declaration order), after ingestion.
 * Returns AM_OK or AM_ERR_INVALID (i out of range, no previous run). */
AM_API am_status am_feed_drift_get(const am_ctx *ctx, size_t i, am_feed_drift *out);

/* Progress while feeds are read. */
typedef struct am_progress {
    const char *feed;     /* the feed's name */
    size_t feed_index;    /* 0-based, among feed_count declared feeds, in
                             declaration order (not the order of reading) */
    size_t feed_count;
    uint64_t rows;        /* data rows read so far in this feed */
    uint64_t bytes_read;  /* bytes of the file as stored: estimated while
                             reading, exact when done */
    uint64_t bytes_total; /* size of the file as stored */
    int done;             /* 1 on the feed's last call (a feed that fails
                             gets none) */
} am_progress;

/* Receives progress; pointers valid during the call only.  Return 0 to go
 * on, anything else to stop ingestion with AM_ERR_ABORTED. */
typedef int (*am_progress_fn)(void *user, const am_progress *progress);

/* Calls fn (NULL to stop) every 65536 rows of a feed being ingested and
 * when each feed ends.  Returns AM_OK or AM_ERR_INVALID.
 * Which thread, in what order: am_feed_ingest_buffer() calls fn on the
 * caller's thread.  am_ingest() reads the feeds most text first (ties in
 * declaration order) on am_set_threads() threads: the caller's and up to
 * threads - 1 the library starts for the call, so fn may run on any of
 * them, but never two calls at once (ingestion holds a lock around each),
 * and always before am_ingest() returns.  With one thread (the default)
 * the feeds come one after another; with more, the calls of feeds read at
 * the same time interleave.  A feed's calls come in order, rows growing,
 * its done call last.  After fn asks to stop, feeds already being read on
 * other threads are read to their end, and fn may still be called for
 * them. */
AM_API am_status am_set_progress_fn(am_ctx *ctx, am_progress_fn fn, void *user);

/* ------------------------------------------------------------------ */
/* The auditor's tools: snapshots, ad-hoc rules, a person, a finding     */

/* A snapshot is a reconciled run saved to one file: its records (as
 * tokens; never raw IDs or names), households, catalogue, feeds and their
 * statistics, rules as written, the run's findings by id and the key's
 * fingerprint (never the key).  Questions asked of it open it in
 * milliseconds instead of reading every feed again (docs/reference.md
 * §12).  Chunks are read from the open file as questions first need them:
 * replace a snapshot that may be open by renaming a new file over it (as
 * am_snapshot_write does); one truncated or copied over in place makes the
 * next question that reads a new chunk fail (AM_ERR_IO, "cut short while
 * open", or AM_ERR_FORMAT, a checksum), never crash the process.  A context that opened a snapshot answers questions only: it is
 * not reconciled or written out again, and feeds ingested into it are
 * ignored. */

/* Writes ctx's run to path as a snapshot, atomically (a temporary file
 * beside it, synced, then renamed; mode 0600), making the directories
 * above path that are missing.  Needs am_reconcile() to have run, with
 * nothing ingested since.  A later am_write_outputs() into the directory
 * holding it counts that directory as new if the snapshot is all it
 * holds.  A run partitioned on disk
 * writes it from its partition files, in the memory its limit allows,
 * with the same bytes as in memory (docs/partitions.md).
 * Returns AM_OK, AM_ERR_IO, AM_ERR_STATE, AM_ERR_INVALID, AM_ERR_LIMIT
 * (2^32 records or more) or AM_ERR_NOMEM.  Stages: reconciled, reviewed. */
AM_API am_status am_snapshot_write(am_ctx *ctx, const char *path);

/* Opens a snapshot into a context that has ingested nothing: a new one,
 * one holding a key, or one a centre file was loaded into for its key.
 * The snapshot's catalogue, feeds, rules, window and death lag become the
 * context's, replacing any loaded before (also on failure).  The header, the section table and the small sections are
 * verified now; records and households are verified chunk by chunk as
 * questions first read them (am_match_rules verifies all).  A key loaded
 * before must be the snapshot's (by fingerprint).
 * The file stays open until the context is freed.
 * Returns AM_OK, AM_ERR_IO (missing or unreadable), AM_ERR_FORMAT (not a
 * snapshot, another format version or byte order, truncated, a checksum
 * that does not match, a value out of range: the message names which),
 * AM_ERR_KEY, AM_ERR_STATE (ctx has ingested feeds or holds a snapshot)
 * or AM_ERR_NOMEM.  Stages: setup; moves to snapshot. */
AM_API am_status am_snapshot_open(am_ctx *ctx, const char *path);

/* Verifies every chunk of the open snapshot now, reading all of it.
 * Returns AM_OK, AM_ERR_FORMAT, AM_ERR_IO (the file cut short since it was
 * opened) or AM_ERR_STATE (no snapshot open).  Stages: snapshot. */
AM_API am_status am_snapshot_verify(am_ctx *ctx);

/* Narrows an answer.  Zero or NULL fields do not narrow. */
typedef struct am_filter {
    unsigned kinds;         /* findings of these kinds: bit (1u << AM_KIND_...) */
    const char *items;      /* item (or fact) codes, separated by ',': findings
                               involving one of them; records of one of them */
    const char *agencies;   /* agency codes, separated by ',': likewise */
    int64_t min_amount_fen; /* findings with at least this much at stake */
    const char *town;       /* leading digits of the area code (1 to 6): findings
                               whose area (most common among their evidence
                               records) begins with them; unknown areas never match */
} am_filter;

/* With am_match_rules(): also report implicit duplicates (rule DUP). */
#define AM_MATCH_WITH_DUPLICATES 1u

/* Runs len bytes of rules (the language of rules files; name is used in
 * messages) over every record of the snapshot, or of ctx's reconciled run,
 * on am_set_threads() threads.  A rule may take the short form of a
 * question, as `aidmatch match --rule` does: without 'rule ID' (it starts
 * at its kind, "exclusive DIBAO_URBAN vs TEKUN_HOME", and is then Q1, Q2,
 * ... by its place among these rules) and without 'source' (it cites "ad
 * hoc").  Only these rules run, and implicit
 * duplicates only with AM_MATCH_WITH_DUPLICATES.  The findings are the
 * answer (am_result_*), in output order.
 * Returns AM_OK, AM_ERR_FORMAT (the rules or the filter, "name:line:
 * expected ..."; a corrupt snapshot), AM_ERR_STATE (no snapshot and not
 * reconciled) or AM_ERR_NOMEM.  Stages: reconciled, reviewed, snapshot
 * (so too am_person_lookup() and am_explain()). */
AM_API am_status am_match_rules(am_ctx *ctx, const char *rules, size_t len, const char *name,
                                const am_filter *filter, unsigned flags);

/* Looks up one person: id_or_token is their token (32 hex digits) or a
 * raw resident ID, normalised and hashed with the loaded key on the spot,
 * then wiped (it is never kept; a snapshot needs its own key).  The answer
 * is every record of the person, the items of everyone who shares a
 * household with them (am_person_record_*), and every finding of the
 * context's rules that concerns them (am_result_*): about them, about one
 * of their households, or resting on one of their records.  The filter's
 * items and agencies narrow records and findings, the rest findings only.
 * A person with no records gets an empty answer.
 * Returns AM_OK, AM_ERR_FORMAT (neither a valid ID nor a token; the
 * message names the ID's fault, never the ID; a corrupt snapshot; a bad
 * filter), AM_ERR_KEY (a raw ID without the key, or with another key than
 * the snapshot's), AM_ERR_INVALID or AM_ERR_NOMEM. */
AM_API am_status am_person_lookup(am_ctx *ctx, const char *id_or_token, const am_filter *filter);

/* The token of the person last looked up, 32 hex digits ("" if none).
 * Owned by ctx, valid until the next question. */
AM_API const char *am_person_token(const am_ctx *ctx);

/* One record, in full.  Strings are owned by ctx and valid until the next
 * question. */
typedef struct am_record_info {
    const char *relation;  /* am_person_lookup: "self" or "member"; evidence: "evidence" */
    const char *person;    /* token, 32 hex digits */
    const char *household; /* household token, "" when none */
    const char *feed;
    const char *agency;    /* the feed's agency code */
    uint64_t line;         /* physical line in the feed */
    const char *code;      /* item or fact code */
    const char *code_name; /* its Chinese name */
    int is_fact;           /* a registry fact rather than a payment */
    const char *start;     /* YYYY-MM-DD; "" for a fact in force since ever */
    const char *end;       /* YYYY-MM-DD; "" for a fact still in force */
    int64_t amount_fen;
    int value;             /* a fact's value (a grade), 0 when none */
    const char *area;      /* six-digit area code of the ID, "" when unknown */
} am_record_info;

/* The records of the last am_person_lookup(): the person's own ("self"),
 * then their housemates' items ("member"), by person. */
AM_API size_t am_person_record_count(const am_ctx *ctx);
AM_API am_status am_person_record_get(const am_ctx *ctx, size_t i, am_record_info *out);

/* Explains one finding of the snapshot's run (or of ctx's reconciled run):
 * the answer is that finding (am_result_get(ctx, 0, ...)) with every
 * evidence record in full, recomputed from the records around its subject;
 * am_rule_get() gives its rule as written.  An id the run does not have
 * gets an empty answer.
 * Returns AM_OK, AM_ERR_FORMAT (not 32 hex digits; a corrupt snapshot),
 * AM_ERR_INVALID or AM_ERR_NOMEM. */
AM_API am_status am_explain(am_ctx *ctx, const char *finding_id);

/* A finding of the last question. */
typedef struct am_result {
    am_finding finding;    /* as am_finding_get() gives one */
    const char *facts;     /* facts fingerprint, 32 hex digits */
    const char *area;      /* six-digit area code, "" when unknown */
    const char *concerns;  /* am_person_lookup: "subject", "household" or
                              "evidence"; otherwise "" */
    size_t evidence_count; /* am_person_lookup, am_explain: its evidence records
                              for am_result_evidence_get(); otherwise 0 */
} am_result;

/* The findings of the last am_match_rules(), am_person_lookup() or
 * am_explain(), in output order.  Valid until the next question on ctx. */
AM_API size_t am_result_count(const am_ctx *ctx);
AM_API am_status am_result_get(const am_ctx *ctx, size_t i, am_result *out);

/* Evidence record k of result i, sorted by feed then line.
 * Returns AM_OK or AM_ERR_INVALID. */
AM_API am_status am_result_evidence_get(const am_ctx *ctx, size_t i, size_t k,
                                        am_record_info *out);

/* A rule as written. */
typedef struct am_rule_info {
    const char *id;
    const char *kind;   /* "exclusive", "entitles", "household_unique", "ends_at",
                           "disqualifies", or "duplicate" for DUP */
    const char *text;   /* its lines as written; for DUP, what the implicit rule says */
    const char *origin; /* the file it was read from; "" for DUP */
    uint64_t line;      /* its first line there; 0 for DUP */
    const char *source; /* the policy it cites */
} am_rule_info;

/* Fills *out for rule_id: a rule of the last am_match_rules(), else of
 * ctx, else DUP.  Strings are owned by ctx, valid until its rules change
 * or the next question.  Returns AM_OK or AM_ERR_INVALID (no such rule). */
AM_API am_status am_rule_get(const am_ctx *ctx, const char *rule_id, am_rule_info *out);

#ifdef __cplusplus
}
#endif

#endif /* AIDMATCH_H */

/* ================================================================== */
/* Experimental: only where AM_EXPERIMENTAL is defined (see the top).   */
/* These calls may change or go in any release.  Guarded on its own, so */
/* that a file may include the header again with AM_EXPERIMENTAL.        */

#if defined(AM_EXPERIMENTAL) && !defined(AIDMATCH_H_EXPERIMENTAL)
#define AIDMATCH_H_EXPERIMENTAL

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Damaged IDs in the auditor's answers                                 */

/* A row whose resident ID was damaged (a typo, Excel's zeroed tail) and
 * that linking joined to a registry person (docs/linking.md) is a record
 * like any other; these calls say which records came in that way, so that
 * a caseworker checks the ID first.  They read the answer of the last
 * question on ctx (am_match_rules, am_person_lookup, am_explain), asked
 * of a snapshot or of ctx's own reconciled run. */

/* Result i's columns of findings.csv of the same names: linked, the
 * lowest link probability ("0.995") among its evidence records that came
 * in through a link, "" when none did; possible_id_error, for a MISSING
 * finding, the rows left for review of one of its items that point at its
 * subject ("feed:line;..."), "" otherwise.  Strings owned by ctx, valid
 * until the next question.  Returns AM_OK or AM_ERR_INVALID (no such
 * result, out NULL). */
typedef struct am_result_links {
    const char *linked;
    const char *possible_id_error;
} am_result_links;

AM_API am_status am_result_links_get(const am_ctx *ctx, size_t i, am_result_links *out);

/* The probability ("0.995") of the link that brought record i of the last
 * am_person_lookup() into the run; "" when its ID was read as written;
 * NULL when there is no record i.  Owned by ctx, valid until the next
 * question. */
AM_API const char *am_person_record_linked(const am_ctx *ctx, size_t i);

/* The same of evidence record k of result i (am_result_evidence_get()). */
AM_API const char *am_result_evidence_linked(const am_ctx *ctx, size_t i, size_t k);

/* ------------------------------------------------------------------ */
/* The window: checking one applicant at once, from a snapshot          */

/* A window answers a caseworker's question about one applicant — what
 * they and their household hold, what granting an item would raise, and
 * what they are entitled to and do not receive — from a snapshot, plus
 * the grants recorded since it was written in its journal (a file beside
 * it, SNAPSHOT.journal: tokens only, one checksummed line per grant).
 * docs/reference.md "The window" gives the exact rules.
 *
 * Experimental, as the newest part of the API: its requests and answers
 * may still change shape (taking a whole request as JSON, for one).
 *
 * Thread-safety: am_window_check() and am_window_grant() may be called
 * from any number of threads at once on one window; each check is the
 * caller's own object.  Opening and closing are not concurrent with
 * anything on that window. */
typedef struct am_window am_window;

/* Opens a window over the snapshot open in ctx (am_snapshot_open), which
 * it verifies whole first.  The window borrows ctx: do not use ctx or
 * free it until am_window_close().  A key loaded into ctx (the
 * snapshot's) lets checks and grants take raw IDs.  journal is the
 * journal's path, or NULL for SNAPSHOT.journal; when that journal was
 * started before this snapshot was written, it is started again holding
 * only the grants the snapshot's records do not already hold (the old
 * one is kept as JOURNAL.previous).  *out receives the window, owned by
 * the caller, or NULL on failure (the message is am_errmsg(ctx)).
 * Returns AM_OK, AM_ERR_INVALID (no snapshot open, NULL arguments),
 * AM_ERR_FORMAT (a corrupt snapshot or journal), AM_ERR_IO, AM_ERR_KEY
 * (a journal under another key) or AM_ERR_NOMEM. */
AM_API am_status am_window_open(am_ctx *ctx, const char *journal, am_window **out);

/* Closes a window; every check made on it must have been freed.  NULL is
 * accepted.  ctx may then be used or freed again. */
AM_API void am_window_close(am_window *window);

/* A grant: proposed (am_window_check) or made (am_window_grant). */
typedef struct am_grant {
    const char *item;   /* item code of the catalogue */
    const char *agency; /* agency code; NULL or "" for the item's own agency */
    const char *start;  /* YYYY-MM-DD: the first day paid, or a one-off's day */
    const char *end;    /* YYYY-MM-DD, inclusive; NULL or "": a one-off item's
                           start, a periodic item's last day of that month */
    int64_t amount_fen; /* amount of the grant, in fen; not negative */
} am_grant;

/* One question at the window. */
typedef struct am_check_request {
    const char *person;      /* a resident ID (normalised and hashed in
                                process, then wiped) or a token, 32 hex digits */
    const char *date;        /* the check date, YYYY-MM-DD: holdings and the
                                menu are as of this day */
    const am_grant *grants;  /* ngrants proposed grants for this person */
    size_t ngrants;
} am_check_request;

/* The answer to one check.  Owned by the caller; free with
 * am_check_free() before the window is closed. */
typedef struct am_check am_check;

/* Checks one person: (a) holdings: their records, and their housemates'
 * items, current on the date (items paid for a period ending at most 92
 * days before it, facts in force on it), the journal's grants among them;
 * (b) findings: every finding the proposed grants raise under the
 * snapshot's rules, exactly as a nightly run with the grants in its feeds
 * would give them (evidence names a proposed grant "proposal/AGENCY:N",
 * N its position from 1); (c) the menu: every item an entitles rule gives
 * the person or their household on the date that they do not hold then.
 * *out receives the answer, also on failure when it could be made (then
 * am_check_errmsg() says why; nothing else is set), else NULL.
 * Returns AM_OK, AM_ERR_FORMAT (neither an ID nor a token — the message
 * names the ID's fault, never the ID —, a bad date, an unknown item or
 * agency, an end before the start, a negative amount), AM_ERR_KEY (a raw
 * ID without the snapshot's key), AM_ERR_IO (the journal unreadable),
 * AM_ERR_INVALID (NULL arguments) or AM_ERR_NOMEM. */
AM_API am_status am_window_check(am_window *window, const am_check_request *request,
                                 am_check **out);

/* Records a grant made at the window in the journal (an exclusive file
 * lock, then fsync), so that every later check on any process sees it.
 * person as for am_check_request.  errmsg (may be NULL) receives up to
 * errmsg_len bytes of a message on failure.  Returns AM_OK and the
 * failures of am_window_check(), or AM_ERR_IO. */
AM_API am_status am_window_grant(am_window *window, const char *person, const am_grant *grant,
                                 char *errmsg, size_t errmsg_len);

/* As am_window_check(), the request given as len bytes of JSON:
 * {"person": "...", "date": "YYYY-MM-DD", "grants": [{"item": "...",
 * "agency": "...", "start": "...", "end": "...", "amount_fen": N}]}
 * ("grants", "agency", "end" and "amount_fen" may be left out; any other
 * member is refused; at most 32 grants).  docs/window-openapi.yaml is the
 * schema.  *out receives the answer, also when the JSON is refused (then
 * am_check_errmsg() says where).  Returns as am_window_check(), and
 * AM_ERR_FORMAT for JSON that does not parse or does not fit, AM_ERR_LIMIT
 * for too many grants. */
AM_API am_status am_window_check_json(am_window *window, const char *json, size_t len,
                                      am_check **out);

/* As am_window_grant(), the request given as JSON: {"person": "...",
 * "grant": {...}} with a grant as for am_window_check_json().  Returns as
 * am_window_grant(), and AM_ERR_FORMAT for JSON that does not fit. */
AM_API am_status am_window_grant_json(am_window *window, const char *json, size_t len,
                                      char *errmsg, size_t errmsg_len);

/* Frees a check.  NULL is accepted. */
AM_API void am_check_free(am_check *check);

/* The failure message of the check, "" when it succeeded, or of the last
 * accessor call on it that failed ("am_check_holding_get: no holding 9:
 * there are 4").  Owned by the check. */
AM_API const char *am_check_errmsg(const am_check *check);

/* The person's token, 32 hex digits.  Owned by the check. */
AM_API const char *am_check_person(const am_check *check);

/* Journal lines ignored so far: cut short or failing their checksum. */
AM_API uint64_t am_check_journal_ignored(const am_check *check);

/* Holdings: the person's ("self") then their housemates' ("member"), by
 * person.  A grant from the journal has feed "journal/AGENCY" and its
 * journal line.  Strings are owned by the check and the window. */
AM_API size_t am_check_holding_count(const am_check *check);
AM_API am_status am_check_holding_get(const am_check *check, size_t i, am_record_info *out);

/* The findings the proposed grants raise, in output order.  Strings are
 * owned by the check and the window.  A check with findings is "a problem
 * would arise". */
AM_API size_t am_check_finding_count(const am_check *check);
AM_API am_status am_check_finding_get(const am_check *check, size_t i, am_finding *out);

/* An item of the menu: entitled on the date, not held. */
typedef struct am_menu_item {
    const char *item;          /* item code */
    const char *name_zh;       /* its names in the catalogue */
    const char *name_en;
    const char *agency;        /* the item's agency code */
    const char *unit;          /* "person" or "household" (the household is entitled) */
    const char *rule_id;       /* the entitles rule */
    const char *policy_source; /* the policy it cites */
} am_menu_item;

/* The menu, by item code.  Strings are owned by the window. */
AM_API size_t am_check_menu_count(const am_check *check);
AM_API am_status am_check_menu_get(const am_check *check, size_t i, am_menu_item *out);

/* ------------------------------------------------------------------ */
/* How long a feed's file has stayed the same                          */

/* A feed is stale when its file has been byte for byte the same for at
 * least its stale_days (centre file; by default 7 for payments, 30 for
 * registries; 0: never stale).  The day a file first arrived is carried
 * from run to run in summary.json (each feed's unchanged_since) while the
 * file stays the same. */
typedef struct am_feed_age {
    int32_t stale_days;       /* the feed's, its kind's default applied */
    int32_t unchanged_days;   /* run date − unchanged_since; -1 without a run date */
    char unchanged_since[11]; /* YYYY-MM-DD, the first run that read this very
                                 file; "" without a run date */
    int stale;                /* unchanged_days >= stale_days > 0 */
} am_feed_age;

/* Fills *out for feed i (declaration order) once feeds are read; without
 * a previous run every file arrived tonight.  Returns AM_OK or
 * AM_ERR_INVALID (NULL arguments, i out of range, feeds not read yet). */
AM_API am_status am_feed_age_get(const am_ctx *ctx, size_t i, am_feed_age *out);

/* ------------------------------------------------------------------ */
/* A run across machines: partitions matched by other processes         */

/* A partitioned run (am_set_partitions or am_set_memory_limit before
 * ingesting) whose partitions are matched by worker processes, on other
 * machines that share its temporary directory (am_set_temp_dir); the
 * aidmatch.dask Python module drives it (docs/dask.md).  The steps: the
 * run's own context ingests, then am_dist_prepare; each worker opens a
 * context of its own from the same centre file (the same key) and calls
 * am_dist_match for some partitions; then the run's context calls
 * am_dist_merge, and writes its outputs as after am_reconcile.  Workers
 * get paths only: never the key, never a raw ID. */

/* Links held rows, builds the household graph and distributes the records
 * to at least partitions partition files (more when the memory limit asks
 * for them), then writes the run state that workers read (a random run
 * id, the key's fingerprint, the run window, the partitions' sizes).
 * *run_dir receives the run's directory, borrowed from ctx until it is
 * freed (which removes the directory and every file in it), and *count
 * the number of partitions, numbered 0 to *count - 1.  Returns AM_OK,
 * AM_ERR_INVALID (NULL arguments, a run not partitioned, nothing
 * ingested), AM_ERR_STATE (not ingested), AM_ERR_NOMEM or AM_ERR_IO.
 * Stages: ingested; it stays there until am_dist_merge. */
AM_API am_status am_dist_prepare(am_ctx *ctx, unsigned partitions, const char **run_dir,
                                 unsigned *count);

/* Matches partition i of the run in run_dir and writes its findings, with
 * their facts, to run_dir/found-NNNN (atomically: a call made again, after
 * a worker died, writes the same file again).  ctx is the worker's own,
 * with the run's centre file loaded; it is not changed beyond its error
 * message, so one context may match any number of partitions.  Returns
 * AM_OK, AM_ERR_INVALID (NULL arguments, no catalogue, i out of range),
 * AM_ERR_KEY (ctx's key is not the run's), AM_ERR_FORMAT (a run state or
 * partition file cut short, corrupt or of another run), AM_ERR_IO or
 * AM_ERR_NOMEM. */
AM_API am_status am_dist_match(am_ctx *ctx, const char *run_dir, unsigned partition);

/* Joins every partition's findings into ctx's, in output order, as
 * am_reconcile would have found them.  Returns AM_OK, AM_ERR_STATE (no
 * am_dist_prepare, or merged already), AM_ERR_IO (a partition's findings
 * file is missing: not every am_dist_match succeeded), AM_ERR_FORMAT (one
 * is corrupt or of another run) or AM_ERR_NOMEM.  Stages: ingested after
 * am_dist_prepare; moves to reconciled. */
AM_API am_status am_dist_merge(am_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* AM_EXPERIMENTAL */
