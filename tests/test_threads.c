/* Tests that separate contexts in separate threads do not disturb each
 * other: four threads, each reconciling the same inputs several times
 * (from memory, from files through am_ingest, or from files with the
 * context's own threads), get byte-identical findings, rejects and output
 * files to one single-threaded run alone from memory.  Also run under ThreadSanitizer:
 *   meson setup build-tsan -Db_sanitize=thread && meson test -C build-tsan threads */
#include <aidmatch.h>
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check_run.h"

enum { THREADS = 4, ITERATIONS = 3, PEOPLE = 240 };

static const unsigned char test_key[16] = {7, 1, 7, 1, 7, 1, 7, 1, 3, 3, 3, 3, 5, 5, 5, 5};

/* A growing string. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static int text_add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Returns 0 when out of memory (no ck_assert here: it may run in a thread). */
static int text_add(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        const int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return 0;
        if (t->s && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return 1;
        }
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *grown = realloc(t->s, cap);
        if (!grown)
            return 0;
        t->s = grown;
        t->cap = cap;
    }
}

/* The inputs every run shares, made once by the main thread, and written
 * to scratch as feed_files[i].csv for the runs that read files. */
static text payments, ledger, registry, disability;
static const char *const feed_files[4] = {"mca", "fin", "psb", "dpf"};
static char *rules_text;
static size_t rules_len;
static char catalogue_dir[1024];

/* An 18-digit resident ID with a correct check character. */
static void make_id(unsigned n, char out[19])
{
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    snprintf(out, 19, "320281%04u%02u%02u%03u", 1940 + n % 70, 1 + n % 12, 1 + n % 28, n % 1000);
    unsigned sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (unsigned)(out[i] - '0') * (unsigned)weights[i];
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

/* People with every kind of overlap the default rules look for. */
static void make_inputs(void)
{
    const char *root = getenv("AM_SOURCE_ROOT");
    ck_assert_msg(root != NULL, "AM_SOURCE_ROOT must name the source tree");
    ck_assert(text_add(&payments, "身份证号,姓名,户号,项目,金额,开始日期,结束日期\n"));
    ck_assert(text_add(&ledger, "公民身份号码,发放金额,发放年月,补贴项目\n"));
    ck_assert(text_add(&registry, "id,hh,fact,from,to\n"));
    ck_assert(text_add(&disability, "id,grade,from,to\n"));
    for (unsigned i = 0; i < PEOPLE; i++) {
        char id[19];
        make_id(i, id);
        const unsigned hh = i / 3;
        if (i % 17 == 5) /* a damaged ID: rejected */
            ck_assert(text_add(&payments, "%.15s000,某,H%u,urban,100,2024-01-01,2024-01-31\n", id, hh));
        if (i % 3 == 0)
            ck_assert(text_add(&payments, "%s,某,H%u,urban,%u.50,2024-01-01,2024-06-30\n", id, hh,
                               600 + i));
        if (i % 7 == 0)
            ck_assert(text_add(&payments, "%s,某,,tekun,800,2024-04-01,2024-12-31\n", id));
        if (i % 2 == 0)
            ck_assert(text_add(&payments, "%s,某,,med,30,2024-01-01,2024-12-31\n", id));
        if (i % 9 == 0)
            ck_assert(text_add(&payments, "%s,某,H%u,fest,200,2024-02-0%u,2024-02-0%u\n", id, hh,
                               1 + i % 5, 1 + i % 5));
        if (i % 19 == 0)
            ck_assert(text_add(&payments, "%s,某,H%u,urban,-1,2024-01-01,2024-01-31\n", id, hh));
        if (i % 5 == 0)
            ck_assert(text_add(&ledger, "%s,%u,2024-0%u,城市低保\n", id, 500 + i, 3 + i % 4));
        ck_assert(text_add(&registry, "%s,H%u,hukou,2000-01-01,\n", id, hh));
        if (i % 11 == 0)
            ck_assert(text_add(&registry, "%s,,death,2024-05-01,2024-05-01\n", id));
        if (i % 13 == 0)
            ck_assert(text_add(&registry, "%s,,car,2023-01-01,\n", id));
        if (i % 6 == 0)
            ck_assert(text_add(&disability, "%s,%u级,2020-01-01,\n", id, 1 + i % 4));
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/data/rules/default.rules", root);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    rules_text = malloc(1 << 16);
    ck_assert_ptr_nonnull(rules_text);
    rules_len = fread(rules_text, 1, 1 << 16, f);
    fclose(f);
    snprintf(catalogue_dir, sizeof catalogue_dir, "%s/data/catalogue", root);
}

typedef struct result {
    char *findings; /* every field of every finding, then every reject */
    char *files;    /* findings.csv and rejects.csv as written */
    char error[512];
} result;

static int set_all(am_feed *feed, const char *const (*kv)[2])
{
    for (; (*kv)[0]; kv++)
        if (am_feed_set(feed, (*kv)[0], (*kv)[1]) != AM_OK)
            return 0;
    return 1;
}

static const char *const mca_keys[][2] = {
    {"agency", "MCA"}, {"person_id", "身份证号"}, {"name", "姓名"}, {"household_id", "户号"},
    {"item_column", "项目"},
    {"item_map", "urban:DIBAO_URBAN|tekun:TEKUN_HOME|med:MED_PREM|fest:FESTIVAL"},
    {"amount", "金额"}, {"start", "开始日期"}, {"end", "结束日期"}, {NULL, NULL}};
static const char *const fin_keys[][2] = {
    {"agency", "FIN"}, {"person_id", "公民身份号码"}, {"amount", "发放金额"},
    {"month", "发放年月"}, {"item_column", "补贴项目"}, {"item_map", "城市低保:DIBAO_URBAN"},
    {NULL, NULL}};
static const char *const psb_keys[][2] = {
    {"kind", "registry"}, {"agency", "PSB"}, {"person_id", "id"}, {"household_id", "hh"},
    {"fact_column", "fact"}, {"fact_map", "hukou:HUKOU|death:DEATH|car:VEHICLE"},
    {"start", "from"}, {"end", "to"}, {NULL, NULL}};
static const char *const dpf_keys[][2] = {
    {"kind", "registry"}, {"agency", "DPF"}, {"person_id", "id"}, {"fact", "DISABILITY"},
    {"value", "grade"}, {"start", "from"}, {"end", "to"}, {NULL, NULL}};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    text t = {0};
    char buf[4096];
    size_t n;
    int ok = text_add(&t, "%s", "");
    while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0)
        ok = text_add(&t, "%.*s", (int)n, buf);
    fclose(f);
    if (!ok) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

static char scratch[1024];

/* How a run reads its feeds. */
enum { FROM_BUFFERS, FROM_FILES, FROM_FILES_THREADED, MODES };

/* One whole run in its own context; out_dir receives the output files.
 * FROM_FILES: am_ingest reads the copies in scratch instead of the
 * buffers; FROM_FILES_THREADED: and the context itself uses three threads
 * (am_set_threads) to read, sort and match. */
static int run_once(const char *out_dir, int mode, result *res)
{
    memset(res, 0, sizeof *res);
    am_ctx *ctx = NULL;
    am_status st = am_ctx_new(&ctx);
    am_feed *mca = NULL, *fin = NULL, *psb = NULL, *dpf = NULL;
    if (st == AM_OK && (st = am_load_catalogue(ctx, catalogue_dir)) == AM_OK &&
        (st = am_load_key(ctx, test_key, sizeof test_key)) == AM_OK &&
        (st = am_load_rules_mem(ctx, rules_text, rules_len, "default.rules")) == AM_OK &&
        (st = am_feed_new(ctx, "mca", &mca)) == AM_OK && (st = am_feed_new(ctx, "fin", &fin)) == AM_OK &&
        (st = am_feed_new(ctx, "psb", &psb)) == AM_OK && (st = am_feed_new(ctx, "dpf", &dpf)) == AM_OK) {
        if (!set_all(mca, mca_keys) || !set_all(fin, fin_keys) || !set_all(psb, psb_keys) ||
            !set_all(dpf, dpf_keys))
            st = AM_ERR_FORMAT;
    }
    if (st == AM_OK && mode == FROM_FILES_THREADED)
        st = am_set_threads(ctx, 3);
    if (st == AM_OK && mode != FROM_BUFFERS) {
        char path[1200];
        am_feed *const feeds[4] = {mca, fin, psb, dpf};
        for (int i = 0; st == AM_OK && i < 4; i++) {
            snprintf(path, sizeof path, "%s/%s.csv", scratch, feed_files[i]);
            st = am_feed_set(feeds[i], "file", path);
        }
        if (st == AM_OK)
            st = am_ingest(ctx);
    } else if (st == AM_OK && (st = am_feed_ingest_buffer(mca, payments.s, payments.len)) == AM_OK &&
               (st = am_feed_ingest_buffer(fin, ledger.s, ledger.len)) == AM_OK &&
               (st = am_feed_ingest_buffer(psb, registry.s, registry.len)) == AM_OK) {
        st = am_feed_ingest_buffer(dpf, disability.s, disability.len);
    }
    if (st == AM_OK && (st = am_reconcile(ctx, NULL, NULL)) == AM_OK)
        st = am_write_outputs(ctx, out_dir, -1.0);
    if (st != AM_OK) {
        snprintf(res->error, sizeof res->error, "%s: %s", am_strerror(st), ctx ? am_errmsg(ctx) : "");
        am_ctx_free(ctx);
        return 0;
    }
    text t = {0};
    int ok = text_add(&t, "key %s\n", am_key_fingerprint(ctx));
    for (size_t i = 0; ok && i < am_finding_count(ctx); i++) {
        am_finding f;
        if (am_finding_get(ctx, i, &f) != AM_OK) {
            ok = 0;
            break;
        }
        ok = text_add(&t, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%lld|%lld|%s|%s|%s\n", f.id,
                      am_kind_name(f.kind), f.rule_id, f.unit, f.subject, f.items, f.agencies,
                      f.period_start, f.period_end, (long long)f.overlap_days,
                      (long long)f.amount_fen, f.evidence, f.policy_source, f.priority);
    }
    for (size_t i = 0; ok && i < am_reject_count(ctx); i++) {
        am_reject_row r;
        ok = am_reject_get(ctx, i, &r) == AM_OK &&
             text_add(&t, "reject %s:%llu %s %s\n", r.feed, (unsigned long long)r.line,
                      am_reject_name(r.reason), r.detail);
    }
    for (size_t i = 0; ok && i < am_feed_count(ctx); i++) {
        am_feed_stats s;
        ok = am_feed_stats_get(ctx, i, &s) == AM_OK &&
             text_add(&t, "feed %s %s %llu %llu %llu\n", s.name, s.file_xxh3,
                      (unsigned long long)s.rows_read, (unsigned long long)s.rows_ingested,
                      (unsigned long long)s.rows_rejected);
    }
    am_ctx_free(ctx);
    char path[1200];
    text files = {0};
    static const char *const names[] = {"findings.csv", "rejects.csv"};
    for (size_t i = 0; ok && i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", out_dir, names[i]);
        char *content = slurp(path);
        ok = content && text_add(&files, "== %s\n%s", names[i], content);
        free(content);
    }
    if (!ok) {
        snprintf(res->error, sizeof res->error, "out of memory or unreadable output");
        free(t.s);
        free(files.s);
        return 0;
    }
    res->findings = t.s;
    res->files = files.s;
    return 1;
}

static void result_free(result *r)
{
    free(r->findings);
    free(r->files);
    r->findings = r->files = NULL;
}

static pthread_barrier_t start_line;

typedef struct worker {
    int index;
    result runs[ITERATIONS];
    int ok[ITERATIONS];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < ITERATIONS; i++) {
        char dir[1200];
        snprintf(dir, sizeof dir, "%s/t%d-%d", scratch, w->index, i);
        w->ok[i] = run_once(dir, (w->index + i) % MODES, &w->runs[i]);
    }
    return NULL;
}

static void remove_outputs(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[1300];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

START_TEST(parallel_contexts_agree_with_one_alone)
{
    make_inputs();
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/aidmatch-threads-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(scratch));

    const text *const contents[4] = {&payments, &ledger, &registry, &disability};
    char dir[1200];
    for (int i = 0; i < 4; i++) {
        snprintf(dir, sizeof dir, "%s/%s.csv", scratch, feed_files[i]);
        FILE *f = fopen(dir, "wb");
        ck_assert_msg(f != NULL, "%s", dir);
        ck_assert_uint_eq(fwrite(contents[i]->s, 1, contents[i]->len, f), contents[i]->len);
        ck_assert_int_eq(fclose(f), 0);
    }
    snprintf(dir, sizeof dir, "%s/alone", scratch);
    result alone;
    ck_assert_msg(run_once(dir, FROM_BUFFERS, &alone), "%s", alone.error);
    /* The inputs must give findings of several kinds, or there is little
     * to compare. */
    ck_assert_ptr_nonnull(strstr(alone.findings, "|DUPLICATE|"));
    ck_assert_ptr_nonnull(strstr(alone.findings, "|CONFLICT|"));
    ck_assert_ptr_nonnull(strstr(alone.findings, "|MISSING|"));
    ck_assert_ptr_nonnull(strstr(alone.findings, "reject mca:"));

    worker workers[THREADS];
    pthread_t threads[THREADS];
    ck_assert_int_eq(pthread_barrier_init(&start_line, NULL, THREADS), 0);
    for (int t = 0; t < THREADS; t++) {
        memset(&workers[t], 0, sizeof workers[t]);
        workers[t].index = t;
        ck_assert_int_eq(pthread_create(&threads[t], NULL, work, &workers[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
    pthread_barrier_destroy(&start_line);

    for (int t = 0; t < THREADS; t++) {
        for (int i = 0; i < ITERATIONS; i++) {
            result *r = &workers[t].runs[i];
            ck_assert_msg(workers[t].ok[i], "thread %d run %d: %s", t, i, r->error);
            ck_assert_msg(strcmp(r->findings, alone.findings) == 0,
                          "thread %d run %d: findings differ from the run alone", t, i);
            ck_assert_msg(strcmp(r->files, alone.files) == 0,
                          "thread %d run %d: output files differ from the run alone", t, i);
            result_free(r);
            snprintf(dir, sizeof dir, "%s/t%d-%d", scratch, t, i);
            remove_outputs(dir);
        }
    }
    result_free(&alone);
    snprintf(dir, sizeof dir, "%s/alone", scratch);
    remove_outputs(dir);
    remove_outputs(scratch);
    free(payments.s);
    free(ledger.s);
    free(registry.s);
    free(disability.s);
    free(rules_text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, parallel_contexts_agree_with_one_alone);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
