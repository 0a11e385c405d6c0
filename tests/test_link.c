/*
 * test_link.c — known-answer tests for keyed name evidence (read/name.c),
 * the scoring of registry candidates (link/link.c), and a finding's
 * `linked` field (write/links.c).
 *
 * The link tables are worked by hand from the method in docs/linking.md:
 * Laplace-smoothed m from the sampled exact matches, u from registry
 * persons adjacent in token order, 2^w over one plus every candidate's 2^w.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/token.h"
#include "link/link.h"
#include "read/feed.h"
#include "read/name.h"
#include "read/person_facts.h"
#include "store/extsort.h"
#include "store/spill.h"
#include "write/links.h"
#include "check_run.h"

static am_key key;

static void key_setup(void)
{
    unsigned char bytes[AM_KEY_BYTES];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(17 * i + 3);
    am_err err;
    ck_assert_int_eq(am_key_set(&key, bytes, sizeof bytes, &err), AM_OK);
}

static void key_teardown(void) { am_key_clear(&key); }

static am_name_evidence name_of(const char *s)
{
    am_name_evidence ev;
    am_name_evidence_make(&key, NULL, s, strlen(s), &ev);
    return ev;
}

/* ------------------------------------------------------------------ */
/* Names                                                                */

static const struct {
    const char *a, *b;
    int same_whole;
    unsigned dice;
} name_kats[] = {
    {"张三", "张三", 1, 1000},
    {"张三", "张 三", 1, 1000},            /* ASCII space dropped */
    {"张三", "张\xE3\x80\x80三", 1, 1000}, /* ideographic space dropped */
    {"Li Ming", "liming", 1, 1000},        /* ASCII case folded */
    {"阿依·买买提", "阿依•买买提", 1, 1000}, /* separator look-alikes */
    {"阿依·买买提", "阿依买买提", 0, 1000},  /* separator kept in the whole name only */
    {"张三丰", "张三峰", 0, 666},          /* one character of three differs: 2*2/6 */
    {"王小明", "王明", 0, 800},            /* 2*2/5 */
    {"李李", "李", 0, 666},                /* multisets: 2*1/3 */
    {"张三", "三张", 0, 1000},             /* same characters, other order */
    {"张三", "李四", 0, 0},
    {"", "张三", 0, 0},                    /* a missing name agrees with nothing */
};

START_TEST(test_name_kat)
{
    const am_name_evidence a = name_of(name_kats[_i].a), b = name_of(name_kats[_i].b);
    ck_assert_int_eq(memcmp(a.whole, b.whole, sizeof a.whole) == 0 && a.nchars,
                     name_kats[_i].same_whole);
    ck_assert_uint_eq(am_name_dice(&a, &b), name_kats[_i].dice);
    ck_assert_uint_eq(am_name_dice(&b, &a), name_kats[_i].dice);
}
END_TEST

START_TEST(test_name_empty_forms)
{
    static const char *const empty[] = {"", "  ", "\xE3\x80\x80", "·", "· •"};
    for (size_t i = 0; i < sizeof empty / sizeof *empty; i++) {
        am_name_evidence ev;
        ck_assert_int_eq(am_name_evidence_make(&key, NULL, empty[i], strlen(empty[i]), &ev), 0);
        ck_assert_uint_eq(ev.nchars, 0);
    }
    am_name_evidence ev;
    ck_assert_int_eq(am_name_evidence_make(&key, NULL, NULL, 0, &ev), 0);
}
END_TEST

START_TEST(test_name_long_and_unterminated)
{
    /* Eight characters: the fuzzy form keeps the first six. */
    const am_name_evidence ev = name_of("欧阳娜娜丽莎王五");
    ck_assert_uint_eq(ev.nchars, AM_NAME_CHARS);
    /* (pointer, length): bytes past len are not read. */
    const char buf[] = "张三李四";
    am_name_evidence cut;
    am_name_evidence_make(&key, NULL, buf, 6, &cut);
    const am_name_evidence whole = name_of("张三");
    ck_assert_int_eq(memcmp(cut.whole, whole.whole, sizeof cut.whole), 0);
    /* A truncated UTF-8 character ends the name without reading past it. */
    am_name_evidence_make(&key, NULL, buf, 7, &cut);
    ck_assert_uint_eq(cut.nchars, 3);
}
END_TEST

/* Remembered characters' tokens change no evidence: names met first and
 * again, characters of one to four bytes, an overlong form of 'a' (which
 * must not take the token of 'a' remembered before it), a stray
 * continuation byte, and a cut character. */
START_TEST(test_name_chars_remembered)
{
    static const char *const names[] = {
        "张三", "李四", "张三丰", "Li Ming", "a\xE0\x81\xA1", "\xE0\x81\xA1" "a",
        "\xC3\xA9mile", "\xF0\xA0\x80\x80王", "王\x80五", "欧阳娜娜丽莎王五", "阿依·买买提",
        "张\xE4\xB8", "\xEF\xBF\xBF\xEF\xBF\xBE", "三张", "张三",
    };
    am_name_chars *chars = calloc(1, sizeof *chars);
    ck_assert_ptr_nonnull(chars);
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            am_name_evidence plain, remembered;
            const int a = am_name_evidence_make(&key, NULL, names[i], strlen(names[i]), &plain);
            const int b = am_name_evidence_make(&key, chars, names[i], strlen(names[i]), &remembered);
            ck_assert_int_eq(a, b);
            ck_assert_msg(memcmp(&plain, &remembered, sizeof plain) == 0, "name %zu, round %d", i, round);
            for (size_t c = 1; c < plain.nchars; c++)
                ck_assert_uint_le(plain.chars[c - 1], plain.chars[c]);
        }
    free(chars);
}
END_TEST

START_TEST(test_name_other_key)
{
    am_key other = {0};
    unsigned char bytes[AM_KEY_BYTES] = {1};
    am_err err;
    ck_assert_int_eq(am_key_set(&other, bytes, sizeof bytes, &err), AM_OK);
    am_name_evidence a = name_of("张三"), b;
    am_name_evidence_make(&other, NULL, "张三", strlen("张三"), &b);
    ck_assert_int_ne(memcmp(a.whole, b.whole, sizeof a.whole), 0);
    am_key_clear(&other);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Linking                                                              */

/* 22 registry persons: P1..P20 with their own three-character names and
 * households 1..20; P21 and P22 share one name and have no household.
 * Tokens put P21 and P22 between others, so that no two adjacent persons
 * share a name: u counts 0 agreements of 21 name pairs and of 17
 * household pairs. */
static const char pool[] = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚"
                           "谢邹喻柏水窦章云苏潘葛奚范彭郎鲁韦昌马苗凤花方俞任袁柳酆鲍史唐";

static void token_of(int p, unsigned char out[AM_TOKEN_BYTES])
{
    memset(out, 0, AM_TOKEN_BYTES);
    out[0] = (unsigned char)(p == 21 ? 11 : p == 22 ? 31 : 2 * p);
    out[5] = 0x5A;
}

static am_name_evidence registry_name(int p)
{
    char s[16] = "";
    if (p >= 21)
        return name_of("欧阳明");
    memcpy(s, pool + 9 * (p - 1), 9);
    return name_of(s);
}

static void add_person(am_link_people *people, int p, uint32_t household)
{
    am_link_person person = {.household = household, .name = registry_name(p)};
    token_of(p, person.person);
    ck_assert_int_eq(am_link_push_person(people, &person), AM_OK);
}

static void add_sampled(am_link_samples *samples, int p, uint32_t household, uint16_t feed,
                        uint32_t line)
{
    am_link_sampled row = {.p = {.household = household, .name = registry_name(p)},
                           .line = line, .feed = feed};
    token_of(p, row.p.person);
    ck_assert_int_eq(am_link_push_sampled(samples, &row), AM_OK);
}

/* A held row of line `line` whose repairs name persons cands[0..n). */
static void hold(am_link_input *in, uint32_t line, const int *cands, size_t n,
                 am_name_evidence name, uint32_t household)
{
    am_link_candidate c[4];
    for (size_t i = 0; i < n; i++) {
        token_of(cands[i], c[i].person);
        c[i].id = (am_person_facts){.area = 110101};
    }
    am_link_row row = {.rec = {.line = line, .household = household}, .name = name,
                       .first = (uint32_t)in->ncandidates, .ncandidates = (uint8_t)n,
                       .reason = AM_REJECT_BAD_CHECK_DIGIT};
    ck_assert_int_eq(am_link_push_candidates(in, c, n), AM_OK);
    ck_assert_int_eq(am_link_push(&in->held, &row), AM_OK);
}

static const struct {
    uint32_t line;
    unsigned probability;
    am_link_status status;
    unsigned agreeing, candidates;
    int person;
} link_kats[] = {
    /* P3, name and household: (11/13)/(1/24) * (11/12)/(1/19) = 353.69,
     * p = 353.69/354.69 */
    {1, 997, AM_LINKED, AM_AGREE_NAME | AM_AGREE_HOUSEHOLD, 1, 3},
    /* P4 by name (20.308), P5 a different name ((1/13)/(22/24) = 0.0839),
     * no household: p = 20.308/21.392 */
    {2, 949, AM_LINK_REVIEW, AM_AGREE_NAME, 2, 4},
    /* P21 and P22, the same name: the evidence cannot choose, p = 20.308/41.615 */
    {3, 488, AM_LINK_REVIEW, AM_AGREE_NAME, 2, 21},
    /* line 4: no repair in the registry, no result */
    /* P8, another name and another household: 0.0839 * (1/12)/(18/19), p = 0.0073 */
    {5, 7, AM_UNLINKED, 0, 1, 8},
    /* P9, one character of three differs, same household:
     * (1/13)/(1/24) * 17.417 = 32.154, p = 32.154/33.154 */
    {6, 970, AM_LINK_REVIEW, AM_AGREE_NAME_FUZZY | AM_AGREE_HOUSEHOLD, 1, 9},
};

static void build_run(am_link_input *in)
{
    memset(in, 0, sizeof *in);
    for (int p = 1; p <= 22; p++)
        add_person(&in->registry, p, p <= 20 ? (uint32_t)p : 0);
    for (int p = 1; p <= 10; p++)
        add_sampled(&in->sample, p, (uint32_t)p, 0, (uint32_t)p + 1);
    char fuzzy[16] = "";
    memcpy(fuzzy, pool + 9 * 8, 6);
    memcpy(fuzzy + 6, "唐", 3);
    const int c1[] = {3, 40}, c2[] = {4, 5}, c3[] = {21, 22}, c4[] = {41, 42}, c5[] = {8},
              c6[] = {9};
    hold(in, 1, c1, 2, registry_name(3), 3);
    hold(in, 2, c2, 2, registry_name(4), 0);
    hold(in, 3, c3, 2, registry_name(21), 0);
    hold(in, 4, c4, 2, registry_name(4), 0);
    hold(in, 5, c5, 1, registry_name(7), 99);
    hold(in, 6, c6, 1, name_of(fuzzy), 9);
}

START_TEST(test_link_estimates)
{
    am_link_input in;
    build_run(&in);
    am_store store = {0};
    am_links out = {0};
    ck_assert_int_eq(am_link_run(&in, &store, &out, 1), AM_OK);
    ck_assert_uint_eq(out.name.m_agree, 10);
    ck_assert_uint_eq(out.name.m_pairs, 10);
    ck_assert_uint_eq(out.name.u_agree, 0);
    ck_assert_uint_eq(out.name.u_pairs, 21);
    ck_assert_uint_eq(out.household.m_pairs, 10);
    ck_assert_uint_eq(out.household.u_pairs, 17);
    ck_assert_double_eq_tol(out.name.m, 11.0 / 13, 1e-12);
    ck_assert_double_eq_tol(out.name.u, 1.0 / 24, 1e-12);
    ck_assert_double_eq_tol(out.name_fuzzy.m, 1.0 / 13, 1e-12);
    ck_assert_double_eq_tol(out.household.m, 11.0 / 12, 1e-12);
    ck_assert_double_eq_tol(out.household.u, 1.0 / 19, 1e-12);
    am_links_free(&out);
    am_store_free(&store);
    am_link_input_free(&in);
}
END_TEST

static void check_results(unsigned link_threshold, int fuzzy_linked)
{
    am_link_input in;
    build_run(&in);
    am_store store = {0};
    /* 0: not set, the defaults */
    am_links out = {.link_threshold = link_threshold,
                    .review_threshold = link_threshold ? AM_REVIEW_THRESHOLD_DEFAULT : 0};
    ck_assert_int_eq(am_link_run(&in, &store, &out, 1), AM_OK);
    am_links_sort(&out);
    ck_assert_uint_eq(in.held.n, 0);
    ck_assert_uint_eq(out.n, sizeof link_kats / sizeof *link_kats);
    ck_assert_uint_eq(out.no_candidate[AM_REJECT_BAD_CHECK_DIGIT], 1);
    size_t linked = 0;
    for (size_t i = 0; i < out.n; i++) {
        const am_link_result *r = &out.v[i];
        unsigned char want[AM_TOKEN_BYTES];
        token_of(link_kats[i].person, want);
        am_link_status status = link_kats[i].status;
        if (fuzzy_linked && link_kats[i].line == 6)
            status = AM_LINKED;
        ck_assert_uint_eq(r->line, link_kats[i].line);
        ck_assert_uint_eq(r->probability, link_kats[i].probability);
        ck_assert_int_eq(r->status, status);
        ck_assert_uint_eq(r->agreeing, link_kats[i].agreeing);
        ck_assert_uint_eq(r->candidates, link_kats[i].candidates);
        ck_assert_int_eq(memcmp(r->person, want, AM_TOKEN_BYTES), 0);
        ck_assert_uint_eq(r->reason, AM_REJECT_BAD_CHECK_DIGIT);
        if (status == AM_LINKED) {
            /* The row joins the store as its person, in the candidate's area. */
            ck_assert_uint_lt(linked, store.count);
            ck_assert_int_eq(memcmp(store.records[linked].person, want, AM_TOKEN_BYTES), 0);
            ck_assert_uint_eq(store.records[linked].line, r->line);
            linked++;
        }
    }
    ck_assert_uint_eq(store.count, linked);
    ck_assert_uint_eq(out.count[AM_LINKED][AM_REJECT_BAD_CHECK_DIGIT], linked);
    am_links_free(&out);
    am_store_free(&store);
    am_link_input_free(&in);
}

/* A reader's batch of linking rows, its households numbered 1 to 3 in
 * the batch as a reader numbers them (ingest.c). */
static void batch_rows(am_link_input *in, int base)
{
    memset(in, 0, sizeof *in);
    const int c1[] = {base + 1, base + 2}, c2[] = {base + 3};
    hold(in, (uint32_t)base + 1, c1, 2, registry_name(base + 1), 1);
    hold(in, (uint32_t)base + 2, c2, 1, registry_name(base + 3), 0);
    add_person(&in->registry, base + 1, 2);
    add_person(&in->registry, base + 2, 3);
    add_sampled(&in->sample, base + 1, 3, 0, (uint32_t)base + 5);
    in->no_repair[AM_REJECT_BAD_LENGTH] = (uint64_t)base + 1;
}

/* Two readers claim room in turn and fill it in the other order, outside
 * the lock (ingest.c): the context's lists hold what two moves in the
 * order of the claims would have given them. */
START_TEST(test_claims_filled_in_either_order)
{
    static const uint32_t refs_a[] = {7, 8, 9}, refs_b[] = {4, 7, 5};
    am_link_input a, b, moved = {0}, claimed = {0};
    batch_rows(&a, 0);
    batch_rows(&b, 10);
    ck_assert_int_eq(am_link_input_move(&moved, &a, refs_a), AM_OK);
    ck_assert_int_eq(am_link_input_move(&moved, &b, refs_b), AM_OK);
    am_link_input_free(&a);
    am_link_input_free(&b);
    batch_rows(&a, 0);
    batch_rows(&b, 10);
    am_link_claim at_a, at_b;
    /* Empty lists have no room: a's claim grows them, b's need not. */
    ck_assert(!am_link_input_fits(&claimed, &a));
    ck_assert_int_eq(am_link_input_claim(&claimed, &a, &at_a), AM_OK);
    ck_assert(am_link_input_fits(&claimed, &b));
    ck_assert_int_eq(am_link_input_claim(&claimed, &b, &at_b), AM_OK);
    am_link_input_fill(&b, &at_b, refs_b);
    am_link_input_fill(&a, &at_a, refs_a);
    ck_assert_uint_eq(a.held.n + a.registry.n + a.sample.n + a.ncandidates, 0);
    ck_assert_uint_eq(b.held.n + b.registry.n + b.sample.n + b.ncandidates, 0);
    /* Known answers: b's rows after a's, households through b's refs. */
    ck_assert_uint_eq(claimed.held.n, 4);
    ck_assert_uint_eq(claimed.ncandidates, 6);
    ck_assert_uint_eq(claimed.held.v[2].rec.line, 11);
    ck_assert_uint_eq(claimed.held.v[2].first, 3);
    ck_assert_uint_eq(claimed.held.v[2].rec.household, 4);
    ck_assert_uint_eq(claimed.held.v[3].first, 5);
    ck_assert_uint_eq(claimed.held.v[3].rec.household, 0);
    ck_assert_uint_eq(claimed.registry.v[1].household, 9);
    ck_assert_uint_eq(claimed.registry.v[3].household, 5);
    ck_assert_uint_eq(claimed.sample.v[1].p.household, 5);
    ck_assert_uint_eq(claimed.sample.v[1].line, 15);
    ck_assert_uint_eq(claimed.no_repair[AM_REJECT_BAD_LENGTH], 12);
    /* And the same as the moves, entry by entry. */
    ck_assert_uint_eq(claimed.registry.n, moved.registry.n);
    ck_assert_uint_eq(claimed.sample.n, moved.sample.n);
    ck_assert_mem_eq(claimed.candidates, moved.candidates,
                     moved.ncandidates * sizeof *moved.candidates);
    for (size_t i = 0; i < moved.held.n; i++) {
        ck_assert_uint_eq(claimed.held.v[i].rec.line, moved.held.v[i].rec.line);
        ck_assert_uint_eq(claimed.held.v[i].rec.household, moved.held.v[i].rec.household);
        ck_assert_uint_eq(claimed.held.v[i].first, moved.held.v[i].first);
        ck_assert_uint_eq(claimed.held.v[i].ncandidates, moved.held.v[i].ncandidates);
    }
    for (size_t i = 0; i < moved.registry.n; i++) {
        ck_assert_mem_eq(claimed.registry.v[i].person, moved.registry.v[i].person,
                         AM_TOKEN_BYTES);
        ck_assert_uint_eq(claimed.registry.v[i].household, moved.registry.v[i].household);
    }
    for (size_t i = 0; i < moved.sample.n; i++) {
        ck_assert_uint_eq(claimed.sample.v[i].p.household, moved.sample.v[i].p.household);
        ck_assert_uint_eq(claimed.sample.v[i].line, moved.sample.v[i].line);
    }
    am_link_input_free(&a);
    am_link_input_free(&b);
    am_link_input_free(&moved);
    am_link_input_free(&claimed);
}
END_TEST

/* A feed read in parts samples each part's first rows, in any order: the
 * trim keeps each feed's first AM_LINK_SAMPLE_PER_FEED by line. */
START_TEST(test_samples_trim)
{
    am_link_samples s = {0};
    /* Nothing sampled.  GCC's UBSan lets NULL + 0 pass; clang's, in the
     * fuzz targets (scripts/fuzz), stops fuzz_feed on its seeds. */
    am_link_samples_trim(&s);
    ck_assert_uint_eq(s.n, 0);
    const uint32_t parts[] = {7000, 2, 4000, 1502}; /* first lines of four parts */
    for (size_t k = 0; k < 4; k++)
        for (uint32_t i = 0; i < 1500; i++)
            add_sampled(&s, 1, 0, 3, parts[k] + i);
    add_sampled(&s, 2, 0, 1, 9);
    add_sampled(&s, 2, 0, 1, 4);
    am_link_samples_trim(&s);
    ck_assert_uint_eq(s.n, 2 + AM_LINK_SAMPLE_PER_FEED);
    ck_assert_uint_eq(s.v[0].feed, 1);
    ck_assert_uint_eq(s.v[0].line, 4);
    ck_assert_uint_eq(s.v[1].line, 9);
    for (size_t i = 0; i < AM_LINK_SAMPLE_PER_FEED; i++) {
        ck_assert_uint_eq(s.v[2 + i].feed, 3);
        ck_assert_uint_eq(s.v[2 + i].line, 2 + i); /* lines 2..2001 of parts 2 and 4 */
    }
    am_free(s.v);
}
END_TEST

/* u from adjacent registry persons must not depend on the household
 * references, which the threads' timing numbers: person 1 has entries in
 * households X and Y, person 2 one in X.  Run twice, X and Y interned in
 * either order, the estimates are the same. */
static am_link_estimate household_estimate(int x_first)
{
    static const unsigned char x[AM_TOKEN_BYTES] = {0x10}, y[AM_TOKEN_BYTES] = {0x20};
    unsigned char households[2][AM_TOKEN_BYTES];
    memcpy(households[0], x_first ? x : y, AM_TOKEN_BYTES);
    memcpy(households[1], x_first ? y : x, AM_TOKEN_BYTES);
    const uint32_t ref_x = x_first ? 1 : 2, ref_y = x_first ? 2 : 1;
    am_store store = {.households = households, .nhouseholds = 2};
    am_link_input in = {0};
    add_person(&in.registry, 1, ref_y); /* in this order as read */
    add_person(&in.registry, 1, ref_x);
    add_person(&in.registry, 2, ref_x);
    am_links out = {0};
    ck_assert_int_eq(am_link_run(&in, &store, &out, 1), AM_OK);
    am_link_input_free(&in);
    return out.household;
}

START_TEST(test_u_pairs_whatever_the_household_numbers)
{
    const am_link_estimate a = household_estimate(1), b = household_estimate(0);
    ck_assert_uint_eq(a.u_pairs, 1);
    ck_assert_uint_eq(a.u_agree, b.u_agree);
    /* Person 1's last entry is in Y, by token: not person 2's household. */
    ck_assert_uint_eq(a.u_agree, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Birth date, sex and area (read/person_facts.c)                       */

START_TEST(test_sex_parse)
{
    static const struct {
        const char *text;
        int sex;
    } cases[] = {{"男", AM_SEX_MALE},      {"女", AM_SEX_FEMALE},   {"M", AM_SEX_MALE},
                 {"f", AM_SEX_FEMALE},     {"Male", AM_SEX_MALE},   {"FEMALE", AM_SEX_FEMALE},
                 {"1", AM_SEX_MALE},       {"2", AM_SEX_FEMALE},    {"0", AM_SEX_UNKNOWN},
                 {"9", AM_SEX_UNKNOWN},    {"", AM_SEX_UNKNOWN},    {"男性", AM_SEX_UNKNOWN},
                 {"males", AM_SEX_UNKNOWN}, {"12", AM_SEX_UNKNOWN}, {"\xE7\x94", AM_SEX_UNKNOWN}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        ck_assert_msg(am_sex_parse(cases[i].text, strlen(cases[i].text)) == cases[i].sex, "'%s'",
                      cases[i].text);
}
END_TEST

START_TEST(test_area_parse)
{
    static const struct {
        const char *text;
        uint32_t area;
    } cases[] = {{"320281", 320281},
                 {"320281102000", 320281},        /* a town's code begins with its county's */
                 {"3202810120000001", 320281},    /* as does a household number */
                 {"99999999999999999999999", 999999}, /* past UINT64_MAX: the first six */
                 {"000000", 0},
                 {"32028", 0},
                 {"", 0},
                 {"320281A", 0},
                 {"-320281", 0},
                 {"320 281", 0},
                 {"江阴市", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        ck_assert_msg(am_area_parse(cases[i].text, strlen(cases[i].text)) == cases[i].area,
                      "'%s'", cases[i].text);
}
END_TEST

/* A stated birth date gives the token its ID's digits give, whatever the
 * form; a date that does not exist, or is not a date, gives none. */
START_TEST(test_birth_token)
{
    const am_date_formats automatic = {0};
    am_date_formats chinese;
    char why[128];
    ck_assert(am_date_formats_parse("%Y年%m月%d日", &chinese, why, sizeof why));
    am_person_facts id;
    am_person_facts_of_id(&key, "32028119631104027X", &id);
    ck_assert_uint_ne(id.birth, 0);
    ck_assert_uint_eq(id.area, 320281);
    ck_assert_int_eq(id.sex, AM_SEX_MALE); /* the 17th digit, 7, is odd */
    /* The next of a run of IDs takes its birth token from the one before
     * it when their birth dates agree, and gives what the ID alone gives. */
    am_person_facts next, alone;
    am_person_facts_next(&key, "320281196311040281", "32028119631104027X", &id, &next);
    am_person_facts_of_id(&key, "320281196311040281", &alone);
    ck_assert_uint_eq(next.birth, id.birth);
    ck_assert_uint_eq(next.area, alone.area);
    ck_assert_int_eq(next.sex, alone.sex);
    am_person_facts_next(&key, "110105196311050280", "32028119631104027X", &id, &next);
    am_person_facts_of_id(&key, "110105196311050280", &alone);
    ck_assert_uint_ne(next.birth, id.birth);
    ck_assert_uint_eq(next.birth, alone.birth);
    ck_assert_uint_eq(next.area, 110105);
    am_person_facts_next(&key, "320281196311040281", NULL, NULL, &next);
    ck_assert_uint_eq(next.birth, id.birth);
    am_person_facts_of_id(&key, "320281196311040281", &id);
    ck_assert_int_eq(id.sex, AM_SEX_FEMALE);
    static const char *const same[] = {"19631104", "1963-11-04", "1963/11/4", "1963.11.04"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        ck_assert_uint_eq(am_birth_token(&key, &automatic, same[i], strlen(same[i])), id.birth);
    ck_assert_uint_eq(am_birth_token(&key, &chinese, "1963年11月4日", strlen("1963年11月4日")),
                      id.birth);
    /* Not the feed's format, but a common form: still read. */
    ck_assert_uint_eq(am_birth_token(&key, &chinese, "19631104", 8), id.birth);
    static const char *const none[] = {"", "19630231", "1963-13-01", "1963", "196311",
                                       "99999999999999999999", "-19631104", "出生"};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++)
        ck_assert_msg(am_birth_token(&key, &automatic, none[i], strlen(none[i])) == 0, "'%s'",
                      none[i]);
    ck_assert_uint_ne(am_birth_token(&key, &automatic, "19631105", 8), id.birth);
    /* Another centre's key, another token. */
    am_key other = {0};
    unsigned char bytes[AM_KEY_BYTES] = {1};
    am_err err;
    ck_assert_int_eq(am_key_set(&other, bytes, sizeof bytes, &err), AM_OK);
    ck_assert_uint_ne(am_birth_token(&other, &automatic, "19631104", 8), id.birth);
    am_key_clear(&other);
}
END_TEST

/* Facts as evidence, worked by hand.  Registry P1..P4 in households
 * 1..4; one sampled valid row each, in token order, stating its birth
 * date, sex and area as its ID gives them.  m: 4 of 4 agree on each fact,
 * 5/6 smoothed; name 5/7 (three outcomes), household 5/6.  u: the three
 * pairs of a row against the next person's ID: birth 0 of 3 (1/5), sex
 * 1 of 3 (P1 M, P2 F, P3 M, P4 M: 2/5), area 3 of 3 (all 320281: 4/5);
 * name 0 of 3 registry pairs (1/6), household 0 of 3 (1/5). */
static const uint8_t facts_sex[] = {0, AM_SEX_MALE, AM_SEX_FEMALE, AM_SEX_MALE, AM_SEX_MALE};

static am_person_facts facts_of(int p)
{
    return (am_person_facts){.birth = 100u + (uint32_t)p, .area = 320281, .sex = facts_sex[p]};
}

static void hold_stated(am_link_input *in, uint32_t line, const int *cands, size_t n,
                        am_name_evidence name, uint32_t household, am_person_facts stated)
{
    hold(in, line, cands, n, name, household);
    for (size_t i = 0; i < n; i++)
        in->candidates[in->ncandidates - n + i].id = facts_of(cands[i]);
    in->held.v[in->held.n - 1].stated = stated;
}

static const struct {
    uint32_t line;
    unsigned probability;
    am_link_status status;
    unsigned agreeing;
    int person;
} facts_kats[] = {
    /* The birth date alone chooses P2 over P3: 25/6 against (1/6)/(4/5),
     * p = 4.1667/5.375 */
    {1, 775, AM_LINK_REVIEW, AM_AGREE_BIRTH_DATE, 2},
    /* All three facts, one candidate: 25/6 * 25/12 * 25/24 = 9.0422 */
    {2, 900, AM_LINK_REVIEW, AM_AGREE_BIRTH_DATE | AM_AGREE_SEX | AM_AGREE_AREA, 2},
    /* P3 and P4 agree on the sex alike: tied, p = (25/12)/(1 + 2 * 25/12) */
    {3, 403, AM_LINK_REVIEW, AM_AGREE_SEX, 3},
    /* Everything agrees: 30/7 * 25/6 * 25/6 * 25/12 * 25/24 = 161.47 */
    {4, 994, AM_LINKED,
     AM_AGREE_NAME | AM_AGREE_HOUSEHOLD | AM_AGREE_BIRTH_DATE | AM_AGREE_SEX | AM_AGREE_AREA, 1},
};

START_TEST(test_link_facts_kat)
{
    am_link_input in = {0};
    for (int p = 1; p <= 4; p++) {
        add_person(&in.registry, p, (uint32_t)p);
        add_sampled(&in.sample, p, (uint32_t)p, 0, (uint32_t)(10 - p)); /* lines not in token order */
        in.sample.v[in.sample.n - 1].stated = in.sample.v[in.sample.n - 1].own = facts_of(p);
    }
    const am_name_evidence none = {0};
    const int c1[] = {2, 3}, c2[] = {2}, c3[] = {3, 4}, c4[] = {1};
    hold_stated(&in, 1, c1, 2, none, 0, (am_person_facts){.birth = 102});
    hold_stated(&in, 2, c2, 1, none, 0, facts_of(2));
    hold_stated(&in, 3, c3, 2, none, 0, (am_person_facts){.sex = AM_SEX_MALE});
    hold_stated(&in, 4, c4, 1, registry_name(1), 1, facts_of(1));
    am_store store = {0};
    am_links out = {0};
    ck_assert_int_eq(am_link_run(&in, &store, &out, 1), AM_OK);
    ck_assert_uint_eq(out.birth_date.m_agree, 4);
    ck_assert_uint_eq(out.birth_date.u_pairs, 3);
    ck_assert_uint_eq(out.birth_date.u_agree, 0);
    ck_assert_uint_eq(out.sex.u_agree, 1);
    ck_assert_uint_eq(out.area.u_agree, 3);
    ck_assert_double_eq_tol(out.birth_date.m, 5.0 / 6, 1e-12);
    ck_assert_double_eq_tol(out.sex.u, 2.0 / 5, 1e-12);
    ck_assert_double_eq_tol(out.area.u, 4.0 / 5, 1e-12);
    am_links_sort(&out);
    ck_assert_uint_eq(out.n, sizeof facts_kats / sizeof *facts_kats);
    for (size_t i = 0; i < out.n; i++) {
        const am_link_result *r = &out.v[i];
        unsigned char want[AM_TOKEN_BYTES];
        token_of(facts_kats[i].person, want);
        ck_assert_uint_eq(r->line, facts_kats[i].line);
        ck_assert_uint_eq(r->probability, facts_kats[i].probability);
        ck_assert_int_eq(r->status, facts_kats[i].status);
        ck_assert_uint_eq(r->agreeing, facts_kats[i].agreeing);
        ck_assert_int_eq(memcmp(r->person, want, AM_TOKEN_BYTES), 0);
    }
    ck_assert_uint_eq(store.count, 1);
    am_links_free(&out);
    am_store_free(&store);
    am_link_input_free(&in);
}
END_TEST

/* Candidates are looked up in the sorted registry through a directory of
 * its tokens' top bits.  Random tokens for them come from a small
 * generator of fixed seed. */
static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state ^ (*state >> 29);
}

static void random_token(uint64_t *state, unsigned char out[AM_TOKEN_BYTES])
{
    for (int i = 0; i < AM_TOKEN_BYTES; i += 8) {
        const uint64_t r = next_random(state);
        memcpy(out + i, &r, 8);
    }
}

/* The run's input: PERSONS random registry persons, every seventh with
 * two entries, the first with the smallest first word there is and the
 * second with the largest, and every eleventh sharing its first 8 bytes
 * with the person before (the directory finds tokens by their first
 * word);
 * ROWS held rows, each with one of them among two tokens no one holds,
 * one of which shares its first 8 bytes.  Rebuilt alike from the same
 * seed. */
enum { LOOKUP_PERSONS = 20000, LOOKUP_ROWS = 5000 };

static void lookup_run(am_link_input *in, unsigned char (*tokens)[AM_TOKEN_BYTES])
{
    uint64_t state = 42;
    memset(in, 0, sizeof *in);
    for (size_t i = 0; i < LOOKUP_PERSONS; i++) {
        random_token(&state, tokens[i]);
        if (i == 0)
            memset(tokens[i], 0x00, 8);
        if (i == 1)
            memset(tokens[i], 0xFF, 8);
        if (i % 11 == 5) {
            memcpy(tokens[i], tokens[i - 1], AM_TOKEN_BYTES);
            tokens[i][15] ^= 2;
        }
        am_link_person p = {.household = 0};
        memcpy(p.person, tokens[i], AM_TOKEN_BYTES);
        ck_assert_int_eq(am_link_push_person(&in->registry, &p), AM_OK);
        if (i % 7 == 0)
            ck_assert_int_eq(am_link_push_person(&in->registry, &p), AM_OK);
    }
    for (uint32_t r = 0; r < LOOKUP_ROWS; r++) {
        const size_t want = r < 2 ? r : next_random(&state) % LOOKUP_PERSONS;
        am_link_candidate c[3] = {{.id = {0}}};
        random_token(&state, c[0].person); /* held by no one: 2^-128 */
        memcpy(c[1].person, tokens[want], AM_TOKEN_BYTES);
        memcpy(c[2].person, tokens[want], AM_TOKEN_BYTES);
        c[2].person[15] ^= 1; /* a neighbour of the wanted token, in no one's hands */
        const am_link_row row = {.rec = {.line = r + 2}, .first = (uint32_t)in->ncandidates,
                                 .ncandidates = 3, .reason = AM_REJECT_BAD_CHECK_DIGIT};
        ck_assert_int_eq(am_link_push_candidates(in, c, 3), AM_OK);
        ck_assert_int_eq(am_link_push(&in->held, &row), AM_OK);
    }
}

/* Run on one thread and on two (the sort, the directory and the scoring
 * each split in halves), the results are the same, and each row finds
 * exactly its one registry candidate: the smallest first word there is,
 * in the directory's first slot, and the largest, in its last, too. */
START_TEST(test_registry_lookup_uniform_tokens)
{
    unsigned char(*tokens)[AM_TOKEN_BYTES] = malloc(LOOKUP_PERSONS * AM_TOKEN_BYTES);
    ck_assert_ptr_nonnull(tokens);
    am_links out[2] = {{0}, {0}};
    for (unsigned threads = 1; threads <= 2; threads++) {
        am_link_input in;
        lookup_run(&in, tokens);
        am_store store = {0};
        ck_assert_int_eq(am_link_run(&in, &store, &out[threads - 1], threads), AM_OK);
        am_links_sort(&out[threads - 1]);
        am_store_free(&store);
        am_link_input_free(&in);
    }
    ck_assert_uint_eq(out[0].n, LOOKUP_ROWS);
    ck_assert_uint_eq(out[1].n, LOOKUP_ROWS);
    for (uint32_t r = 0; r < LOOKUP_ROWS; r++) {
        const am_link_result *a = &out[0].v[r], *b = &out[1].v[r];
        ck_assert_int_eq(memcmp(a->person, b->person, AM_TOKEN_BYTES), 0);
        ck_assert_uint_eq(a->line, b->line);
        ck_assert_uint_eq(a->probability, b->probability);
        ck_assert_uint_eq(a->status, b->status);
        ck_assert_uint_eq(a->agreeing, b->agreeing);
        ck_assert_uint_eq(a->candidates, b->candidates);
        ck_assert_uint_eq(out[0].v[r].line, r + 2);
        ck_assert_uint_eq(out[0].v[r].candidates, 1);
    }
    ck_assert_int_eq(memcmp(out[0].v[0].person, tokens[0], AM_TOKEN_BYTES), 0);
    ck_assert_int_eq(memcmp(out[0].v[1].person, tokens[1], AM_TOKEN_BYTES), 0);
    free(tokens);
    am_links_free(&out[0]);
    am_links_free(&out[1]);
}
END_TEST

/* Households 1..99 interned in order, so that reference h is household
 * h's token, as a spilled registry entry gives it. */
static void household_token(uint32_t h, unsigned char out[AM_TOKEN_BYTES])
{
    token_of(1000 + (int)h, out);
}

static void intern_households(am_store *store)
{
    unsigned char tokens[99][AM_TOKEN_BYTES];
    uint32_t refs[99];
    for (uint32_t h = 1; h <= 99; h++)
        household_token(h, tokens[h - 1]);
    ck_assert_int_eq(am_store_households(store, tokens[0], 99, refs), AM_OK);
    for (uint32_t h = 1; h <= 99; h++)
        ck_assert_uint_eq(refs[h - 1], h);
}

/* Links in as a partitioned run does: its registry spilled to bucket
 * files by the tokens' top two bits and read back, each bucket sorted in
 * memory or, when memory is too small for it, on disk in runs merged. */
#define TEST_BUCKETS 4
static void link_spilled(am_link_input *in, am_store *store, am_links *out, unsigned threads,
                         size_t memory)
{
    char dir[] = "/tmp/am_link_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char names[TEST_BUCKETS][64], *paths[TEST_BUCKETS];
    am_err err = {{0}};
    am_spill_writer w[TEST_BUCKETS];
    for (int b = 0; b < TEST_BUCKETS; b++) {
        snprintf(names[b], sizeof names[b], "%s/registry-%d", dir, b);
        paths[b] = names[b];
        ck_assert_int_eq(
            am_spill_create(&w[b], paths[b], sizeof(am_link_spilled_person), 4096, &err), AM_OK);
    }
    /* In reverse, so that the sort has something to do. */
    for (size_t i = in->registry.n; i-- > 0;) {
        const am_link_person *p = &in->registry.v[i];
        unsigned char household[AM_TOKEN_BYTES];
        if (p->household)
            household_token(p->household, household);
        am_link_spilled_person e;
        am_link_person_spilled(p, p->household ? household : NULL, &e);
        ck_assert_int_eq(am_spill_write(&w[e.person[0] >> 6], &e, 1, &err), AM_OK);
    }
    const size_t entries = in->registry.n;
    in->registry.n = 0;
    for (int b = 0; b < TEST_BUCKETS; b++)
        ck_assert_int_eq(am_spill_finish(&w[b], &err), AM_OK);
    const am_link_registry_files files = {paths, TEST_BUCKETS, memory};
    ck_assert_int_eq(am_link_run_spilled(in, &files, entries, store, out, threads, &err), AM_OK);
    for (int b = 0; b < TEST_BUCKETS; b++)
        ck_assert_int_eq(unlink(paths[b]), 0);
    ck_assert_int_eq(rmdir(dir), 0);
}

static void check_same_links(const am_links *a, const am_links *b)
{
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        ck_assert_int_eq(memcmp(&a->v[i], &b->v[i], sizeof a->v[i]), 0);
    const am_link_estimate *ea[] = {&a->name, &a->name_fuzzy, &a->household,
                                    &a->birth_date, &a->sex, &a->area};
    const am_link_estimate *eb[] = {&b->name, &b->name_fuzzy, &b->household,
                                    &b->birth_date, &b->sex, &b->area};
    for (size_t i = 0; i < sizeof ea / sizeof *ea; i++) {
        ck_assert_uint_eq(ea[i]->m_agree, eb[i]->m_agree);
        ck_assert_uint_eq(ea[i]->m_pairs, eb[i]->m_pairs);
        ck_assert_uint_eq(ea[i]->u_agree, eb[i]->u_agree);
        ck_assert_uint_eq(ea[i]->u_pairs, eb[i]->u_pairs);
    }
    ck_assert_int_eq(memcmp(a->count, b->count, sizeof a->count), 0);
    ck_assert_int_eq(memcmp(a->no_candidate, b->no_candidate, sizeof a->no_candidate), 0);
}

/* A registry spilled to disk and read back gives the results, estimates
 * and linked records of the same registry in memory, its buckets sorted
 * in memory (1) or on disk (2): the known-answer run, and the large one
 * of uniform tokens on two threads. */
START_TEST(test_spilled_registry_same_links)
{
    for (int large = 0; large <= 1; large++) {
        am_links out[3] = {{0}, {0}, {0}};
        am_store store[3] = {{0}, {0}, {0}};
        unsigned char(*tokens)[AM_TOKEN_BYTES] = malloc(LOOKUP_PERSONS * AM_TOKEN_BYTES);
        ck_assert_ptr_nonnull(tokens);
        for (int spilled = 0; spilled <= 2; spilled++) {
            am_link_input in;
            if (large)
                lookup_run(&in, tokens);
            else
                build_run(&in);
            /* Persons with several entries, whose order (names, then
             * households) decides which begins a pair for u. */
            if (!large) {
                add_person(&in.registry, 5, 7);
                add_person(&in.registry, 5, 0);
            }
            for (int p = 11; !large && p <= 20; p++) {
                add_person(&in.registry, p, 0);
                add_person(&in.registry, p, (uint32_t)p + 20);
                am_link_person *named = &in.registry.v[in.registry.n - 2];
                named[0].name = registry_name(p - 10);
                named[1].name = registry_name(p - 9);
            }
            intern_households(&store[spilled]);
            if (spilled)
                link_spilled(&in, &store[spilled], &out[spilled], 2,
                             spilled == 1 ? (size_t)1 << 24 : 1);
            else
                ck_assert_int_eq(am_link_run(&in, &store[spilled], &out[spilled], 2), AM_OK);
            am_links_sort(&out[spilled]);
            am_link_input_free(&in);
        }
        ck_assert_uint_eq(out[0].n, large ? LOOKUP_ROWS : sizeof link_kats / sizeof *link_kats);
        for (int k = 1; k <= 2; k++) {
            check_same_links(&out[0], &out[k]);
            ck_assert_uint_eq(store[0].count, store[k].count);
            for (size_t i = 0; i < store[0].count; i++)
                ck_assert_int_eq(memcmp(&store[0].records[i], &store[k].records[i],
                                        sizeof store[0].records[i]),
                                 0);
        }
        for (int k = 0; k < 3; k++) {
            am_links_free(&out[k]);
            am_store_free(&store[k]);
        }
        free(tokens);
    }
}
END_TEST

/* Past U_PAIRS (100,000) entries a pair for u begins only every few
 * entries: a registry in memory and the same registry spilled to bucket
 * files count the same pairs, whichever entry the stride starts on in
 * each bucket (the persons added below the middle of the token space
 * move it). */
START_TEST(test_tally_past_u_pairs_as_spilled)
{
    enum { PERSONS = 150000 };
    for (int extra = 0; extra < 3; extra++) {
        am_links out[2] = {{0}, {0}};
        for (int spilled = 0; spilled <= 1; spilled++) {
            am_link_input in;
            memset(&in, 0, sizeof in);
            uint64_t state = 7;
            for (int i = 0; i < PERSONS + extra; i++) {
                am_link_person p = {.household = (uint32_t)(i % 100),
                                    .name = registry_name(1 + i % 22)};
                random_token(&state, p.person);
                if (i >= PERSONS)
                    p.person[0] &= 0x7F;
                ck_assert_int_eq(am_link_push_person(&in.registry, &p), AM_OK);
                if (i % 5 == 0) {
                    p.name = registry_name(1 + (i + 3) % 22);
                    ck_assert_int_eq(am_link_push_person(&in.registry, &p), AM_OK);
                }
                if (i % 50 == 0) {
                    am_link_sampled row = {.p = p, .line = (uint32_t)i + 2,
                                           .feed = (uint16_t)(i % 4)};
                    ck_assert_int_eq(am_link_push_sampled(&in.sample, &row), AM_OK);
                }
            }
            am_store store = {0};
            intern_households(&store);
            if (spilled)
                link_spilled(&in, &store, &out[1], 2, (size_t)1 << 24);
            else
                ck_assert_int_eq(am_link_run(&in, &store, &out[0], 2), AM_OK);
            am_link_input_free(&in);
            am_store_free(&store);
        }
        ck_assert_uint_gt(out[0].name.m_pairs, 0);
        ck_assert_uint_gt(out[0].name.u_agree, 0);
        ck_assert_uint_gt(out[0].household.u_pairs, 0);
        check_same_links(&out[0], &out[1]);
        am_links_free(&out[0]);
        am_links_free(&out[1]);
    }
}
END_TEST

START_TEST(test_link_kat_default_threshold) { check_results(0, 0); }
END_TEST

/* A link_threshold of 0.960 links the fuzzy row (0.970), not the 0.949 one. */
START_TEST(test_link_kat_lower_threshold) { check_results(960, 1); }
END_TEST

/* Thresholds as the centre file writes them (link_threshold = 0.99). */
START_TEST(test_link_probability_parse)
{
    static const struct {
        const char *text;
        int ok;
        unsigned thousandths;
    } cases[] = {{"0.99", 1, 990}, {"1", 1, 1000}, {"1.000", 1, 1000}, {"0", 1, 0},
                 {"0.995", 1, 995}, {"0.5", 1, 500}, {"0.", 0, 0}, {"1.", 0, 0},
                 {"1.001", 0, 0}, {"0.9999", 0, 0}, {".9", 0, 0}, {"2", 0, 0},
                 {"0,99", 0, 0}, {"", 0, 0}, {"0.99 ", 0, 0}, {"-0.1", 0, 0}, {"99%", 0, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        unsigned t = 12345;
        ck_assert_msg(am_link_probability_parse(cases[i].text, &t) == cases[i].ok, "'%s'",
                      cases[i].text);
        ck_assert_uint_eq(t, cases[i].ok ? cases[i].thousandths : 12345);
    }
}
END_TEST

START_TEST(test_link_status_names)
{
    ck_assert_str_eq(am_link_status_name(AM_LINKED), "linked");
    ck_assert_str_eq(am_link_status_name(AM_LINK_REVIEW), "review");
    ck_assert_str_eq(am_link_status_name(AM_UNLINKED), "unlinked");
    ck_assert_str_eq(am_link_status_name(AM_LINK__COUNT), "?");
}
END_TEST

/* A finding's `linked` field: the lowest probability of the linked rows
 * its evidence names; review and unlinked rows, and rows of no link, do
 * not count.  Results are in feed, line order, as linking leaves them. */
static const struct {
    const char *evidence, *linked;
} linked_kats[] = {
    {"", ""},
    {"mca:4;psb:7", ""},
    {"mca:5", "0.997"},
    {"mca:5;psb:3", "0.997"},   /* the lower of 0.997 and 1.000 */
    {"psb:3", "1.000"},
    {"mca:9", ""},              /* review */
    {"psb:8", ""},              /* unlinked */
    {"mca:9;psb:3;psb:8", "1.000"},
    {"nosuch:5;mca:x;psb:3", "1.000"}, /* entries of no feed are skipped */
    {"psb:4294967299", ""},     /* past UINT32_MAX: no line */
};

START_TEST(test_linked_field)
{
    am_feed mca = {.name = (char *)"mca"}, psb = {.name = (char *)"psb"};
    am_feed *feeds[] = {&mca, &psb};
    const am_match_input in = {.feeds = feeds, .nfeeds = 2};
    am_link_result v[] = {
        {.feed = 0, .line = 5, .probability = 997, .status = AM_LINKED},
        {.feed = 0, .line = 9, .probability = 450, .status = AM_LINK_REVIEW},
        {.feed = 1, .line = 3, .probability = 1000, .status = AM_LINKED},
        {.feed = 1, .line = 8, .probability = 120, .status = AM_UNLINKED},
    };
    const am_links links = {.v = v, .n = sizeof v / sizeof *v};
    char out[8];
    am_links_of_evidence(&links, &in, linked_kats[_i].evidence, out);
    ck_assert_str_eq(out, linked_kats[_i].linked);
    const am_links none = {0};
    am_links_of_evidence(&none, &in, linked_kats[_i].evidence, out);
    ck_assert_str_eq(out, "");
}
END_TEST

/* A finding's `possible_id_error` field: for a MISSING finding, the
 * review rows of one of its items that point at its subject. */
START_TEST(test_possible_id_error)
{
    am_item items[] = {{.code = (char *)"DIBAO_URBAN"}, {.code = (char *)"DIBAO_RURAL"},
                       {.code = (char *)"TEKUN_HOME"}};
    const am_catalogue cat = {.items = items, .nitems = 3};
    am_feed mca = {.name = (char *)"mca"}, dpf = {.name = (char *)"dpf"};
    am_feed *feeds[] = {&mca, &dpf};
    const am_match_input in = {.catalogue = &cat, .feeds = feeds, .nfeeds = 2};
    const char *const s = "00112233445566778899aabbccddeeff", *const t =
        "ffeeddccbbaa99887766554433221100";
    am_link_result v[] = {
        {.feed = 0, .line = 12, .code = 0, .probability = 450, .status = AM_LINK_REVIEW},
        {.feed = 0, .line = 13, .code = 0, .probability = 990, .status = AM_LINKED},
        {.feed = 0, .line = 14, .code = 2, .probability = 400, .status = AM_LINK_REVIEW},
        {.feed = 1, .line = 3, .code = 0, .probability = 320, .status = AM_LINK_REVIEW},
        {.feed = 1, .line = 4, .code = 0, .probability = 200, .status = AM_UNLINKED},
        {.feed = 1, .line = 9, .code = 1, .probability = 500, .status = AM_LINK_REVIEW},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        ck_assert(am_token_parse(i == 5 ? t : s, 32, v[i].person));
    const am_links links = {.v = v, .n = sizeof v / sizeof *v};
    am_review_rows rows;
    ck_assert_int_eq(am_review_rows_build(&links, &rows), AM_OK);
    ck_assert_uint_eq(rows.n, 4);
    char out[AM_ID_ERROR_FIELD_MAX], small[20];
    am_finding f = {.kind = AM_KIND_MISSING, .subject = s, .items = "DIBAO_URBAN"};
    am_possible_id_error(&rows, &in, &f, out, sizeof out);
    ck_assert_str_eq(out, "mca:12;dpf:3"); /* the linked and unlinked rows are not */
    f.items = "DIBAO_URBAN;TEKUN_HOME";
    am_possible_id_error(&rows, &in, &f, out, sizeof out);
    ck_assert_str_eq(out, "mca:12;mca:14;dpf:3");
    am_possible_id_error(&rows, &in, &f, small, sizeof small);
    ck_assert_str_eq(small, "mca:12;mca:14…");
    f.items = "DIBAO_RURAL"; /* a review row of that item, but for another person */
    am_possible_id_error(&rows, &in, &f, out, sizeof out);
    ck_assert_str_eq(out, "");
    f.subject = t;
    am_possible_id_error(&rows, &in, &f, out, sizeof out);
    ck_assert_str_eq(out, "dpf:9");
    f.kind = AM_KIND_DUPLICATE; /* only MISSING findings */
    am_possible_id_error(&rows, &in, &f, out, sizeof out);
    ck_assert_str_eq(out, "");
    am_review_rows_free(&rows);
}
END_TEST

/* links.csv as written: every field of a row, numbers at their edges
 * (line 0 and UINT32_MAX, probability 0 and 1000, candidates 0 and 255),
 * each evidence alone, all together, and none. */
START_TEST(test_links_csv_kat)
{
    am_feed mca = {.name = "mca_dibao"}, dpf = {.name = "dpf,\"certs\""};
    const am_feed *const feeds[] = {&mca, &dpf};
    am_link_result v[] = {
        {.line = 0, .feed = 0, .probability = 1000, .reason = AM_REJECT_BAD_CHECK_DIGIT,
         .status = AM_LINKED, .agreeing = 63, .candidates = 1},
        {.line = UINT32_MAX, .feed = 1, .probability = 0, .reason = AM_REJECT_EXCEL_MANGLED,
         .status = AM_UNLINKED, .agreeing = 0, .candidates = 255},
        {.line = 7, .feed = 0, .probability = 5, .reason = AM_REJECT_BAD_LENGTH,
         .status = AM_LINK_REVIEW, .agreeing = AM_AGREE_NAME_FUZZY, .candidates = 0},
        {.line = 1000000, .feed = 0, .probability = 990, .reason = AM_REJECT_BAD_BIRTH_DATE,
         .status = AM_LINKED, .agreeing = AM_AGREE_SEX | AM_AGREE_AREA, .candidates = 10},
        {.line = 42, .feed = 1, .probability = 50, .reason = AM_REJECT_BAD_CHECK_DIGIT,
         .status = AM_LINK_REVIEW, .agreeing = AM_AGREE_HOUSEHOLD | AM_AGREE_BIRTH_DATE,
         .candidates = 100},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        memset(v[i].person, (int)(0x11 * i), AM_TOKEN_BYTES);
    const am_links links = {.v = v, .n = sizeof v / sizeof *v};
    char path[] = "/tmp/am-links-XXXXXX";
    const int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    unlink(path);
    am_err err = {0};
    ck_assert_int_eq(am_links_write(&links, feeds, 0, path, &err), AM_OK);
    FILE *in = fopen(path, "r");
    ck_assert_ptr_nonnull(in);
    char got[2048] = {0};
    const size_t len = fread(got, 1, sizeof got - 1, in);
    fclose(in);
    unlink(path);
    got[len] = '\0';
    ck_assert_str_eq(got,
        "feed,line,reason,person,probability,agreeing,candidates,status\n"
        "mca_dibao,0,bad_check_digit,00000000000000000000000000000000,1.000,"
        "name;name_fuzzy;household;birth_date;sex;area,1,linked\n"
        "\"dpf,\"\"certs\"\"\",4294967295,excel_mangled,11111111111111111111111111111111,0.000,"
        ",255,unlinked\n"
        "mca_dibao,7,bad_length,22222222222222222222222222222222,0.005,name_fuzzy,0,review\n"
        "mca_dibao,1000000,bad_birth_date,33333333333333333333333333333333,0.990,sex;area,10,"
        "linked\n"
        "\"dpf,\"\"certs\"\"\",42,bad_check_digit,44444444444444444444444444444444,0.050,"
        "household;birth_date,100,review\n");
}
END_TEST

static Suite *link_suite(void)
{
    Suite *s = suite_create("link");
    TCase *tc = tcase_create("names");
    tcase_add_checked_fixture(tc, key_setup, key_teardown);
    tcase_add_loop_test(tc, test_name_kat, 0, (int)(sizeof name_kats / sizeof *name_kats));
    tcase_add_test(tc, test_name_empty_forms);
    tcase_add_test(tc, test_name_long_and_unterminated);
    tcase_add_test(tc, test_name_chars_remembered);
    tcase_add_test(tc, test_name_other_key);
    suite_add_tcase(s, tc);
    tc = tcase_create("facts");
    tcase_add_checked_fixture(tc, key_setup, key_teardown);
    tcase_add_test(tc, test_sex_parse);
    tcase_add_test(tc, test_area_parse);
    tcase_add_test(tc, test_birth_token);
    suite_add_tcase(s, tc);
    tc = tcase_create("scoring");
    tcase_add_checked_fixture(tc, key_setup, key_teardown);
    tcase_add_test(tc, test_link_estimates);
    tcase_add_test(tc, test_samples_trim);
    tcase_add_test(tc, test_claims_filled_in_either_order);
    tcase_add_test(tc, test_u_pairs_whatever_the_household_numbers);
    tcase_add_test(tc, test_link_kat_default_threshold);
    tcase_add_test(tc, test_link_kat_lower_threshold);
    tcase_add_test(tc, test_link_facts_kat);
    tcase_add_test(tc, test_registry_lookup_uniform_tokens);
    tcase_add_test(tc, test_spilled_registry_same_links);
    tcase_add_test(tc, test_tally_past_u_pairs_as_spilled);
    tcase_add_test(tc, test_link_status_names);
    tcase_add_test(tc, test_link_probability_parse);
    suite_add_tcase(s, tc);
    tc = tcase_create("findings");
    tcase_add_loop_test(tc, test_linked_field, 0, (int)(sizeof linked_kats / sizeof *linked_kats));
    tcase_add_test(tc, test_possible_id_error);
    tcase_add_test(tc, test_links_csv_kat);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const int failed = am_check_failures(link_suite());
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
