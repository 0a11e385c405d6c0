/*
 * snapshot.h — the snapshot file: a reconciled run's store and all that
 * questions about it need, written once and opened in milliseconds
 * (docs/reference.md §12 gives the layout).
 *
 * A versioned header names the byte order, the record size and the
 * sections; every section is checksummed with XXH3-64 in chunks of
 * AM_SNAPSHOT_CHUNK bytes, and the table of checksums is itself
 * checksummed in the header.  Opening verifies the header, the table and
 * the small sections (catalogue, feeds, rules, findings, links) at once; the
 * large ones (records, households, records by household) are verified
 * chunk by chunk the first time a question reads them, or all at once by
 * am_snapshot_verify().  Each chunk is read (pread) into memory of the
 * snapshot's own the first time it is needed, so that a file cut short
 * while open gives an error rather than SIGBUS; that memory is read-only
 * but while a chunk is read into it.
 */
#ifndef AM_SNAPSHOT_H
#define AM_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/token.h"
#include "audit/source.h"
#include "link/link.h"
#include "match/finding.h"
#include "match/input.h"
#include "match/run_window.h"

#define AM_SNAPSHOT_VERSION 2
/* 4096 records; divisible by every element size a section holds. */
#define AM_SNAPSHOT_CHUNK (4096u * 48u)

typedef enum am_snap_section_id {
    AM_SEC_META = 1,
    AM_SEC_CATALOGUE,
    AM_SEC_FEEDS,
    AM_SEC_RULES,
    AM_SEC_FINDINGS,
    AM_SEC_RECORDS,
    AM_SEC_HOUSEHOLDS,
    AM_SEC_HH_FIRST,
    AM_SEC_HH_RECORDS,
    AM_SEC_LINKS,
    AM_SEC__END
} am_snap_section_id;

typedef struct am_snap_section {
    const unsigned char *data;
    uint64_t size;
    const uint64_t *sums; /* one XXH3-64 per chunk */
    size_t nchunks;
    uint8_t *verified;    /* one byte per chunk; NULL once all are */
} am_snap_section;

typedef struct am_snapshot {
    unsigned char *base; /* the file's bytes as read so far, PROT_READ */
    size_t size;
    int fd;              /* open until released, for reading chunks */
    char *path;
    am_snap_section sec[AM_SEC__END];
    char fingerprint[17];  /* of the key the tokens were made with */
    size_t ncodes, nfeeds; /* for checking records */
    uint8_t *usable_feed;  /* per feed: has an agency, so records may name it */
    int hukou;             /* the HUKOU fact's code, -1 if none */
    int all_verified;
    am_source src;         /* reads through base */
    am_links links;        /* the rows linking joined to the run or left for
                              review, in feed, line order; no counts */
} am_snapshot;

/* Verifies bytes [offset, offset + len) of a section, chunk by chunk, and
 * checks what the verified chunks hold (records, record indexes).  Returns
 * AM_OK or AM_ERR_FORMAT naming the file, section and chunk. */
am_status am_snapshot_need(am_snapshot *snap, int section, uint64_t offset, uint64_t len,
                           am_err *err);

/* Verifies everything not yet verified, and what only a whole pass can
 * check (the records by household, claim households assigned, against
 * cat, the snapshot's catalogue).  Returns AM_OK or AM_ERR_FORMAT. */
am_status am_snapshot_verify_all(am_snapshot *snap, const am_catalogue *cat, am_err *err);

/* What a snapshot is written from: a reconciled run's store and what
 * questions about it need. */
typedef struct am_snapshot_run {
    am_match_input match;            /* catalogue, sorted store, rules, feeds, death lag */
    const am_run_window *window;
    const am_finding_list *findings;
    const am_links *links;           /* what linking decided; NULL: nothing */
    const char *key_fingerprint;     /* of the key the tokens were made with; "" unknown */
    const char *centre_name;         /* NULL when the centre has none */
} am_snapshot_run;

/* Writes run's snapshot at path, atomically.  Returns AM_OK, AM_ERR_IO or
 * AM_ERR_NOMEM with err's message set. */
am_status am_snapshot_save(const am_snapshot_run *run, const char *path, am_err *err);

/* A large section's bytes: data, whole, or made in order by fill, which
 * writes the section's next n bytes (a whole number of its elements) into
 * buf and returns AM_OK or a failure with its message in err. */
typedef struct am_snap_bytes {
    const void *data;
    uint64_t size;
    const uint32_t *remap; /* records given whole: household refs, old -> new */
    am_status (*fill)(void *user, unsigned char *buf, size_t n, am_err *err);
    void *user;
} am_snap_bytes;

/* What a snapshot holds besides the run's catalogue, feeds and rules:
 * the sections am_source lays out (source.h), however they were made. */
typedef struct am_snap_body {
    int32_t window_start, window_end;
    uint64_t nrecords, nhouseholds, nentries;
    const am_finding_key *findings; /* sorted by id */
    size_t nfindings;
    am_snap_bytes records, households, hh_first, hh_records;
} am_snap_body;

/* Writes the snapshot of run with body at path, atomically.  Returns
 * AM_OK, AM_ERR_IO or AM_ERR_NOMEM, or a fill function's failure, with
 * err's message set; on failure nothing is left at path. */
am_status am_snapshot_write_body(const am_snapshot_run *run, const am_snap_body *body,
                                 const char *path, am_err *err);

/* Where opening a snapshot puts the catalogue, feeds and rules it holds. */
typedef struct am_snapshot_into {
    am_catalogue *catalogue; /* empty; filled */
    am_rules *rules;         /* empty; filled */
    /* Adds a feed named name to run, returned in *out: AM_OK,
     * AM_ERR_INVALID when run has a feed of that name, any other status
     * when it cannot. */
    am_status (*add_feed)(void *run, const char *name, am_feed **out);
    void *run;
    const am_key *key;       /* the key loaded, checked against the tokens; NULL: none */
} am_snapshot_into;

/* What a snapshot's meta section says of its run. */
typedef struct am_snapshot_meta {
    char *fingerprint, *centre; /* the caller frees both, also on failure */
    int32_t death_lag, window_start, window_end;
    uint64_t nrecords, nhouseholds, nentries, nfindings;
} am_snapshot_meta;

/* Opens snap->path (snap zeroed but for its path), verifies the header,
 * the table and the small sections, and reads them into *into and *m;
 * the large sections are verified as they are read (am_snapshot_need).
 * Returns AM_OK, AM_ERR_IO, AM_ERR_FORMAT (a damaged file), AM_ERR_KEY
 * (tokens of another key than into->key) or AM_ERR_NOMEM, with err's
 * message set; on failure, what into holds is the caller's to undo.  The
 * file stays open for am_snapshot_need until am_snapshot_release. */
am_status am_snapshot_load(am_snapshot *snap, const am_snapshot_into *into, am_snapshot_meta *m,
                           am_err *err);

/* Unmaps and frees.  NULL is accepted. */
void am_snapshot_release(am_snapshot *snap);

/* Tests and fuzzing: recomputes every checksum of a snapshot image in
 * place, so that a deliberately altered section reaches the checks behind
 * the checksums.  Returns 0, or -1 when the header or table are too
 * broken to find the sections. */
int am_snapshot_reseal(unsigned char *data, size_t len);

#endif
