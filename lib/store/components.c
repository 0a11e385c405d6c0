/*
 * components.c — connected components of the household graph by label
 * propagation over sorted spill files (see components.h).
 *
 * Every pass sorts the edges by household and gives each household the
 * least label of its persons, then sorts them by person and gives each
 * person the least label of its households.  Labels only fall, and each
 * pass carries the least one of a component two steps further, so a
 * pass that changes no person's label is the last.  Nothing is kept in
 * memory per person or household: a pass holds one group of edges.
 */
#include "store/components.h"

#include <stdlib.h>
#include <unistd.h>

#include "common/alloc.h"
#include "store/extsort.h"
#include "store/spill.h"

#define WRITE_BUFFER (256u * 1024)

static int by_a_then_b(const void *pa, const void *pb)
{
    const am_edge *x = pa, *y = pb;
    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

static uint64_t a_of(const void *e)
{
    return ((const am_edge *)e)->a;
}

static const am_order by_a = {by_a_then_b, a_of};

static char *work_name(const char *labels, const char *suffix)
{
    return am_strdup_printf("%s%s", labels, suffix);
}

/* The edges of one a, read from a sorted file. */
typedef struct group_reader {
    am_spill_reader r;
    const am_edge *at, *end;
    am_edge *group;
    size_t n, cap;
} group_reader;

/* Fills g->group with the next run of edges sharing a, without exact
 * repeats; g->n = 0 at the end. */
static am_status next_group(group_reader *g, am_err *err)
{
    g->n = 0;
    for (;;) {
        if (g->at == g->end) {
            const void *items;
            size_t n;
            const am_status st = am_spill_next(&g->r, &items, &n, err);
            if (st != AM_OK)
                return st;
            if (n == 0)
                return AM_OK;
            g->at = items;
            g->end = g->at + n;
        }
        if (g->n && g->at->a != g->group[0].a)
            return AM_OK;
        if (!g->n || g->at->b != g->group[g->n - 1].b) {
            if (!am_reserve_array((void **)&g->group, &g->cap, g->n + 1, sizeof *g->group))
                return am_fail(err, AM_ERR_NOMEM, "out of memory grouping households");
            g->group[g->n++] = *g->at;
        }
        g->at++;
    }
}

/* One half-pass: the sorted file in, grouped by a, becomes out with each
 * edge turned round (a and b swapped) and labelled with its group's least
 * label; old keeps what the turned edge's new a had (by_person) or the
 * new label (by household).  Also writes labels when labels_out is set.
 * *changed is set when some group's least label is below its old one. */
static am_status relabel(const char *in, const char *out, int by_person, const char *labels_out,
                         int *changed, am_err *err)
{
    group_reader g = {0};
    am_spill_writer w = {.fd = -1}, lw = {.fd = -1};
    am_status st = am_spill_open(&g.r, in, sizeof(am_edge), err);
    if (st == AM_OK)
        st = am_spill_create(&w, out, sizeof(am_edge), WRITE_BUFFER, err);
    if (st == AM_OK && labels_out)
        st = am_spill_create(&lw, labels_out, sizeof(am_label), WRITE_BUFFER, err);
    while (st == AM_OK && (st = next_group(&g, err)) == AM_OK && g.n) {
        uint64_t least = g.group[0].label;
        for (size_t i = 1; i < g.n; i++)
            if (g.group[i].label < least)
                least = g.group[i].label;
        if (by_person && least != g.group[0].old)
            *changed = 1;
        for (size_t i = 0; i < g.n && st == AM_OK; i++) {
            const am_edge e = {.a = g.group[i].b, .b = g.group[i].a, .label = least,
                               .old = by_person ? least : g.group[i].label};
            st = am_spill_write(&w, &e, 1, err);
        }
        if (st == AM_OK && labels_out) {
            const am_label l = {g.group[0].a, least};
            st = am_spill_write(&lw, &l, 1, err);
        }
    }
    am_spill_close(&g.r);
    am_free(g.group);
    if (st == AM_OK) {
        st = am_spill_finish(&w, err);
        if (labels_out)
            st = st == AM_OK ? am_spill_finish(&lw, err) : (am_spill_discard(&lw), st);
    } else {
        am_spill_discard(&w);
        am_spill_discard(&lw);
    }
    unlink(in);
    return st;
}

am_status am_components(const char *edges, const char *labels, size_t memory, unsigned *passes,
                        am_err *err)
{
    char *by_h = work_name(labels, ".by-household"), *turned = work_name(labels, ".turned"),
         *by_p = work_name(labels, ".by-person"), *next = work_name(labels, ".edges");
    am_status st = by_h && turned && by_p && next
                       ? AM_OK
                       : am_fail(err, AM_ERR_NOMEM, "out of memory naming work files");
    const char *current = edges;
    *passes = 0;
    for (int changed = 1; st == AM_OK && changed;) {
        changed = 0;
        ++*passes;
        st = am_extsort(current, by_h, sizeof(am_edge), &by_a, memory, err);
        if (st == AM_OK)
            st = relabel(by_h, turned, 0, NULL, &changed, err);
        if (st == AM_OK)
            st = am_extsort(turned, by_p, sizeof(am_edge), &by_a, memory, err);
        if (st == AM_OK)
            st = relabel(by_p, next, 1, labels, &changed, err);
        current = next;
        if (st == AM_OK && changed)
            unlink(labels);
    }
    if (by_h) {
        unlink(by_h);
        unlink(turned);
        unlink(by_p);
        unlink(next);
    }
    if (st != AM_OK)
        unlink(labels);
    am_free(by_h);
    am_free(turned);
    am_free(by_p);
    am_free(next);
    return st;
}
