/* Snapshots and the auditor's questions: a written snapshot opens to the
 * same run (ad-hoc rules give the reconciliation's findings, every finding
 * explains, every person finds their findings); a flipped byte in any
 * section, a truncation, another version or byte order is a clear error;
 * values out of range behind valid checksums are caught; every allocation
 * can fail.  Linked against the fault-injection build of the library
 * (injection is off unless armed). */
#include <aidmatch.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/context.h"
#include "common/fault.h"
#include "audit/snapshot.h"
#include "check_run.h"

static char dir[64];

static const char *tmp(const char *name)
{
    static char paths[4][256];
    static int next;
    char *p = paths[next++ % 4];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/am_snapshot_XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
    }
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static void source_path(char *out, size_t size, const char *rel)
{
    snprintf(out, size, "%s/%s", getenv("AM_SOURCE_ROOT"), rel);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc(*len + 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(fread(data, 1, *len, f), *len);
    data[*len] = 0;
    fclose(f);
    return data;
}

static void spill(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* The sample county's key, as bytes (loaded before the centre file, so
 * that the file's mode in a checkout does not matter). */
static void sample_key(unsigned char key[16])
{
    char path[1024];
    source_path(path, sizeof path, "data/sample/sample.key");
    size_t len;
    unsigned char *hex = slurp(path, &len);
    for (int i = 0; i < 16; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf((const char *)hex + 2 * i, "%2x", &v), 1);
        key[i] = (unsigned char)v;
    }
    free(hex);
}

/* The sample county, ingested and reconciled. */
static am_ctx *sample_run(void)
{
    am_ctx *ctx;
    ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
    unsigned char key[16];
    sample_key(key);
    ck_assert_int_eq(am_load_key(ctx, key, sizeof key), AM_OK);
    char path[1024];
    source_path(path, sizeof path, "data/sample/centre.ini");
    ck_assert_msg(am_load_centre(ctx, path) == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_msg(am_ingest(ctx) == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_msg(am_reconcile(ctx, NULL, NULL) == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_int_eq(am_review(ctx), AM_OK);
    return ctx;
}

/* The sample's snapshot, written once per process. */
static const char *sample_snapshot(void)
{
    static char path[256];
    if (!path[0]) {
        am_ctx *ctx = sample_run();
        snprintf(path, sizeof path, "%s", tmp("sample.snap"));
        ck_assert_msg(am_snapshot_write(ctx, path) == AM_OK, "%s", am_errmsg(ctx));
        am_ctx_free(ctx);
    }
    return path;
}

static am_ctx *open_snapshot(const char *path)
{
    am_ctx *ctx;
    ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
    ck_assert_msg(am_snapshot_open(ctx, path) == AM_OK, "%s", am_errmsg(ctx));
    return ctx;
}

static am_status try_open(const char *path, char *msg, size_t size)
{
    am_ctx *ctx;
    ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
    am_status st = am_snapshot_open(ctx, path);
    if (st == AM_OK)
        st = am_snapshot_verify(ctx);
    snprintf(msg, size, "%s", am_errmsg(ctx));
    am_ctx_free(ctx);
    return st;
}

static char *default_rules(size_t *len)
{
    char path[1024];
    source_path(path, sizeof path, "data/rules/default.rules");
    return (char *)slurp(path, len);
}

START_TEST(round_trip)
{
    am_ctx *run = sample_run();
    const char *path = sample_snapshot();
    am_ctx *snap = open_snapshot(path);
    ck_assert_uint_eq(am_feed_count(snap), am_feed_count(run));
    for (size_t i = 0; i < am_feed_count(run); i++) {
        am_feed_stats a, b;
        ck_assert_int_eq(am_feed_stats_get(run, i, &a), AM_OK);
        ck_assert_int_eq(am_feed_stats_get(snap, i, &b), AM_OK);
        ck_assert_str_eq(a.name, b.name);
        ck_assert_str_eq(a.agency, b.agency);
        ck_assert_str_eq(a.file_xxh3, b.file_xxh3);
        ck_assert_str_eq(a.encoding, b.encoding);
        ck_assert_uint_eq(a.rows_read, b.rows_read);
        ck_assert_uint_eq(a.rows_rejected, b.rows_rejected);
        for (int r = 0; r < AM_REJECT__COUNT; r++)
            ck_assert_uint_eq(am_feed_rejected(run, i, (am_reject)r),
                              am_feed_rejected(snap, i, (am_reject)r));
    }
    ck_assert_str_eq(am_key_fingerprint(snap), ""); /* the key is never in a snapshot */
    /* The run's rules over the snapshot give the run's findings. */
    size_t len;
    char *rules = default_rules(&len);
    ck_assert_msg(am_match_rules(snap, rules, len, "default.rules", NULL,
                                 AM_MATCH_WITH_DUPLICATES) == AM_OK, "%s", am_errmsg(snap));
    ck_assert_uint_eq(am_result_count(snap), am_finding_count(run));
    ck_assert_uint_gt(am_finding_count(run), 20);
    for (size_t i = 0; i < am_finding_count(run); i++) {
        am_finding f;
        am_finding_review rv;
        am_result r;
        ck_assert_int_eq(am_finding_get(run, i, &f), AM_OK);
        ck_assert_int_eq(am_finding_review_get(run, i, &rv), AM_OK);
        ck_assert_int_eq(am_result_get(snap, i, &r), AM_OK);
        ck_assert_str_eq(f.id, r.finding.id);
        ck_assert_int_eq(f.amount_fen, r.finding.amount_fen);
        ck_assert_str_eq(f.evidence, r.finding.evidence);
        ck_assert_str_eq(rv.facts, r.facts);
        ck_assert_str_eq(rv.area, r.area);
    }
    /* The same questions of the run itself. */
    ck_assert_int_eq(am_match_rules(run, rules, len, "default.rules", NULL, 0), AM_OK);
    size_t dups = 0;
    for (size_t i = 0; i < am_finding_count(run); i++) {
        am_finding f;
        am_finding_get(run, i, &f);
        dups += strcmp(f.rule_id, "DUP") == 0;
    }
    ck_assert_uint_eq(am_result_count(run), am_finding_count(run) - dups);
    free(rules);
    am_ctx_free(snap);
    am_ctx_free(run);
}
END_TEST

START_TEST(written_the_same_twice)
{
    am_ctx *run = sample_run();
    const char *a = tmp("a.snap"), *b = tmp("b.snap");
    ck_assert_int_eq(am_snapshot_write(run, a), AM_OK);
    ck_assert_int_eq(am_snapshot_write(run, b), AM_OK);
    size_t la, lb;
    unsigned char *da = slurp(a, &la), *db = slurp(b, &lb);
    ck_assert_uint_eq(la, lb);
    ck_assert_int_eq(memcmp(da, db, la), 0);
    struct stat sb;
    ck_assert_int_eq(stat(a, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 077, 0);
    free(da);
    free(db);
    am_ctx_free(run);
}
END_TEST

static size_t count_entries(const char *evidence)
{
    size_t n = *evidence != '\0';
    for (; *evidence; evidence++)
        n += *evidence == ';';
    return n;
}

START_TEST(every_finding_explains)
{
    am_ctx *run = sample_run();
    am_ctx *snap = open_snapshot(sample_snapshot());
    for (size_t i = 0; i < am_finding_count(run); i++) {
        am_finding f;
        am_finding_get(run, i, &f);
        for (int source = 0; source < 2; source++) {
            am_ctx *ctx = source ? run : snap;
            ck_assert_msg(am_explain(ctx, f.id) == AM_OK, "%s", am_errmsg(ctx));
            am_result r;
            ck_assert_uint_eq(am_result_count(ctx), 1);
            ck_assert_int_eq(am_result_get(ctx, 0, &r), AM_OK);
            ck_assert_str_eq(r.finding.id, f.id);
            ck_assert_int_eq(r.finding.amount_fen, f.amount_fen);
            ck_assert_str_eq(r.finding.evidence, f.evidence);
            ck_assert_uint_eq(r.evidence_count, count_entries(f.evidence));
            am_record_info x;
            ck_assert_int_eq(am_result_evidence_get(ctx, 0, 0, &x), AM_OK);
            ck_assert_uint_eq(strlen(x.person), 32);
            ck_assert_int_eq(am_result_evidence_get(ctx, 0, r.evidence_count, &x), AM_ERR_INVALID);
            am_rule_info rule;
            ck_assert_int_eq(am_rule_get(ctx, f.rule_id, &rule), AM_OK);
            ck_assert_str_eq(rule.source, f.policy_source);
            if (strcmp(f.rule_id, "DUP") != 0) {
                ck_assert_int_eq(strncmp(rule.text, "rule ", 5), 0);
                ck_assert_ptr_nonnull(strstr(rule.text, "source"));
                ck_assert_ptr_nonnull(strstr(rule.origin, "default.rules"));
                ck_assert_uint_gt(rule.line, 0);
            }
        }
    }
    /* Upper case is the same id; an unknown id is an empty answer. */
    am_finding f;
    am_finding_get(run, 0, &f);
    char upper[33];
    for (int i = 0; i < 33; i++)
        upper[i] = (char)(f.id[i] >= 'a' && f.id[i] <= 'f' ? f.id[i] - 32 : f.id[i]);
    ck_assert_int_eq(am_explain(snap, upper), AM_OK);
    ck_assert_uint_eq(am_result_count(snap), 1);
    ck_assert_int_eq(am_explain(snap, "00000000000000000000000000000000"), AM_OK);
    ck_assert_uint_eq(am_result_count(snap), 0);
    ck_assert_int_eq(am_explain(snap, "not-an-id"), AM_ERR_FORMAT);
    am_ctx_free(snap);
    am_ctx_free(run);
}
END_TEST

START_TEST(every_person_finds_their_findings)
{
    am_ctx *run = sample_run();
    am_ctx *snap = open_snapshot(sample_snapshot());
    for (size_t i = 0; i < am_finding_count(run); i++) {
        am_finding f;
        am_finding_get(run, i, &f);
        if (strcmp(f.unit, "person") != 0)
            continue;
        ck_assert_msg(am_person_lookup(snap, f.subject, NULL) == AM_OK, "%s", am_errmsg(snap));
        ck_assert_str_eq(am_person_token(snap), f.subject);
        ck_assert_uint_gt(am_person_record_count(snap), 0);
        int found = 0;
        for (size_t k = 0; k < am_result_count(snap); k++) {
            am_result r;
            am_result_get(snap, k, &r);
            if (strcmp(r.finding.id, f.id) == 0) {
                found = 1;
                ck_assert_str_eq(r.concerns, "subject");
                ck_assert_int_eq(r.finding.amount_fen, f.amount_fen);
            }
        }
        ck_assert_msg(found, "finding %s missing from its subject's answer", f.id);
        /* The run itself answers the same. */
        const size_t records = am_person_record_count(snap), results = am_result_count(snap);
        ck_assert_int_eq(am_person_lookup(run, f.subject, NULL), AM_OK);
        ck_assert_uint_eq(am_person_record_count(run), records);
        ck_assert_uint_eq(am_result_count(run), results);
    }
    /* Every household finding reaches the members it names. */
    for (size_t i = 0; i < am_finding_count(run); i++) {
        am_finding f;
        am_finding_get(run, i, &f);
        if (strcmp(f.unit, "household") != 0)
            continue;
        ck_assert_int_eq(am_explain(snap, f.id), AM_OK);
        am_record_info x;
        ck_assert_int_eq(am_result_evidence_get(snap, 0, 0, &x), AM_OK);
        char person[33];
        snprintf(person, sizeof person, "%s", x.person);
        ck_assert_int_eq(am_person_lookup(snap, person, NULL), AM_OK);
        int found = 0;
        for (size_t k = 0; k < am_result_count(snap); k++) {
            am_result r;
            am_result_get(snap, k, &r);
            found |= strcmp(r.finding.id, f.id) == 0;
        }
        ck_assert_msg(found, "household finding %s missing from a claimant's answer", f.id);
    }
    /* Nobody: an empty answer. */
    ck_assert_int_eq(am_person_lookup(snap, "0123456789abcdef0123456789abcdef", NULL), AM_OK);
    ck_assert_uint_eq(am_person_record_count(snap), 0);
    ck_assert_uint_eq(am_result_count(snap), 0);
    am_ctx_free(snap);
    am_ctx_free(run);
}
END_TEST

/* The resident ID in column 5 of the sample's dibao feed, line 2. */
static void sample_id(char out[19])
{
    char path[1024];
    source_path(path, sizeof path, "data/sample/mca_dibao_tekun.csv");
    size_t len;
    char *text = (char *)slurp(path, &len);
    char *line = strchr(text, '\n') + 1, *p = line;
    for (int field = 0; field < 4; field++)
        p = strchr(p, ',') + 1;
    memcpy(out, p, 18);
    out[18] = '\0';
    free(text);
}

START_TEST(raw_ids_need_the_key)
{
    char id[19];
    sample_id(id);
    am_ctx *snap = open_snapshot(sample_snapshot());
    ck_assert_int_eq(am_person_lookup(snap, id, NULL), AM_ERR_KEY);
    ck_assert_ptr_null(strstr(am_errmsg(snap), id));
    unsigned char key[16];
    sample_key(key);
    ck_assert_int_eq(am_load_key(snap, key, sizeof key), AM_OK);
    ck_assert_int_eq(am_person_lookup(snap, id, NULL), AM_OK);
    char token[33];
    snprintf(token, sizeof token, "%s", am_person_token(snap));
    const size_t records = am_person_record_count(snap);
    ck_assert_uint_gt(records, 0);
    ck_assert_int_eq(am_person_lookup(snap, token, NULL), AM_OK);
    ck_assert_uint_eq(am_person_record_count(snap), records);
    /* A mangled ID is refused with its reason, never its text. */
    char bad[19];
    memcpy(bad, id, 19);
    bad[17] = bad[17] == '0' ? '1' : '0';
    ck_assert_int_eq(am_person_lookup(snap, bad, NULL), AM_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(am_errmsg(snap), "bad_check_digit"));
    ck_assert_ptr_null(strstr(am_errmsg(snap), bad));
    am_ctx_free(snap);
    /* Another key: refused when opening. */
    am_ctx *other;
    ck_assert_int_eq(am_ctx_new(&other), AM_OK);
    key[0] ^= 1;
    ck_assert_int_eq(am_load_key(other, key, sizeof key), AM_OK);
    ck_assert_int_eq(am_snapshot_open(other, sample_snapshot()), AM_ERR_KEY);
    am_ctx_free(other);
}
END_TEST

START_TEST(filters_narrow)
{
    am_ctx *snap = open_snapshot(sample_snapshot());
    size_t len;
    char *rules = default_rules(&len);
    ck_assert_int_eq(am_match_rules(snap, rules, len, "r", NULL, AM_MATCH_WITH_DUPLICATES), AM_OK);
    const size_t all = am_result_count(snap);
    size_t conflicts = 0, big = 0, psb = 0, town = 0;
    for (size_t i = 0; i < all; i++) {
        am_result r;
        am_result_get(snap, i, &r);
        conflicts += r.finding.kind == AM_KIND_CONFLICT;
        big += r.finding.amount_fen >= 1000000;
        psb += strstr(r.finding.agencies, "PSB") != NULL;
        town += strncmp(r.area, "3202", 4) == 0;
    }
    ck_assert_uint_gt(conflicts, 0);
    am_filter f = {.kinds = 1u << AM_KIND_CONFLICT};
    ck_assert_int_eq(am_match_rules(snap, rules, len, "r", &f, AM_MATCH_WITH_DUPLICATES), AM_OK);
    ck_assert_uint_eq(am_result_count(snap), conflicts);
    f = (am_filter){.min_amount_fen = 1000000};
    ck_assert_int_eq(am_match_rules(snap, rules, len, "r", &f, AM_MATCH_WITH_DUPLICATES), AM_OK);
    ck_assert_uint_eq(am_result_count(snap), big);
    f = (am_filter){.agencies = "PSB"};
    ck_assert_int_eq(am_match_rules(snap, rules, len, "r", &f, AM_MATCH_WITH_DUPLICATES), AM_OK);
    ck_assert_uint_eq(am_result_count(snap), psb);
    f = (am_filter){.town = "3202"};
    ck_assert_int_eq(am_match_rules(snap, rules, len, "r", &f, AM_MATCH_WITH_DUPLICATES), AM_OK);
    ck_assert_uint_eq(am_result_count(snap), town);
    f = (am_filter){.items = "DIBAO_URBAN, DIBAO_RURAL"};
    ck_assert_int_eq(am_match_rules(snap, rules, len, "r", &f, AM_MATCH_WITH_DUPLICATES), AM_OK);
    for (size_t i = 0; i < am_result_count(snap); i++) {
        am_result r;
        am_result_get(snap, i, &r);
        ck_assert_ptr_nonnull(strstr(r.finding.items, "DIBAO_"));
    }
    f = (am_filter){.items = "NO_SUCH_ITEM"};
    ck_assert_int_eq(am_match_rules(snap, rules, len, "r", &f, 0), AM_ERR_FORMAT);
    f = (am_filter){.town = "32x"};
    ck_assert_int_eq(am_match_rules(snap, rules, len, "r", &f, 0), AM_ERR_FORMAT);
    /* A rule that does not parse names its line. */
    ck_assert_int_eq(am_match_rules(snap, "rule X exclusive NOPE vs DEATH\n  source s\n", 38,
                                    "--rule", NULL, 0),
                     AM_ERR_FORMAT);
    ck_assert_int_eq(strncmp(am_errmsg(snap), "--rule:1:", 9), 0);
    free(rules);
    am_ctx_free(snap);
}
END_TEST

/* Each default rule alone, with the neighbourhoods of those who hold what
 * it needs, finds what it finds over the whole store. */
START_TEST(pruned_rules_find_what_the_whole_store_does)
{
    am_ctx *snap = open_snapshot(sample_snapshot());
    size_t len;
    char *rules = default_rules(&len);
    for (char *p = strstr(rules, "\nrule "); p; p = strstr(p + 1, "\nrule ")) {
        char *end = strstr(p + 1, "\nrule ");
        const size_t n = end ? (size_t)(end - p) : strlen(p);
        char one[1024];
        ck_assert_uint_lt(n, sizeof one);
        memcpy(one, p + 1, n - 1);
        one[n - 1] = '\0';
        ck_assert_msg(am_match_rules(snap, one, strlen(one), "one", NULL, 0) == AM_OK, "%s",
                      am_errmsg(snap));
        const size_t pruned = am_result_count(snap);
        char ids[64][33];
        ck_assert_uint_le(pruned, 64);
        for (size_t i = 0; i < pruned; i++) {
            am_result r;
            am_result_get(snap, i, &r);
            snprintf(ids[i], 33, "%s", r.finding.id);
        }
        /* With duplicates the whole store is read. */
        ck_assert_int_eq(am_match_rules(snap, one, strlen(one), "one", NULL,
                                        AM_MATCH_WITH_DUPLICATES), AM_OK);
        size_t k = 0;
        for (size_t i = 0; i < am_result_count(snap); i++) {
            am_result r;
            am_result_get(snap, i, &r);
            if (strcmp(r.finding.rule_id, "DUP") == 0)
                continue;
            ck_assert_uint_lt(k, pruned);
            ck_assert_str_eq(ids[k], r.finding.id);
            k++;
        }
        ck_assert_uint_eq(k, pruned);
    }
    free(rules);
    am_ctx_free(snap);
}
END_TEST

/* Where the sections of the sample's snapshot lie. */
static void sections(uint64_t offset[AM_SEC__END], uint64_t size[AM_SEC__END])
{
    am_ctx *snap = open_snapshot(sample_snapshot());
    const am_snapshot *s = snap->snapshot;
    for (int i = 1; i < AM_SEC__END; i++) {
        offset[i] = (uint64_t)(s->sec[i].data - s->base);
        size[i] = s->sec[i].size;
    }
    am_ctx_free(snap);
}

START_TEST(a_flipped_byte_in_any_section_is_caught)
{
    size_t len;
    unsigned char *good = slurp(sample_snapshot(), &len);
    uint64_t offset[AM_SEC__END], size[AM_SEC__END];
    sections(offset, size);
    const char *path = tmp("flipped.snap");
    char msg[512];
    for (int s = 1; s < AM_SEC__END; s++) {
        ck_assert_uint_gt(size[s], 0);
        for (int where = 0; where < 3; where++) {
            const uint64_t at = offset[s] + (where == 0 ? 0 : where == 1 ? size[s] / 2 : size[s] - 1);
            good[at] ^= 0x20;
            spill(path, good, len);
            good[at] ^= 0x20;
            ck_assert_int_eq(try_open(path, msg, sizeof msg), AM_ERR_FORMAT);
            ck_assert_msg(strstr(msg, "checksum does not match") && strstr(msg, path), "%s", msg);
        }
    }
    /* The header and the section table. */
    const size_t spots[] = {60, 130, 300};
    for (size_t i = 0; i < 3; i++) {
        good[spots[i]] ^= 1;
        spill(path, good, len);
        good[spots[i]] ^= 1;
        ck_assert_int_eq(try_open(path, msg, sizeof msg), AM_ERR_FORMAT);
        ck_assert_msg(strstr(msg, "checksum does not match"), "%s", msg);
    }
    free(good);
}
END_TEST

START_TEST(truncated_or_foreign_files_are_refused)
{
    size_t len;
    unsigned char *good = slurp(sample_snapshot(), &len);
    const char *path = tmp("cut.snap");
    char msg[512];
    const size_t cuts[] = {0, 7, 100, 128, 200, len / 2, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        spill(path, good, cuts[i]);
        ck_assert_int_eq(try_open(path, msg, sizeof msg), AM_ERR_FORMAT);
        ck_assert_msg(strstr(msg, cuts[i] < 128 ? "not an aidmatch snapshot" : "truncated"), "%s",
                      msg);
    }
    unsigned char *copy = malloc(len);
    memcpy(copy, good, len);
    uint32_t v = 99;
    memcpy(copy + 8, &v, 4);
    spill(path, copy, len);
    ck_assert_int_eq(try_open(path, msg, sizeof msg), AM_ERR_FORMAT);
    ck_assert_msg(strstr(msg, "version 99") && strstr(msg, "write the snapshot again"), "%s", msg);
    memcpy(copy, good, len);
    v = 0x04030201;
    memcpy(copy + 12, &v, 4);
    spill(path, copy, len);
    ck_assert_int_eq(try_open(path, msg, sizeof msg), AM_ERR_FORMAT);
    ck_assert_msg(strstr(msg, "byte order"), "%s", msg);
    memcpy(copy, good, len);
    copy[0] = 'X';
    spill(path, copy, len);
    ck_assert_int_eq(try_open(path, msg, sizeof msg), AM_ERR_FORMAT);
    ck_assert_msg(strstr(msg, "not an aidmatch snapshot"), "%s", msg);
    /* A longer file is not this snapshot either. */
    unsigned char *longer = calloc(1, len + 10);
    memcpy(longer, good, len);
    spill(path, longer, len + 10);
    ck_assert_int_eq(try_open(path, msg, sizeof msg), AM_ERR_FORMAT);
    ck_assert_int_eq(try_open(tmp("missing.snap"), msg, sizeof msg), AM_ERR_IO);
    free(longer);
    free(copy);
    free(good);
}
END_TEST

/* A snapshot cut short in place while a context has it open (cp over it,
 * a partial rsync) gives an error when a question reads past the cut, not
 * SIGBUS; one renamed over it leaves the open context its own file. */
START_TEST(cut_short_while_open_is_an_error)
{
    size_t len;
    unsigned char *good = slurp(sample_snapshot(), &len);
    const char *path = tmp("live.snap");
    const size_t cuts[] = {0, 4096, len / 2};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        spill(path, good, len);
        am_ctx *ctx = open_snapshot(path);
        spill(path, good, cuts[i]);
        ck_assert_int_eq(am_snapshot_verify(ctx), AM_ERR_IO);
        char expected[512];
        snprintf(expected, sizeof expected, "%s: the file was cut short while open (it ends "
                 "before byte ", path);
        ck_assert_msg(strncmp(am_errmsg(ctx), expected, strlen(expected)) == 0, "%s",
                      am_errmsg(ctx));
        ck_assert_msg(strstr(am_errmsg(ctx), "): replace a snapshot by renaming a new file over "
                             "it, never by copying over it in place"), "%s", am_errmsg(ctx));
        am_ctx_free(ctx);
        /* A question that reads a few chunks, the first time. */
        spill(path, good, len);
        ctx = open_snapshot(path);
        spill(path, good, cuts[i]);
        ck_assert_int_eq(am_person_lookup(ctx, "0123456789abcdef0123456789abcdef", NULL),
                         AM_ERR_IO);
        ck_assert_msg(strstr(am_errmsg(ctx), "cut short while open"), "%s", am_errmsg(ctx));
        am_ctx_free(ctx);
    }
    /* Renamed over: the open context keeps reading the file it opened. */
    spill(path, good, len);
    am_ctx *ctx = open_snapshot(path);
    const char *other = tmp("other.snap");
    spill(other, good, len / 2);
    ck_assert_int_eq(rename(other, path), 0);
    ck_assert_msg(am_snapshot_verify(ctx) == AM_OK, "%s", am_errmsg(ctx));
    am_ctx_free(ctx);
    free(good);
}
END_TEST

/* Alters one record behind a valid checksum and expects verify to say why. */
static void altered_record(void (*alter)(am_record *r, const am_record *all, size_t n),
                           const char *expected)
{
    size_t len;
    unsigned char *data = slurp(sample_snapshot(), &len);
    uint64_t offset[AM_SEC__END], size[AM_SEC__END];
    sections(offset, size);
    am_record *records = (am_record *)(data + offset[AM_SEC_RECORDS]);
    alter(records, records, (size_t)(size[AM_SEC_RECORDS] / sizeof *records));
    ck_assert_int_eq(am_snapshot_reseal(data, len), 0);
    const char *path = tmp("altered.snap");
    spill(path, data, len);
    char msg[512];
    ck_assert_int_eq(try_open(path, msg, sizeof msg), AM_ERR_FORMAT);
    ck_assert_msg(strstr(msg, expected), "%s", msg);
    free(data);
}

static void bad_feed(am_record *r, const am_record *all, size_t n) { (void)all, (void)n, r[5].feed = 999; }
static void bad_household(am_record *r, const am_record *all, size_t n)
{
    (void)all, (void)n, r[7].household = 0x7fffffff;
}
static void bad_period(am_record *r, const am_record *all, size_t n)
{
    (void)all, (void)n, r[9].end = r[9].start - 1;
}
static void unsorted(am_record *r, const am_record *all, size_t n)
{
    (void)all, (void)n;
    am_record t = r[0];
    r[0] = r[n - 1];
    r[n - 1] = t;
}

/* A payment whose claim household (from its payee's hukou) is dropped. */
static void unassigned_claim(am_record *r, const am_record *all, size_t n)
{
    (void)all;
    for (size_t i = 0; i < n; i++) {
        if (!r[i].household || r[i].amount_fen == 0)
            continue;
        for (size_t j = 0; j < n; j++)
            if (j != i && memcmp(r[j].person, r[i].person, 16) == 0 &&
                r[j].household == r[i].household && r[j].amount_fen == 0 &&
                r[j].start <= r[i].start && r[i].start <= r[j].end) {
                r[i].household = 0;
                return;
            }
    }
    ck_abort_msg("no claim household to drop");
}

/* Case i of a known-answer table: the altered image, its checksums made
 * good, opens (expected NULL) or is refused with a message holding
 * expected. */
static void opens_resealed(const char *path, unsigned char *data, size_t len, size_t i,
                           const char *expected)
{
    ck_assert_int_eq(am_snapshot_reseal(data, len), 0);
    spill(path, data, len);
    char msg[512];
    const am_status st = try_open(path, msg, sizeof msg);
    if (!expected) {
        ck_assert_msg(st == AM_OK, "case %zu: %s", i, msg);
    } else {
        ck_assert_msg(st == AM_ERR_FORMAT, "case %zu: status %d", i, (int)st);
        ck_assert_msg(strstr(msg, expected), "case %zu: %s", i, msg);
    }
}

/* The links section's values at their edges, behind a valid checksum:
 * the sample links two rows (28 bytes each after a u32 count: token,
 * line u32, feed u16, code u16, probability u16, reason u8, status u8). */
START_TEST(links_values_at_their_edges)
{
    size_t len;
    unsigned char *good = slurp(sample_snapshot(), &len);
    uint64_t offset[AM_SEC__END], size[AM_SEC__END];
    sections(offset, size);
    ck_assert_uint_eq(size[AM_SEC_LINKS], 4 + 2 * 28);
    const uint64_t at = offset[AM_SEC_LINKS];
    static const struct {
        uint64_t where; /* from the section's start */
        int width;      /* bytes */
        uint32_t value;
        const char *expected; /* NULL: opens */
    } kat[] = {
        {0, 4, 2, NULL},
        {0, 4, 1, "links: their count"},
        {0, 4, 3, "links: their count"},
        {0, 4, UINT32_MAX, "links: their count"},
        {4 + 16, 4, 0, NULL},
        {4 + 16, 4, UINT32_MAX, NULL}, /* the rows are of different feeds */
        {4 + 20, 2, UINT16_MAX, "link 0: a value out of range"},
        {4 + 22, 2, UINT16_MAX, "link 0: a value out of range"},
        {4 + 24, 2, 0, NULL},
        {4 + 24, 2, 1000, NULL},
        {4 + 24, 2, 1001, "link 0: a value out of range"},
        {4 + 24, 2, UINT16_MAX, "link 0: a value out of range"},
        {4 + 26, 1, AM_REJECT__COUNT, "link 0: a value out of range"},
        {4 + 27, 1, 1, NULL}, /* review */
        {4 + 27, 1, 2, "link 0: a value out of range"}, /* unlinked rows are not kept */
        {4 + 28 + 27, 1, UINT8_MAX, "link 1: a value out of range"},
        {4 + 28 + 20, 2, 0, "links out of order"}, /* the second row's feed before the first's */
    };
    const char *path = tmp("links.snap");
    unsigned char *data = malloc(len);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < sizeof kat / sizeof *kat; i++) {
        memcpy(data, good, len);
        const uint32_t v32 = kat[i].value;
        const uint16_t v16 = (uint16_t)kat[i].value;
        const uint8_t v8 = (uint8_t)kat[i].value;
        memcpy(data + at + kat[i].where, kat[i].width == 4 ? (const void *)&v32
                                         : kat[i].width == 2 ? (const void *)&v16
                                                             : (const void *)&v8,
               (size_t)kat[i].width);
        char want[600];
        snprintf(want, sizeof want, "%s: corrupt snapshot: %s", path,
                 kat[i].expected ? kat[i].expected : "");
        opens_resealed(path, data, len, i, kat[i].expected ? want : NULL);
    }
    free(data);
    free(good);
}
END_TEST

/* The meta section's numbers at their INT32 and UINT64 edges, behind a
 * valid checksum: each is refused by name, none wraps into a count that
 * matches its section's size. */
START_TEST(meta_numbers_at_their_edges)
{
    size_t len;
    unsigned char *good = slurp(sample_snapshot(), &len);
    uint64_t offset[AM_SEC__END], size[AM_SEC__END];
    sections(offset, size);
    /* The meta section ends with death_lag, window_start, window_end
     * (int32) and records, households, entries, findings (uint64). */
    const uint64_t i32_at = offset[AM_SEC_META] + size[AM_SEC_META] - 44;
    const uint64_t u64_at = offset[AM_SEC_META] + size[AM_SEC_META] - 32;
    uint64_t counts[4];
    memcpy(counts, good + u64_at, sizeof counts);
    static const struct {
        int field;      /* 0-2: an int32, 3-6: a uint64 */
        int64_t value;  /* for the uint64s: added to the real count when add is set */
        int add;
        const char *expected; /* NULL: opens */
    } kat[] = {
        {0, 0, 0, NULL},
        {0, 3650, 0, NULL},
        {0, 3651, 0, "meta: a value out of range"},
        {0, -1, 0, "meta: a value out of range"},
        {0, INT32_MIN, 0, "meta: a value out of range"},
        {0, INT32_MAX, 0, "meta: a value out of range"},
        {1, INT32_MIN, 0, "meta: a value out of range"},
        {2, INT32_MIN, 0, "meta: a value out of range"},
        {3, 0, 1, NULL},
        {3, 1, 1, "section 'records' is"},
        {3, (int64_t)UINT32_MAX + 1, 0, "meta: counts out of range"},
        {3, INT64_MAX, 0, "meta: counts out of range"},
        {3, -1, 0, "meta: counts out of range"}, /* UINT64_MAX */
        {4, (int64_t)UINT32_MAX, 0, "meta: counts out of range"},
        {4, -2, 0, "meta: counts out of range"}, /* + 2 would wrap to 0 */
        {5, 1, 1, "section 'records by household' is"},
        {5, -1, 0, "meta: counts out of range"},
        {6, (int64_t)1 << 61, 1, "meta: counts out of range"}, /* * 40 wraps to the size */
        {6, -1, 0, "meta: counts out of range"},
        {6, (int64_t)UINT32_MAX + 1, 0, "meta: counts out of range"},
    };
    const char *path = tmp("meta.snap");
    unsigned char *data = malloc(len);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < sizeof kat / sizeof *kat; i++) {
        memcpy(data, good, len);
        if (kat[i].field < 3) {
            const int32_t v = (int32_t)kat[i].value;
            memcpy(data + i32_at + 4 * (uint64_t)kat[i].field, &v, sizeof v);
        } else {
            const int k = kat[i].field - 3;
            const uint64_t v = kat[i].add ? counts[k] + (uint64_t)kat[i].value
                                          : (uint64_t)kat[i].value;
            memcpy(data + u64_at + 8 * (uint64_t)k, &v, sizeof v);
        }
        opens_resealed(path, data, len, i, kat[i].expected);
    }
    free(data);
    free(good);
}
END_TEST

START_TEST(values_behind_valid_checksums_are_checked)
{
    altered_record(bad_feed, "a feed out of range");
    altered_record(bad_household, "a household out of range");
    altered_record(bad_period, "an end date out of range");
    altered_record(unsorted, "records out of order");
    altered_record(unassigned_claim, "claim household");
}
END_TEST

START_TEST(misuse_is_refused)
{
    am_ctx *snap = open_snapshot(sample_snapshot());
    ck_assert_int_eq(am_reconcile(snap, NULL, NULL), AM_ERR_STATE);
    ck_assert_int_eq(am_snapshot_write(snap, tmp("again.snap")), AM_ERR_STATE);
    ck_assert_int_eq(am_snapshot_open(snap, sample_snapshot()), AM_ERR_STATE);
    am_ctx_free(snap);
    am_ctx *ctx;
    ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
    ck_assert_int_eq(am_snapshot_write(ctx, tmp("none.snap")), AM_ERR_STATE);
    ck_assert_int_eq(am_person_lookup(ctx, "0123456789abcdef0123456789abcdef", NULL),
                     AM_ERR_INVALID); /* no catalogue */
    ck_assert_int_eq(am_snapshot_verify(ctx), AM_ERR_STATE);
    am_ctx_free(ctx);
    am_ctx *run = sample_run();
    ck_assert_int_eq(am_snapshot_open(run, sample_snapshot()), AM_ERR_STATE);
    am_ctx_free(run);
}
END_TEST

/* --- every allocation can fail --------------------------------------- */

typedef am_status (*step_fn)(am_ctx *ctx);

static am_status step_open(am_ctx *ctx) { return am_snapshot_open(ctx, sample_snapshot()); }
/* A person subject and a finding id of the run, found before any
 * allocation is made to fail. */
static char fault_subject[33], fault_id[33];

static am_status step_person(am_ctx *ctx) { return am_person_lookup(ctx, fault_subject, NULL); }
static am_status step_explain(am_ctx *ctx) { return am_explain(ctx, fault_id); }
static am_status step_match(am_ctx *ctx)
{
    static const char rule[] = "rule Q exclusive TEKUN_HOME vs DIBAO_URBAN|DIBAO_RURAL\n  source s\n";
    am_filter f = {.town = "32"};
    return am_match_rules(ctx, rule, sizeof rule - 1, "q", &f, 0);
}
/* The same over the whole store (duplicates need every record). */
static am_status step_match_whole(am_ctx *ctx)
{
    static const char rule[] = "rule Q ends_at DEATH except FUNERAL\n  source s\n";
    return am_match_rules(ctx, rule, sizeof rule - 1, "q", NULL, AM_MATCH_WITH_DUPLICATES);
}

/* Runs step with allocation 1, 2, ... failing, until it has needed no
 * more for a good while: a failure some code tolerates (a thread not
 * started) succeeds early, so one success is not the end. */
static void every_allocation(step_fn prepare, step_fn step)
{
    unsigned long failed = 0;
    for (unsigned long n = 1, since = 0; since < 300; n++) {
        am_ctx *ctx;
        ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
        if (prepare)
            ck_assert_int_eq(prepare(ctx), AM_OK);
        am_fault_fail_at(n);
        const am_status st = step(ctx);
        am_fault_fail_at(0);
        am_ctx_free(ctx);
        since = st == AM_OK ? since + 1 : 0;
        failed += st != AM_OK;
        ck_assert_msg(st == AM_OK || st == AM_ERR_NOMEM, "allocation %lu: %s", n, am_strerror(st));
        ck_assert_uint_lt(n, 200000);
    }
    ck_assert_uint_gt(failed, 10);
}

static am_ctx *prepared_run;
static am_status step_write_run(am_ctx *unused)
{
    (void)unused;
    return am_snapshot_write(prepared_run, tmp("fault.snap"));
}

START_TEST(every_allocation_can_fail)
{
    prepared_run = sample_run();
    am_finding f;
    for (size_t i = 0; i < am_finding_count(prepared_run); i++)
        if (am_finding_get(prepared_run, i, &f) == AM_OK && strcmp(f.unit, "person") == 0) {
            snprintf(fault_subject, sizeof fault_subject, "%s", f.subject);
            snprintf(fault_id, sizeof fault_id, "%s", f.id);
            break;
        }
    every_allocation(NULL, step_write_run);
    am_ctx_free(prepared_run);
    every_allocation(NULL, step_open);
    every_allocation(step_open, step_person);
    every_allocation(step_open, step_explain);
    every_allocation(step_open, step_match);
    every_allocation(step_open, step_match_whole);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("snapshot");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, written_the_same_twice);
    tcase_add_test(tc, every_finding_explains);
    tcase_add_test(tc, every_person_finds_their_findings);
    tcase_add_test(tc, raw_ids_need_the_key);
    tcase_add_test(tc, filters_narrow);
    tcase_add_test(tc, pruned_rules_find_what_the_whole_store_does);
    tcase_add_test(tc, a_flipped_byte_in_any_section_is_caught);
    tcase_add_test(tc, truncated_or_foreign_files_are_refused);
    tcase_add_test(tc, cut_short_while_open_is_an_error);
    tcase_add_test(tc, values_behind_valid_checksums_are_checked);
    tcase_add_test(tc, meta_numbers_at_their_edges);
    tcase_add_test(tc, links_values_at_their_edges);
    tcase_add_test(tc, misuse_is_refused);
    tcase_add_test(tc, every_allocation_can_fail);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0] && system(cmd) != 0)
        return EXIT_FAILURE;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
