/*
 * reconcile.c — running the matchers over the store on several threads.
 *
 * Persons are independent of each other once the household index is
 * built, and so are households: the sorted store is cut at person
 * boundaries and the household refs into ranges, each worker fills a
 * findings list of its own, and the lists are joined and sorted.  Finding
 * ids and the final sort do not depend on who found what, so one thread
 * and eight give byte-identical output.
 */
#include <pthread.h>

#include "common/alloc.h"
#include "common/thread_pair.h"
#include "match/duplicate.h"
#include "match/match.h"

typedef struct worker {
    const am_match_input *in;
    const am_household_index *index;
    int32_t window_start, window_end;
    size_t begin, end;         /* records */
    uint32_t first, last;      /* household refs */
    am_finding_list found;
    am_status status;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    w->status = am_match_duplicates(w->in, w->begin, w->end, &w->found);
    if (w->status == AM_OK)
        w->status = am_match_persons(w->in, w->index, w->window_start, w->window_end, w->begin,
                                     w->end, &w->found);
    if (w->status == AM_OK)
        w->status = am_match_households(w->in, w->index, w->first, w->last, &w->found);
    return NULL;
}

am_status am_match_all(const am_match_input *in, const am_household_index *index,
                       int32_t window_start, int32_t window_end, unsigned threads,
                       am_finding_list *out)
{
    if (threads < 1)
        threads = 1;
    if (threads > 64)
        threads = 64;
    const size_t n = in->store->count;
    if (n < 4096 * threads)
        threads = 1; /* not worth a thread */
    worker *workers = am_calloc(threads, sizeof *workers);
    if (!workers)
        return AM_ERR_NOMEM;
    const uint32_t nrefs = (uint32_t)index->nrefs;
    for (unsigned t = 0; t < threads; t++) {
        worker *w = &workers[t];
        *w = (worker){.in = in, .index = index, .window_start = window_start,
                      .window_end = window_end, .status = AM_OK};
        w->begin = t == 0 ? 0 : workers[t - 1].end;
        const size_t cut = n / threads * (t + 1);
        w->end = t + 1 == threads ? n : am_person_boundary(in->store->records, n, cut);
        if (w->end < w->begin)
            w->end = w->begin;
        w->first = t == 0 ? 1 : workers[t - 1].last;
        w->last = t + 1 == threads ? nrefs : (uint32_t)(1 + (uint64_t)(nrefs - 1) * (t + 1) / threads);
    }
    pthread_t *ids = am_calloc(threads, sizeof *ids);
    unsigned started = 0;
    if (ids) {
        /* Worker 0 runs on this thread; a thread that cannot start has its
         * share done here too, so a refusal costs speed, not results. */
        for (unsigned t = 1; t < threads; t++, started++)
            if (am_thread_start(&ids[t], work, &workers[t]) != 0)
                break;
    }
    work(&workers[0]);
    for (unsigned t = 1; t < threads; t++) {
        if (t <= started)
            pthread_join(ids[t], NULL);
        else
            work(&workers[t]);
    }
    am_free(ids);
    am_status st = AM_OK;
    for (unsigned t = 0; t < threads; t++) {
        if (st == AM_OK && workers[t].status != AM_OK)
            st = workers[t].status;
        if (st == AM_OK)
            st = am_findings_move(out, &workers[t].found);
        am_findings_free(&workers[t].found);
    }
    am_free(workers);
    if (st != AM_OK)
        am_findings_free(out);
    else
        am_findings_sort(out);
    return st;
}
