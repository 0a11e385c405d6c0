/*
 * facts.h — what a finding rests on: its evidence records, found again in
 * the store from the finding's "feed:line" list; the fingerprint of its
 * facts, which tells a later night whether anything a caseworker judged
 * has changed; and the area code its records carry.
 */
#ifndef AM_FACTS_H
#define AM_FACTS_H

#include <stddef.h>
#include <stdint.h>

#include "aidmatch.h"
#include "match/finding.h"
#include "match/input.h"
#include "store/store.h"

/* (feed, line) -> record, for the evidence of a set of findings. */
typedef struct am_evidence_slot {
    uint64_t key; /* feed << 32 | line, +1 so that 0 marks an empty slot */
    const am_record *rec;
} am_evidence_slot;

typedef struct am_evidence_index {
    am_evidence_slot *slots;
    size_t nslots;
} am_evidence_index;

/* Indexes the evidence records, in in's store, of findings which[0..n),
 * or of every finding when which is NULL.  One pass over the store.
 * Returns AM_OK or AM_ERR_NOMEM. */
am_status am_evidence_index_build(const am_match_input *in, const am_finding_list *findings,
                                  const size_t *which, size_t n, am_evidence_index *ix);

void am_evidence_index_free(am_evidence_index *ix);

/* Reads the next "feed:line" of an evidence list at *cursor.  Returns 1
 * with *feed (the feed's index) and *line set, or 0 at the end.  Entries
 * naming no declared feed are skipped. */
int am_evidence_next(const am_match_input *in, const char **cursor, uint16_t *feed, uint32_t *line);

/* The record at (feed, line), or NULL. */
const am_record *am_evidence_find(const am_evidence_index *ix, uint16_t feed, uint32_t line);

/* Scratch space for am_facts_of, reused from finding to finding. */
typedef struct am_facts_scratch {
    unsigned char (*hashes)[16];
    uint32_t *areas;
    size_t capacity;
} am_facts_scratch;

/* The facts fingerprint of f as 32 hex digits: XXH3-128 over its kind,
 * period, overlap_days, amount at stake and the content of each evidence
 * record (feed, person and household tokens, code, period, amount, value)
 * in a canonical order, never line numbers.  *area receives the most
 * common area code among its records (the lowest on a tie), 0 if none.
 * Returns AM_OK or AM_ERR_NOMEM. */
am_status am_facts_of(const am_match_input *in, const am_evidence_index *ix, const am_finding *f,
                      am_facts_scratch *scratch, char out[33], uint32_t *area);

void am_facts_scratch_free(am_facts_scratch *scratch);

#endif
