/*
 * match.h — the matchers that turn rules into findings.
 */
#ifndef AM_MATCH_H
#define AM_MATCH_H

#include "context.h"
#include "household.h"
#include "rules.h"

/* Judges every person against every rule (match_person.c).  Entitlements
 * are judged within [window_start, window_end].  Returns AM_OK or
 * AM_ERR_NOMEM. */
am_status am_match_persons(am_ctx *ctx, const am_rules *rules, const am_household_index *index,
                           int32_t window_start, int32_t window_end);

/* Judges every household against the household_unique rules: one claim
 * per household per period (match_household.c). */
am_status am_match_households(am_ctx *ctx, const am_rules *rules,
                              const am_household_index *index);

#endif
