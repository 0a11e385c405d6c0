/*
 * components.c — connected components of the household graph (see
 * components.h): in memory by union-find over the households persons
 * join when they fit, else by label propagation over sorted spill files.
 *
 * A component's label is the least household key in it.
 *
 * In memory, the edges are taken as the partition buckets give them,
 * grouped by the person key's top byte, and never written to a file (at
 * 32 bytes an edge, the file cost more than the joining): one group at a
 * time is sorted by person, and a person's households are joined.  Only
 * households are nodes, and only those a person joins to another: most
 * persons have one household, which then needs no node, its key being its
 * set's label unless another person joins it (in the 10M bench county, a
 * few thousand of 3.5M households).  A node and its place in the hash
 * table take 20 to 36 bytes, as the arrays double.  Of two sets
 * joined, the one whose root has the lesser key takes the other, so a
 * root's key is its set's label; keys are keyed hashes, so this is
 * linking by random priority, as good as by rank without a rank to keep
 * (and the node is 12 bytes).  As it joins, the reading writes each
 * person's first household's key to a work file; once every household is
 * joined, that file, read in turn, gives each person the key of their
 * household's root, or the household's own key when it has no node,
 * without a second look at the edges.
 *
 * Propagation, when the joined households do not fit: the edges are written to a
 * file, each labelled with its household's key, and every pass sorts the
 * edges by household and gives each household the least label of its
 * persons (but the first, where that is its own key), then sorts them by
 * person and gives each person the least label of its households.
 * Labels only fall, and each pass carries the least one of a component
 * two steps further, so a pass that changes no person's label is the
 * last (not the first: until it, a person has no label of their own to
 * compare with).  Nothing is kept in memory per
 * person or household: a pass holds one group of edges.
 */
#include "store/components.h"

#include <stdlib.h>
#include <unistd.h>

#include "common/alloc.h"
#include "store/extsort.h"
#include "store/key_sort.h"
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

/* ------------------------------------------------------------------ */
/* In memory                                                            */

typedef struct person_household {
    uint64_t person, household;
} person_household;

static int by_person_then_household(const void *pa, const void *pb)
{
    const person_household *x = pa, *y = pb;
    if (x->person != y->person)
        return x->person < y->person ? -1 : 1;
    return x->household < y->household ? -1 : x->household > y->household;
}

static uint64_t person_of(const void *p)
{
    return ((const person_household *)p)->person;
}

static const am_order by_person = {by_person_then_household, person_of};

/* A household in the forest: its fields together, as a join reads them
 * all and every node it reaches is a cache miss; the key in two halves so
 * that a node takes 12 bytes, not 16. */
typedef struct forest_node {
    uint32_t key_low, key_high; /* the household's */
    uint32_t parent;            /* its root's once flattened */
} forest_node;

static uint64_t key_of(const forest_node *v)
{
    return (uint64_t)v->key_high << 32 | v->key_low;
}

/* Households as a union-find forest, found by key through an open
 * addressing table, and the edges of one group of persons. */
typedef struct forest {
    uint32_t *slot;  /* node + 1, 0 empty; 1 << bits of them */
    unsigned bits;
    forest_node *node;
    size_t n, cap;
    person_household *group;
    size_t ngroup, group_cap;
    int group_byte;         /* the person key's top byte of the group, -1 before the first */
    size_t memory;          /* what all of it may take */
    am_spill_writer *persons; /* each person's first household, in person order */
} forest;

static size_t forest_bytes(const forest *f, unsigned bits, size_t cap, size_t group_cap)
{
    return ((size_t)sizeof(uint32_t) << bits) + cap * sizeof(forest_node) +
           group_cap * sizeof(person_household);
}

static void forest_free(forest *f)
{
    am_free(f->slot);
    am_free(f->node);
    am_free(f->group);
}

static size_t slot_of(const forest *f, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15u) >> (64 - f->bits));
}

/* AM_ERR_LIMIT when the doubled table would not fit in f->memory. */
static am_status grow_slots(forest *f)
{
    const unsigned bits = f->bits ? f->bits + 1 : 12;
    if (forest_bytes(f, bits, f->cap, f->group_cap) > f->memory)
        return AM_ERR_LIMIT;
    uint32_t *slot = am_calloc((size_t)1 << bits, sizeof *slot);
    if (!slot)
        return AM_ERR_NOMEM;
    am_free(f->slot);
    f->slot = slot;
    f->bits = bits;
    const size_t mask = ((size_t)1 << bits) - 1;
    for (size_t i = 0; i < f->n; i++) {
        size_t s = slot_of(f, key_of(&f->node[i]));
        while (slot[s])
            s = (s + 1) & mask;
        slot[s] = (uint32_t)(i + 1);
    }
    return AM_OK;
}

/* At most five eighths of the slots are full: a look-up that finds its
 * household takes 1.8 probes on average, one that does not 4 (each probe
 * a 4-byte slot, most in one cache line), and 70M households need no
 * more than 2^27 slots. */
static int slots_full(size_t nodes, unsigned bits)
{
    return 8 * nodes > 5 * ((size_t)1 << bits);
}

/* Doubles the nodes' room, or takes less: no more than fit in f->memory
 * together with the slots so many nodes will need (slots_full) and
 * the group's present room, so that a doubling does not crowd out the
 * slots' (a group that grows later may still not fit).  AM_ERR_LIMIT when
 * not one more fits. */
static am_status grow_nodes(forest *f)
{
    size_t cap = f->cap ? f->cap * 2 : 1024;
    if (cap >= UINT32_MAX)
        cap = UINT32_MAX - 1;
    size_t most = 0;
    for (unsigned bits = f->bits; bits < 32; bits++) {
        const size_t fixed = forest_bytes(f, bits, 0, f->group_cap);
        if (fixed >= f->memory)
            break;
        const size_t fits = (f->memory - fixed) / sizeof(forest_node),
                     held = ((size_t)5 << bits) / 8;
        const size_t c = fits < held ? fits : held;
        if (c > most)
            most = c;
    }
    if (most < cap)
        cap = most;
    if (cap <= f->cap)
        return AM_ERR_LIMIT;
    forest_node *node = am_realloc(f->node, cap * sizeof *node);
    if (!node)
        return AM_ERR_NOMEM;
    f->node = node;
    f->cap = cap;
    return AM_OK;
}

/* The slot that holds household key, or the empty one where it would go
 * (the table has slots: f->bits > 0). */
static size_t probe(const forest *f, uint64_t key)
{
    const size_t mask = ((size_t)1 << f->bits) - 1;
    size_t s = slot_of(f, key);
    while (f->slot[s] && key_of(&f->node[f->slot[s] - 1]) != key)
        s = (s + 1) & mask;
    return s;
}

/* The node of household key, UINT32_MAX when it has none (an empty
 * slot's 0, less one). */
static uint32_t node_held(const forest *f, uint64_t key)
{
    return f->bits ? f->slot[probe(f, key)] - 1 : UINT32_MAX;
}

/* The node of household key, made (a set of its own) when the household
 * is new. */
static am_status node_of(forest *f, uint64_t key, uint32_t *node)
{
    am_status st;
    if (!f->bits && (st = grow_slots(f)) != AM_OK)
        return st;
    const size_t s = probe(f, key);
    if (f->slot[s]) {
        *node = f->slot[s] - 1;
        return AM_OK;
    }
    if (f->n == f->cap && (st = grow_nodes(f)) != AM_OK)
        return st;
    if (slots_full(f->n + 1, f->bits)) {
        if ((st = grow_slots(f)) != AM_OK)
            return st;
        return node_of(f, key, node);
    }
    const uint32_t i = (uint32_t)f->n++;
    f->slot[s] = i + 1;
    f->node[i] = (forest_node){(uint32_t)key, (uint32_t)(key >> 32), i};
    *node = i;
    return AM_OK;
}

static uint32_t find_root(forest *f, uint32_t x)
{
    forest_node *v = f->node;
    while (v[x].parent != x) {
        v[x].parent = v[v[x].parent].parent; /* path halving */
        x = v[x].parent;
    }
    return x;
}

/* Roots a and b joined under the one with the lesser key. */
static uint32_t unite(forest *f, uint32_t a, uint32_t b)
{
    if (a == b)
        return a;
    forest_node *v = f->node;
    if (key_of(&v[b]) < key_of(&v[a])) {
        const uint32_t t = a;
        a = b;
        b = t;
    }
    v[b].parent = a;
    return a;
}

/* Each person of the group joins their households, and their first
 * household's key is written for the labelling.  A person of one
 * household joins nothing, so their household needs no node: it is in
 * the forest only if some other person joins it to another. */
static am_status join_group(forest *f, am_err *err)
{
    for (size_t b = 0, e; b < f->ngroup; b = e) {
        const uint64_t person = f->group[b].person;
        am_status st = am_spill_write(f->persons, &(am_label){person, f->group[b].household}, 1,
                                      err);
        uint32_t root = UINT32_MAX;
        for (e = b + 1; st == AM_OK && e < f->ngroup && f->group[e].person == person; e++) {
            if (f->group[e].household == f->group[e - 1].household)
                continue;
            uint32_t node;
            if (root == UINT32_MAX) {
                if ((st = node_of(f, f->group[b].household, &node)) != AM_OK)
                    break;
                root = find_root(f, node);
            }
            if ((st = node_of(f, f->group[e].household, &node)) != AM_OK)
                break;
            root = unite(f, root, find_root(f, node));
        }
        if (st != AM_OK)
            return st;
    }
    return AM_OK;
}

/* Once every household is joined: every node's parent its root, so that
 * labelling climbs one step. */
static void flatten(forest *f)
{
    for (uint32_t i = 0; i < f->n; i++)
        f->node[i].parent = find_root(f, i);
}

/* The group's edges sorted by person and joined. */
static am_status end_group(forest *f, am_err *err)
{
    if (!f->ngroup)
        return AM_OK;
    person_household tmp;
    am_key_sort(f->group, f->ngroup, sizeof *f->group, &by_person, &tmp);
    const am_status st = join_group(f, err);
    f->ngroup = 0;
    return st;
}

/* Look-ups ahead in the labelling, as each is a cache miss when the
 * forest is large: the slot of the household 3 * AHEAD persons on, the
 * node its first slot names 2 * AHEAD on, and that node's root AHEAD on
 * (each read by then), so that the misses overlap.  Only hints: the
 * first slot may name another household.  Written in the loop, not in a
 * function of their own: GCC finds a function that only prefetches pure,
 * and drops the calls. */
enum { AHEAD = 8 };

/* Labelling: each person's label from the work file of their first
 * households, the key of the household's root, or the household's own key
 * when it has no node. */
typedef struct labelling {
    const forest *f;
    am_spill_writer w;
} labelling;

static am_status label_persons(void *user, const void *items, size_t n, am_err *err)
{
    labelling *l = user;
    const forest *f = l->f;
    const am_label *v = items;
    am_status st = AM_OK;
    for (size_t i = 0; st == AM_OK && i < n; i++) {
        uint64_t label = v[i].label;
        if (f->bits) {
            uint32_t s;
            if (i + 3 * AHEAD < n)
                __builtin_prefetch(&f->slot[slot_of(f, v[i + 3 * AHEAD].label)]);
            if (i + 2 * AHEAD < n && (s = f->slot[slot_of(f, v[i + 2 * AHEAD].label)]))
                __builtin_prefetch(&f->node[s - 1]);
            if (i + AHEAD < n && (s = f->slot[slot_of(f, v[i + AHEAD].label)]))
                __builtin_prefetch(&f->node[f->node[s - 1].parent]);
            const uint32_t node = node_held(f, label);
            if (node != UINT32_MAX)
                label = key_of(&f->node[f->node[node].parent]);
        }
        st = am_spill_write(&l->w, &(am_label){v[i].person, label}, 1, err);
    }
    return st;
}

/* Edges gathered into the forest's group, which ends (end_group) where
 * the person key's top byte changes; AM_ERR_LIMIT when a group would not
 * fit or the groups are not in ascending order (edges not written bucket
 * by bucket). */
static am_status gather_edges(void *user, const void *items, size_t n, am_err *err)
{
    forest *f = user;
    const am_edge *e = items;
    am_status st = AM_OK;
    for (size_t i = 0; st == AM_OK && i < n; i++) {
        const int top = (int)(e[i].b >> 56);
        if (top != f->group_byte) {
            if (top < f->group_byte)
                st = AM_ERR_LIMIT;
            else
                st = end_group(f, err);
            f->group_byte = top;
        }
        if (st == AM_OK && f->ngroup == f->group_cap) {
            const size_t cap = f->group_cap ? f->group_cap * 2 : 4096;
            person_household *g;
            if (forest_bytes(f, f->bits, f->cap, cap) > f->memory)
                st = AM_ERR_LIMIT;
            else if (!(g = am_realloc(f->group, cap * sizeof *g)))
                st = AM_ERR_NOMEM;
            else {
                f->group = g;
                f->group_cap = cap;
            }
        }
        if (st == AM_OK)
            f->group[f->ngroup++] = (person_household){e[i].b, e[i].a};
    }
    return st;
}

/* The components in memory, when they fit in memory bytes: AM_OK,
 * AM_ERR_LIMIT (nothing written: propagation takes over), AM_ERR_NOMEM,
 * AM_ERR_IO or the source's failure.  Out of memory within the limit is
 * a failure like any other, not a reason to propagate: the machine has
 * less memory than the run was told it may use. */
static am_status in_memory(const am_edge_source *edges, const char *labels, size_t memory,
                           am_err *err)
{
    char *persons = work_name(labels, ".persons");
    if (!persons)
        return am_fail(err, AM_ERR_NOMEM, "out of memory naming work files");
    am_spill_writer w;
    forest f = {.memory = memory, .group_byte = -1, .persons = &w};
    am_status st = am_spill_create(&w, persons, sizeof(am_label), WRITE_BUFFER, err);
    if (st == AM_OK) {
        st = edges->each(edges->user, gather_edges, &f, err);
        if (st == AM_OK)
            st = end_group(&f, err);
        st = am_spill_end(&w, st, err);
    }
    if (st == AM_OK) {
        flatten(&f);
        labelling l = {&f, {.fd = -1}};
        st = am_spill_create(&l.w, labels, sizeof(am_label), WRITE_BUFFER, err);
        if (st == AM_OK)
            st = am_spill_each(persons, sizeof(am_label), label_persons, &l, err);
        st = am_spill_end(&l.w, st, err);
    }
    if (st == AM_ERR_NOMEM)
        st = am_fail(err, st, "out of memory joining households");
    forest_free(&f);
    unlink(persons);
    am_free(persons);
    return st;
}

/* ------------------------------------------------------------------ */
/* By propagation                                                       */

static am_status propagate(const char *edges, const char *labels, size_t memory,
                           unsigned *passes, am_err *err)
{
    char *by_h = work_name(labels, ".by-household"), *turned = work_name(labels, ".turned"),
         *by_p = work_name(labels, ".by-person"), *next = work_name(labels, ".edges");
    am_status st = by_h && turned && by_p && next
                       ? AM_OK
                       : am_fail(err, AM_ERR_NOMEM, "out of memory naming work files");
    *passes = 0;
    for (int changed = 1; st == AM_OK && changed;) {
        changed = *passes == 0;
        /* The first pass starts at the persons: its households' labels
         * would only be their own keys again. */
        const char *person_first = edges;
        if (++*passes > 1) {
            st = am_extsort(next, by_h, sizeof(am_edge), &by_a, memory, err);
            if (st == AM_OK)
                st = relabel(by_h, turned, 0, NULL, &changed, err);
            person_first = turned;
        }
        if (st == AM_OK)
            st = am_extsort(person_first, by_p, sizeof(am_edge), &by_a, memory, err);
        if (st == AM_OK)
            st = relabel(by_p, next, 1, labels, &changed, err);
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

/* The edges turned round (the person first, as the first pass sorts them
 * by person), each labelled with its household's key. */
static am_status write_edges(void *user, const void *items, size_t n, am_err *err)
{
    const am_edge *e = items;
    am_status st = AM_OK;
    for (size_t i = 0; st == AM_OK && i < n; i++)
        st = am_spill_write(user, &(am_edge){e[i].b, e[i].a, e[i].a, e[i].a}, 1, err);
    return st;
}

am_status am_components(const am_edge_source *edges, const char *labels, size_t memory,
                        unsigned *passes, am_err *err)
{
    *passes = 0;
    am_status st = in_memory(edges, labels, memory, err);
    if (st != AM_ERR_LIMIT)
        return st;
    char *file = work_name(labels, ".graph");
    if (!file)
        return am_fail(err, AM_ERR_NOMEM, "out of memory naming work files");
    am_spill_writer w;
    st = am_spill_create(&w, file, sizeof(am_edge), WRITE_BUFFER, err);
    if (st == AM_OK)
        st = am_spill_end(&w, edges->each(edges->user, write_edges, &w, err), err);
    if (st == AM_OK)
        st = propagate(file, labels, memory / 2, passes, err);
    unlink(file);
    am_free(file);
    return st;
}
