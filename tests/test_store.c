/* The record store: household interning one at a time and in batches,
 * and the in-place sort against a plain reference sort. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "check_run.h"

/* A deterministic generator, so a failure reproduces. */
static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static void random_token(uint64_t *state, unsigned char token[AM_TOKEN_BYTES])
{
    const uint64_t a = next_random(state), b = next_random(state);
    memcpy(token, &a, 8);
    memcpy(token + 8, &b, 8);
}

START_TEST(token_order_is_byte_order)
{
    static const struct {
        unsigned char a[AM_TOKEN_BYTES], b[AM_TOKEN_BYTES];
        int sign;
    } cases[] = {
        {{0}, {0}, 0},
        {{1}, {0}, 1},
        {{0, 0, 0, 0, 0, 0, 0, 1}, {1}, -1},
        {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 1},
        {{0xff}, {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 1},
        {{5, 0, 0, 0, 0, 0, 0, 0, 9}, {5, 0, 0, 0, 0, 0, 0, 0, 0x80}, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const int c = am_token_cmp(cases[i].a, cases[i].b);
        ck_assert_msg((c > 0) - (c < 0) == cases[i].sign, "case %zu", i);
        ck_assert_int_eq(am_token_eq(cases[i].a, cases[i].b), cases[i].sign == 0);
    }
    uint64_t state = 42;
    for (int i = 0; i < 10000; i++) {
        unsigned char a[AM_TOKEN_BYTES], b[AM_TOKEN_BYTES];
        random_token(&state, a);
        memcpy(b, a, sizeof b);
        b[next_random(&state) % AM_TOKEN_BYTES] ^= (unsigned char)(1 + next_random(&state) % 255);
        const int want = memcmp(a, b, AM_TOKEN_BYTES), got = am_token_cmp(a, b);
        ck_assert_int_eq((got > 0) - (got < 0), (want > 0) - (want < 0));
    }
}
END_TEST

START_TEST(households_batch_equals_one_at_a_time)
{
    enum { DISTINCT = 5000, LOOKUPS = 40000 };
    unsigned char (*pool)[AM_TOKEN_BYTES] = malloc(DISTINCT * sizeof *pool);
    unsigned char (*asked)[AM_TOKEN_BYTES] = malloc(LOOKUPS * sizeof *asked);
    uint32_t *one = malloc(LOOKUPS * sizeof *one), *many = malloc(LOOKUPS * sizeof *many);
    ck_assert_ptr_nonnull(pool);
    ck_assert_ptr_nonnull(asked);
    ck_assert_ptr_nonnull(one);
    ck_assert_ptr_nonnull(many);
    uint64_t state = 7;
    for (int i = 0; i < DISTINCT; i++)
        random_token(&state, pool[i]);
    for (int i = 0; i < LOOKUPS; i++)
        memcpy(asked[i], pool[next_random(&state) % DISTINCT], AM_TOKEN_BYTES);
    am_store a = {0}, b = {0};
    for (int i = 0; i < LOOKUPS; i++)
        ck_assert_int_eq(am_store_household(&a, asked[i], &one[i]), AM_OK);
    /* In uneven pieces, so that the table grows between and within them. */
    for (size_t at = 0, piece = 1; at < LOOKUPS; at += piece, piece = piece * 3 + 1) {
        const size_t n = at + piece > LOOKUPS ? LOOKUPS - at : piece;
        ck_assert_int_eq(am_store_households(&b, asked[at], n, many + at), AM_OK);
    }
    ck_assert_uint_eq(a.nhouseholds, b.nhouseholds);
    for (int i = 0; i < LOOKUPS; i++) {
        ck_assert_uint_eq(one[i], many[i]);
        ck_assert(one[i] >= 1 && one[i] <= a.nhouseholds);
        ck_assert(memcmp(a.households[one[i] - 1], asked[i], AM_TOKEN_BYTES) == 0);
    }
    am_store_free(&a);
    am_store_free(&b);
    free(pool);
    free(asked);
    free(one);
    free(many);
}
END_TEST

/* A cleared store keeps its memory and answers as a new one: households
 * numbered from 1 again, none of the old ones found. */
START_TEST(clear_keeps_memory_and_forgets)
{
    am_store s = {0}, fresh = {0};
    unsigned char t[3][AM_TOKEN_BYTES];
    uint64_t state = 11;
    for (int i = 0; i < 3; i++)
        random_token(&state, t[i]);
    uint32_t ref;
    const am_record r = {.code = 7};
    ck_assert_int_eq(am_store_append(&s, &r, 1), AM_OK);
    ck_assert_int_eq(am_store_household(&s, t[0], &ref), AM_OK);
    ck_assert_int_eq(am_store_household(&s, t[1], &ref), AM_OK);
    ck_assert_uint_eq(ref, 2);
    const am_record *records = s.records;
    const size_t capacity = s.capacity;
    am_store_clear(&s);
    ck_assert_uint_eq(s.count, 0);
    ck_assert_uint_eq(s.nhouseholds, 0);
    ck_assert_ptr_eq(s.records, records);
    ck_assert_uint_eq(s.capacity, capacity);
    /* t[2], then t[1]: numbered 1 and 2, as in a new store (t[1] was 2). */
    uint32_t again, anew;
    for (int i = 2; i >= 1; i--) {
        ck_assert_int_eq(am_store_household(&s, t[i], &again), AM_OK);
        ck_assert_int_eq(am_store_household(&fresh, t[i], &anew), AM_OK);
        ck_assert_uint_eq(again, anew);
    }
    ck_assert_uint_eq(s.nhouseholds, 2);
    am_store_clear(&fresh); /* a store that never held records */
    am_store_free(&s);
    am_store_free(&fresh);
    am_store zeroed = {0};
    am_store_clear(&zeroed);
    ck_assert_uint_eq(zeroed.count, 0);
}
END_TEST

static int reference_order(const void *pa, const void *pb)
{
    const am_record *a = pa, *b = pb;
    const int c = memcmp(a->person, b->person, AM_TOKEN_BYTES);
    if (c)
        return c;
    if (a->code != b->code)
        return a->code < b->code ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    if (a->feed != b->feed)
        return a->feed < b->feed ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

static int reverse_order(const void *pa, const void *pb) { return reference_order(pb, pa); }

/* How the records of check_sort() arrive. */
enum arrival {
    AT_RANDOM,
    IN_REVERSE,   /* sorted the wrong way round */
    IN_QUARTERS,  /* two first bytes, laid out so that the two-thread first pass
                     leaves half the records waiting */
    WITH_SINGLES, /* five records whose buckets hold nothing else: stripes of none */
};

/* Lays out records of two first-byte values (0 and 1) by quarters: bucket
 * 1's records where p / (n / 4) is even, bucket 0's elsewhere, as far as
 * each lasts. */
static void lay_out_in_quarters(am_record *r, size_t n)
{
    qsort(r, n, sizeof *r, reference_order);
    size_t zeros = 0;
    while (zeros < n && r[zeros].person[0] == 0)
        zeros++;
    am_record *copy = malloc(n * sizeof *copy);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, r, n * sizeof *copy);
    for (size_t p = 0, i0 = 0, i1 = zeros; p < n; p++) {
        const int want_one = p / (n / 4) % 2 == 0;
        r[p] = (want_one && i1 < n) || i0 == zeros ? copy[i1++] : copy[i0++];
    }
    free(copy);
}

/* Stores of several shapes: few records, many persons with a few records
 * each, tokens sharing long prefixes (the radix passes run out of bytes),
 * first bytes of only a few values (a few buckets take everything), and
 * one person with very many records. */
static void check_sort(size_t n, unsigned prefix_bytes, unsigned first_values, size_t persons,
                       enum arrival arrival, unsigned threads)
{
    uint64_t state = 1000 + n + prefix_bytes + first_values + persons + arrival;
    unsigned char (*tokens)[AM_TOKEN_BYTES] = malloc(persons * sizeof *tokens);
    ck_assert_ptr_nonnull(tokens);
    for (size_t p = 0; p < persons; p++) {
        random_token(&state, tokens[p]);
        memset(tokens[p], 0xab, prefix_bytes);
        if (first_values)
            tokens[p][0] = (unsigned char)(next_random(&state) % first_values);
    }
    am_store store = {0};
    for (size_t i = 0; i < n; i++) {
        am_record r = {0};
        memcpy(r.person, tokens[next_random(&state) % persons], AM_TOKEN_BYTES);
        r.code = (uint16_t)(next_random(&state) % 5);
        r.start = (int32_t)(next_random(&state) % 50);
        r.end = r.start + (int32_t)(next_random(&state) % 3);
        r.feed = (uint16_t)(next_random(&state) % 3);
        r.line = (uint32_t)i + 2;
        ck_assert_int_eq(am_store_append(&store, &r, 1), AM_OK);
    }
    if (arrival == IN_REVERSE && n > 1)
        qsort(store.records, n, sizeof *store.records, reverse_order);
    if (arrival == IN_QUARTERS && n >= 4)
        lay_out_in_quarters(store.records, n);
    for (size_t i = 0; arrival == WITH_SINGLES && i < 5 && i < n; i++)
        store.records[i * (n / 5)].person[0] = (unsigned char)(0xf0 + i);
    am_record *expected = malloc((n ? n : 1) * sizeof *expected);
    ck_assert_ptr_nonnull(expected);
    if (n) /* an empty store has no records array at all */
        memcpy(expected, store.records, n * sizeof *expected);
    if (n > 1)
        qsort(expected, n, sizeof *expected, reference_order);
    ck_assert_int_eq(am_store_sort(&store, threads), AM_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(memcmp(&store.records[i], &expected[i], sizeof *expected) == 0,
                      "n=%zu prefix=%u first=%u persons=%zu arrival=%d threads=%u: record %zu differs",
                      n, prefix_bytes, first_values, persons, (int)arrival, threads, i);
    free(expected);
    free(tokens);
    am_store_free(&store);
}

START_TEST(sort_matches_reference)
{
    const unsigned threads = (unsigned)_i + 1;
    check_sort(0, 0, 0, 1, AT_RANDOM, threads);
    check_sort(1, 0, 0, 1, AT_RANDOM, threads);
    check_sort(31, 0, 0, 10, AT_RANDOM, threads);
    check_sort(5000, 0, 0, 2000, AT_RANDOM, threads);
    check_sort(100000, 0, 0, 30000, AT_RANDOM, threads);
    check_sort(100000, 0, 0, 30000, IN_REVERSE, threads);
    check_sort(20000, 3, 0, 500, AT_RANDOM, threads);
    check_sort(20000, 15, 0, 500, AT_RANDOM, threads);
    check_sort(20000, 0, 2, 5000, AT_RANDOM, threads);
    check_sort(20000, 0, 3, 5000, IN_REVERSE, threads);
    check_sort(40000, 0, 2, 10000, IN_QUARTERS, threads);
    check_sort(10000, 1, 0, 3000, WITH_SINGLES, threads);
    check_sort(3000, 0, 0, 1, AT_RANDOM, threads);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, token_order_is_byte_order);
    tcase_add_test(tc, households_batch_equals_one_at_a_time);
    tcase_add_test(tc, clear_keeps_memory_and_forgets);
    tcase_add_loop_test(tc, sort_matches_reference, 0, 2);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
