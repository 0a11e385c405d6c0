/*
 * thread_pair.h — two halves of one job, on two threads when allowed.
 *
 * The sort, the household index and the evidence scan each split their
 * work into two independent halves.  Small jobs and single-threaded runs
 * do both halves here; a thread that cannot be started costs speed, never
 * results.
 */
#ifndef AM_THREAD_PAIR_H
#define AM_THREAD_PAIR_H

#include <stddef.h>

/* Below this many items a second thread costs more than it saves. */
#define AM_PAIR_MIN_ITEMS 4096

/* Runs fn(first) on this thread and fn(second) on a thread of its own when
 * threads > 1 and items >= AM_PAIR_MIN_ITEMS; else both here, first first.
 * Returns when both have run. */
void am_run_pair(void *(*fn)(void *), void *first, void *second, unsigned threads, size_t items);

#endif
