/*
 * fuzz_rules.c — am_rules_parse on arbitrary text against the shipped
 * catalogue, appended to the shipped default rules.
 *
 * Invariants: a failure appends nothing and names the file and line; a
 * success appends rules that are complete (an id, a source) and whose
 * codes are catalogue codes of the right sort.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read/catalogue.h"
#include "fuzz.h"
#include "match/rules.h"

static am_catalogue cat;
static unsigned char *default_rules;
static size_t default_len;

static void release(void)
{
    am_catalogue_free(&cat);
    free(default_rules);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char path[4096];
    am_err err;
    fuzz_source_path(path, sizeof path, "data/catalogue");
    if (am_catalogue_load(&cat, path, &err) != AM_OK) {
        fprintf(stderr, "fuzz_rules: %s\n", err.msg);
        abort();
    }
    fuzz_source_path(path, sizeof path, "data/rules/default.rules");
    if (fuzz_read_file(path, &default_rules, &default_len) != 0) {
        fprintf(stderr, "fuzz_rules: cannot read %s\n", path);
        abort();
    }
    atexit(release);
    return 0;
}

static void check_group(const am_group *g, int items, int facts)
{
    FUZZ_CHECK(g->n == 0 || g->refs != NULL);
    for (size_t i = 0; i < g->n; i++) {
        const am_code_ref *r = &g->refs[i];
        const int is_item = am_code_is_item(&cat, r->code);
        FUZZ_CHECK(r->code < cat.nitems + cat.nfacts);
        FUZZ_CHECK(is_item ? items : facts);
        FUZZ_CHECK(r->value_min <= r->value_max);
        if (r->value_max) {
            FUZZ_CHECK(!is_item);
            const am_fact *f = &cat.facts[r->code - cat.nitems];
            FUZZ_CHECK(r->value_min >= f->value_min && r->value_max <= f->value_max);
            FUZZ_CHECK(am_group_has(g, r->code, r->value_min));
        } else {
            FUZZ_CHECK(am_group_has(g, r->code, 0));
        }
    }
}

static void check_rule(const am_rule *r)
{
    FUZZ_CHECK(r->id && *r->id);
    FUZZ_CHECK(strcmp(r->id, "DUP") != 0);
    FUZZ_CHECK(r->source && *r->source);
    FUZZ_CHECK(r->line > 0);
    switch (r->kind) {
    case AM_RULE_EXCLUSIVE:
        FUZZ_CHECK(r->first.n > 0 && r->second.n > 0);
        check_group(&r->first, 1, 0);
        check_group(&r->second, 1, 0);
        break;
    case AM_RULE_ENTITLES:
        FUZZ_CHECK(r->nterms > 0 && r->second.n == 1);
        for (size_t i = 0; i < r->nterms; i++) {
            FUZZ_CHECK(r->terms[i].n > 0);
            check_group(&r->terms[i], 1, 1);
        }
        check_group(&r->second, 1, 0);
        FUZZ_CHECK(r->grace_days >= 0 && r->grace_days <= 36600);
        break;
    case AM_RULE_HOUSEHOLD_UNIQUE:
        FUZZ_CHECK(r->first.n > 0);
        check_group(&r->first, 1, 0);
        FUZZ_CHECK(r->window_days >= 0 && r->window_days <= 36600);
        break;
    case AM_RULE_ENDS_AT:
        FUZZ_CHECK(r->first.n == 1);
        check_group(&r->first, 0, 1);
        check_group(&r->second, 1, 0);
        break;
    case AM_RULE_DISQUALIFIES:
        FUZZ_CHECK(r->first.n > 0 && r->second.n > 0);
        check_group(&r->first, 0, 1);
        check_group(&r->second, 1, 0);
        break;
    default:
        FUZZ_CHECK(!"a rule kind out of range");
    }
}

static void parse_into(am_rules *rules, const char *text, size_t len)
{
    const size_t before = rules->n;
    am_err err;
    memset(err.msg, 0, sizeof err.msg);
    const am_status st = am_rules_parse(rules, &cat, text, len, "fuzz.rules", &err);
    if (st == AM_OK) {
        FUZZ_CHECK(rules->n >= before);
    } else {
        FUZZ_CHECK(st == AM_ERR_FORMAT);
        FUZZ_CHECK(rules->n == before);
        FUZZ_CHECK(strncmp(err.msg, "fuzz.rules:", 11) == 0);
        FUZZ_CHECK(memchr(err.msg, '\0', sizeof err.msg) != NULL);
    }
    for (size_t i = 0; i < rules->n; i++)
        check_rule(&rules->v[i]);
    /* Ids stay unique across everything loaded. */
    for (size_t i = before; i < rules->n; i++)
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(rules->v[i].id, rules->v[j].id) != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;

    /* On its own. */
    am_rules alone = {0};
    parse_into(&alone, text, size);
    am_rules_free(&alone);

    /* After the shipped rules, whose ids it may collide with. */
    am_rules rules = {0};
    am_err err;
    FUZZ_CHECK(am_rules_parse(&rules, &cat, (const char *)default_rules, default_len,
                              "default.rules", &err) == AM_OK);
    parse_into(&rules, text, size);
    am_rules_free(&rules);
    return 0;
}
