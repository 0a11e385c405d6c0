/*
 * duplicate.h — the DUPLICATE matcher: one person paid the same item twice
 * over overlapping periods, by one agency or several.
 */
#ifndef AM_DUPLICATE_H
#define AM_DUPLICATE_H

#include "context.h"

/* Policy source cited by every implicit duplicate finding. */
#define AM_DUPLICATE_RULE_ID "DUP"
#define AM_DUPLICATE_SOURCE \
    "社会救助暂行办法 (State Council Order 649): one assistance chain per household; an item is paid once per period"

/* Adds a DUPLICATE finding for every person and item whose records
 * overlap.  Expects the store sorted (am_store_sort).  Returns AM_OK or
 * AM_ERR_NOMEM. */
am_status am_match_duplicates(am_ctx *ctx);

#endif
