/*
 * fault.h — allocation-failure injection, and a window on reading's
 * threads, compiled only into the test suite's own copy of the library
 * (tests/meson.build builds the sources again with -DAM_FAULT_INJECTION).
 * Not part of the public API.
 */
#ifndef AM_FAULT_H
#define AM_FAULT_H

#include <stddef.h>

/* Makes the nth allocation from now on fail, in whichever thread it comes
 * (1 = the next); 0 disarms.  Which allocation is nth can vary between
 * runs once a run uses threads; how many there are does not. */
void am_fault_fail_at(unsigned long nth);

/* What readers reading at once do with the room they claim in the
 * context (read/ingest.c, ingest_lock), as a test needs to see it. */
typedef enum am_fault_ingest_event {
    AM_FAULT_FILL_OPENS,      /* a move has claimed room and will fill it,
                               * outside the lock */
    AM_FAULT_WAITS_FOR_FILLS, /* a move, under the lock, waits for open fills */
    AM_FAULT_ARRAYS_GROW,     /* a move, under the lock, will grow the
                               * context's arrays */
} am_fault_ingest_event;

/* Has fn(event, filling, user) called in the reader's thread at each
 * event, filling being the number of fills open as the lock saw them;
 * NULL stops.  Set it while no run reads. */
typedef void am_fault_ingest_fn(am_fault_ingest_event event, size_t filling, void *user);
void am_fault_on_ingest(am_fault_ingest_fn *fn, void *user);

#endif
