/*
 * link_input.c — the lists reading gathers for linking (see link_input.h).
 */
#include "read/link_input.h"

#include <sodium.h>
#include <string.h>

#include "common/alloc.h"

am_status am_link_push(am_link_list *list, const am_link_row *row)
{
    if (!AM_RESERVE(list->v, list->cap, list->n + 1))
        return AM_ERR_NOMEM;
    list->v[list->n++] = *row;
    return AM_OK;
}

am_status am_link_push_person(am_link_people *people, const am_link_person *person)
{
    if (!AM_RESERVE(people->v, people->cap, people->n + 1))
        return AM_ERR_NOMEM;
    people->v[people->n++] = *person;
    return AM_OK;
}

am_status am_link_push_sampled(am_link_samples *samples, const am_link_sampled *row)
{
    if (!AM_RESERVE(samples->v, samples->cap, samples->n + 1))
        return AM_ERR_NOMEM;
    samples->v[samples->n++] = *row;
    return AM_OK;
}

static int by_feed_line(const void *pa, const void *pb)
{
    const am_link_sampled *a = pa, *b = pb;
    if (a->feed != b->feed)
        return a->feed < b->feed ? -1 : 1;
    return (a->line > b->line) - (a->line < b->line);
}

void am_link_samples_trim(am_link_samples *samples)
{
    if (samples->n == 0)
        return;
    if (samples->n > 1)
        qsort(samples->v, samples->n, sizeof *samples->v, by_feed_line);
    size_t kept = 0, of_feed = 0;
    for (size_t i = 0; i < samples->n; i++) {
        of_feed = i && samples->v[i].feed == samples->v[i - 1].feed ? of_feed + 1 : 0;
        if (of_feed < AM_LINK_SAMPLE_PER_FEED)
            samples->v[kept++] = samples->v[i];
    }
    sodium_memzero(samples->v + kept, (samples->n - kept) * sizeof *samples->v);
    samples->n = kept;
}

am_status am_link_push_candidates(am_link_input *in, const am_link_candidate *c, size_t n)
{
    if (!AM_RESERVE(in->candidates, in->candidates_cap, in->ncandidates + n))
        return AM_ERR_NOMEM;
    memcpy(in->candidates + in->ncandidates, c, n * sizeof *c);
    in->ncandidates += n;
    return AM_OK;
}

static void fill_people(am_link_person *dst, am_link_people *src, const uint32_t *refs)
{
    for (size_t i = 0; i < src->n; i++) {
        dst[i] = src->v[i];
        if (dst[i].household)
            dst[i].household = refs[dst[i].household - 1];
    }
    if (src->n)
        sodium_memzero(src->v, src->n * sizeof *src->v);
    src->n = 0;
}

static void fill_samples(am_link_sampled *dst, am_link_samples *src, const uint32_t *refs)
{
    for (size_t i = 0; i < src->n; i++) {
        dst[i] = src->v[i];
        if (dst[i].p.household)
            dst[i].p.household = refs[dst[i].p.household - 1];
    }
    if (src->n)
        sodium_memzero(src->v, src->n * sizeof *src->v);
    src->n = 0;
}

static void fill_list(am_link_row *dst, am_link_list *src, const uint32_t *refs, uint32_t offset)
{
    for (size_t i = 0; i < src->n; i++) {
        dst[i] = src->v[i];
        if (dst[i].rec.household)
            dst[i].rec.household = refs[dst[i].rec.household - 1];
        dst[i].first += offset;
    }
    if (src->n)
        sodium_memzero(src->v, src->n * sizeof *src->v);
    src->n = 0;
}

void am_link_person_spilled(const am_link_person *p, const unsigned char *household,
                            am_link_spilled_person *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->person, p->person, AM_TOKEN_BYTES);
    memcpy(&out->name, &p->name, sizeof out->name);
    if (household) {
        memcpy(out->household, household, AM_TOKEN_BYTES);
        out->has_household = 1;
    }
}

int am_link_input_fits(const am_link_input *dst, const am_link_input *src)
{
    return dst->held.n + src->held.n <= dst->held.cap &&
           dst->registry.n + src->registry.n <= dst->registry.cap &&
           dst->sample.n + src->sample.n <= dst->sample.cap &&
           dst->ncandidates + src->ncandidates <= dst->candidates_cap;
}

am_status am_link_input_claim(am_link_input *dst, am_link_input *src, am_link_claim *claim)
{
    if (!AM_RESERVE(dst->held.v, dst->held.cap, dst->held.n + src->held.n) ||
        !AM_RESERVE(dst->registry.v, dst->registry.cap, dst->registry.n + src->registry.n) ||
        !AM_RESERVE(dst->sample.v, dst->sample.cap, dst->sample.n + src->sample.n) ||
        !AM_RESERVE(dst->candidates, dst->candidates_cap, dst->ncandidates + src->ncandidates))
        return AM_ERR_NOMEM;
    /* A list never grown is NULL, to which not even 0 may be added. */
    *claim = (am_link_claim){
        .held = dst->held.v ? dst->held.v + dst->held.n : NULL,
        .registry = dst->registry.v ? dst->registry.v + dst->registry.n : NULL,
        .sample = dst->sample.v ? dst->sample.v + dst->sample.n : NULL,
        .candidates = dst->candidates ? dst->candidates + dst->ncandidates : NULL,
        .first_candidate = (uint32_t)dst->ncandidates};
    dst->held.n += src->held.n;
    dst->registry.n += src->registry.n;
    dst->sample.n += src->sample.n;
    dst->ncandidates += src->ncandidates;
    for (size_t r = 0; r < AM_REJECT__COUNT; r++) {
        dst->no_repair[r] += src->no_repair[r];
        src->no_repair[r] = 0;
    }
    return AM_OK;
}

void am_link_input_fill(am_link_input *src, const am_link_claim *claim, const uint32_t *refs)
{
    if (src->registry.n)
        am_prefault(claim->registry, src->registry.n * sizeof *src->registry.v);
    if (src->held.n)
        am_prefault(claim->held, src->held.n * sizeof *src->held.v);
    if (src->ncandidates) {
        am_prefault(claim->candidates, src->ncandidates * sizeof *src->candidates);
        memcpy(claim->candidates, src->candidates, src->ncandidates * sizeof *src->candidates);
    }
    src->ncandidates = 0;
    fill_list(claim->held, &src->held, refs, claim->first_candidate);
    fill_people(claim->registry, &src->registry, refs);
    fill_samples(claim->sample, &src->sample, refs);
}

am_status am_link_input_move(am_link_input *dst, am_link_input *src, const uint32_t *refs)
{
    am_link_claim claim;
    const am_status st = am_link_input_claim(dst, src, &claim);
    if (st == AM_OK)
        am_link_input_fill(src, &claim, refs);
    return st;
}

static void wipe_free(void *v, size_t bytes)
{
    if (v)
        sodium_memzero(v, bytes);
    am_free(v);
}

void am_link_input_free(am_link_input *in)
{
    wipe_free(in->held.v, in->held.n * sizeof *in->held.v);
    wipe_free(in->registry.v, in->registry.n * sizeof *in->registry.v);
    wipe_free(in->sample.v, in->sample.n * sizeof *in->sample.v);
    am_free(in->candidates);
    *in = (am_link_input){0};
}
