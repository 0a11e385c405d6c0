/* The window check: a proposed grant raises exactly the findings a
 * nightly run raises with the grant in its feed (random proposals over the
 * sample county, each compared with a real reconciliation); known answers
 * for holdings and the menu; the journal seen by every check, a torn
 * append ignored, the journal taken in by the next snapshot; many threads
 * checking one window agree with one thread. */
/* The window is experimental API. */
#define AM_EXPERIMENTAL
#include <aidmatch.h>
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check_run.h"
#include "test_files.h"

static char dir[64];
static char snap_path[256];

static void path_in(char *out, size_t size, const char *rel)
{
    snprintf(out, size, "%s/%s", dir, rel);
}

static void spill(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void load_sample_key(am_ctx *ctx)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/data/sample/sample.key", getenv("AM_SOURCE_ROOT"));
    size_t len;
    char *hex = am_test_slurp(path, &len);
    unsigned char key[16];
    for (int i = 0; i < 16; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        key[i] = (unsigned char)v;
    }
    free(hex);
    ck_assert_int_eq(am_load_key(ctx, key, sizeof key), AM_OK);
}

/* A copy of the sample county in dir/sample, its catalogue and rules
 * linked beside it, so that its feeds can be added to. */
static void copy_sample(void)
{
    if (dir[0])
        return;
    snprintf(dir, sizeof dir, "/tmp/am_window_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const char *root = getenv("AM_SOURCE_ROOT");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "mkdir %s/sample && cp %s/data/sample/* %s/sample/ && ln -s %s/data/catalogue "
             "%s/catalogue && ln -s %s/data/rules %s/rules",
             dir, root, dir, root, dir, root, dir);
    ck_assert_int_eq(system(cmd), 0);
    path_in(snap_path, sizeof snap_path, "county.snap");
}

typedef struct found {
    am_finding *v;
    size_t n;
} found;

static char *dup_str(const char *s)
{
    char *d = strdup(s);
    ck_assert_ptr_nonnull(d);
    return d;
}

static int collect(void *user, const am_finding *f)
{
    found *all = user;
    all->v = realloc(all->v, (all->n + 1) * sizeof *all->v);
    ck_assert_ptr_nonnull(all->v);
    am_finding *c = &all->v[all->n++];
    *c = *f;
    c->id = dup_str(f->id);
    c->rule_id = dup_str(f->rule_id);
    c->unit = dup_str(f->unit);
    c->subject = dup_str(f->subject);
    c->items = dup_str(f->items);
    c->agencies = dup_str(f->agencies);
    c->period_start = dup_str(f->period_start);
    c->period_end = dup_str(f->period_end);
    c->evidence = dup_str(f->evidence);
    c->policy_source = dup_str(f->policy_source);
    c->priority = dup_str(f->priority);
    return 0;
}

static void found_free(found *all)
{
    for (size_t i = 0; i < all->n; i++) {
        am_finding *c = &all->v[i];
        free((char *)(uintptr_t)c->id); free((char *)(uintptr_t)c->rule_id); free((char *)(uintptr_t)c->unit);
        free((char *)(uintptr_t)c->subject); free((char *)(uintptr_t)c->items); free((char *)(uintptr_t)c->agencies);
        free((char *)(uintptr_t)c->period_start); free((char *)(uintptr_t)c->period_end);
        free((char *)(uintptr_t)c->evidence); free((char *)(uintptr_t)c->policy_source); free((char *)(uintptr_t)c->priority);
    }
    free(all->v);
    memset(all, 0, sizeof *all);
}

/* Reconciles the copied county; with snapshot, writes it there. */
static void reconcile(found *all, const char *snapshot)
{
    am_ctx *ctx;
    ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
    load_sample_key(ctx);
    char path[512];
    path_in(path, sizeof path, "sample/centre.ini");
    ck_assert_msg(am_load_centre(ctx, path) == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_msg(am_ingest(ctx) == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_msg(am_reconcile(ctx, all ? collect : NULL, all) == AM_OK, "%s", am_errmsg(ctx));
    if (snapshot)
        ck_assert_msg(am_snapshot_write(ctx, snapshot) == AM_OK, "%s", am_errmsg(ctx));
    am_ctx_free(ctx);
}

typedef struct opened {
    am_ctx *ctx;
    am_window *w;
} opened;

static opened open_window(void)
{
    opened o;
    ck_assert_int_eq(am_ctx_new(&o.ctx), AM_OK);
    load_sample_key(o.ctx);
    ck_assert_msg(am_snapshot_open(o.ctx, snap_path) == AM_OK, "%s", am_errmsg(o.ctx));
    ck_assert_msg(am_window_open(o.ctx, NULL, &o.w) == AM_OK, "%s", am_errmsg(o.ctx));
    return o;
}

static void close_window(opened *o)
{
    am_window_close(o->w);
    am_ctx_free(o->ctx);
}

static void fresh_snapshot(void)
{
    copy_sample();
    char journal[512];
    path_in(journal, sizeof journal, "county.snap.journal");
    unlink(journal);
    reconcile(NULL, snap_path);
}

/* ------------------------------------------------------------------ */
/* Persons of the sample, by raw ID                                     */

typedef struct ids {
    char (*v)[19];
    size_t n;
} ids;

/* GB 11643: the check character of the first 17 digits. */
static int valid_id(const char *p)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        sum += (p[i] - '0') * w[i];
    }
    return p[17] == "10X98765432"[sum % 11];
}

/* The distinct valid IDs in column col (0-based) of a sample feed. */
static void ids_of(ids *out, const char *feed, int col)
{
    char path[512];
    path_in(path, sizeof path, feed);
    size_t len;
    char *text = am_test_slurp(path, &len);
    char *save = NULL;
    int first = 1;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (first) {
            first = 0;
            continue;
        }
        char *p = line;
        for (int c = 0; c < col && p; c++)
            p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
        if (!p || strcspn(p, ",") != 18 || !valid_id(p))
            continue;
        int seen = 0;
        for (size_t i = 0; i < out->n && !seen; i++)
            seen = strncmp(out->v[i], p, 18) == 0;
        if (seen)
            continue;
        out->v = realloc(out->v, (out->n + 1) * sizeof *out->v);
        memcpy(out->v[out->n], p, 18);
        out->v[out->n++][18] = 0;
    }
    free(text);
}

/* ------------------------------------------------------------------ */
/* Proposals and the rows a feed would hold for them                    */

typedef struct shape {
    const char *feed; /* under sample/ */
    const char *item, *raw_item;
    int one_off, monthly;
} shape;

static const shape shapes[] = {
    {"sample/mca_allowances.csv", "DIS_LIVING", "Disabled living", 0, 0},
    {"sample/mca_allowances.csv", "DIS_NURSING", "Disabled nursing", 0, 0},
    {"sample/mca_allowances.csv", "ORPHAN", "Orphan", 0, 0},
    {"sample/mca_allowances.csv", "ELDER_SVC", "Elderly service", 0, 0},
    {"sample/mca_oneoff.csv", "TEMP_EMERG", "急难型临时救助", 1, 0},
    {"sample/mca_oneoff.csv", "FESTIVAL", "节日慰问金", 1, 0},
    {"sample/mca_oneoff.csv", "FUNERAL", "基本殡葬服务费减免", 1, 0},
    {"sample/mca_dibao_tekun.csv", "DIBAO_URBAN", "城市低保", 0, 1},
    {"sample/mca_dibao_tekun.csv", "TEKUN_HOME", "分散特困", 0, 1},
    {"sample/mca_dibao_tekun.csv", "TEKUN_INST", "集中特困", 0, 1},
};

typedef struct proposal {
    const shape *s;
    int y, m, d0, d1, m1; /* start y-m-d0; end y-m1-d1 */
    long yuan;
    char start[11], end[11];
} proposal;

static void make_proposal(proposal *p, unsigned *seed)
{
    p->s = &shapes[rand_r(seed) % (sizeof shapes / sizeof *shapes)];
    p->y = rand_r(seed) % 5 == 0 ? 2026 : 2025;
    p->m = 1 + rand_r(seed) % 12;
    p->yuan = 100 + rand_r(seed) % 2000;
    if (p->s->monthly) {
        static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        p->d0 = 1;
        p->m1 = p->m;
        p->d1 = days[p->m - 1];
    } else if (p->s->one_off) {
        p->d0 = p->d1 = 1 + rand_r(seed) % 28;
        p->m1 = p->m;
    } else {
        p->d0 = 1;
        p->m1 = p->m + rand_r(seed) % (13 - p->m);
        p->d1 = 28;
    }
    snprintf(p->start, sizeof p->start, "%04d-%02d-%02d", p->y, p->m, p->d0);
    snprintf(p->end, sizeof p->end, "%04d-%02d-%02d", p->y, p->m1, p->d1);
}

/* The feed row for a proposal, in the feed's own columns. */
static void feed_row(const proposal *p, const char *id, char *out, size_t size)
{
    if (p->s->monthly)
        snprintf(out, size, "9999,顾山镇,,测试,%s,%s,1,%04d%02d,%ld.00,\n", id, p->s->raw_item,
                 p->y, p->m, p->yuan);
    else if (p->s->one_off)
        snprintf(out, size, "%d/%d/%d,测试,%s,,%s,%ld.00,张红\n", p->y, p->m, p->d0, id,
                 p->s->raw_item, p->yuan);
    else
        snprintf(out, size, "9999,%s,测试,%s,%04d%02d%02d,%04d%02d%02d,%ld.00,周庄镇\n", id,
                 p->s->raw_item, p->y, p->m, p->d0, p->y, p->m1, p->d1, p->yuan);
}

/* Appends a row to a feed of the copy; returns its physical line. */
static unsigned append_row(const char *feed, const char *row)
{
    char path[512];
    path_in(path, sizeof path, feed);
    size_t len;
    char *text = am_test_slurp(path, &len);
    unsigned lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    free(text);
    FILE *f = fopen(path, "ab");
    fputs(row, f);
    fclose(f);
    return lines + 1;
}

/* Whether evidence names "feed:line". */
static int cites(const char *evidence, const char *ref)
{
    const size_t n = strlen(ref);
    for (const char *p = evidence; (p = strstr(p, ref)); p += n)
        if ((p == evidence || p[-1] == ';') && (p[n] == ';' || p[n] == 0))
            return 1;
    return 0;
}

/* evidence with each "proposal/MCA:k" replaced by refs[k-1]. */
static void map_evidence(const char *evidence, char refs[][64], char *out, size_t size)
{
    out[0] = 0;
    for (const char *p = evidence; *p;) {
        const size_t len = strcspn(p, ";");
        char ref[128];
        snprintf(ref, sizeof ref, "%.*s", (int)len, p);
        unsigned k;
        if (strncmp(ref, "proposal/", 9) == 0 && sscanf(strchr(ref, ':') + 1, "%u", &k) == 1)
            snprintf(ref, sizeof ref, "%s", refs[k - 1]);
        snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? ";" : "", ref);
        p += len;
        if (*p)
            p++;
    }
}

/* Sorted ';'-separated refs, for comparing evidence whatever its order. */
static int compare_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sorted_refs(const char *evidence, char *out, size_t size)
{
    char copy[4096], *parts[256];
    size_t n = 0;
    snprintf(copy, sizeof copy, "%s", evidence);
    char *save = NULL;
    for (char *t = strtok_r(copy, ";", &save); t && n < 256; t = strtok_r(NULL, ";", &save))
        parts[n++] = t;
    qsort(parts, n, sizeof *parts, compare_str);
    out[0] = 0;
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? ";" : "", parts[i]);
}

START_TEST(proposals_match_the_nightly_run)
{
    fresh_snapshot();
    ids people = {0};
    ids_of(&people, "sample/mca_dibao_tekun.csv", 4);
    ids_of(&people, "sample/mca_allowances.csv", 1);
    ids_of(&people, "sample/mca_oneoff.csv", 2);
    ck_assert_uint_gt(people.n, 50);
    const char *feeds[] = {"sample/mca_allowances.csv", "sample/mca_oneoff.csv",
                           "sample/mca_dibao_tekun.csv"};
    char *original[3];
    size_t original_len[3];
    for (int f = 0; f < 3; f++) {
        char path[512];
        path_in(path, sizeof path, feeds[f]);
        original[f] = am_test_slurp(path, &original_len[f]);
    }
    opened o = open_window();
    unsigned seed = 20261204;
    size_t raised = 0, trials = 60;
    for (size_t t = 0; t < trials; t++) {
        const char *id = people.v[rand_r(&seed) % people.n];
        const size_t ngrants = 1 + rand_r(&seed) % 2;
        proposal p[2];
        am_grant g[2];
        char refs[2][64];
        for (size_t k = 0; k < ngrants; k++) {
            make_proposal(&p[k], &seed);
            g[k] = (am_grant){.item = p[k].s->item, .start = p[k].start, .end = p[k].end,
                              .amount_fen = p[k].yuan * 100};
            char row[512];
            feed_row(&p[k], id, row, sizeof row);
            const unsigned line = append_row(p[k].s->feed, row);
            /* the feed's name is the file's name without .csv */
            char name[40];
            snprintf(name, sizeof name, "%.30s", strchr(p[k].s->feed, '/') + 1);
            *strstr(name, ".csv") = 0;
            snprintf(refs[k], sizeof refs[k], "%s:%u", name, line);
        }
        found all = {0};
        reconcile(&all, NULL);
        am_check *c;
        const am_check_request q = {.person = id, .date = "2025-06-15", .grants = g,
                                    .ngrants = ngrants};
        ck_assert_msg(am_window_check(o.w, &q, &c) == AM_OK, "%s", am_check_errmsg(c));
        /* The nightly run's findings that rest on an added row. */
        size_t expected = 0;
        for (size_t i = 0; i < all.n; i++) {
            int on_proposal = 0;
            for (size_t k = 0; k < ngrants; k++)
                on_proposal |= cites(all.v[i].evidence, refs[k]);
            if (!on_proposal)
                continue;
            ck_assert_msg(expected < am_check_finding_count(c),
                          "trial %zu: the run also finds %s %s (%s)", t, all.v[i].rule_id,
                          all.v[i].items, all.v[i].evidence);
            am_finding f;
            ck_assert_int_eq(am_check_finding_get(c, expected++, &f), AM_OK);
            char mapped[4096], a[4096], b[4096];
            map_evidence(f.evidence, refs, mapped, sizeof mapped);
            sorted_refs(mapped, a, sizeof a);
            sorted_refs(all.v[i].evidence, b, sizeof b);
            ck_assert_str_eq(f.id, all.v[i].id);
            ck_assert_int_eq(f.kind, all.v[i].kind);
            ck_assert_str_eq(f.rule_id, all.v[i].rule_id);
            ck_assert_str_eq(f.subject, all.v[i].subject);
            ck_assert_str_eq(f.items, all.v[i].items);
            ck_assert_str_eq(f.agencies, all.v[i].agencies);
            ck_assert_str_eq(f.period_start, all.v[i].period_start);
            ck_assert_str_eq(f.period_end, all.v[i].period_end);
            ck_assert_int_eq(f.overlap_days, all.v[i].overlap_days);
            ck_assert_int_eq(f.amount_fen, all.v[i].amount_fen);
            ck_assert_str_eq(f.priority, all.v[i].priority);
            ck_assert_str_eq(a, b);
        }
        ck_assert_msg(expected == am_check_finding_count(c),
                      "trial %zu: the check finds %zu, the run %zu", t,
                      am_check_finding_count(c), expected);
        raised += expected;
        am_check_free(c);
        found_free(&all);
        for (int f = 0; f < 3; f++) {
            char path[512];
            path_in(path, sizeof path, feeds[f]);
            spill(path, original[f], original_len[f]);
        }
    }
    /* The proposals must have raised something, or the test proves nothing. */
    ck_assert_uint_gt(raised, trials / 4);
    close_window(&o);
    for (int f = 0; f < 3; f++)
        free(original[f]);
    free(people.v);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Known answers                                                        */

/* The first person paid an item of mca_allowances, and that row. */
static void first_allowance(char *id, char *item, char *start, char *end)
{
    char path[512];
    path_in(path, sizeof path, "sample/mca_allowances.csv");
    size_t len;
    char *text = am_test_slurp(path, &len);
    char *line = strchr(text, '\n') + 1;
    char raw[64], from[16], to[16];
    ck_assert_int_eq(sscanf(line, "%*[^,],%18[^,],%*[^,],%63[^,],%8[^,],%8[^,]", id, raw, from, to),
                     4);
    ck_assert_str_eq(raw, "Disabled nursing");
    strcpy(item, "DIS_NURSING");
    snprintf(start, 11, "%.4s-%.2s-%.2s", from, from + 4, from + 6);
    snprintf(end, 11, "%.4s-%.2s-%.2s", to, to + 4, to + 6);
    free(text);
}

START_TEST(a_second_payment_is_a_duplicate)
{
    fresh_snapshot();
    char id[19], item[32], start[11], end[11];
    first_allowance(id, item, start, end);
    opened o = open_window();
    const am_grant g = {.item = item, .start = start, .end = end, .amount_fen = 26000};
    const am_check_request q = {.person = id, .date = start, .grants = &g, .ngrants = 1};
    am_check *c;
    ck_assert_msg(am_window_check(o.w, &q, &c) == AM_OK, "%s", am_check_errmsg(c));
    ck_assert_uint_eq(am_check_finding_count(c), 1);
    am_finding f;
    ck_assert_int_eq(am_check_finding_get(c, 0, &f), AM_OK);
    ck_assert_int_eq(f.kind, AM_KIND_DUPLICATE);
    ck_assert_str_eq(f.rule_id, "DUP");
    ck_assert_str_eq(f.items, "DIS_NURSING");
    ck_assert_str_eq(f.subject, am_check_person(c));
    ck_assert_ptr_nonnull(strstr(f.evidence, "proposal/MCA:1"));
    ck_assert_ptr_nonnull(strstr(f.evidence, "mca_allowances:2"));
    /* The person holds that item on the date, and it is not on their menu. */
    int holds = 0;
    for (size_t i = 0; i < am_check_holding_count(c); i++) {
        am_record_info r;
        ck_assert_int_eq(am_check_holding_get(c, i, &r), AM_OK);
        holds |= strcmp(r.relation, "self") == 0 && strcmp(r.code, "DIS_NURSING") == 0;
        ck_assert_str_ne(r.feed, "proposal/MCA");
    }
    ck_assert(holds);
    for (size_t i = 0; i < am_check_menu_count(c); i++) {
        am_menu_item m;
        ck_assert_int_eq(am_check_menu_get(c, i, &m), AM_OK);
        ck_assert_str_ne(m.item, "DIS_NURSING");
    }
    am_check_free(c);
    /* The token works as the ID does; with no grants, nothing is raised. */
    char token[33];
    const am_check_request q0 = {.person = id, .date = start};
    ck_assert_int_eq(am_window_check(o.w, &q0, &c), AM_OK);
    snprintf(token, sizeof token, "%s", am_check_person(c));
    const size_t holdings = am_check_holding_count(c);
    ck_assert_uint_eq(am_check_finding_count(c), 0);
    am_check_free(c);
    const am_check_request qt = {.person = token, .date = start};
    ck_assert_int_eq(am_window_check(o.w, &qt, &c), AM_OK);
    ck_assert_uint_eq(am_check_holding_count(c), holdings);
    am_check_free(c);
    close_window(&o);
}
END_TEST

START_TEST(the_menu_lists_what_an_entitlement_gives)
{
    /* R12: a disability of grade 1-2 entitles to DIS_NURSING.  Someone
     * paid DIS_NURSING to a date has it off the menu that day, and on it
     * the day after the payments stop, while the grade holds. */
    fresh_snapshot();
    char id[19], item[32], start[11], end[11];
    first_allowance(id, item, start, end);
    opened o = open_window();
    am_check *c;
    const am_check_request q = {.person = id, .date = "2026-02-01"};
    ck_assert_msg(am_window_check(o.w, &q, &c) == AM_OK, "%s", am_check_errmsg(c));
    int listed = 0;
    for (size_t i = 0; i < am_check_menu_count(c); i++) {
        am_menu_item m;
        ck_assert_int_eq(am_check_menu_get(c, i, &m), AM_OK);
        if (strcmp(m.item, "DIS_NURSING") == 0) {
            listed = 1;
            ck_assert_str_eq(m.rule_id, "R12");
            ck_assert_str_eq(m.name_zh, "重度残疾人护理补贴");
            ck_assert_str_eq(m.unit, "person");
            ck_assert_str_ne(m.policy_source, "");
        }
    }
    ck_assert_msg(listed, "DIS_NURSING is not on the menu after the payments stop");
    am_check_free(c);
    close_window(&o);
}
END_TEST

/* A check's accessors, misused, say so in am_check_errmsg() word for
 * word; given no check they fail with nothing to say. */
START_TEST(check_accessors_name_their_misuse)
{
    fresh_snapshot();
    char id[19], item[32], start[11], end[11];
    first_allowance(id, item, start, end);
    opened o = open_window();
    am_check *c;
    const am_check_request q = {.person = id, .date = "2026-02-01"};
    ck_assert_msg(am_window_check(o.w, &q, &c) == AM_OK, "%s", am_check_errmsg(c));
    ck_assert_str_eq(am_check_errmsg(c), "");
    const size_t nh = am_check_holding_count(c), nf = am_check_finding_count(c),
                 nm = am_check_menu_count(c);
    char want[128];
    am_record_info r;
    ck_assert_int_eq(am_check_holding_get(c, nh, &r), AM_ERR_INVALID);
    snprintf(want, sizeof want, "am_check_holding_get: no holding %zu: there are %zu", nh, nh);
    ck_assert_str_eq(am_check_errmsg(c), want);
    ck_assert_int_eq(am_check_holding_get(c, 0, NULL), AM_ERR_INVALID);
    ck_assert_str_eq(am_check_errmsg(c), "am_check_holding_get: out is NULL");
    am_finding f;
    ck_assert_int_eq(am_check_finding_get(c, nf + 7, &f), AM_ERR_INVALID);
    snprintf(want, sizeof want, "am_check_finding_get: no finding %zu: there are %zu", nf + 7,
             nf);
    ck_assert_str_eq(am_check_errmsg(c), want);
    am_menu_item m;
    ck_assert_int_eq(am_check_menu_get(c, nm, &m), AM_ERR_INVALID);
    snprintf(want, sizeof want, "am_check_menu_get: no menu item %zu: there are %zu", nm, nm);
    ck_assert_str_eq(am_check_errmsg(c), want);
    ck_assert_int_eq(am_check_menu_get(c, 0, NULL), AM_ERR_INVALID);
    ck_assert_str_eq(am_check_errmsg(c), "am_check_menu_get: out is NULL");
    /* The answer itself is untouched by the misuse. */
    ck_assert_uint_eq(am_check_holding_count(c), nh);
    ck_assert_uint_gt(nh, 0);
    ck_assert_int_eq(am_check_holding_get(c, 0, &r), AM_OK);
    am_check_free(c);

    ck_assert_int_eq(am_check_holding_get(NULL, 0, &r), AM_ERR_INVALID);
    ck_assert_int_eq(am_check_finding_get(NULL, 0, &f), AM_ERR_INVALID);
    ck_assert_int_eq(am_check_menu_get(NULL, 0, &m), AM_ERR_INVALID);
    ck_assert_uint_eq(am_check_holding_count(NULL), 0);
    ck_assert_uint_eq(am_check_finding_count(NULL), 0);
    ck_assert_uint_eq(am_check_menu_count(NULL), 0);
    ck_assert_str_eq(am_check_errmsg(NULL), "");
    ck_assert_str_eq(am_check_person(NULL), "");
    ck_assert_int_eq(am_window_check(NULL, &q, &c), AM_ERR_INVALID);
    ck_assert_ptr_null(c);
    close_window(&o);
}
END_TEST

START_TEST(bad_requests_are_refused_clearly)
{
    fresh_snapshot();
    opened o = open_window();
    am_check *c;
    const am_check_request bad_id = {.person = "320281198108070205", .date = "2025-01-01"};
    ck_assert_int_eq(am_window_check(o.w, &bad_id, &c), AM_ERR_FORMAT);
    ck_assert_str_eq(am_check_errmsg(c), "expected a resident ID or a token of 32 hex digits; as "
                                         "an ID it is refused: bad_check_digit");
    am_check_free(c);
    char id[19], item[32], start[11], end[11];
    first_allowance(id, item, start, end);
    const am_check_request bad_date = {.person = id, .date = "2025-02-30"};
    ck_assert_int_eq(am_window_check(o.w, &bad_date, &c), AM_ERR_FORMAT);
    ck_assert_str_eq(am_check_errmsg(c), "check date: expected a date YYYY-MM-DD");
    am_check_free(c);
    const am_grant g = {.item = "NO_SUCH", .start = "2025-01-01"};
    const am_check_request bad_item = {.person = id, .date = "2025-01-01", .grants = &g,
                                       .ngrants = 1};
    ck_assert_int_eq(am_window_check(o.w, &bad_item, &c), AM_ERR_FORMAT);
    ck_assert_str_eq(am_check_errmsg(c), "grant 1: 'NO_SUCH' is not an item of the catalogue");
    ck_assert_uint_eq(am_check_holding_count(c), 0);
    am_check_free(c);
    const am_grant back = {.item = "ORPHAN", .start = "2025-03-01", .end = "2025-02-01"};
    const am_check_request backwards = {.person = id, .date = "2025-01-01", .grants = &back,
                                        .ngrants = 1};
    ck_assert_int_eq(am_window_check(o.w, &backwards, &c), AM_ERR_FORMAT);
    ck_assert_str_eq(am_check_errmsg(c), "grant 1: the end is before the start");
    am_check_free(c);
    close_window(&o);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The journal                                                          */

static size_t count_feed(const am_check *c, const char *feed)
{
    size_t n = 0;
    for (size_t i = 0; i < am_check_holding_count(c); i++) {
        am_record_info r;
        ck_assert_int_eq(am_check_holding_get(c, i, &r), AM_OK);
        n += strcmp(r.feed, feed) == 0;
    }
    return n;
}

START_TEST(a_grant_is_seen_by_the_next_check)
{
    fresh_snapshot();
    char id[19], item[32], start[11], end[11];
    first_allowance(id, item, start, end);
    opened o = open_window();
    opened other = open_window(); /* another process, in effect */
    const am_grant g = {.item = "ORPHAN", .start = "2025-03-01", .end = "2025-03-31",
                        .amount_fen = 120000};
    char msg[256] = "";
    ck_assert_msg(am_window_grant(o.w, id, &g, msg, sizeof msg) == AM_OK, "%s", msg);
    /* Seen on the other window; the same item proposed again duplicates it. */
    const am_check_request q = {.person = id, .date = "2025-03-15", .grants = &g, .ngrants = 1};
    am_check *c;
    ck_assert_msg(am_window_check(other.w, &q, &c) == AM_OK, "%s", am_check_errmsg(c));
    ck_assert_uint_eq(count_feed(c, "journal/MCA"), 1);
    ck_assert_uint_ge(am_check_finding_count(c), 1);
    am_finding f;
    ck_assert_int_eq(am_check_finding_get(c, 0, &f), AM_OK);
    ck_assert_int_eq(f.kind, AM_KIND_DUPLICATE);
    ck_assert_str_eq(f.items, "ORPHAN");
    ck_assert_ptr_nonnull(strstr(f.evidence, "journal/MCA:2"));
    am_check_free(c);
    /* The journal holds tokens only. */
    char path[512];
    path_in(path, sizeof path, "county.snap.journal");
    size_t len;
    char *text = am_test_slurp(path, &len);
    ck_assert_ptr_null(strstr(text, id));
    ck_assert_ptr_nonnull(strstr(text, "\tORPHAN\tMCA\t2025-03-01\t2025-03-31\t120000\t"));
    free(text);
    close_window(&other);
    close_window(&o);
}
END_TEST

START_TEST(a_torn_append_is_ignored)
{
    fresh_snapshot();
    char id[19], item[32], start[11], end[11];
    first_allowance(id, item, start, end);
    opened o = open_window();
    const am_grant g1 = {.item = "ORPHAN", .start = "2025-03-01", .end = "2025-03-31",
                         .amount_fen = 100};
    const am_grant g2 = {.item = "ELDER_SVC", .start = "2025-04-01", .end = "2025-04-30",
                         .amount_fen = 200};
    ck_assert_int_eq(am_window_grant(o.w, id, &g1, NULL, 0), AM_OK);
    /* Cut the last record in the middle, as a crash during the append would. */
    char path[512];
    path_in(path, sizeof path, "county.snap.journal");
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(truncate(path, sb.st_size - 30), 0);
    const am_check_request q = {.person = id, .date = "2025-03-15"};
    am_check *c;
    ck_assert_int_eq(am_window_check(o.w, &q, &c), AM_OK);
    ck_assert_uint_eq(count_feed(c, "journal/MCA"), 0);
    am_check_free(c);
    /* The next append starts a fresh line; the torn one is counted and ignored. */
    ck_assert_int_eq(am_window_grant(o.w, id, &g2, NULL, 0), AM_OK);
    opened fresh = open_window();
    ck_assert_int_eq(am_window_check(fresh.w, &q, &c), AM_OK);
    ck_assert_uint_eq(count_feed(c, "journal/MCA"), 1);
    ck_assert_uint_eq(am_check_journal_ignored(c), 1);
    am_record_info r;
    for (size_t i = 0; i < am_check_holding_count(c); i++)
        if (am_check_holding_get(c, i, &r) == AM_OK && strcmp(r.feed, "journal/MCA") == 0)
            ck_assert_str_eq(r.code, "ELDER_SVC");
    am_check_free(c);
    /* A flipped byte fails the line's checksum. */
    size_t len;
    char *text = am_test_slurp(path, &len);
    char *amount = strstr(text, "\t200\t");
    ck_assert_ptr_nonnull(amount);
    amount[1] = '9';
    spill(path, text, len);
    free(text);
    opened flipped = open_window();
    ck_assert_int_eq(am_window_check(flipped.w, &q, &c), AM_OK);
    ck_assert_uint_eq(count_feed(c, "journal/MCA"), 0);
    ck_assert_uint_eq(am_check_journal_ignored(c), 2);
    am_check_free(c);
    close_window(&flipped);
    close_window(&fresh);
    close_window(&o);
}
END_TEST

START_TEST(the_next_snapshot_takes_the_journal_in)
{
    fresh_snapshot();
    char id[19], item[32], start[11], end[11];
    first_allowance(id, item, start, end);
    opened o = open_window();
    /* One grant the agency's feed already holds (it arrives), one it does not. */
    const am_grant arrived = {.item = item, .start = start, .end = end, .amount_fen = 26000};
    const am_grant pending = {.item = "ORPHAN", .start = "2025-03-01", .end = "2025-03-31",
                              .amount_fen = 100};
    ck_assert_int_eq(am_window_grant(o.w, id, &arrived, NULL, 0), AM_OK);
    ck_assert_int_eq(am_window_grant(o.w, id, &pending, NULL, 0), AM_OK);
    const am_check_request q = {.person = id, .date = "2025-03-15"};
    am_check *c;
    ck_assert_int_eq(am_window_check(o.w, &q, &c), AM_OK);
    /* The arrived one is already ignored: the snapshot holds it. */
    ck_assert_uint_eq(count_feed(c, "journal/MCA"), 1);
    am_check_free(c);
    close_window(&o);
    sleep(1); /* a later snapshot time on any file system */
    reconcile(NULL, snap_path);
    opened next = open_window();
    char path[512], previous[512];
    path_in(path, sizeof path, "county.snap.journal");
    path_in(previous, sizeof previous, "county.snap.journal.previous");
    size_t len, plen;
    char *text = am_test_slurp(path, &len), *old = am_test_slurp(previous, &plen);
    size_t lines = 0, old_lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    for (size_t i = 0; i < plen; i++)
        old_lines += old[i] == '\n';
    ck_assert_uint_eq(lines, 2);     /* header and the pending grant */
    ck_assert_uint_eq(old_lines, 3); /* as it was */
    ck_assert_ptr_nonnull(strstr(text, "\tORPHAN\t"));
    free(text);
    free(old);
    ck_assert_int_eq(am_window_check(next.w, &q, &c), AM_OK);
    ck_assert_uint_eq(count_feed(c, "journal/MCA"), 1);
    am_check_free(c);
    close_window(&next);
}
END_TEST

START_TEST(a_check_asked_in_json)
{
    fresh_snapshot();
    char id[19], item[32], start[11], end[11];
    first_allowance(id, item, start, end);
    opened o = open_window();
    char json[512];
    snprintf(json, sizeof json,
             "{\"person\": \"%s\", \"date\": \"%s\", \"grants\": [{\"item\": \"%s\", "
             "\"start\": \"%s\", \"end\": \"%s\", \"amount_fen\": 26000}]}",
             id, start, item, start, end);
    am_check *c;
    ck_assert_msg(am_window_check_json(o.w, json, strlen(json), &c) == AM_OK, "%s",
                  am_check_errmsg(c));
    ck_assert_uint_eq(am_check_finding_count(c), 1);
    am_check_free(c);
    const char *bad[][2] = {
        {"{\"person\": 1, \"date\": \"2025-01-01\"}", "request: 'person' must be a string"},
        {"{\"person\": \"x\", \"dat\": \"2025-01-01\"}", "request: unknown member 'dat'"},
        {"{\"person\": \"x\"}", "request: 'date' is missing"},
        {"{\"person\": \"x\", \"date\": \"2025-01-01\", \"grants\": [{\"item\": \"ORPHAN\", "
         "\"start\": \"2025-01-01\", \"amount_fen\": -5}]}",
         "grant 1: 'amount_fen' must be a whole number of fen, not negative"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_eq(am_window_check_json(o.w, bad[i][0], strlen(bad[i][0]), &c),
                         AM_ERR_FORMAT);
        ck_assert_str_eq(am_check_errmsg(c), bad[i][1]);
        am_check_free(c);
    }
    ck_assert_int_eq(am_window_check_json(o.w, "{\"person\":", 11, &c), AM_ERR_FORMAT);
    am_check_free(c);
    snprintf(json, sizeof json,
             "{\"person\": \"%s\", \"grant\": {\"item\": \"ORPHAN\", \"start\": "
             "\"2025-03-01\", \"end\": \"2025-03-31\", \"amount_fen\": 100}}", id);
    char msg[256] = "";
    ck_assert_msg(am_window_grant_json(o.w, json, strlen(json), msg, sizeof msg) == AM_OK, "%s",
                  msg);
    const am_check_request q = {.person = id, .date = "2025-03-15"};
    ck_assert_int_eq(am_window_check(o.w, &q, &c), AM_OK);
    ck_assert_uint_eq(count_feed(c, "journal/MCA"), 1);
    am_check_free(c);
    close_window(&o);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Threads                                                              */

typedef struct worker {
    am_window *w;
    const ids *people;
    size_t first, step;
    size_t *counts; /* findings + holdings + menu per person */
} worker;

static size_t answer_size(am_window *w, const char *id)
{
    const am_grant g = {.item = "DIBAO_URBAN", .start = "2025-05-01", .amount_fen = 80000};
    const am_check_request q = {.person = id, .date = "2025-05-15", .grants = &g, .ngrants = 1};
    am_check *c;
    if (am_window_check(w, &q, &c) != AM_OK) {
        am_check_free(c);
        return SIZE_MAX;
    }
    const size_t n = am_check_finding_count(c) * 10000 + am_check_holding_count(c) * 100 +
                     am_check_menu_count(c);
    am_check_free(c);
    return n;
}

static void *work(void *arg)
{
    worker *k = arg;
    for (size_t i = k->first; i < k->people->n; i += k->step)
        k->counts[i] = answer_size(k->w, k->people->v[i]);
    return NULL;
}

START_TEST(threads_agree_with_one_thread)
{
    fresh_snapshot();
    ids people = {0};
    ids_of(&people, "sample/mca_dibao_tekun.csv", 4);
    ids_of(&people, "sample/mca_allowances.csv", 1);
    opened o = open_window();
    size_t *one = calloc(people.n, sizeof *one), *many = calloc(people.n, sizeof *many);
    for (size_t i = 0; i < people.n; i++)
        one[i] = answer_size(o.w, people.v[i]);
    pthread_t t[4];
    worker k[4];
    for (size_t i = 0; i < 4; i++) {
        k[i] = (worker){o.w, &people, i, 4, many};
        ck_assert_int_eq(pthread_create(&t[i], NULL, work, &k[i]), 0);
    }
    /* and a grant recorded meanwhile, for a person none of them checks */
    const am_grant g = {.item = "FESTIVAL", .start = "2025-01-20", .amount_fen = 30000};
    ck_assert_int_eq(am_window_grant(o.w, "00000000000000000000000000000001", &g, NULL, 0), AM_OK);
    for (size_t i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (size_t i = 0; i < people.n; i++) {
        ck_assert_uint_ne(one[i], SIZE_MAX);
        ck_assert_uint_eq(one[i], many[i]);
    }
    free(one);
    free(many);
    free(people.v);
    close_window(&o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("window");
    TCase *tc = tcase_create("window");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, a_second_payment_is_a_duplicate);
    tcase_add_test(tc, the_menu_lists_what_an_entitlement_gives);
    tcase_add_test(tc, check_accessors_name_their_misuse);
    tcase_add_test(tc, bad_requests_are_refused_clearly);
    tcase_add_test(tc, proposals_match_the_nightly_run);
    tcase_add_test(tc, a_grant_is_seen_by_the_next_check);
    tcase_add_test(tc, a_torn_append_is_ignored);
    tcase_add_test(tc, the_next_snapshot_takes_the_journal_in);
    tcase_add_test(tc, a_check_asked_in_json);
    tcase_add_test(tc, threads_agree_with_one_thread);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    char cmd[128];
    if (dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            return 1;
    }
    return failed ? 1 : 0;
}
