/*
 * thread_pair.c — running two halves of a job (see thread_pair.h).
 */
#include "common/thread_pair.h"

#include <errno.h>
#include <pthread.h>

#ifdef AM_FAULT_INJECTION
#include "common/fault.h"

static atomic_int refusing;
static atomic_ulong refused;

unsigned long am_fault_refuse_threads(int refuse)
{
    atomic_store(&refusing, refuse != 0);
    return atomic_exchange(&refused, 0);
}

int am_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    if (atomic_load(&refusing)) {
        atomic_fetch_add(&refused, 1);
        return EAGAIN;
    }
    return pthread_create(thread, NULL, fn, arg);
}
#else
int am_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    return pthread_create(thread, NULL, fn, arg);
}
#endif

void am_run_pair(void *(*fn)(void *), void *first, void *second, unsigned threads, size_t items)
{
    pthread_t helper;
    if (threads > 1 && items >= AM_PAIR_MIN_ITEMS &&
        am_thread_start(&helper, fn, second) == 0) {
        fn(first);
        pthread_join(helper, NULL);
        return;
    }
    fn(first);
    fn(second);
}
