/* Findings files (match/finding_file.h): a round trip that keeps every
 * field, INT64 edges of the amounts and days, rule ids resolved to the
 * centre's own, and every damage refused: a flipped byte, each cut
 * length, another run's id, a rule the centre lacks. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "match/duplicate.h"
#include "match/finding_file.h"
#include "check_run.h"

static char dir[64], path[128];
static const unsigned char RUN[AM_RUN_ID_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static char rule_id[] = "R7", rule_source[] = "Policy 7, art. 2";
static am_rule rule = {.id = rule_id, .source = rule_source};
static const am_rules rules = {.v = &rule, .n = 1, .capacity = 1};

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/am-found-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/found-0000", dir);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

static char *dup_str(const char *s)
{
    char *c = am_malloc(strlen(s) + 1);
    ck_assert_ptr_nonnull(c);
    return strcpy(c, s);
}

/* A finding whose amount and days are given, of rule R7 or of the
 * duplicate detector. */
static void add(am_finding_list *list, int64_t amount, int64_t days, int duplicate)
{
    ck_assert_uint_lt(list->count, list->capacity);
    am_finding_rec *f = &list->v[list->count++];
    memset(f, 0, sizeof *f);
    snprintf(f->id, sizeof f->id, "%032llx", (unsigned long long)list->count);
    memset(f->subject, 'a', 32);
    strcpy(f->period_start, "2025-01-01");
    strcpy(f->period_end, "2025-12-31");
    strcpy(f->facts, "0123456789abcdef0123456789abcdef");
    f->items = dup_str(duplicate ? "MCA-DIBAO" : "MCA-DIBAO;HRSS-UNEMP");
    f->agencies = dup_str("MCA;HRSS");
    f->evidence = dup_str("mca_allowances:12;hrss_payments:3");
    f->area = 0xFFFFFFFFu;
    f->facts_known = 1;
    f->pub = (am_finding){.kind = duplicate ? AM_KIND_DUPLICATE : AM_KIND_CONFLICT,
                          .rule_id = duplicate ? AM_DUPLICATE_RULE_ID : rule.id,
                          .unit = duplicate ? "person" : "household",
                          .overlap_days = days,
                          .amount_fen = amount,
                          .policy_source = duplicate ? AM_SAME_DAY_SOURCE : rule.source,
                          .priority = duplicate ? "normal" : "low"};
}

static void sample(am_finding_list *list)
{
    memset(list, 0, sizeof *list);
    list->capacity = 5;
    list->v = am_calloc(list->capacity, sizeof *list->v);
    ck_assert_ptr_nonnull(list->v);
    add(list, INT64_MAX, INT64_MAX, 0);
    add(list, INT64_MIN, INT64_MIN, 1);
    add(list, 0, 0, 0);
    add(list, -1, 1, 1);
    add(list, 123456789012345, 366, 0);
    am_findings_sort(list);
}

static void write_bytes(const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static unsigned char *read_bytes(size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char *b = malloc(1 << 16);
    *n = fread(b, 1, 1 << 16, f);
    fclose(f);
    return b;
}

START_TEST(round_trip_keeps_every_field)
{
    setup();
    am_finding_list in, out = {0};
    am_err err;
    sample(&in);
    ck_assert_int_eq(am_finding_file_write(path, RUN, &in, &err), AM_OK);
    ck_assert_int_eq(am_finding_file_read(path, RUN, &rules, &out, &err), AM_OK);
    ck_assert_uint_eq(out.count, in.count);
    for (size_t i = 0; i < in.count; i++) {
        const am_finding_rec *a = &in.v[i], *b = &out.v[i];
        ck_assert_str_eq(a->pub.id, b->pub.id);
        ck_assert_int_eq(a->pub.kind, b->pub.kind);
        ck_assert_str_eq(a->pub.rule_id, b->pub.rule_id);
        ck_assert_str_eq(a->pub.policy_source, b->pub.policy_source);
        if (a->pub.rule_id == rule.id) { /* the centre's own strings, not copies */
            ck_assert_ptr_eq(b->pub.rule_id, rule.id);
            ck_assert_ptr_eq(b->pub.policy_source, rule.source);
        }
        ck_assert_str_eq(a->pub.unit, b->pub.unit);
        ck_assert_str_eq(a->pub.subject, b->pub.subject);
        ck_assert_str_eq(a->pub.items, b->pub.items);
        ck_assert_str_eq(a->pub.agencies, b->pub.agencies);
        ck_assert_str_eq(a->pub.period_start, b->pub.period_start);
        ck_assert_str_eq(a->pub.period_end, b->pub.period_end);
        ck_assert_str_eq(a->pub.evidence, b->pub.evidence);
        ck_assert_str_eq(a->pub.priority, b->pub.priority);
        ck_assert(a->pub.overlap_days == b->pub.overlap_days);
        ck_assert(a->pub.amount_fen == b->pub.amount_fen);
        ck_assert_str_eq(a->facts, b->facts);
        ck_assert_uint_eq(a->area, b->area);
        ck_assert_uint_eq(a->facts_known, b->facts_known);
    }
    /* INT64 edges survive exactly, in output order (amount descending). */
    ck_assert(out.v[0].pub.amount_fen == INT64_MAX && out.v[0].pub.overlap_days == INT64_MAX);
    ck_assert(out.v[4].pub.amount_fen == INT64_MIN && out.v[4].pub.overlap_days == INT64_MIN);
    /* A second read appends, and the first findings' views stay right. */
    ck_assert_int_eq(am_finding_file_read(path, RUN, &rules, &out, &err), AM_OK);
    ck_assert_uint_eq(out.count, 2 * in.count);
    ck_assert_str_eq(out.v[0].pub.evidence, in.v[0].pub.evidence);
    ck_assert_str_eq(out.v[5].pub.id, in.v[0].pub.id);
    am_findings_free(&out);
    /* No findings is a file too. */
    am_finding_list none = {0};
    ck_assert_int_eq(am_finding_file_write(path, RUN, &none, &err), AM_OK);
    ck_assert_int_eq(am_finding_file_read(path, RUN, &rules, &out, &err), AM_OK);
    ck_assert_uint_eq(out.count, 0);
    am_findings_free(&in);
    teardown();
}
END_TEST

START_TEST(damage_is_refused)
{
    setup();
    am_finding_list in, out = {0};
    am_err err;
    sample(&in);
    ck_assert_int_eq(am_finding_file_write(path, RUN, &in, &err), AM_OK);
    size_t n;
    unsigned char *good = read_bytes(&n);
    /* Every cut length, and every flipped byte. */
    for (size_t len = 0; len < n; len++) {
        write_bytes(good, len);
        ck_assert_int_eq(am_finding_file_read(path, RUN, &rules, &out, &err), AM_ERR_FORMAT);
        ck_assert_uint_eq(out.count, 0);
    }
    ck_assert_msg(strstr(err.msg, "not a whole findings file (cut short or corrupt)"), "%s",
                  err.msg);
    for (size_t at = 0; at < n; at++) {
        good[at] ^= 0x20;
        write_bytes(good, n);
        ck_assert_int_eq(am_finding_file_read(path, RUN, &rules, &out, &err), AM_ERR_FORMAT);
        good[at] ^= 0x20;
    }
    /* Another run's file. */
    write_bytes(good, n);
    unsigned char other[AM_RUN_ID_BYTES];
    memcpy(other, RUN, sizeof other);
    other[15] ^= 1;
    ck_assert_int_eq(am_finding_file_read(path, other, &rules, &out, &err), AM_ERR_FORMAT);
    char want[200];
    snprintf(want, sizeof want, "%s: findings of another run", path);
    ck_assert_str_eq(err.msg, want);
    /* A centre without rule R7. */
    const am_rules none = {0};
    ck_assert_int_eq(am_finding_file_read(path, RUN, &none, &out, &err), AM_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: a finding is malformed or names a rule this centre lacks",
             path);
    ck_assert_str_eq(err.msg, want);
    ck_assert_uint_eq(out.count, 0);
    /* A file that is not there. */
    unlink(path);
    ck_assert_int_eq(am_finding_file_read(path, RUN, &rules, &out, &err), AM_ERR_IO);
    free(good);
    am_findings_free(&in);
    teardown();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("finding_file");
    TCase *tc = tcase_create("finding_file");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, round_trip_keeps_every_field);
    tcase_add_test(tc, damage_is_refused);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
