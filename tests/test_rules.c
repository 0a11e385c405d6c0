/* Tests for the rules language: the shipped rules parse, and every kind
 * of mistake gets its documented message with file and line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read/catalogue.h"
#include "match/rules.h"
#include "check_run.h"

static am_catalogue cat;

static void setup(void)
{
    char dir[1024];
    am_err err;
    snprintf(dir, sizeof dir, "%s/data/catalogue", getenv("AM_SOURCE_ROOT"));
    memset(&cat, 0, sizeof cat);
    ck_assert_msg(am_catalogue_load(&cat, dir, &err) == AM_OK, "%s", err.msg);
}

static void teardown(void) { am_catalogue_free(&cat); }

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 16];
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

START_TEST(default_rules_parse)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/data/rules/default.rules", getenv("AM_SOURCE_ROOT"));
    size_t len;
    const char *text = slurp(path, &len);
    am_rules rules = {0};
    am_err err = {{0}};
    ck_assert_msg(am_rules_parse(&rules, &cat, text, len, "default.rules", &err) == AM_OK, "%s",
                  err.msg);
    ck_assert_uint_ge(rules.n, 15);
    int kinds[5] = {0};
    for (size_t i = 0; i < rules.n; i++) {
        kinds[rules.v[i].kind]++;
        ck_assert_ptr_nonnull(rules.v[i].source);
        /* Every shipped rule cites its policy in Chinese for the report. */
        ck_assert_msg(rules.v[i].source_zh != NULL, "%s", rules.v[i].id);
        ck_assert_msg(strstr(rules.v[i].source_zh, "：") != NULL, "%s", rules.v[i].id);
    }
    for (int k = 0; k < 5; k++)
        ck_assert_int_gt(kinds[k], 0);
    am_rules_free(&rules);
}
END_TEST

START_TEST(rule_shapes)
{
    const char text[] = "# comment\n"
                        "rule E1 exclusive ORPHAN | FUC_CHILD vs TEKUN_HOME\n"
                        "  source a\n"
                        "\n"
                        "rule M1 entitles DIBAO_URBAN|DIBAO_RURAL & DISABILITY=1-2 -> DIS_NURSING grace 31 source b\n"
                        "rule D1 ends_at DEATH except FUNERAL|FESTIVAL\n"
                        "  source_zh 死亡后终止 \n"
                        "  source c\n"
                        "rule Q1 disqualifies VEHICLE DIBAO_URBAN\n"
                        "  source d\n"
                        "rule H1 household_unique TEMP_EXPEND|UNION_AID\n"
                        "  window 30\n"
                        "  source e\n";
    am_rules rules = {0};
    am_err err = {{0}};
    ck_assert_msg(am_rules_parse(&rules, &cat, text, sizeof text - 1, "t.rules", &err) == AM_OK,
                  "%s", err.msg);
    ck_assert_uint_eq(rules.n, 5);
    ck_assert_str_eq(rules.v[0].id, "E1");
    ck_assert_uint_eq(rules.v[0].first.n, 2);
    ck_assert_uint_eq(rules.v[0].second.n, 1);
    ck_assert_str_eq(rules.v[0].source, "a");
    const am_rule *m = &rules.v[1];
    ck_assert_int_eq(m->kind, AM_RULE_ENTITLES);
    ck_assert_uint_eq(m->nterms, 2);
    ck_assert_int_eq(m->terms[1].refs[0].value_min, 1);
    ck_assert_int_eq(m->terms[1].refs[0].value_max, 2);
    ck_assert_int_eq(m->grace_days, 31);
    ck_assert_str_eq(m->source, "b");
    ck_assert(am_group_has(&m->terms[1], m->terms[1].refs[0].code, 2));
    ck_assert(!am_group_has(&m->terms[1], m->terms[1].refs[0].code, 3));
    ck_assert_uint_eq(rules.v[2].second.n, 2);
    ck_assert_int_eq(rules.v[4].window_days, 30);
    ck_assert_uint_eq(rules.v[4].line, 11);
    /* source_zh, on any line of the rule, is the rest of its line. */
    ck_assert_str_eq(rules.v[2].source_zh, "死亡后终止 ");
    ck_assert_str_eq(rules.v[2].source, "c");
    ck_assert_ptr_null(rules.v[0].source_zh);
    am_rules_free(&rules);
}
END_TEST

START_TEST(mistakes_have_messages)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"rule R1 exclusive ORPHAN vs NOPE\n  source x\n",
         "t.rules:1: expected an item code, got a word that is not shown (only rules words and catalogue codes are quoted; is this a rules file?)"},
        {"rule R1 exclusive ORPHAN vs DIBAO_URBN\n  source x\n",
         "t.rules:1: expected an item code, got 'DIBAO_URBN'"},
        {"rule R1 exclusive ORPHAN TEKUN_HOME\n  source x\n",
         "t.rules:1: expected 'vs' between the two groups of items, got 'TEKUN_HOME'"},
        {"rule R1 exclusive ORPHAN vs DEATH\n  source x\n", "t.rules:1: expected an item code, got 'DEATH'"},
        {"rule R1 entitles ORPHAN MED_PREM\n  source x\n",
         "t.rules:1: expected '&' and another condition, or '->' and the item entitled, got 'MED_PREM'"},
        {"rule R1 entitles ORPHAN -> MED_PREM|MED_AID\n  source x\n",
         "t.rules:1: entitles names one item after '->'"},
        {"rule R1 entitles DISABILITY=5 -> DIS_NURSING\n  source x\n",
         "t.rules:1: DISABILITY values run from 1 to 4"},
        {"rule R1 entitles DEATH=1 -> DIS_NURSING\n  source x\n", "t.rules:1: fact DEATH carries no value"},
        {"rule R1 entitles ORPHAN=1 -> DIS_NURSING\n  source x\n", "t.rules:1: item ORPHAN takes no value"},
        {"rule R1 entitles ORPHAN -> MED_PREM grace soon\n  source x\n",
         "t.rules:1: expected a number of days after 'grace', got a word that is not shown (only rules words and catalogue codes are quoted; is this a rules file?)"},
        {"rule R1 ends_at ORPHAN\n  source x\n", "t.rules:1: expected a fact code, got 'ORPHAN'"},
        {"rule R1 ends_at DEATH window 3\n  source x\n",
         "t.rules:1: expected 'except' or 'source', got 'window'"},
        {"rule R1 sometimes ORPHAN\n  source x\n",
         "t.rules:1: expected a kind: exclusive, entitles, household_unique, ends_at or disqualifies, got a word that is not shown (only rules words and catalogue codes are quoted; is this a rules file?)"},
        {"rule R1 household_unique DIBAO_URBAN\n", "t.rules:1: rule R1 has no 'source'"},
        {"rule R1 household_unique DIBAO_URBAN\n  source x\nrule R1 household_unique DIBAO_RURAL\n  source y\n",
         "t.rules:3: rule id R1 is already used"},
        {"rule DUP household_unique DIBAO_URBAN\n  source x\n", "t.rules:1: rule id DUP is already used"},
        {"  source x\n", "t.rules:1: an indented line must belong to a rule above it"},
        {"exclusive A vs B\n", "t.rules:1: expected 'rule ID KIND ...'"},
        {"rule R1 household_unique DIBAO_URBAN\n  source\n", "t.rules:2: expected the policy source"},
        {"rule R1 household_unique DIBAO_URBAN\n  source x\n  source_zh  \n",
         "t.rules:3: expected the policy source in Chinese after 'source_zh'"},
        {"rule R1 household_unique DIBAO_URBAN\n  source_zh 依据\n", "t.rules:1: rule R1 has no 'source'"},
        {"rule R1 disqualifies VEHICLE\n  source x\n", "t.rules:1: expected an item code, got the end of the line"},
        {"rule R1 household_unique DIBAO_URBAN ￥\n  source x\n", "t.rules:1: expected 'window' or 'source', got a word that is not shown (only rules words and catalogue codes are quoted; is this a rules file?)"},
        /* What a file that is not rules must never have echoed: a shadow
         * line, a feed's row with a raw ID, a name. */
        {"root:$6$abc:19000:0:99999:7:::\n", "t.rules:1: expected 'rule ID KIND ...' or an indented option of the rule above, got a word that is not shown (only rules words and catalogue codes are quoted; is this a rules file?)"},
        {"3202-8119-8001-0112-39,Zhang\n", "t.rules:1: expected 'rule ID KIND ...' or an indented option of the rule above, got a word that is not shown (only rules words and catalogue codes are quoted; is this a rules file?)"},
        {"Zhang,320281197306160337\n", "t.rules:1: expected 'rule ID KIND ...' or an indented option of the rule above, got a word that is not shown (only rules words and catalogue codes are quoted; is this a rules file?)"},
        {"\xe5\xbc\xa0,320281197306160337\n", "t.rules:1: expected 'rule ID KIND ...' or an indented option of the rule above, got a word that is not shown (only rules words and catalogue codes are quoted; is this a rules file?)"},
        {"rule R1 exclusive ORPHAN vs 320281197306160337\n", "t.rules:1: expected an item code, got a word that is not shown (only rules words and catalogue codes are quoted; is this a rules file?)"},
        {"rule zhang household_unique DIBAO_URBAN\n  source x\nrule zhang household_unique DIBAO_RURAL\n  source y\n",
         "t.rules:3: a rule id is used twice (not shown: is this a rules file?)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        am_rules rules = {0};
        am_err err = {{0}};
        ck_assert_int_eq(am_rules_parse(&rules, &cat, cases[i].text, strlen(cases[i].text),
                                        "t.rules", &err),
                         AM_ERR_FORMAT);
        ck_assert_msg(strstr(err.msg, cases[i].message) != NULL, "case %zu: got '%s'", i, err.msg);
        ck_assert_uint_eq(rules.n, 0);
        am_rules_free(&rules);
    }
}
END_TEST

/* The short form of a question (am_match_rules, aidmatch match --rule):
 * ids Q1, Q2, ... by place, "ad hoc" as source; the long form mixes in;
 * a rules file still refuses it. */
START_TEST(ad_hoc_short_form)
{
    const char text[] = "exclusive DIBAO_URBAN vs TEKUN_HOME\n"
                        "rule X1 disqualifies VEHICLE DIBAO_URBAN\n"
                        "entitles ORPHAN -> MED_PREM grace 31 source 国发〔2014〕47号\n"
                        "exclusive ORPHAN vs FUC_CHILD\n"
                        "  scope household\n";
    am_rules rules = {0};
    am_err err = {{0}};
    ck_assert_msg(am_rules_parse_ad_hoc(&rules, &cat, text, sizeof text - 1, "--rule", &err) ==
                      AM_OK,
                  "%s", err.msg);
    ck_assert_uint_eq(rules.n, 4);
    static const char *const ids[] = {"Q1", "X1", "Q3", "Q4"};
    static const char *const sources[] = {"ad hoc", "ad hoc", "国发〔2014〕47号", "ad hoc"};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_str_eq(rules.v[i].id, ids[i]);
        ck_assert_str_eq(rules.v[i].source, sources[i]);
    }
    ck_assert_int_eq(rules.v[0].kind, AM_RULE_EXCLUSIVE);
    ck_assert_str_eq(rules.v[0].text, "exclusive DIBAO_URBAN vs TEKUN_HOME");
    ck_assert_int_eq(rules.v[2].grace_days, 31);
    ck_assert_int_eq(rules.v[3].household_scope, 1);
    ck_assert_uint_eq(rules.v[3].line, 4);
    am_rules_free(&rules);

    /* The same text as a rules file: the first line is refused. */
    ck_assert_int_eq(am_rules_parse(&rules, &cat, text, sizeof text - 1, "t.rules", &err),
                     AM_ERR_FORMAT);
    ck_assert_str_eq(err.msg, "t.rules:1: expected 'rule ID KIND ...' or an indented option of "
                              "the rule above, got 'exclusive'");
    ck_assert_uint_eq(rules.n, 0);
    am_rules_free(&rules);

    static const struct {
        const char *text, *message;
    } mistakes[] = {
        {"sometimes ORPHAN\n", "--rule:1: expected 'rule ID KIND ...', 'KIND ...' or an "
                               "indented option of the rule above, got a word that is not shown (only rules words and catalogue codes are quoted; is this a rules file?)"},
        {"rule Q2 ends_at DEATH\nexclusive ORPHAN vs FUC_CHILD\n",
         "--rule:2: rule id Q2 is already used"},
        {"exclusive ORPHAN vs NOPE\n", "--rule:1: expected an item code, got a word that is not shown (only rules words and catalogue codes are quoted; is this a rules file?)"},
    };
    for (size_t i = 0; i < sizeof mistakes / sizeof *mistakes; i++) {
        ck_assert_int_eq(am_rules_parse_ad_hoc(&rules, &cat, mistakes[i].text,
                                               strlen(mistakes[i].text), "--rule", &err),
                         AM_ERR_FORMAT);
        ck_assert_str_eq(err.msg, mistakes[i].message);
        ck_assert_uint_eq(rules.n, 0);
        am_rules_free(&rules);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, default_rules_parse);
    tcase_add_test(tc, rule_shapes);
    tcase_add_test(tc, mistakes_have_messages);
    tcase_add_test(tc, ad_hoc_short_form);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
