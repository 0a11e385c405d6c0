/* Allocation failure anywhere returns AM_ERR_NOMEM, never a crash or a
 * leak: a small but complete run is repeated with the 1st, 2nd, 3rd, ...
 * allocation failing, until a run needs no more allocations than that.
 * Linked against a build of the library with the failure injector. */
#include <aidmatch.h>
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/fault.h"
#include "check_run.h"
#include "test_files.h"

static const unsigned char test_key[16] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};

static const char payments[] =
    "身份证号,户号,类型,金额,开始,结束\n"
    "11010519491231002X,H1,城市低保,1100.00,2025-01-01,2025-06-30\n"
    "11010519491231002X,H1,城市低保,1100.00,2025-03-01,2025-12-31\n"
    "441900890101221,H1,特困,900.00,2025-01-01,2025-12-31\n"
    "3.20281E+17,H1,特困,900.00,2025-01-01,2025-12-31\n";
static const char registry[] =
    "id,hh,fact,grade,from,to\n"
    "11010519491231002X,H1,HUKOU,,,\n"
    "441900890101221,H1,HUKOU,,,\n"
    "441900890101221,,DISABILITY,1,2020-01-01,\n"
    "11010519491231002X,,DEATH,,2025-09-30,\n";

static am_status set_all(am_feed *feed, const char *const (*keys)[2])
{
    for (; (*keys)[0]; keys++) {
        const am_status st = am_feed_set(feed, (*keys)[0], (*keys)[1]);
        if (st != AM_OK)
            return st;
    }
    return AM_OK;
}

/* One whole run over the given payments, its outputs and its snapshot, on
 * this many threads, in that many partitions on disk under out_dir-tmp
 * (0: in memory); returns the first failure. */
static am_status run_once(const char *out_dir, const char *pay_text, size_t pay_len,
                          unsigned threads, unsigned partitions, const char *pay_file)
{
    static const char *const pay_keys[][2] = {
        {"agency", "MCA"}, {"person_id", "身份证号"}, {"household_id", "户号"},
        {"item_column", "类型"}, {"item_map", "城市低保:DIBAO_URBAN|特困:TEKUN_HOME"},
        {"amount", "金额"}, {"start", "开始"}, {"end", "结束"}, {NULL, NULL}};
    static const char *const reg_keys[][2] = {
        {"agency", "PSB"}, {"kind", "registry"}, {"person_id", "id"}, {"household_id", "hh"},
        {"fact_column", "fact"}, {"fact_map", "HUKOU:HUKOU|DISABILITY:DISABILITY|DEATH:DEATH"},
        {"value", "grade"}, {"start", "from"}, {"end", "to"}, {NULL, NULL}};
    char path[1024];
    am_ctx *ctx;
    am_status st = am_ctx_new(&ctx);
    if (st != AM_OK)
        return st;
    am_feed *pay = NULL, *reg = NULL;
    snprintf(path, sizeof path, "%s/data/catalogue", getenv("AM_SOURCE_ROOT"));
    if ((st = am_load_catalogue(ctx, path)) != AM_OK)
        goto done;
    if ((st = am_load_key(ctx, test_key, sizeof test_key)) != AM_OK ||
        (st = am_set_threads(ctx, threads)) != AM_OK)
        goto done;
    if (partitions) {
        snprintf(path, sizeof path, "%s-tmp", out_dir);
        if ((st = am_set_temp_dir(ctx, path)) != AM_OK ||
            (st = am_set_partitions(ctx, partitions)) != AM_OK)
            goto done;
    }
    snprintf(path, sizeof path, "%s/data/rules/default.rules", getenv("AM_SOURCE_ROOT"));
    if ((st = am_load_rules(ctx, path)) != AM_OK)
        goto done;
    if ((st = am_feed_new(ctx, "mca", &pay)) != AM_OK || (st = set_all(pay, pay_keys)) != AM_OK ||
        (st = am_feed_new(ctx, "psb", &reg)) != AM_OK || (st = set_all(reg, reg_keys)) != AM_OK)
        goto done;
    /* From a file, the payments are read in parts on the run's threads. */
    if (pay_file && ((st = am_feed_set(pay, "file", pay_file)) != AM_OK ||
                     (st = am_feed_set(pay, "split_above", "4K")) != AM_OK))
        goto done;
    if ((st = am_feed_ingest_buffer(reg, registry, sizeof registry - 1)) != AM_OK ||
        (st = pay_file ? am_ingest(ctx) : am_feed_ingest_buffer(pay, pay_text, pay_len)) != AM_OK)
        goto done;
    if ((st = am_reconcile(ctx, NULL, NULL)) != AM_OK)
        goto done;
    st = am_write_outputs(ctx, out_dir, -1);
    if (st == AM_OK) {
        ck_assert_uint_ge(am_finding_count(ctx), 3);
        snprintf(path, sizeof path, "%s.snap", out_dir);
        st = am_snapshot_write(ctx, path);
    }
done:
    am_fault_fail_at(0);
    /* No call before the failing one failed, so a message is the failure's. */
    if (st != AM_OK)
        ck_assert_msg(*am_errmsg(ctx), "%s without a message", am_strerror(st));
    am_ctx_free(ctx);
    return st;
}

/* Fails allocation 1, 2, 3, ... of the run in turn, until a run needs
 * fewer; returns how many runs that took. */
static unsigned long fail_each_allocation(const char *pay_text, size_t pay_len, unsigned threads,
                                          unsigned partitions, const char *pay_file)
{
    char dir[] = "/tmp/am_faults_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char tmp[64], cmd[256];
    snprintf(tmp, sizeof tmp, "%s-tmp", dir);
    ck_assert_int_eq(mkdir(tmp, 0700), 0);
    unsigned long n = 1;
    for (;; n++) {
        am_fault_fail_at(n);
        const am_status st = run_once(dir, pay_text, pay_len, threads, partitions, pay_file);
        /* A partitioned run removes its files, failed or not. */
        snprintf(cmd, sizeof cmd, "rmdir '%s' && mkdir '%s'", tmp, tmp);
        ck_assert_msg(system(cmd) == 0, "allocation %lu: partition files left", n);
        if (st == AM_OK)
            break;
        ck_assert_msg(st == AM_ERR_NOMEM, "allocation %lu: status %s", n, am_strerror(st));
        ck_assert_msg(n < 100000, "no end to allocations");
    }
    /* The output directory's lock file stays beside it, by design. */
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s' '%s.snap' '%s.lock'", dir, tmp, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    return n;
}

START_TEST(every_allocation_can_fail)
{
    /* The loop ended because allocation n was never reached: the run was
     * complete, so every earlier failure point was exercised. */
    ck_assert_uint_gt(fail_each_allocation(payments, sizeof payments - 1, 1, 0, NULL), 50);
}
END_TEST

/* Enough records that the sort, the household index, the matchers and
 * the evidence scan each hand half their work to a second thread, whose
 * allocations fail in turn like the first's; and enough households that a
 * batch of rows (a few in this build) moved into the store twice would
 * look past the batch's own households. */
/* The same run partitioned on disk: spilling, the components' sorts,
 * distribution, each partition's matching, the report's evidence and the
 * snapshot's sorts. */
START_TEST(every_allocation_can_fail_partitioned)
{
    ck_assert_uint_gt(fail_each_allocation(payments, sizeof payments - 1, 1, 3, NULL), 50);
}
END_TEST

/* The payments and rows more of them, in a buffer to free. */
static char *many_payments(int rows, size_t *len)
{
    const size_t cap = sizeof payments + (size_t)rows * 80;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    *len = (size_t)snprintf(text, cap, "%s", payments);
    for (int i = 0; i < rows; i++) {
        const int month = 1 + i % 12, day = 1 + i / 12 % 28;
        *len += (size_t)snprintf(text + *len, cap - *len,
                                 "%s,H%d,%s,%d.00,2024-%02d-%02d,2024-%02d-%02d\n",
                                 i % 2 ? "441900890101221" : "11010519491231002X", 2 + i / 3,
                                 i % 3 ? "城市低保" : "特困", 100 + i % 50, month, day, month,
                                 day);
    }
    ck_assert_uint_lt(*len, cap);
    return text;
}

/* fail_each_allocation over the payments and rows more, on two threads. */
static unsigned long fail_each_of_many(int rows, unsigned partitions)
{
    size_t len;
    char *text = many_payments(rows, &len);
    const unsigned long runs = fail_each_allocation(text, len, 2, partitions, NULL);
    free(text);
    return runs;
}

START_TEST(every_allocation_can_fail_on_two_threads)
{
    ck_assert_uint_gt(fail_each_of_many(9000, 0), 50);
}
END_TEST

/* Partitioned on two threads, with records enough that both halves of
 * distribution run at once: a failure in either stops both, and the
 * partition files go. */
START_TEST(every_allocation_can_fail_partitioned_on_two_threads)
{
    ck_assert_uint_gt(fail_each_of_many(4200, 3), 50);
}
END_TEST

/* The payments from a file above split_above, read in eight parts on two
 * threads: the survey, the header, the queue, each part's reading and
 * the merge of their counts fail in turn like the rest. */
/* The payments and rows more of them in a new file, its path in path. */
static void write_payments_file(int rows, char path[static 28])
{
    strcpy(path, "/tmp/am_faults_feed_XXXXXX");
    const int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fputs(payments, f);
    for (int i = 0; i < rows; i++)
        fprintf(f, "%s,H%d,%s,%d.00,2024-%02d-01,2024-%02d-28\n",
                i % 2 ? "441900890101221" : "11010519491231002X", 2 + i / 3,
                i % 3 ? "城市低保" : "特困", 100 + i % 50, 1 + i % 12, 1 + i % 12);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(every_allocation_can_fail_in_parts)
{
    char path[28];
    write_payments_file(600, path);
    ck_assert_uint_gt(fail_each_allocation(NULL, 0, 2, 0, path), 50);
    ck_assert_int_eq(unlink(path), 0);
}
END_TEST

/* The run of run_once on two threads twice, the second time with every
 * thread start refused: that run does each thread's share itself, and its
 * findings, rejects, links and suppressed rows are the first run's to the
 * byte.  Fails unless some start was refused. */
static void same_without_threads(const char *pay_text, size_t pay_len, unsigned partitions,
                                 const char *pay_file)
{
    static const char *const outputs[] = {"findings.csv", "rejects.csv", "links.csv",
                                          "suppressed.csv"};
    char dirs[2][32], tmp[64], path[2][128], cmd[512];
    for (int k = 0; k < 2; k++) {
        snprintf(dirs[k], sizeof dirs[k], "/tmp/am_faults_XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dirs[k]));
        snprintf(tmp, sizeof tmp, "%s-tmp", dirs[k]);
        ck_assert_int_eq(mkdir(tmp, 0700), 0);
        am_fault_refuse_threads(k == 1);
        const am_status st = run_once(dirs[k], pay_text, pay_len, 2, partitions, pay_file);
        const unsigned long refused = am_fault_refuse_threads(0);
        ck_assert_msg(st == AM_OK, "run %d: %s", k, am_strerror(st));
        if (k == 1)
            ck_assert_msg(refused > 0, "no thread was asked for");
        else
            ck_assert_uint_eq(refused, 0);
    }
    for (size_t i = 0; i < sizeof outputs / sizeof *outputs; i++) {
        size_t len[2];
        char *text[2];
        for (int k = 0; k < 2; k++) {
            snprintf(path[k], sizeof path[k], "%s/%s", dirs[k], outputs[i]);
            text[k] = am_test_slurp(path[k], &len[k]);
        }
        ck_assert_msg(len[0] == len[1] && (len[0] == 0 || memcmp(text[0], text[1], len[0]) == 0),
                      "%s differs without threads", outputs[i]);
        free(text[0]);
        free(text[1]);
    }
    for (int k = 0; k < 2; k++) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s-tmp' '%s.snap' '%s.lock'", dirs[k], dirs[k],
                 dirs[k], dirs[k]);
        ck_assert_int_eq(system(cmd), 0);
    }
}

/* Every place the library starts a thread does the thread's work itself
 * when the start is refused: the readers of a file read in parts, the
 * sort's and indexes' halves, the matchers, and a partitioned run's
 * reading ahead. */
START_TEST(a_refused_thread_costs_speed_not_results)
{
    size_t len;
    char *text = many_payments(9000, &len);
    same_without_threads(text, len, 0, NULL);
    same_without_threads(text, len, 3, NULL);
    free(text);
    char path[28];
    write_payments_file(600, path);
    same_without_threads(NULL, 0, 0, path);
    ck_assert_int_eq(unlink(path), 0);
}
END_TEST

/* What a_growing_claim_waits_for_open_fills saw of two readers. */
typedef struct fill_watch {
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    int holding;          /* the first fill is held open */
    int released;         /* ... and has been let go */
    int waits;            /* claims that waited for open fills */
    int grown_while_open; /* growths with a fill open: must stay 0 */
} fill_watch;

/* Holds the first fill open until a claim waits for it, or grows the
 * arrays under it; counts both.  The bound of a minute only keeps a
 * reader that does neither from hanging the test. */
static void watch_fills(am_fault_ingest_event event, size_t filling, void *user)
{
    fill_watch *w = user;
    pthread_mutex_lock(&w->mutex);
    if (event == AM_FAULT_WAITS_FOR_FILLS) {
        w->waits++;
        pthread_cond_broadcast(&w->changed);
    } else if (event == AM_FAULT_ARRAYS_GROW && filling) {
        w->grown_while_open++;
        pthread_cond_broadcast(&w->changed);
    } else if (event == AM_FAULT_FILL_OPENS && !w->holding) {
        w->holding = 1;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 60;
        while (!w->waits && !w->grown_while_open &&
               pthread_cond_timedwait(&w->changed, &w->mutex, &until) == 0)
            ;
        w->released = 1;
    }
    pthread_mutex_unlock(&w->mutex);
}

/* Two readers fill the room they claimed outside the lock; the arrays
 * that room is in may grow, and move, only once no fill is open.  One
 * reader's first fill is held open here while the other claims room
 * that needs the arrays grown: that claim must wait. */
START_TEST(a_growing_claim_waits_for_open_fills)
{
    enum { ROWS = 2000 };
    char path[] = "/tmp/am_faults_fills_XXXXXX";
    const int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    size_t len;
    char *text = many_payments(ROWS, &len);
    ck_assert_uint_eq((size_t)write(fd, text, len), len);
    free(text);
    ck_assert_int_eq(close(fd), 0);
    fill_watch w = {.mutex = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};
    am_fault_on_ingest(watch_fills, &w);
    char out[] = "/tmp/am_faults_fills_out_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(out));
    const am_status st = run_once(out, NULL, 0, 2, 0, path);
    am_fault_on_ingest(NULL, NULL);
    ck_assert_int_eq(st, AM_OK);
    ck_assert_int_eq(w.grown_while_open, 0);
    ck_assert(w.released);
    ck_assert_int_ge(w.waits, 1); /* the other reader did claim room that needed growth */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.snap' '%s.lock' '%s'", out, out, out, path);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The one way arrays grow (common/alloc.h): capacity doubles from 16 in
 * one move, a failed move leaves array, count and capacity as they were,
 * and a size that would overflow is refused without allocating. */
START_TEST(growth_doubles_and_a_failure_changes_nothing)
{
    struct pair {
        int32_t a;
        char b[12];
    } *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 16; i++)
        ck_assert(AM_PUSH(v, n, cap, ((struct pair){i, "x"})));
    ck_assert_uint_eq(n, 16);
    ck_assert_uint_eq(cap, 16);
    struct pair *const before = v;
    am_fault_fail_at(1);
    ck_assert(!AM_PUSH(v, n, cap, ((struct pair){16, "y"})));
    ck_assert_ptr_eq(v, before);
    ck_assert_uint_eq(n, 16);
    ck_assert_uint_eq(cap, 16);
    am_fault_fail_at(0);
    ck_assert(AM_PUSH(v, n, cap, ((struct pair){16, "y"})));
    ck_assert_uint_eq(cap, 32);
    ck_assert(AM_RESERVE(v, cap, 100));
    ck_assert_uint_eq(cap, 128);
    ck_assert(AM_RESERVE(v, cap, 128)); /* fits: no move */
    ck_assert_uint_eq(cap, 128);
    for (int i = 0; i <= 16; i++)
        ck_assert_int_eq(v[i].a, i);
    ck_assert_str_eq(v[16].b, "y");
    ck_assert(!AM_RESERVE(v, cap, SIZE_MAX / sizeof *v + 1));
    ck_assert(!AM_RESERVE(v, cap, SIZE_MAX));
    ck_assert_uint_eq(cap, 128);
    ck_assert_int_eq(v[16].a, 16);
    am_free(v);
}
END_TEST

/* With the argument "fills", only the readers' test: meson runs it as a
 * test of its own, which also runs under TSan (scripts/test), where
 * failing every allocation in turn would take too long. */
int main(int argc, char **argv)
{
    const int fills = argc > 1 && strcmp(argv[1], "fills") == 0;
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create(fills ? "fills" : "core");
    tcase_set_timeout(tc, 600);
    if (fills) {
        tcase_add_test(tc, a_growing_claim_waits_for_open_fills);
    } else {
        tcase_add_test(tc, every_allocation_can_fail);
        tcase_add_test(tc, every_allocation_can_fail_partitioned);
        tcase_add_test(tc, every_allocation_can_fail_on_two_threads);
        tcase_add_test(tc, every_allocation_can_fail_partitioned_on_two_threads);
        tcase_add_test(tc, every_allocation_can_fail_in_parts);
        tcase_add_test(tc, growth_doubles_and_a_failure_changes_nothing);
        tcase_add_test(tc, a_refused_thread_costs_speed_not_results);
    }
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
