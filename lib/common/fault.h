/*
 * fault.h — failure injection for allocations, reads and thread starts,
 * and a window on reading's threads, compiled only into the test suite's
 * own copy of the library (tests/meson.build builds the sources again
 * with -DAM_FAULT_INJECTION).
 * Not part of the public API.
 */
#ifndef AM_FAULT_H
#define AM_FAULT_H

#include <stdatomic.h>
#include <stddef.h>

/* Counts one event down on *left, shared by all threads: 1 when this is
 * the event chosen to fail (the countdown then stops at 0). */
static inline int am_fault_count_down(atomic_ulong *left)
{
    unsigned long now = atomic_load(left);
    while (now != 0 && !atomic_compare_exchange_weak(left, &now, now - 1))
        ;
    return now == 1;
}

/* Makes the nth allocation from now on fail, in whichever thread it comes
 * (1 = the next); 0 disarms.  Which allocation is nth can vary between
 * runs once a run uses threads; how many there are does not. */
void am_fault_fail_at(unsigned long nth);

/* Makes the nth am_read_full() from now on fail with EIO (1 = the next),
 * in whichever thread it comes; 0 disarms.  Shares no count with
 * allocations. */
void am_fault_fail_read_at(unsigned long nth);

/* While refuse is set, every am_thread_start() fails with EAGAIN, as
 * pthread_create does when the process may have no more threads.
 * Returns how many starts were refused since the last call. */
unsigned long am_fault_refuse_threads(int refuse);

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
