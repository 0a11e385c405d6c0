/*
 * run_window.h — the run's reconciliation window: the days entitlements
 * are judged over.  Set by the centre (window_start, window_end) or by a
 * snapshot; otherwise every day some periodic item was paid for.
 */
#ifndef AM_RUN_WINDOW_H
#define AM_RUN_WINDOW_H

#include <stdint.h>

#include "read/catalogue.h"
#include "store/store.h"

typedef struct am_run_window {
    int set;            /* start and end were given */
    int32_t start, end; /* days, inclusive */
} am_run_window;

/* The window in *start and *end: w's when set, or else the first to the
 * last day some periodic item of cat is paid for in store (AM_DAY_OPEN and
 * AM_DAY_EVER when none is). */
void am_run_window_of(const am_run_window *w, const am_catalogue *cat, const am_store *store,
                      int32_t *start, int32_t *end);

/* Widens [*start, *end] to r's days when r pays a periodic item: the
 * window of a run is this over all its records, from AM_DAY_OPEN and
 * AM_DAY_EVER (a run partitioned on disk sees them a partition at a time). */
void am_run_window_add(const am_catalogue *cat, const am_record *r, int32_t *start, int32_t *end);

#endif
