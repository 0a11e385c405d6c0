/*
 * reject.c — the reject list (see reject.h).
 */
#include "read/reject.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

am_status am_reject_add(am_reject_list *list, am_feed *feed, uint64_t line, am_reject reason,
                        const char *detail)
{
    if (!am_feed_count_reject(feed, reason))
        return AM_OK; /* counted; beyond the feed's max_rejects for this reason */
    char *copy = NULL;
    if ((list->count < list->capacity ||
         am_grow_array((void **)&list->v, &list->capacity, sizeof *list->v)) &&
        (copy = am_strdup(detail))) {
        list->v[list->count++] = (am_reject_entry){
            .feed = feed->index, .reason = (uint8_t)reason, .line = line, .detail = copy};
        return AM_OK;
    }
    /* Counted already: undone, so that the counts still match the rows. */
    feed->rows_rejected--;
    feed->by_reason[reason]--;
    return AM_ERR_NOMEM;
}

am_status am_reject_list_move(am_reject_list *into, am_reject_list *from)
{
    if (from->count == 0)
        return AM_OK;
    if (into->count > SIZE_MAX - from->count ||
        !am_reserve_array((void **)&into->v, &into->capacity, into->count + from->count,
                          sizeof *into->v))
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
