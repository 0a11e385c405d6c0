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
 *    used from separate threads at the same time.
 *  - Functions return an am_status.  On failure the context keeps a message
 *    ("file:line: what was expected") that am_errmsg() returns until the
 *    next call that fails.  The library never prints, exits or aborts.
 *  - Strings are UTF-8.  Pointers passed in are borrowed for the duration of
 *    the call only; the library copies what it keeps.  Pointers handed out
 *    are owned by the library and stay valid for the lifetime stated.
 *  - Raw resident IDs and names are never kept: a raw ID is normalised and
 *    turned into a keyed token as it is read, and names are not stored.
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
    AM_ERR_ABORTED  /* a callback asked the library to stop */
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
/* Configuration                                                        */

/* Loads the catalogue from a directory holding agencies.csv, items.csv and
 * facts.csv (format: docs/reference.md).  Must precede feeds and rules.
 * Returns AM_OK, AM_ERR_IO (a file missing or unreadable), AM_ERR_FORMAT
 * (with file:line: a bad unit, an unknown agency, a duplicate code, ...),
 * AM_ERR_INVALID (a catalogue is already loaded) or AM_ERR_NOMEM. */
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
 * AM_ERR_NOMEM. */
AM_API am_status am_load_rules(am_ctx *ctx, const char *path);

/* As am_load_rules, from len bytes of text; name is used in messages. */
AM_API am_status am_load_rules_mem(am_ctx *ctx, const char *text, size_t len, const char *name);

/* Sets the reconciliation window, "YYYY-MM-DD" to "YYYY-MM-DD" inclusive:
 * the days over which entitlements are judged.  Without it the window runs
 * from the earliest to the latest day paid by any periodic payment.
 * Returns AM_OK or AM_ERR_FORMAT (not dates, or end before start). */
AM_API am_status am_set_window(am_ctx *ctx, const char *start, const char *end);

/* Loads a centre file (INI; docs/reference.md): the [centre] section names
 * the catalogue, key and rules, each [feed NAME] section declares a feed.
 * Relative paths are taken from the centre file's directory.  Loads the
 * catalogue and key it names unless already loaded.
 * Returns AM_OK, AM_ERR_IO, AM_ERR_FORMAT (file:line and the key at fault),
 * AM_ERR_KEY, AM_ERR_INVALID or AM_ERR_NOMEM. */
AM_API am_status am_load_centre(am_ctx *ctx, const char *path);

/* As am_load_centre, from text in memory; base_dir (may be NULL for the
 * current directory) resolves relative paths and name is used in messages. */
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

/* Ingests every declared feed from its file, in declaration order.  A feed
 * without a file, or whose file is missing or unreadable, fails the whole
 * call: reconciling without an agency's feed would invent missing aid.
 * Rows that cannot be used are rejected with a reason and counted; they do
 * not fail the call.
 * Returns AM_OK, AM_ERR_IO (also a truncated or corrupt .gz), AM_ERR_FORMAT
 * (e.g. a mapped column absent from the header, an unterminated quote),
 * AM_ERR_KEY, AM_ERR_LIMIT or AM_ERR_NOMEM. */
AM_API am_status am_ingest(am_ctx *ctx);

/* Ingests one feed from a buffer instead of its file (data, len: the bytes
 * of the CSV file, possibly gzip-compressed).  Failures as am_ingest().
 * A feed can be ingested once. */
AM_API am_status am_feed_ingest_buffer(am_feed *feed, const void *data, size_t len);

/* Per-feed statistics.  The counts reconcile:
 * rows_read == rows_ingested + rows_rejected, and the by_reason entries add
 * up to rows_rejected. */
typedef struct am_feed_stats {
    const char *name;     /* the feed's name */
    const char *agency;   /* its agency code */
    const char *path;     /* its file, or "" when none is set */
    const char *file_xxh3; /* XXH3-128 of the file's bytes, 32 hex digits */
    const char *encoding; /* the encoding the feed was read in */
    uint64_t rows_read;
    uint64_t rows_ingested;
    uint64_t rows_rejected;
    uint64_t by_reason[AM_REJECT__COUNT];
    uint64_t bytes_read;
} am_feed_stats;

/* Returns the number of declared feeds. */
AM_API size_t am_feed_count(const am_ctx *ctx);

/* Fills *out with the statistics of feed i (0-based, declaration order).
 * The strings are owned by ctx and valid until it is freed.
 * Returns AM_OK or AM_ERR_INVALID (i out of range, out NULL). */
AM_API am_status am_feed_stats_get(const am_ctx *ctx, size_t i, am_feed_stats *out);

/* One rejected row.  Pointers valid during the callback only.  detail
 * never repeats a raw ID or name. */
typedef struct am_reject_row {
    const char *feed;
    uint64_t line;     /* physical line where the row starts, 1-based */
    am_reject reason;
    const char *detail;
} am_reject_row;

/* Returns the number of rejected rows kept by ctx, all feeds. */
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
 * Returns AM_OK, AM_ERR_INVALID (nothing ingested yet, no catalogue),
 * AM_ERR_ABORTED or AM_ERR_NOMEM. */
AM_API am_status am_reconcile(am_ctx *ctx, am_finding_fn fn, void *user);

/* Sets how many threads am_reconcile() may use for matching (1 to 64; the
 * default is 1, so an embedder decides what to spend).  The findings do
 * not depend on it.  Returns AM_OK or AM_ERR_INVALID. */
AM_API am_status am_set_threads(am_ctx *ctx, unsigned threads);

/* Returns the number of findings of the last am_reconcile(). */
AM_API size_t am_finding_count(const am_ctx *ctx);

/* Fills *out with finding i of the last reconciliation, in output order.
 * Returns AM_OK or AM_ERR_INVALID. */
AM_API am_status am_finding_get(const am_ctx *ctx, size_t i, am_finding *out);

/* Writes findings.csv, rejects.csv and summary.json into dir (created if
 * absent).  The files are written and synced in a new directory beside dir,
 * which then replaces dir in one atomic exchange: whenever the process
 * dies, dir holds the previous complete run or the new one.  dir belongs
 * to aidmatch: files others leave in it do not carry over to the new run.
 * Files are created readable by their owner only (mode 0600).
 * wall_seconds is recorded in summary.json (pass a negative value to omit).
 * Returns AM_OK, AM_ERR_IO (message names the file and errno text) or
 * AM_ERR_INVALID (am_reconcile() has not run). */
AM_API am_status am_write_outputs(am_ctx *ctx, const char *dir, double wall_seconds);

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
 * Returns AM_OK, AM_ERR_INVALID (NULL argument) or AM_ERR_FORMAT. */
AM_API am_status am_set_run_date(am_ctx *ctx, const char *date);

/* Sets by how much a feed's row count may move against the previous run
 * before it is flagged, in per mille of the previous count (500, the
 * default, flags a change of more than 50 %).  [centre] drift_share sets
 * it too.  Returns AM_OK or AM_ERR_INVALID (above 1000000). */
AM_API am_status am_set_drift_share(am_ctx *ctx, unsigned per_mille);

/* Reads the outputs of the previous run from dir: findings.csv and
 * summary.json, and suppressed.csv and delta.csv when present.  Everything
 * is read at once, so dir may be the directory this run will write.
 * Comparing with a previous run needs a run date (am_set_run_date) not
 * earlier than the previous run's.
 * Returns AM_OK, AM_ERR_IO (a file missing or unreadable), AM_ERR_FORMAT
 * ("file:line: expected ..."), AM_ERR_INVALID (a previous run is already
 * loaded) or AM_ERR_NOMEM. */
AM_API am_status am_load_previous(am_ctx *ctx, const char *dir);

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
 * outcome, date and (optional) note; other columns are ignored.  Adds to
 * the outcomes already loaded.  [centre] outcomes names one.  Notes are
 * never kept or written anywhere.
 * Returns AM_OK, AM_ERR_IO, AM_ERR_FORMAT ("file:line: expected ..."; no
 * row of the file is kept) or AM_ERR_NOMEM. */
AM_API am_status am_load_outcomes(am_ctx *ctx, const char *path);

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
 * Returns AM_OK, AM_ERR_INVALID (not reconciled; a previous run without a
 * run date, or dated after this run) or AM_ERR_NOMEM. */
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
 * Returns AM_OK or AM_ERR_INVALID (i out of range, or not reviewed). */
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
    int stale;                   /* its file has the same XXH3 as last run's */
} am_feed_drift;

/* Fills *out for feed i (declaration order), after ingestion.
 * Returns AM_OK or AM_ERR_INVALID (i out of range, no previous run). */
AM_API am_status am_feed_drift_get(const am_ctx *ctx, size_t i, am_feed_drift *out);

/* Progress while feeds are read. */
typedef struct am_progress {
    const char *feed;     /* the feed's name */
    size_t feed_index;    /* 0-based, among feed_count declared feeds */
    size_t feed_count;
    uint64_t rows;        /* data rows read so far in this feed */
    uint64_t bytes_read;  /* bytes of the file as stored: estimated while
                             reading, exact when done */
    uint64_t bytes_total; /* size of the file as stored */
    int done;             /* 1 on the feed's last call */
} am_progress;

/* Receives progress; pointers valid during the call only.  Return 0 to go
 * on, anything else to stop ingestion with AM_ERR_ABORTED. */
typedef int (*am_progress_fn)(void *user, const am_progress *progress);

/* Calls fn (NULL to stop) every 65536 rows of a feed being ingested and
 * when each feed ends.  Returns AM_OK or AM_ERR_INVALID. */
AM_API am_status am_set_progress_fn(am_ctx *ctx, am_progress_fn fn, void *user);

#ifdef __cplusplus
}
#endif

#endif /* AIDMATCH_H */
