/*
 * feed_run.h — the run a feed belongs to, as its feeds see it: where its
 * messages go, what they read with (catalogue, key, the centre file's
 * directory), the run's feeds, and where ingested rows, rejects, link
 * candidates and progress go.  The run sets one up (run/context.c),
 * pointing into itself, and every feed it declares holds it, as SQLite's
 * pager holds a Pager and not the connection: am_feed_set() and
 * am_feed_ingest_buffer(), given a feed only, reach their run through it.
 */
#ifndef AM_FEED_RUN_H
#define AM_FEED_RUN_H

#include <stddef.h>

#include "common/error.h"
#include "common/stage.h"
#include "common/token.h"
#include "read/catalogue.h"
#include "read/feed.h"
#include "read/link_input.h"
#include "read/progress.h"
#include "read/reject.h"
#include "store/spill.h"
#include "store/store.h"

struct am_feed_run {
    am_err *err;                    /* the run's message */
    const am_catalogue *catalogue;
    char *const *base_dir;          /* the centre file's directory; *base_dir NULL: none */
    const am_key *key;              /* key->bytes NULL: no key loaded */
    am_feed ***feeds;               /* the run's feeds, *nfeeds of them, by declaration */
    size_t *nfeeds, *capfeeds;
    const unsigned *threads;        /* readers at once for am_ingest_all */
    am_store *store;                /* where ingested records go */
    const am_record_spill *spill;   /* instead, when put is set: a partitioned run */
    am_reject_list *rejects;
    am_link_input *links;           /* rows for linking damaged IDs (link_input.h) */
    const am_progress_state *progress;
    am_stage *stage;                /* ingesting moves it back to INGESTED */
};

/* Appends a new feed named name (non-empty, not yet in the run: the
 * caller checks) to run's feeds, with the defaults of a feed spec.
 * Returns AM_OK with *out, owned by the run; AM_ERR_LIMIT past 65,535
 * feeds or AM_ERR_NOMEM, with run's message set. */
am_status am_feed_append(const am_feed_run *run, const char *name, am_feed **out);

/* The feed of run named name, or NULL. */
am_feed *am_feed_named(const am_feed_run *run, const char *name);

/* Reads every declared feed not yet ingested into run, on up to
 * *run->threads threads, largest text first; checks first that each has a
 * readable file.  Returns AM_OK, or the first declared feed's failure
 * (AM_ERR_INVALID with no feeds), with run's message set. */
am_status am_ingest_all(const am_feed_run *run);

#endif
