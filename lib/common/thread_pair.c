/*
 * thread_pair.c — running two halves of a job (see thread_pair.h).
 */
#include "common/thread_pair.h"

#include <pthread.h>

void am_run_pair(void *(*fn)(void *), void *first, void *second, unsigned threads, size_t items)
{
    pthread_t helper;
    if (threads > 1 && items >= AM_PAIR_MIN_ITEMS &&
        pthread_create(&helper, NULL, fn, second) == 0) {
        fn(first);
        pthread_join(helper, NULL);
        return;
    }
    fn(first);
    fn(second);
}
