/*
 * store.h — the compact in-memory record store every finding is made from.
 *
 * One fixed-width record per ingested row: 48 bytes, no pointers, so a
 * county of ten million rows fits in half a gigabyte and sorts in place.
 * Household IDs are interned into a table of tokens and referred to by a
 * 32-bit index.
 */
#ifndef AM_STORE_H
#define AM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/token.h"

typedef struct am_record {
    unsigned char person[AM_TOKEN_BYTES];
    int64_t amount_fen;
    int32_t start, end;  /* inclusive days; end may be AM_DAY_OPEN */
    uint32_t household;  /* index into the household table + 1; 0 = none */
    uint32_t line;       /* physical line in the feed */
    uint16_t code;       /* item or fact, in the catalogue's numbering */
    uint16_t feed;
    uint8_t value;       /* a fact's value (a disability grade), else 0 */
    uint8_t reserved[3];
} am_record;

_Static_assert(sizeof(am_record) == 48, "a record must stay 48 bytes");

typedef struct am_store {
    am_record *records;
    size_t count, capacity;
    /* Household tokens, interned: an open-addressing table of indexes
     * into households[]. */
    unsigned char (*households)[AM_TOKEN_BYTES];
    size_t nhouseholds, households_capacity;
    uint32_t *slots;
    size_t nslots;
} am_store;

/* Makes room for `more` records beyond count, so that as many can then be
 * written at records[count] on without a check.  Returns AM_OK, or
 * AM_ERR_NOMEM with the store unchanged. */
am_status am_store_reserve(am_store *store, size_t more);

/* Appends n records, copied.  Returns AM_OK, or AM_ERR_NOMEM with the
 * store unchanged. */
am_status am_store_append(am_store *store, const am_record *records, size_t n);

/* Interns a household token and returns its reference (index + 1) in *ref.
 * Returns AM_OK, AM_ERR_NOMEM, or AM_ERR_LIMIT at UINT32_MAX - 1 households. */
am_status am_store_household(am_store *store, const unsigned char token[AM_TOKEN_BYTES],
                             uint32_t *ref);

/* Interns n tokens at once, as n calls of am_store_household() would,
 * with the table's cache misses overlapped: for moving a reader's batch of
 * households into a large table.  tokens holds n tokens back to back;
 * refs[i] receives the reference of the i-th.  Returns AM_OK,
 * AM_ERR_NOMEM (nothing added), or AM_ERR_LIMIT (the tokens before the
 * first that did not fit are interned). */
am_status am_store_households(am_store *store, const unsigned char *tokens, size_t n,
                              uint32_t *refs);

/* In records sorted by person (n of them): one past the last record of
 * the person whose first record is records[i]. */
static inline size_t am_person_run_end(const am_record *records, size_t n, size_t i)
{
    size_t j = i + 1;
    while (j < n && am_token_eq(records[j].person, records[i].person))
        j++;
    return j;
}

/* In records sorted by person: `at`, or the first person boundary after
 * it, so that a cut there splits no person's records. */
static inline size_t am_person_boundary(const am_record *records, size_t n, size_t at)
{
    while (at > 0 && at < n && am_token_eq(records[at].person, records[at - 1].person))
        at++;
    return at;
}

/* The order of am_store_sort, as qsort's comparison of two am_record (or
 * of two structs that begin with one): for merging sorted runs on disk. */
int am_record_compare(const void *a, const void *b);

/* Sorts records by person, code, start, end, feed, line: the order every
 * matcher walks; with threads > 1, on two threads.  Sorts in place and
 * allocates nothing; returns AM_OK. */
am_status am_store_sort(am_store *store, unsigned threads);

/* Empties the store and keeps its memory for the records and households
 * put in next: on a virtual machine, writing pages the process already
 * holds costs a thirtieth of writing new ones (bench/RESULTS.md).  A
 * zeroed store is fine.  Cannot fail. */
void am_store_clear(am_store *store);

void am_store_free(am_store *store);

#endif
