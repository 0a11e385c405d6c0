/*
 * test_alloc.c — known answers for the growing arrays' capacities and
 * for am_prefault (common/alloc.c): what is reserved, what is kept, and
 * which pages are resident after a prefault.
 */
#define _DEFAULT_SOURCE /* mincore, MAP_ANONYMOUS */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/alloc.h"
#include "check_run.h"

#define MB ((size_t)1 << 20)

/* An array of `size`-byte elements, first asked for `first` elements
 * (none: 0), has capacity `first_cap`; then asked for `need`, `want`. */
static const struct {
    size_t size, first, first_cap, need, want;
} capacity_kats[] = {
    {4, 0, 0, 1, 16},
    {4, 0, 0, 16, 16},
    {4, 0, 0, 17, 32},
    {4, 16, 16, 17, 32},
    {4, 32, 32, 1000, 1024},
    /* half a megabyte: doubling still */
    {4, 0, 0, MB / 8 - 1, MB / 8},
    /* a megabyte: 40 MB at once */
    {4, 0, 0, MB / 4, 40 * MB / 4},
    {4, MB / 8, MB / 8, MB / 8 + 1, 40 * MB / 4},
    {28, 0, 0, 40000, 40 * MB / 28},
    {44, 0, 0, 500000, 40 * MB / 44},
    /* past 40 MB: doubling again */
    {4, MB / 4, 40 * MB / 4, 40 * MB / 4 + 1, 80 * MB / 4},
    {44, 0, 0, 1000000, 1u << 20},
    {1, 0, 0, 48 * MB, 64 * MB},
    /* fits: unchanged */
    {8, 100, 128, 128, 128},
    {8, 100, 128, 0, 128},
};

START_TEST(test_capacity_kat)
{
    const size_t size = capacity_kats[_i].size;
    unsigned char *array = NULL;
    size_t capacity = 0;
    if (capacity_kats[_i].first)
        ck_assert_int_eq(am_reserve_array(&array, &capacity, capacity_kats[_i].first, size), 1);
    ck_assert_uint_eq(capacity, capacity_kats[_i].first_cap);
    const size_t kept = capacity_kats[_i].first * size;
    if (kept) {
        memset(array, 0xA5, kept);
        array[0] = 1;
        array[kept - 1] = 2;
    }
    ck_assert_int_eq(am_reserve_array(&array, &capacity, capacity_kats[_i].need, size), 1);
    ck_assert_uint_eq(capacity, capacity_kats[_i].want);
    if (kept) {
        ck_assert_uint_eq(array[0], 1);
        ck_assert_uint_eq(array[kept / 2], 0xA5);
        ck_assert_uint_eq(array[kept - 1], 2);
    }
    am_free(array);
}
END_TEST

START_TEST(test_capacity_overflow)
{
    unsigned char *array = NULL;
    size_t capacity = 0;
    ck_assert_int_eq(am_reserve_array(&array, &capacity, SIZE_MAX / 2 + 2, 1), 0);
    ck_assert_int_eq(am_reserve_array(&array, &capacity, SIZE_MAX / 8, 16), 0);
    ck_assert_ptr_null(array);
    ck_assert_uint_eq(capacity, 0);
}
END_TEST

/* How many of the n pages from p are resident. */
static size_t resident_pages(void *p, size_t n)
{
    unsigned char *vec = malloc(n);
    ck_assert_ptr_nonnull(vec);
    ck_assert_int_eq(mincore(p, n * (size_t)sysconf(_SC_PAGESIZE), vec), 0);
    size_t resident = 0;
    for (size_t i = 0; i < n; i++)
        resident += vec[i] & 1;
    free(vec);
    return resident;
}

START_TEST(test_prefault_makes_pages_resident)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE), pages = 64;
    unsigned char *map = mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(map, MAP_FAILED);
    ck_assert_uint_eq(resident_pages(map, pages), 0);
    /* A range from the middle of page 2 to the middle of page 40: the
     * whole pages it lies in become resident, no others. */
    am_prefault(map + 2 * page + 100, 38 * page);
    ck_assert_uint_eq(resident_pages(map, 2), 0);
    ck_assert_uint_eq(resident_pages(map + 2 * page, 39), 39);
    ck_assert_uint_eq(resident_pages(map + 41 * page, pages - 41), 0);
    /* Under 64 KB: left to fault as written. */
    am_prefault(map + 50 * page, 15 * page);
    ck_assert_uint_eq(resident_pages(map + 50 * page, 14), 0);
    /* Read last: a read maps the zero page, which counts as resident. */
    static const unsigned char zeros[4096];
    for (size_t i = 0; i < pages; i++)
        ck_assert_int_eq(memcmp(map + i * page, zeros, page < sizeof zeros ? page : sizeof zeros), 0);
    ck_assert_int_eq(munmap(map, pages * page), 0);
}
END_TEST

START_TEST(test_prefault_keeps_contents)
{
    const size_t n = 3 * MB + 12345;
    unsigned char *block = am_malloc(n);
    ck_assert_ptr_nonnull(block);
    for (size_t i = 0; i < n; i++)
        block[i] = (unsigned char)(i * 7 + 3);
    am_prefault(block, n);
    am_prefault(block + 1, n - 1);
    am_prefault(NULL, n);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++)
        differ += block[i] != (unsigned char)(i * 7 + 3);
    ck_assert_uint_eq(differ, 0);
    am_free(block);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("arrays");
    tcase_add_loop_test(tc, test_capacity_kat, 0,
                        (int)(sizeof capacity_kats / sizeof *capacity_kats));
    tcase_add_test(tc, test_capacity_overflow);
    suite_add_tcase(s, tc);
    tc = tcase_create("prefault");
    tcase_add_test(tc, test_prefault_makes_pages_resident);
    tcase_add_test(tc, test_prefault_keeps_contents);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
