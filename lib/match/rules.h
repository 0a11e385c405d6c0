/*
 * rules.h — the rules language: policy written down as data a centre can
 * read and change (docs/rules.md).
 *
 *   rule R12 entitles DISABILITY=1-2 -> DIS_NURSING grace 31
 *     source 国发〔2015〕52号
 *     source_zh 国发〔2015〕52号：一级、二级残疾人享受重度残疾人护理补贴
 *
 * A rule is parsed once against the catalogue, so every code it names is
 * known to exist and to be of the right sort (item or fact) before any
 * feed is read.
 */
#ifndef AM_RULES_H
#define AM_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "read/catalogue.h"
#include "common/error.h"

typedef enum am_rule_kind {
    AM_RULE_EXCLUSIVE = 0,
    AM_RULE_ENTITLES,
    AM_RULE_HOUSEHOLD_UNIQUE,
    AM_RULE_ENDS_AT,
    AM_RULE_DISQUALIFIES
} am_rule_kind;

/* One code of an OR-group; a fact may require a value range. */
typedef struct am_code_ref {
    uint16_t code;
    uint8_t value_min, value_max; /* 0, 0: any value */
} am_code_ref;

/* Codes joined by '|': held if any one is held. */
typedef struct am_group {
    am_code_ref *refs;
    size_t n, capacity;
} am_group;

typedef struct am_rule {
    char *id;
    am_rule_kind kind;
    char *source;
    char *source_zh;        /* 'source_zh': the policy in Chinese for the report, or NULL */
    unsigned long line;
    char *text;             /* the rule as written: its lines from 'rule' to its last option */
    char *origin;           /* the name of the text it came from (a file name) */
    /* exclusive: first vs second.  entitles: terms[] (ANDed) -> second.
     * household_unique: first.  ends_at: first (the fact), second (except).
     * disqualifies: first (the fact term), second (the items). */
    am_group first, second;
    am_group *terms;
    size_t nterms, capterms;
    int household_scope;    /* exclusive: within one household */
    int32_t grace_days;     /* entitles: uncovered stretches this short are tolerated */
    int32_t window_days;    /* household_unique: one-off payments this close collide */
} am_rule;

typedef struct am_rules {
    am_rule *v;
    size_t n, capacity;
} am_rules;

/* Parses len bytes of rules text (name is used in messages) and appends the
 * rules to *rules.  Returns AM_OK, AM_ERR_FORMAT ("name:line: expected ...,
 * got '...'") or AM_ERR_NOMEM.  On failure nothing is appended. */
am_status am_rules_parse(am_rules *rules, const am_catalogue *cat, const char *text, size_t len,
                         const char *name, am_err *err);

/* As am_rules_parse, for the questions of am_match_rules(): a rule may also
 * leave out 'rule ID', starting at its kind ("exclusive A vs B"), and is
 * then Q1, Q2, ... by its place among the rules of text; a rule without
 * 'source' cites "ad hoc".  Rules files never get this leeway: they cite
 * the policy behind every rule. */
am_status am_rules_parse_ad_hoc(am_rules *rules, const am_catalogue *cat, const char *text,
                                size_t len, const char *name, am_err *err);

/* Returns 1 when code (with value, for facts) belongs to the group. */
int am_group_has(const am_group *g, uint16_t code, uint8_t value);

void am_rules_free(am_rules *rules);

#endif
