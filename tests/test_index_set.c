/* Sets of indexes (common/index_set.h): the sparse hash table answers as
 * the dense bitmap does, through its growth, at the edges of the range
 * and of a word, and gives its members back in ascending order. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/index_set.h"
#include "check_run.h"

/* Known answers: added in this order, given back in the sorted one. */
static const size_t added[] = {63, 0, 64, 1000000 - 1, 127, 128, 5, 64, 63, 999999};
static const size_t ascending[] = {0, 5, 63, 64, 127, 128, 999999};

START_TEST(members_come_back_sorted_and_once)
{
    for (int dense = 0; dense <= 1; dense++) {
        am_index_set s;
        ck_assert(am_index_set_init(&s, 1000000, dense));
        for (size_t k = 0; k < sizeof added / sizeof *added; k++)
            ck_assert(am_index_set_add(&s, added[k]));
        ck_assert(!am_index_set_has(&s, 1));
        ck_assert(!am_index_set_has(&s, 65));
        ck_assert(am_index_set_has(&s, 999999));
        size_t at = 0, i, n = 0;
        while (am_index_set_next(&s, &at, &i)) {
            ck_assert_uint_lt(n, sizeof ascending / sizeof *ascending);
            ck_assert_uint_eq(i, ascending[n]);
            n++;
        }
        ck_assert_uint_eq(n, sizeof ascending / sizeof *ascending);
        ck_assert(!am_index_set_next(&s, &at, &i));
        am_index_set_free(&s);
    }
}
END_TEST

START_TEST(sparse_answers_as_dense_through_growth)
{
    const size_t range = 3000017;
    am_index_set dense, sparse;
    ck_assert(am_index_set_init(&dense, range, 1));
    ck_assert(am_index_set_init(&sparse, range, 0));
    uint64_t x = 88172645463325252u; /* xorshift64 */
    for (int k = 0; k < 20000; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const size_t i = (size_t)(x % range);
        ck_assert_int_eq(am_index_set_has(&sparse, i), am_index_set_has(&dense, i));
        ck_assert(am_index_set_add(&sparse, i));
        ck_assert(am_index_set_add(&dense, i));
        const size_t probe = (size_t)((x >> 20) % range);
        ck_assert_int_eq(am_index_set_has(&sparse, probe), am_index_set_has(&dense, probe));
    }
    size_t at_d = 0, at_s = 0, i_d, i_s, n = 0;
    for (;;) {
        const int more_d = am_index_set_next(&dense, &at_d, &i_d);
        const int more_s = am_index_set_next(&sparse, &at_s, &i_s);
        ck_assert_int_eq(more_d, more_s);
        if (!more_d)
            break;
        ck_assert_uint_eq(i_d, i_s);
        n++;
    }
    ck_assert_uint_eq(n, sparse.count);
    am_index_set_free(&dense);
    am_index_set_free(&sparse);
}
END_TEST

START_TEST(an_empty_set_has_nothing)
{
    for (int dense = 0; dense <= 1; dense++) {
        am_index_set s;
        ck_assert(am_index_set_init(&s, 64, dense));
        size_t at = 0, i;
        ck_assert(!am_index_set_has(&s, 0));
        ck_assert(!am_index_set_next(&s, &at, &i));
        ck_assert(am_index_set_add(&s, 63)); /* the last of the range, a word's top bit */
        ck_assert(am_index_set_has(&s, 63));
        ck_assert(!am_index_set_has(&s, 62));
        am_index_set_free(&s);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("index_set");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, members_come_back_sorted_and_once);
    tcase_add_test(tc, sparse_answers_as_dense_through_growth);
    tcase_add_test(tc, an_empty_set_has_nothing);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
