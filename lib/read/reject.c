/*
 * reject.c — the reject list (see reject.h).
 */
#include "read/reject.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

static int append(am_reject_list *list, const am_feed *feed, uint64_t line, am_reject reason,
                  const char *detail, uint8_t state)
{
    char *copy = NULL;
    if (AM_RESERVE(list->v, list->capacity, list->count + 1) && (copy = am_strdup(detail))) {
        list->v[list->count++] = (am_reject_entry){.feed = feed->index,
                                                   .reason = (uint8_t)reason,
                                                   .state = state,
                                                   .line = line,
                                                   .detail = copy};
        return 1;
    }
    return 0;
}

am_status am_reject_add(am_reject_list *list, am_feed *feed, uint64_t line, am_reject reason,
                        const char *detail)
{
    if (!am_feed_count_reject(feed, reason))
        return AM_OK; /* counted; beyond the feed's max_rejects for this reason */
    if (append(list, feed, line, reason, detail, AM_REJECT_FINAL))
        return AM_OK;
    /* Counted already: undone, so that the counts still match the rows. */
    feed->rows_rejected--;
    feed->by_reason[reason]--;
    return AM_ERR_NOMEM;
}

am_status am_reject_add_held(am_reject_list *list, am_feed *feed, uint64_t line,
                             am_reject reason, const char *detail)
{
    if (!append(list, feed, line, reason, detail, AM_REJECT_HELD))
        return AM_ERR_NOMEM;
    feed->rows_rejected++;
    feed->by_reason[reason]++;
    feed->held_by_reason[reason]++;
    return AM_OK;
}

int am_reject_take_back(am_reject_list *list, am_feed *feed, uint64_t line)
{
    size_t lo = 0, hi = list->count;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const am_reject_entry *r = &list->v[mid];
        if (r->feed < feed->index || (r->feed == feed->index && r->line < line))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == list->count)
        return 0;
    am_reject_entry *r = &list->v[lo];
    if (r->feed != feed->index || r->line != line || r->state != AM_REJECT_HELD)
        return 0;
    r->state = AM_REJECT_TAKEN_BACK;
    feed->rows_rejected--;
    feed->by_reason[r->reason]--;
    feed->held_by_reason[r->reason]--;
    feed->rows_ingested++;
    return 1;
}

void am_reject_list_settle(am_reject_list *list, am_feed *const *feeds, size_t nfeeds)
{
    /* listed[reason] of the current feed, the list being in feed order */
    uint64_t listed[AM_REJECT__COUNT] = {0};
    size_t kept = 0;
    for (size_t i = 0; i < list->count; i++) {
        am_reject_entry *r = &list->v[i];
        if (i == 0 || r->feed != list->v[i - 1].feed)
            memset(listed, 0, sizeof listed);
        const am_feed *feed = r->feed < nfeeds ? feeds[r->feed] : NULL;
        if (r->state == AM_REJECT_TAKEN_BACK || (feed && listed[r->reason] >= feed->max_rejects)) {
            am_free(r->detail);
            continue;
        }
        listed[r->reason]++;
        r->state = AM_REJECT_FINAL;
        list->v[kept++] = *r;
    }
    list->count = kept;
    for (size_t i = 0; i < nfeeds; i++)
        memset(feeds[i]->held_by_reason, 0, sizeof feeds[i]->held_by_reason);
}

am_status am_reject_list_move(am_reject_list *into, am_reject_list *from)
{
    if (from->count == 0)
        return AM_OK;
    if (into->count > SIZE_MAX - from->count ||
        !AM_RESERVE(into->v, into->capacity, into->count + from->count))
        return AM_ERR_NOMEM;
    memcpy(into->v + into->count, from->v, from->count * sizeof *from->v);
    into->count += from->count;
    from->count = 0;
    return AM_OK;
}

static int compare_rejects(const void *pa, const void *pb)
{
    const am_reject_entry *a = pa, *b = pb;
    if (a->feed != b->feed)
        return a->feed < b->feed ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

void am_reject_list_sort(am_reject_list *list)
{
    if (list->count > 1)
        qsort(list->v, list->count, sizeof *list->v, compare_rejects);
}

void am_reject_list_free(am_reject_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        am_free(list->v[i].detail);
    am_free(list->v);
    memset(list, 0, sizeof *list);
}
