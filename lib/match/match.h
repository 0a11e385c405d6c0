/*
 * match.h — the matchers that turn rules into findings.
 */
#ifndef AM_MATCH_H
#define AM_MATCH_H

#include "match/finding.h"
#include "match/household.h"
#include "match/input.h"
#include "match/rules.h"

/* Judges the persons whose records are [begin, end) of the sorted store
 * (person-aligned) against in's rules, adding findings to out
 * (match_person.c).  Entitlements are judged within [window_start,
 * window_end].  Returns AM_OK or AM_ERR_NOMEM. */
am_status am_match_persons(const am_match_input *in, const am_household_index *index,
                           int32_t window_start, int32_t window_end, size_t begin, size_t end,
                           am_finding_list *out);

/* Judges households with refs [first, last) against the household rules:
 * household_unique and exclusive with scope household (match_household.c). */
am_status am_match_households(const am_match_input *in, const am_household_index *index,
                              uint32_t first, uint32_t last, am_finding_list *out);

/* Runs every matcher over the sorted store, split across threads by person
 * and by household, and appends the findings to out in output order: the
 * result does not depend on the number of threads (reconcile.c).  Returns
 * AM_OK, or AM_ERR_NOMEM and out emptied. */
am_status am_match_all(const am_match_input *in, const am_household_index *index,
                       int32_t window_start, int32_t window_end, unsigned threads,
                       am_finding_list *out);

#endif
