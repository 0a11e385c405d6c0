/*
 * input.h — what matching reads of a run: the catalogue, the sorted store,
 * the rules, the feeds and the death lag.  The matchers, findings and
 * facts take this rather than the run's context, as SQLite's pager takes a
 * Pager and not the connection, so a question can match a small store of
 * its own by pointing store and rules elsewhere.
 */
#ifndef AM_MATCH_INPUT_H
#define AM_MATCH_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "read/catalogue.h"
#include "read/feed.h"
#include "match/rules.h"
#include "store/store.h"

typedef struct am_match_input {
    const am_catalogue *catalogue;
    const am_store *store;   /* sorted by person */
    const am_rules *rules;
    am_feed *const *feeds;   /* indexed by am_record.feed: names and agencies */
    size_t nfeeds;
    int32_t death_lag_days;  /* a death registered this late is a low-priority finding */
    unsigned threads;        /* for the evidence index; results do not depend on it */
} am_match_input;

#endif
