/*
 * source.h — what an auditor's question reads: the sorted record store,
 * its records listed by household, and the run's findings by id.
 *
 * A source is either the context's own reconciled run (indexes built in
 * memory on first use) or a snapshot's sections mapped from the file
 * (snapshot.h).  Every read goes through the accessors below, which check
 * each index and, for a snapshot, verify the checksum of every chunk the
 * first time it is read: a question touches a few chunks, not the file.
 */
#ifndef AM_SOURCE_H
#define AM_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "match/finding.h"
#include "store/store.h"

struct am_snapshot;

/* A finding of the run, by id: enough to find its subject again.  40
 * bytes, written to snapshots as is. */
typedef struct am_finding_key {
    unsigned char id[16];
    unsigned char subject[AM_TOKEN_BYTES];
    uint32_t household; /* the subject's household ref when unit is 1, else 0 */
    uint8_t kind;       /* am_kind */
    uint8_t unit;       /* 0 person, 1 household */
    uint16_t reserved;
} am_finding_key;

_Static_assert(sizeof(am_finding_key) == 40, "a finding key must stay 40 bytes");

typedef struct am_source {
    const am_record *records;
    size_t nrecords;
    const unsigned char *households; /* nhouseholds tokens, one after another */
    size_t nhouseholds;
    /* Records by household: the record indexes of household ref h are
     * hh_records[hh_first[h] .. hh_first[h + 1]), ascending; nhouseholds + 2
     * offsets (ref 0, none, has no records listed). */
    const uint64_t *hh_first;
    const uint32_t *hh_records;
    size_t nentries;
    const am_finding_key *findings; /* sorted by id */
    size_t nfindings;
    int32_t window_start, window_end; /* the run's reconciliation window */
    struct am_snapshot *snap;         /* NULL for the context's own run */
    /* owned by a source built in memory */
    uint64_t *own_first;
    uint32_t *own_records;
    am_finding_key *own_findings;
} am_source;

/* The key of each of findings' findings into keys[0, findings->count),
 * in the list's order, household refs left 0 for the caller. */
void am_finding_keys_fill(const am_finding_list *findings, am_finding_key *keys);

/* Sorts n finding keys by id, the order of am_source.findings. */
void am_finding_keys_sort(am_finding_key *keys, size_t n);

/* Builds the indexes of a reconciled run, its store, findings and window
 * [window_start, window_end]: records by household (one counting pass) and
 * findings by id.  The caller checks that the findings are current
 * (common/stage.h), which holds the store sorted by person as
 * am_reconcile() leaves it.  With remap (old household ref -> new, 0 for
 * none; nhouseholds new refs) the indexes use the new refs, and
 * src->households is left NULL for the caller to lay out.  src points into
 * store and findings, which must outlive it.  Returns AM_OK, AM_ERR_LIMIT
 * (2^32 records or more) or AM_ERR_NOMEM, with a message in err. */
am_status am_source_build(const am_store *store, const am_finding_list *findings,
                          int32_t window_start, int32_t window_end, const uint32_t *remap,
                          size_t nhouseholds, am_source *src, am_err *err);

void am_source_free(am_source *src);

/* Makes records [first, first + n) readable: in range and, for a
 * snapshot, verified.  Returns AM_OK or AM_ERR_FORMAT. */
am_status am_source_records(am_source *src, size_t first, size_t n, am_err *err);

/* Makes the token of household ref (1-based) readable. */
am_status am_source_household(am_source *src, uint32_t ref, am_err *err);

/* The token of household ref, once made readable. */
static inline const unsigned char *am_source_household_token(const am_source *src, uint32_t ref)
{
    return src->households + (size_t)(ref - 1) * AM_TOKEN_BYTES;
}

/* The record indexes of household ref: *idx[0 .. *n), checked. */
am_status am_source_members(am_source *src, uint32_t ref, const uint32_t **idx, size_t *n,
                            am_err *err);

/* The run [*begin, *end) of the records of the person with token (empty
 * when there are none), by binary search. */
am_status am_source_person(am_source *src, const unsigned char token[AM_TOKEN_BYTES],
                           size_t *begin, size_t *end, am_err *err);

/* The run [*begin, *end) of the person whose record is at index i. */
am_status am_source_run_around(am_source *src, size_t i, size_t *begin, size_t *end,
                               am_err *err);

/* The key of the finding with this id, or NULL. */
const am_finding_key *am_source_finding(const am_source *src, const unsigned char id[16]);

#endif
