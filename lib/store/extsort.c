/*
 * extsort.c — external merge sort of spill files (see extsort.h).
 */
#include "store/extsort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/thread_pair.h"
#include "store/key_sort.h"
#include "store/spill.h"

/* Runs merged at once: each holds a reader's block in memory. */
#define FAN_IN 64
#define WRITE_BUFFER (256u * 1024)

static char *run_name(const char *out, size_t i)
{
    return am_strdup_printf("%s.run%zu", out, i);
}

typedef struct merger {
    am_spill_reader *r;
    const void **item; /* each reader's current item */
    size_t *heap, n;   /* indexes of readers with an item, smallest first */
    int (*cmp)(const void *, const void *);
} merger;

static int less(const merger *m, size_t a, size_t b)
{
    return m->cmp(m->item[a], m->item[b]) < 0;
}

static void sift_down(merger *m, size_t i)
{
    for (;;) {
        size_t s = i;
        const size_t l = 2 * i + 1, r = l + 1;
        if (l < m->n && less(m, m->heap[l], m->heap[s]))
            s = l;
        if (r < m->n && less(m, m->heap[r], m->heap[s]))
            s = r;
        if (s == i)
            return;
        const size_t t = m->heap[i];
        m->heap[i] = m->heap[s];
        m->heap[s] = t;
        i = s;
    }
}

/* Merges the sorted files names[0, n) into out and removes them. */
static am_status merge(char **names, size_t n, const char *out, size_t item_size,
                       int (*cmp)(const void *, const void *), am_err *err)
{
    merger m = {.cmp = cmp};
    m.r = am_calloc(n, sizeof *m.r);
    m.item = am_calloc(n, sizeof *m.item);
    m.heap = am_calloc(n, sizeof *m.heap);
    am_spill_writer w = {.fd = -1};
    am_status st = m.r && m.item && m.heap ? AM_OK
                                           : am_fail(err, AM_ERR_NOMEM, "out of memory sorting");
    size_t opened = 0;
    for (; st == AM_OK && opened < n; opened++) {
        st = am_spill_open(&m.r[opened], names[opened], item_size, err);
        if (st != AM_OK)
            break;
        st = am_spill_next_item(&m.r[opened], &m.item[opened], err);
        if (st == AM_OK && m.item[opened])
            m.heap[m.n++] = opened;
    }
    if (st == AM_OK)
        st = am_spill_create(&w, out, item_size, WRITE_BUFFER, err);
    if (st == AM_OK) {
        for (size_t i = m.n; i-- > 0;)
            sift_down(&m, i);
        while (st == AM_OK && m.n) {
            const size_t k = m.heap[0];
            st = am_spill_write(&w, m.item[k], 1, err);
            if (st == AM_OK)
                st = am_spill_next_item(&m.r[k], &m.item[k], err);
            if (!m.item[k])
                m.heap[0] = m.heap[--m.n];
            sift_down(&m, 0);
        }
        st = am_spill_end(&w, st, err);
    }
    for (size_t i = 0; i < opened && m.r; i++)
        am_spill_close(&m.r[i]);
    for (size_t i = 0; i < n; i++)
        unlink(names[i]);
    am_free(m.r);
    am_free(m.item);
    am_free(m.heap);
    return st;
}

/* Reads in, in pieces of about memory bytes, each sorted into a run
 * file; *names receives the runs' names. */
static am_status make_runs(const char *in, const char *out, size_t item_size,
                           const am_order *order, size_t memory, char ***names,
                           size_t *nruns, size_t *names_cap, am_err *err)
{
    /* No more than the file holds: a small file is not given the whole
     * budget. */
    struct stat sb;
    size_t cap_items = memory / item_size;
    if (stat(in, &sb) == 0 && (uint64_t)sb.st_size / item_size + 1 < cap_items)
        cap_items = (size_t)((uint64_t)sb.st_size / item_size + 1);
    if (cap_items < 1024)
        cap_items = 1024;
    unsigned char *buf = am_malloc(cap_items * item_size), *tmp = am_malloc(item_size);
    am_spill_reader r;
    if (!buf || !tmp) {
        am_free(buf);
        am_free(tmp);
        return am_fail(err, AM_ERR_NOMEM, "out of memory sorting");
    }
    /* Filled whole by every run but perhaps the last, and fresh at every
     * sort: a partitioned run's components sort once a propagation pass. */
    am_prefault(buf, cap_items * item_size);
    am_status st = am_spill_open(&r, in, item_size, err);
    if (st != AM_OK) {
        am_free(buf);
        am_free(tmp);
        return st;
    }
    size_t have = 0;
    for (int done = 0; st == AM_OK && !done;) {
        const void *items;
        size_t n;
        st = am_spill_next(&r, &items, &n, err);
        if (st != AM_OK)
            break;
        done = n == 0;
        const unsigned char *p = items;
        while (n || (done && have)) {
            const size_t take = n < cap_items - have ? n : cap_items - have;
            if (take) {
                memcpy(buf + have * item_size, p, take * item_size);
                p += take * item_size;
            }
            have += take;
            n -= take;
            if (have < cap_items && !done)
                break;
            am_key_sort(buf, have, item_size, order, tmp);
            char *name = run_name(out, *nruns);
            am_spill_writer w;
            if (!name || !am_reserve_array((void **)names, names_cap, *nruns + 1, sizeof **names)) {
                am_free(name);
                st = am_fail(err, AM_ERR_NOMEM, "out of memory sorting");
                break;
            }
            (*names)[(*nruns)++] = name;
            st = am_spill_create(&w, name, item_size, WRITE_BUFFER, err);
            if (st == AM_OK) {
                st = am_spill_write(&w, buf, have, err);
                st = am_spill_end(&w, st, err);
            }
            have = 0;
            if (st != AM_OK)
                break;
        }
    }
    am_spill_close(&r);
    am_free(buf);
    am_free(tmp);
    if (st == AM_OK)
        unlink(in);
    return st;
}

/* Merges runs names[first, *nruns) into out, FAN_IN at a time into new
 * runs appended to names until one merge writes out. */
static am_status merge_runs(char ***names, size_t *nruns, size_t *names_cap, size_t first,
                            const char *out, size_t item_size,
                            int (*cmp)(const void *, const void *), am_err *err)
{
    am_status st = AM_OK;
    while (st == AM_OK && *nruns - first > FAN_IN) {
        char *name = run_name(out, *nruns);
        if (!name || !am_reserve_array((void **)names, names_cap, *nruns + 1, sizeof **names)) {
            am_free(name);
            return am_fail(err, AM_ERR_NOMEM, "out of memory sorting");
        }
        st = merge(*names + first, FAN_IN, name, item_size, cmp, err);
        (*names)[(*nruns)++] = name;
        first += FAN_IN;
    }
    if (st == AM_OK && *nruns - first == 0) {
        am_spill_writer w;
        st = am_spill_create(&w, out, item_size, 0, err);
        if (st == AM_OK)
            st = am_spill_finish(&w, err);
    } else if (st == AM_OK && *nruns - first == 1) {
        if (rename((*names)[first], out) != 0)
            st = am_fail(err, AM_ERR_IO, "%s: cannot rename a sorted run", out);
    } else if (st == AM_OK) {
        st = merge(*names + first, *nruns - first, out, item_size, cmp, err);
    }
    return st;
}

static void forget_runs(char **names, size_t nruns, am_status st)
{
    for (size_t i = 0; i < nruns; i++) {
        if (st != AM_OK)
            unlink(names[i]);
        am_free(names[i]);
    }
    am_free(names);
}

am_status am_extsort(const char *in, const char *out, size_t item_size, const am_order *order,
                     size_t memory, am_err *err)
{
    char **names = NULL;
    size_t nruns = 0, names_cap = 0;
    am_status st = make_runs(in, out, item_size, order, memory, &names, &nruns, &names_cap, err);
    if (st == AM_OK)
        st = merge_runs(&names, &nruns, &names_cap, 0, out, item_size, order->cmp, err);
    forget_runs(names, nruns, st);
    return st;
}

am_status am_extsort_merge(const char *const *sorted, size_t n, const char *out,
                           size_t item_size, int (*cmp)(const void *, const void *), am_err *err)
{
    char **names = am_calloc(n ? n : 1, sizeof *names);
    size_t nruns = 0, names_cap = n ? n : 1;
    am_status st = names ? AM_OK : am_fail(err, AM_ERR_NOMEM, "out of memory sorting");
    for (; st == AM_OK && nruns < n; nruns++)
        if (!(names[nruns] = am_strdup(sorted[nruns])))
            st = am_fail(err, AM_ERR_NOMEM, "out of memory sorting");
    if (st == AM_OK)
        st = merge_runs(&names, &nruns, &names_cap, 0, out, item_size, cmp, err);
    else
        for (size_t i = 0; i < n; i++)
            unlink(sorted[i]);
    forget_runs(names, nruns, st);
    return st;
}

/* A bucket too large for memory: sorted on disk into path.sorted, which
 * then replaces it, and read from there. */
static am_status read_sorted_on_disk(const char *path, size_t item_size, const am_order *order,
                                     size_t memory, am_items_fn take, void *user, am_err *err)
{
    char *sorted = am_strdup_printf("%s.sorted", path);
    if (!sorted)
        return am_fail(err, AM_ERR_NOMEM, "out of memory sorting");
    am_status st = am_extsort(path, sorted, item_size, order, memory, err);
    if (st == AM_OK && rename(sorted, path) != 0)
        st = am_fail(err, AM_ERR_IO, "%s: cannot rename a sorted bucket", path);
    am_free(sorted);
    return st == AM_OK ? am_spill_each(path, item_size, take, user, err) : st;
}

/* A bucket read into memory: items appended at buf + have. */
typedef struct bucket_load {
    unsigned char *buf;
    size_t item_size, have;
} bucket_load;

static am_status append_items(void *user, const void *items, size_t n, am_err *err)
{
    (void)err;
    bucket_load *l = user;
    memcpy(l->buf + l->have * l->item_size, items, n * l->item_size);
    l->have += n;
    return AM_OK;
}

/* One bucket read whole and sorted in memory, on whichever thread: its
 * buffer grown to the largest bucket it has held (within the memory the
 * sort was given), as pages written once are cheaper to write again than
 * fresh ones. */
typedef struct bucket_sort {
    const char *path;
    size_t item_size;
    const am_order *order;
    uint64_t most;       /* items the file can hold at most (headers take the rest) */
    unsigned char *buf, *tmp;
    size_t cap, have;
    am_status st;
    am_err err;
} bucket_sort;

static void *sort_bucket(void *arg)
{
    bucket_sort *s = arg;
    s->have = 0;
    if (s->most > s->cap) {
        unsigned char *grown = am_realloc(s->buf, (size_t)s->most * s->item_size);
        if (!grown) {
            s->st = am_fail(&s->err, AM_ERR_NOMEM, "out of memory sorting");
            return NULL;
        }
        s->buf = grown;
        s->cap = (size_t)s->most;
    }
    bucket_load load = {s->buf, s->item_size, 0};
    s->st = am_spill_each(s->path, s->item_size, append_items, &load, &s->err);
    if (s->st == AM_OK && load.have)
        am_key_sort(s->buf, load.have, s->item_size, s->order, s->tmp);
    s->have = load.have;
    return NULL;
}

/* Gives back s's buffer, so that what is held stays within the memory
 * the sort was given (a pair's two halves, or one bucket alone). */
static void drop_buffer(bucket_sort *s)
{
    am_free(s->buf);
    s->buf = NULL;
    s->cap = 0;
}

static am_status items_at_most(const char *path, size_t item_size, uint64_t *most, am_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return am_fail(err, AM_ERR_IO, "%s: cannot read a partition file", path);
    *most = (uint64_t)sb.st_size / item_size;
    return AM_OK;
}

am_status am_extsort_buckets(char *const *buckets, size_t n, size_t item_size,
                             const am_order *order, size_t memory, unsigned threads,
                             am_items_fn take, void *user, am_err *err)
{
    bucket_sort s[2];
    for (int k = 0; k < 2; k++)
        s[k] = (bucket_sort){.item_size = item_size, .order = order,
                             .tmp = am_malloc(item_size)};
    am_status st = s[0].tmp && s[1].tmp ? AM_OK : am_fail(err, AM_ERR_NOMEM, "out of memory sorting");
    for (size_t b = 0; st == AM_OK && b < n;) {
        st = items_at_most(buckets[b], item_size, &s[0].most, err);
        /* Two buckets sorted at once, each in half the memory, when both
         * fit; the items are taken in order either way. */
        int pair = st == AM_OK && threads > 1 && b + 1 < n &&
                   s[0].most * item_size <= memory / 2;
        if (pair) {
            st = items_at_most(buckets[b + 1], item_size, &s[1].most, err);
            pair = st == AM_OK && s[1].most * item_size <= memory / 2;
        }
        if (st != AM_OK)
            break;
        if (!pair && s[0].most * item_size > memory) {
            drop_buffer(&s[0]);
            drop_buffer(&s[1]);
            st = read_sorted_on_disk(buckets[b], item_size, order, memory, take, user, err);
            b++;
            continue;
        }
        /* At most memory held: one bucket alone, or two halves. */
        if (!pair && s[0].most * item_size > memory / 2)
            drop_buffer(&s[1]);
        if (pair && s[0].cap * item_size > memory / 2)
            drop_buffer(&s[0]);
        const unsigned sorting = pair ? 2 : 1;
        s[0].path = buckets[b];
        if (pair) {
            s[1].path = buckets[b + 1];
            am_run_pair(sort_bucket, &s[0], &s[1], 2, (size_t)(s[0].most + s[1].most));
        } else {
            sort_bucket(&s[0]);
        }
        for (unsigned k = 0; st == AM_OK && k < sorting; k++) {
            if (s[k].st != AM_OK) {
                st = s[k].st;
                *err = s[k].err;
            } else if (s[k].have) {
                st = take(user, s[k].buf, s[k].have, err);
            }
        }
        b += sorting;
    }
    for (int k = 0; k < 2; k++) {
        am_free(s[k].buf);
        am_free(s[k].tmp);
    }
    return st;
}
