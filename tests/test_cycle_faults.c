/* Allocation failure anywhere in a night that reads a previous run and an
 * outcomes file, reviews, and writes delta.csv, suppressed.csv and
 * report.html returns AM_ERR_NOMEM, never a crash or a leak.  Linked
 * against the library built with the failure injector. */
#include <aidmatch.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fault.h"
#include "check_run.h"

static const unsigned char test_key[16] = {1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 0, 1, 2};

static const char payments[] =
    "id,amount,from,to\n"
    "320281197001010012,1200.00,2025-01-01,2025-03-31\n"
    "320282199003030047,600.00,2025-01-01,2025-03-31\n"
    "320282199003030047,600.00,2025-02-01,2025-04-30\n"
    "320281197001010012,1200.00,2025-03-01,2025-05-31\n";

static am_status night(const char *date, const char *previous, const char *outcomes,
                       const char *out, char first_id[33])
{
    static const char *const keys[][2] = {{"agency", "MCA"},   {"item", "TEKUN_HOME"},
                                          {"person_id", "id"}, {"amount", "amount"},
                                          {"start", "from"},   {"end", "to"},
                                          {NULL, NULL}};
    char path[1024];
    am_ctx *ctx;
    am_feed *feed;
    am_status st = am_ctx_new(&ctx);
    if (st != AM_OK)
        return st;
    snprintf(path, sizeof path, "%s/data/catalogue", getenv("AM_SOURCE_ROOT"));
    if ((st = am_load_catalogue(ctx, path)) != AM_OK ||
        (st = am_load_key(ctx, test_key, sizeof test_key)) != AM_OK ||
        (st = am_set_run_date(ctx, date)) != AM_OK ||
        (previous && (st = am_load_previous(ctx, previous)) != AM_OK) ||
        (outcomes && (st = am_load_outcomes(ctx, outcomes)) != AM_OK) ||
        (st = am_feed_new(ctx, "mca", &feed)) != AM_OK)
        goto done;
    for (size_t i = 0; keys[i][0]; i++)
        if ((st = am_feed_set(feed, keys[i][0], keys[i][1])) != AM_OK)
            goto done;
    if ((st = am_feed_ingest_buffer(feed, payments, sizeof payments - 1)) != AM_OK ||
        (st = am_reconcile(ctx, NULL, NULL)) != AM_OK ||
        (st = am_write_outputs(ctx, out, -1)) != AM_OK)
        goto done;
    if (first_id) {
        am_finding f;
        ck_assert_int_eq(am_finding_get(ctx, 0, &f), AM_OK);
        memcpy(first_id, f.id, 33);
    }
done:
    am_fault_fail_at(0);
    /* No call before the failing one failed, so a message is the failure's. */
    if (st != AM_OK)
        ck_assert_msg(*am_errmsg(ctx), "%s without a message", am_strerror(st));
    am_ctx_free(ctx);
    return st;
}

START_TEST(every_allocation_of_a_night_can_fail)
{
    char dir[] = "/tmp/am_cycle_faults_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char prev[256], out[256], outcomes[256], id[33];
    snprintf(prev, sizeof prev, "%s/n1", dir);
    snprintf(out, sizeof out, "%s/n2", dir);
    snprintf(outcomes, sizeof outcomes, "%s/outcomes.csv", dir);
    ck_assert_int_eq(night("2026-11-27", NULL, NULL, prev, id), AM_OK);
    FILE *f = fopen(outcomes, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "finding_id,outcome,date,note\n%s,no_issue,2026-11-27,\n", id);
    fclose(f);
    unsigned long n = 1;
    for (;; n++) {
        am_fault_fail_at(n);
        const am_status st = night("2026-11-28", prev, outcomes, out, NULL);
        if (st == AM_OK)
            break;
        ck_assert_msg(st == AM_ERR_NOMEM, "allocation %lu: status %s", n, am_strerror(st));
        ck_assert_msg(n < 100000, "no end to allocations");
    }
    ck_assert_uint_gt(n, 50);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "grep -q '%s' '%s/suppressed.csv'", id, out);
    ck_assert_msg(system(cmd) == 0, "the finding was not suppressed");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cycle_faults");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, every_allocation_of_a_night_can_fail);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
