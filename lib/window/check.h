/*
 * check.h — the window check: for one person, from a snapshot, what they
 * and their household hold, what the grants proposed would raise, and
 * what their statuses entitle them to that they do not receive.
 *
 * A check gathers the person's neighbourhood (audit/neighbourhood.h),
 * adds the day's grants from the journal and the grants proposed as
 * records of feeds of the window's own ("journal/AGENCY",
 * "proposal/AGENCY"), and runs the run's own matchers there: the findings
 * that cite a proposed record are those a nightly run would raise with
 * the grants in the feeds.  The menu is the same matchers' missing aid
 * on the check date alone, with no grace, over the held records.
 *
 * Everything a check reads is read-only once the window is open (the
 * snapshot is verified whole then), except the journal's cache, which a
 * mutex guards; so any number of threads may check one window at once.
 */
#ifndef AM_CHECK_H
#define AM_CHECK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "aidmatch.h"
#include "common/error.h"
#include "common/token.h"
#include "match/finding.h"
#include "match/input.h"
#include "match/rules.h"
#include "read/catalogue.h"
#include "read/feed.h"
#include "audit/source.h"
#include "window/journal.h"

/* What a window reads, filled by whoever opens it (run/window_open.c). */
typedef struct am_window_env {
    am_match_input view;     /* what matching reads of the run, its feeds extended
                              * by the window's own */
    const am_catalogue *cat;
    const am_rules *rules;
    const am_key *key;       /* NULL when no key is loaded */
    const char *fingerprint; /* of the key the snapshot's tokens were made with */
    am_source *src;          /* the snapshot, verified whole */
    size_t nfeeds;           /* the snapshot's feeds; the window's follow */
    int32_t window_start, window_end;
    int64_t snapshot_stamp;  /* when the snapshot was written, ns since 1970 */
} am_window_env;

struct am_window {
    am_window_env env;
    am_feed *own_feeds;      /* per agency: proposal/AGENCY, then journal/AGENCY */
    am_feed **feeds;         /* the snapshot's feeds, then own_feeds */
    size_t nall;
    am_rules menu_rules;     /* the entitles rules without grace; shares their groups */
    pthread_mutex_t lock;    /* guards journal */
    am_journal journal;
};

/* The feeds a window adds to the snapshot's, and the menu's rules; w->env
 * must be filled and w->journal.path set.  Then takes in a journal older
 * than the snapshot and reads it.  Returns AM_OK, AM_ERR_IO, AM_ERR_KEY,
 * AM_ERR_LIMIT (too many feeds) or AM_ERR_NOMEM. */
am_status am_window_init(am_window *w, am_feed *const *feeds, am_err *err);

/* A check that failed before it began (a request that does not parse),
 * with err's message; NULL when out of memory. */
am_check *am_check_failed(const am_window *w, const am_err *err);

/* Frees what am_window_init() made (not env, not w). */
void am_window_free(am_window *w);

#endif
