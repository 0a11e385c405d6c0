/*
 * thread_pair.h — two halves of one job, on two threads when allowed,
 * and the one place the library starts a thread.
 *
 * The sort, the household index and the evidence scan each split their
 * work into two independent halves.  Small jobs and single-threaded runs
 * do both halves here; a thread that cannot be started costs speed, never
 * results.
 */
#ifndef AM_THREAD_PAIR_H
#define AM_THREAD_PAIR_H

#include <pthread.h>
#include <stddef.h>

/* Below this many items a second thread costs more than it saves. */
#define AM_PAIR_MIN_ITEMS 4096

/* Runs fn(first) on this thread and fn(second) on a thread of its own when
 * threads > 1 and items >= AM_PAIR_MIN_ITEMS; else both here, first first.
 * Returns when both have run. */
void am_run_pair(void *(*fn)(void *), void *first, void *second, unsigned threads, size_t items);

/* pthread_create with default attributes: 0, or the error number when the
 * thread could not start, which every caller answers by doing the
 * thread's work itself.  Every thread the library starts goes through
 * here, so that a test can refuse them all (fault.h). */
int am_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
