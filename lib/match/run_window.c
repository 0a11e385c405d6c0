/*
 * run_window.c — the run's reconciliation window (see run_window.h).
 */
#include "match/run_window.h"

#include "common/day.h"

void am_run_window_of(const am_run_window *w, const am_catalogue *cat, const am_store *store,
                      int32_t *start, int32_t *end)
{
    if (w->set) {
        *start = w->start;
        *end = w->end;
        return;
    }
    *start = AM_DAY_OPEN;
    *end = AM_DAY_EVER;
    for (size_t i = 0; i < store->count; i++)
        am_run_window_add(cat, &store->records[i], start, end);
}

void am_run_window_add(const am_catalogue *cat, const am_record *r, int32_t *start, int32_t *end)
{
    if (!am_code_is_item(cat, r->code) || !cat->items[r->code].periodic)
        return;
    if (r->start < *start)
        *start = r->start;
    if (r->end > *end)
        *end = r->end;
}
