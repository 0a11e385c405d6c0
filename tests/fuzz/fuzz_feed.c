/*
 * fuzz_feed.c — a payments feed and a registry feed declared in code,
 * ingested from arbitrary bytes, then reconciled with the shipped rules.
 *
 * Input: byte 0 picks variations of the specs (date shape, encoding,
 * window, limits, token IDs); the rest is the payments file, and after a
 * line "====" the registry file (else a fixed one).
 *
 * Invariants: the counts reconcile for every feed (rows_read =
 * rows_ingested + rows_rejected, and the reasons add up), and after
 * successful ingestion the kept rejects are those counted; rejects come in
 * line order; findings are well formed, in output order, and the same
 * when reconciling again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aidmatch.h>

#include "fuzz.h"

static const unsigned char key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static const char registry_csv[] =
    "id,hh,fact,grade,from,to\n"
    "11010519491231002X,H1,hukou,,2000-01-01,\n"
    "11010519491231002X,H1,dis,2,2020-01-01,\n"
    "441900890101221,H1,death,,2024-02-10,2024-02-10\n";

static const char marker[] = "\n====\n";

static char catalogue[4200], rules[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_source_path(catalogue, sizeof catalogue, "data/catalogue");
    fuzz_source_path(rules, sizeof rules, "data/rules/default.rules");
    return 0;
}

static void set(am_ctx *ctx, am_feed *feed, const char *k, const char *v)
{
    if (am_feed_set(feed, k, v) != AM_OK) {
        fprintf(stderr, "fuzz_feed: %s = %s: %s\n", k, v, am_errmsg(ctx));
        abort();
    }
}

static am_feed *payments_feed(am_ctx *ctx, unsigned opt)
{
    static const char *const encodings[4] = {"auto", "utf-8", "gbk", "utf-16le"};
    am_feed *feed;
    FUZZ_CHECK(am_feed_new(ctx, "pay", &feed) == AM_OK);
    set(ctx, feed, "agency", "MCA");
    set(ctx, feed, "person_id", "id");
    set(ctx, feed, "name", "name");
    set(ctx, feed, "household_id", "hh");
    set(ctx, feed, "amount", "amount");
    set(ctx, feed, "item_column", "type");
    set(ctx, feed, "item_map",
        "urban:DIBAO_URBAN|rural:DIBAO_RURAL|tekun:TEKUN_HOME|inst:TEKUN_INST|med:MED_PREM|"
        "edu:EDU_COMP|high:EDU_HIGH|nurse:DIS_NURSING|living:DIS_LIVING|orphan:ORPHAN|"
        "fest:FESTIVAL|temp:TEMP_EXPEND|union:UNION_AID|charity:CHARITY_AID|funeral:FUNERAL|"
        "rent:HOUSE_RENT|emp:EMP_SOCINS|城市低保:DIBAO_URBAN");
    switch (opt & 3) {
    case 0:
        set(ctx, feed, "start", "from");
        set(ctx, feed, "end", "to");
        break;
    case 1: set(ctx, feed, "month", "month"); break;
    case 2: set(ctx, feed, "date", "day"); break;
    default:
        set(ctx, feed, "start", "from");
        set(ctx, feed, "end", "to");
        set(ctx, feed, "date_format", "excel");
        break;
    }
    set(ctx, feed, "encoding", encodings[(opt >> 2) & 3]);
    if (opt & 0x20) {
        set(ctx, feed, "max_field", "32");
        set(ctx, feed, "max_line", "200");
        set(ctx, feed, "max_amount", "5000");
    }
    if (opt & 0x40)
        set(ctx, feed, "delimiter", "tab");
    if (opt & 0x80) {
        set(ctx, feed, "ids", "token");
        set(ctx, feed, "key_fingerprint", am_key_fingerprint(ctx));
    }
    return feed;
}

static am_feed *registry_feed(am_ctx *ctx)
{
    am_feed *feed;
    FUZZ_CHECK(am_feed_new(ctx, "reg", &feed) == AM_OK);
    set(ctx, feed, "kind", "registry");
    set(ctx, feed, "agency", "PSB");
    set(ctx, feed, "person_id", "id");
    set(ctx, feed, "household_id", "hh");
    set(ctx, feed, "fact_column", "fact");
    set(ctx, feed, "fact_map",
        "death:DEATH|dis:DISABILITY|hukou:HUKOU|car:VEHICLE|biz:BUSINESS_ROLE|prop:PROPERTY|"
        "school:SCHOOL_ENROLMENT|jobless:UNEMPLOYED|house:HOUSING_DIFFICULTY");
    set(ctx, feed, "value", "grade");
    set(ctx, feed, "start", "from");
    set(ctx, feed, "end", "to");
    return feed;
}

static int is_hex32(const char *s)
{
    if (!s || strlen(s) != 32)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

/* complete: every ingestion so far succeeded, so every reject counted is
 * also kept (a failed one may drop the rows it had not yet handed over). */
static void check_counts(const am_ctx *ctx, int complete)
{
    uint64_t rejected = 0;
    for (size_t i = 0; i < am_feed_count(ctx); i++) {
        am_feed_stats s;
        FUZZ_CHECK(am_feed_stats_get(ctx, i, &s) == AM_OK);
        FUZZ_CHECK(s.rows_read == s.rows_ingested + s.rows_rejected);
        uint64_t sum = 0;
        for (int r = 0; r < AM_REJECT__COUNT; r++)
            sum += am_feed_rejected(ctx, i, (am_reject)r);
        FUZZ_CHECK(sum == s.rows_rejected);
        rejected += s.rows_rejected;
    }
    FUZZ_CHECK(complete ? am_reject_count(ctx) == rejected : am_reject_count(ctx) <= rejected);
    const char *feed = NULL;
    uint64_t last = 0;
    for (size_t i = 0; i < am_reject_count(ctx); i++) {
        am_reject_row row;
        FUZZ_CHECK(am_reject_get(ctx, i, &row) == AM_OK);
        FUZZ_CHECK((unsigned)row.reason < AM_REJECT__COUNT);
        FUZZ_CHECK(row.detail != NULL);
        if (feed && strcmp(feed, row.feed) == 0)
            FUZZ_CHECK(row.line > last);
        FUZZ_CHECK(row.line >= 2); /* line 1 is the header */
        feed = row.feed;
        last = row.line;
    }
}

/* The findings of the last reconciliation as one string, checking each. */
static char *findings_text(const am_ctx *ctx)
{
    size_t cap = 256, len = 0;
    char *text = malloc(cap);
    FUZZ_CHECK(text != NULL);
    text[0] = '\0';
    am_finding prev = {0};
    for (size_t i = 0; i < am_finding_count(ctx); i++) {
        am_finding f;
        FUZZ_CHECK(am_finding_get(ctx, i, &f) == AM_OK);
        FUZZ_CHECK(is_hex32(f.id));
        FUZZ_CHECK(is_hex32(f.subject));
        FUZZ_CHECK((unsigned)f.kind < AM_KIND__COUNT);
        FUZZ_CHECK(f.amount_fen >= 0);
        FUZZ_CHECK(f.overlap_days >= 0);
        FUZZ_CHECK(f.items && *f.items && f.agencies && f.evidence && *f.evidence);
        FUZZ_CHECK(f.rule_id && f.policy_source && f.priority && f.unit);
        FUZZ_CHECK(strlen(f.period_start) == 10 && strlen(f.period_end) == 10);
        FUZZ_CHECK(strcmp(f.period_start, f.period_end) <= 0);
        if (i > 0)
            FUZZ_CHECK(prev.amount_fen > f.amount_fen ||
                       (prev.amount_fen == f.amount_fen && strcmp(prev.id, f.id) < 0));
        prev = f;
        char line[512];
        const int n = snprintf(line, sizeof line, "%s %d %s %s %s %s %s %lld %lld|", f.id,
                               (int)f.kind, f.rule_id, f.subject, f.period_start, f.period_end,
                               f.priority, (long long)f.overlap_days, (long long)f.amount_fen);
        FUZZ_CHECK(n > 0 && (size_t)n < sizeof line);
        const size_t need = len + (size_t)n + strlen(f.items) + strlen(f.agencies) +
                            strlen(f.evidence) + 4;
        if (need > cap) {
            while (need > cap)
                cap *= 2;
            char *grown = realloc(text, cap);
            FUZZ_CHECK(grown != NULL);
            text = grown;
        }
        len += (size_t)sprintf(text + len, "%s%s|%s|%s\n", line, f.items, f.agencies, f.evidence);
    }
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const unsigned opt = data[0];
    const char *pay = (const char *)data + 1;
    size_t pay_len = size - 1;
    const char *reg = registry_csv;
    size_t reg_len = sizeof registry_csv - 1;
    for (size_t i = 0; i + sizeof marker - 1 <= pay_len; i++) {
        if (memcmp(pay + i, marker, sizeof marker - 1) == 0) {
            reg = pay + i + sizeof marker - 1;
            reg_len = pay_len - i - (sizeof marker - 1);
            pay_len = i + 1; /* keep the line end */
            break;
        }
    }

    am_ctx *ctx;
    FUZZ_CHECK(am_ctx_new(&ctx) == AM_OK);
    FUZZ_CHECK(am_load_catalogue(ctx, catalogue) == AM_OK);
    FUZZ_CHECK(am_load_key(ctx, key, sizeof key) == AM_OK);
    FUZZ_CHECK(am_load_rules(ctx, rules) == AM_OK);
    if (opt & 0x10)
        FUZZ_CHECK(am_set_window(ctx, "2024-01-01", "2024-12-31") == AM_OK);
    am_feed *p = payments_feed(ctx, opt);
    am_feed *r = registry_feed(ctx);

    const am_status sp = am_feed_ingest_buffer(p, pay, pay_len);
    check_counts(ctx, sp == AM_OK);
    const am_status sr = am_feed_ingest_buffer(r, reg, reg_len);
    check_counts(ctx, sp == AM_OK && sr == AM_OK);
    FUZZ_CHECK(sp != AM_ERR_NOMEM && sp != AM_ERR_KEY && sp != AM_ERR_INVALID);
    FUZZ_CHECK(sr != AM_ERR_NOMEM && sr != AM_ERR_KEY && sr != AM_ERR_INVALID);
    /* A second ingestion of a feed is refused. */
    FUZZ_CHECK(am_feed_ingest_buffer(p, "", 0) == AM_ERR_INVALID);

    const am_status s1 = am_reconcile(ctx, NULL, NULL);
    FUZZ_CHECK(s1 == AM_OK);
    char *first = findings_text(ctx);
    FUZZ_CHECK(am_reconcile(ctx, NULL, NULL) == AM_OK);
    char *second = findings_text(ctx);
    FUZZ_CHECK(strcmp(first, second) == 0);
    free(first);
    free(second);
    check_counts(ctx, sp == AM_OK && sr == AM_OK);
    am_ctx_free(ctx);
    return 0;
}
