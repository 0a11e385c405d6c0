/*
 * finding.h — findings as matchers produce them, their stable identifiers,
 * and the order they are reported in.
 *
 * A finding's id hashes what the finding is about — rule, subject, items,
 * agencies — and never where the evidence sits (line numbers change with
 * every export), so the same facts give the same id night after night.
 */
#ifndef AM_FINDING_H
#define AM_FINDING_H

#include <stddef.h>
#include <stdint.h>

#include "aidmatch.h"
#include "match/input.h"
#include "store/store.h"

typedef struct am_finding_rec {
    am_finding pub;      /* what am_finding_get() hands out; strings below */
    char id[33];
    char subject[AM_TOKEN_HEX + 1];
    char period_start[11], period_end[11];
    char *items, *agencies, *evidence;
    /* A partitioned run reckons the facts fingerprint and area (facts.h)
     * while the finding's partition is in memory; the review takes them
     * from here when facts_known is set. */
    char facts[33];
    uint32_t area;
    uint8_t facts_known;
} am_finding_rec;

typedef struct am_finding_list {
    am_finding_rec *v;
    size_t count, capacity;
} am_finding_list;

/* What a matcher knows about one finding; am_findings_add() derives the
 * rest.  codes and agencies may repeat and come in any order. */
typedef struct am_finding_draft {
    am_kind kind;
    const char *rule_id;       /* borrowed: must outlive the list */
    const char *policy_source; /* borrowed */
    const char *priority;      /* static */
    int household_subject;     /* the subject is a household token */
    const unsigned char *subject;
    int32_t start, end;
    int64_t days, amount_fen;
    const uint16_t *codes;
    size_t ncodes;
    const uint16_t *agencies;
    size_t nagencies;
    const am_record *const *evidence;
    size_t nevidence;
} am_finding_draft;

/* Adds a finding built from d to list (in supplies names: catalogue,
 * feeds).  Returns AM_OK or AM_ERR_NOMEM. */
am_status am_findings_add(const am_match_input *in, am_finding_list *list,
                          const am_finding_draft *d);

/* Moves every finding of from to the end of into; from is left empty.
 * Returns AM_OK or AM_ERR_NOMEM (then nothing moves). */
am_status am_findings_move(am_finding_list *into, am_finding_list *from);

/* Puts findings in output order: amount at stake descending, then id. */
void am_findings_sort(am_finding_list *list);

/* Points each finding's public view (am_finding) at the record's own
 * strings, once the records have moved (sorted, or read back). */
void am_findings_point_views(am_finding_list *list);

void am_findings_free(am_finding_list *list);

#endif
