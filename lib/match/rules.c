/*
 * rules.c — parsing the rules language (see rules.h and docs/rules.md).
 *
 * The grammar is small enough for a hand-written lexer and recursive
 * descent, which keeps every error message in the auditor's terms:
 * "default.rules:12: expected an item code after '->', got 'DIS_NURSNG'".
 */
#include "match/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/edit_distance.h"

typedef enum token_type { TOK_END, TOK_WORD, TOK_OR, TOK_AND, TOK_ARROW, TOK_BAD } token_type;

typedef struct lexer {
    const char *p, *end;
    token_type type;
    const char *text;
    size_t len;
} lexer;

typedef struct parser {
    const am_catalogue *cat;
    const char *name;
    unsigned long line;
    am_err *err;
    am_status status;
    int ad_hoc;     /* am_rules_parse_ad_hoc: 'rule ID' and 'source' may be left out */
    size_t started; /* rules begun in this text: an ad-hoc rule's id is Q<started> */
} parser;

static int is_word_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '=';
}

static void next(lexer *lx)
{
    while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
        lx->p++;
    lx->text = lx->p;
    if (lx->p >= lx->end) {
        lx->type = TOK_END;
        lx->len = 0;
        return;
    }
    const char c = *lx->p;
    if (c == '|' || c == '&') {
        lx->type = c == '|' ? TOK_OR : TOK_AND;
        lx->p++;
    } else if (c == '-' && lx->p + 1 < lx->end && lx->p[1] == '>') {
        lx->type = TOK_ARROW;
        lx->p += 2;
    } else if (is_word_char(c)) {
        lx->type = TOK_WORD;
        /* A '-' belongs to the word only inside a value range: =1-2. */
        while (lx->p < lx->end &&
               (is_word_char(*lx->p) || (*lx->p == '-' && lx->p + 1 < lx->end &&
                                         lx->p[1] >= '0' && lx->p[1] <= '9')))
            lx->p++;
    } else {
        lx->type = TOK_BAD;
        lx->p++;
        while (lx->p < lx->end && (*lx->p & 0xC0) == 0x80) /* the rest of a UTF-8 character */
            lx->p++;
    }
    lx->len = (size_t)(lx->p - lx->text);
}

static int word_is(const lexer *lx, const char *word)
{
    return lx->type == TOK_WORD && lx->len == strlen(word) && memcmp(lx->text, word, lx->len) == 0;
}

/* Levenshtein distance of two short ASCII words, capped at 3. */
static size_t near_distance(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > 40 || nb > 40 || (na > nb ? na - nb : nb - na) > 2)
        return 3;
    uint32_t x[40], y[40];
    for (size_t i = 0; i < na; i++)
        x[i] = (unsigned char)a[i];
    for (size_t j = 0; j < nb; j++)
        y[j] = (unsigned char)b[j];
    const size_t d = am_edit_distance(x, na, y, nb);
    return d < 3 ? d : 3;
}

/* Whether a message may quote the word: a file named as the rules file
 * that is not one (a feed, a key, /etc/shadow), or an ID pasted into a
 * rules file, must never be repeated.  Quoted are only the rules words,
 * the catalogue's codes, and ASCII words within two edits of a code (a
 * typo, for which the checker suggests the code). */
static int quotable(const parser *ps, const char *text, size_t len)
{
    static const char *const words[] = {
        "rule", "vs", "source", "source_zh", "scope", "grace", "window", "except", "household",
        "person", "exclusive", "entitles", "household_unique", "ends_at", "disqualifies"};
    const char *eq = memchr(text, '=', len);
    const size_t code_len = eq ? (size_t)(eq - text) : len;
    for (size_t i = 0; i < code_len; i++)
        if (!((text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= 'a' && text[i] <= 'z') ||
              (text[i] >= '0' && text[i] <= '9') || text[i] == '_'))
            return 0;
    if (!code_len || (eq && !ps->cat))
        return 0;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (!eq && strlen(words[i]) == len && memcmp(words[i], text, len) == 0)
            return 1;
    const am_catalogue *cat = ps->cat;
    if (!cat)
        return 0;
    if (am_catalogue_item(cat, text, code_len) >= 0 || am_catalogue_fact(cat, text, code_len) >= 0)
        return 1;
    if (code_len < 4 || eq)
        return 0;
    for (size_t i = 0; i < cat->nitems; i++)
        if (near_distance(text, len, cat->items[i].code, strlen(cat->items[i].code)) <= 2)
            return 1;
    for (size_t i = 0; i < cat->nfacts; i++)
        if (near_distance(text, len, cat->facts[i].code, strlen(cat->facts[i].code)) <= 2)
            return 1;
    return 0;
}

/* A rule id as rules files write them (R01, DUP_2): upper case, digits
 * and '_', with a digit, up to 15 bytes; anything else is not quoted. */
static int rule_id_shape(const char *id, size_t len)
{
    int digit = len == 3 && memcmp(id, "DUP", 3) == 0; /* the duplicate detector's */
    if (len == 0 || len > 15)
        return 0;
    for (size_t i = 0; i < len; i++) {
        digit |= id[i] >= '0' && id[i] <= '9';
        if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '_'))
            return 0;
    }
    return digit;
}

static am_status expected(parser *ps, const lexer *lx, const char *what)
{
    if (ps->status != AM_OK)
        return ps->status;
    if (lx->type == TOK_END)
        ps->status = am_fail(ps->err, AM_ERR_FORMAT, "%s:%lu: expected %s, got the end of the line",
                             ps->name, ps->line, what);
    else if (lx->type != TOK_WORD || !quotable(ps, lx->text, lx->len))
        ps->status = am_fail(ps->err, AM_ERR_FORMAT,
                             "%s:%lu: expected %s, got a word that is not shown (only rules words "
                             "and catalogue codes are quoted; is this a rules file?)",
                             ps->name, ps->line, what);
    else
        ps->status = am_fail(ps->err, AM_ERR_FORMAT, "%s:%lu: expected %s, got '%.*s'", ps->name,
                             ps->line, what, (int)lx->len, lx->text);
    return ps->status;
}

static am_status fail_rule(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static am_status fail_rule(parser *ps, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    ps->status = am_fail(ps->err, AM_ERR_FORMAT, "%s:%lu: %s", ps->name, ps->line, what);
    return ps->status;
}

enum { WANT_ITEM = 1, WANT_FACT = 2 };

static int parse_number(const char *s, size_t len, long max, long *out)
{
    if (len == 0 || len > 6)
        return 0;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    if (v > max)
        return 0;
    *out = v;
    return 1;
}

/* CODE, or FACT=N, or FACT=N-M. */
static am_status parse_ref(parser *ps, const lexer *lx, int want, am_code_ref *ref)
{
    const char *what = want == WANT_ITEM   ? "an item code"
                       : want == WANT_FACT ? "a fact code"
                                           : "an item or fact code";
    if (lx->type != TOK_WORD)
        return expected(ps, lx, what);
    const char *eq = memchr(lx->text, '=', lx->len);
    const size_t code_len = eq ? (size_t)(eq - lx->text) : lx->len;
    const am_catalogue *cat = ps->cat;
    const int item = am_catalogue_item(cat, lx->text, code_len);
    const int fact = am_catalogue_fact(cat, lx->text, code_len);
    if ((item < 0 || !(want & WANT_ITEM)) && (fact < 0 || !(want & WANT_FACT)))
        return expected(ps, lx, what);
    memset(ref, 0, sizeof *ref);
    if (item >= 0 && (want & WANT_ITEM)) {
        if (eq)
            return fail_rule(ps, "item %.*s takes no value; only facts such as DISABILITY=1-2 do",
                             (int)code_len, lx->text);
        ref->code = (uint16_t)item;
        return AM_OK;
    }
    ref->code = (uint16_t)am_code_of_fact(cat, (unsigned)fact);
    if (!eq)
        return AM_OK;
    const am_fact *f = &cat->facts[fact];
    const char *range = eq + 1, *dash = memchr(range, '-', (size_t)(lx->text + lx->len - range));
    const char *range_end = lx->text + lx->len;
    long lo, hi;
    if (!parse_number(range, (size_t)((dash ? dash : range_end) - range), 99, &lo) ||
        (dash ? !parse_number(dash + 1, (size_t)(range_end - dash - 1), 99, &hi) : (hi = lo, 0)))
        return fail_rule(ps, "expected %.*s=N or %.*s=N-M", (int)code_len, lx->text,
                         (int)code_len, lx->text);
    if (f->value_max == 0)
        return fail_rule(ps, "fact %s carries no value", f->code);
    if (lo > hi || lo < f->value_min || hi > f->value_max)
        return fail_rule(ps, "%s values run from %d to %d", f->code, f->value_min, f->value_max);
    ref->value_min = (uint8_t)lo;
    ref->value_max = (uint8_t)hi;
    return AM_OK;
}

static am_status parse_group(parser *ps, lexer *lx, int want, am_group *g)
{
    for (;;) {
        am_code_ref ref;
        if (parse_ref(ps, lx, want, &ref) != AM_OK)
            return ps->status;
        if (!AM_PUSH(g->refs, g->n, g->capacity, ref))
            return ps->status = am_fail(ps->err, AM_ERR_NOMEM, "out of memory");
        next(lx);
        if (lx->type != TOK_OR)
            return AM_OK;
        next(lx);
    }
}

static am_status parse_conditions(parser *ps, lexer *lx, am_rule *r)
{
    for (;;) {
        if (!AM_PUSH(r->terms, r->nterms, r->capterms, ((am_group){0})))
            return ps->status = am_fail(ps->err, AM_ERR_NOMEM, "out of memory");
        if (parse_group(ps, lx, WANT_ITEM | WANT_FACT, &r->terms[r->nterms - 1]) != AM_OK)
            return ps->status;
        if (lx->type != TOK_AND)
            return AM_OK;
        next(lx);
    }
}

static am_status parse_days(parser *ps, lexer *lx, const char *option, int32_t *out)
{
    next(lx);
    long days;
    if (lx->type != TOK_WORD || !parse_number(lx->text, lx->len, 36600, &days)) {
        char what[64];
        snprintf(what, sizeof what, "a number of days after '%s'", option);
        return expected(ps, lx, what);
    }
    *out = (int32_t)days;
    next(lx);
    return AM_OK;
}

/* Options may follow the operands or stand on indented lines. */
static am_status parse_options(parser *ps, lexer *lx, am_rule *r)
{
    while (lx->type != TOK_END && ps->status == AM_OK) {
        if (word_is(lx, "source") || word_is(lx, "source_zh")) {
            const int zh = word_is(lx, "source_zh");
            const char *text = lx->p;
            size_t len = (size_t)(lx->end - text);
            while (len && (*text == ' ' || *text == '\t')) {
                text++;
                len--;
            }
            if (!len || memchr(text, '\0', len))
                return fail_rule(ps, zh ? "expected the policy source in Chinese after 'source_zh'"
                                        : "expected the policy source after 'source'");
            char **slot = zh ? &r->source_zh : &r->source;
            am_free(*slot);
            if (!(*slot = am_strndup(text, len)))
                return ps->status = am_fail(ps->err, AM_ERR_NOMEM, "out of memory");
            return AM_OK;
        } else if (word_is(lx, "scope") && r->kind == AM_RULE_EXCLUSIVE) {
            next(lx);
            if (word_is(lx, "person") || word_is(lx, "household"))
                r->household_scope = word_is(lx, "household");
            else
                return expected(ps, lx, "person or household after 'scope'");
            next(lx);
        } else if (word_is(lx, "grace") && r->kind == AM_RULE_ENTITLES) {
            parse_days(ps, lx, "grace", &r->grace_days);
        } else if (word_is(lx, "window") && r->kind == AM_RULE_HOUSEHOLD_UNIQUE) {
            parse_days(ps, lx, "window", &r->window_days);
        } else if (word_is(lx, "except") && r->kind == AM_RULE_ENDS_AT && r->second.n == 0) {
            next(lx);
            parse_group(ps, lx, WANT_ITEM, &r->second);
        } else {
            static const char *const options[] = {
                [AM_RULE_EXCLUSIVE] = "'scope' or 'source'",
                [AM_RULE_ENTITLES] = "'grace' or 'source'",
                [AM_RULE_HOUSEHOLD_UNIQUE] = "'window' or 'source'",
                [AM_RULE_ENDS_AT] = "'except' or 'source'",
                [AM_RULE_DISQUALIFIES] = "'source'",
            };
            return expected(ps, lx, options[r->kind]);
        }
    }
    return ps->status;
}

static am_status parse_operands(parser *ps, lexer *lx, am_rule *r)
{
    switch (r->kind) {
    case AM_RULE_EXCLUSIVE:
        if (parse_group(ps, lx, WANT_ITEM, &r->first) != AM_OK)
            return ps->status;
        if (!word_is(lx, "vs"))
            return expected(ps, lx, "'vs' between the two groups of items");
        next(lx);
        return parse_group(ps, lx, WANT_ITEM, &r->second);
    case AM_RULE_ENTITLES:
        if (parse_conditions(ps, lx, r) != AM_OK)
            return ps->status;
        if (lx->type != TOK_ARROW)
            return expected(ps, lx, "'&' and another condition, or '->' and the item entitled");
        next(lx);
        if (parse_group(ps, lx, WANT_ITEM, &r->second) != AM_OK)
            return ps->status;
        return r->second.n == 1 ? AM_OK : fail_rule(ps, "entitles names one item after '->'");
    case AM_RULE_HOUSEHOLD_UNIQUE:
        return parse_group(ps, lx, WANT_ITEM, &r->first);
    case AM_RULE_ENDS_AT:
        if (parse_group(ps, lx, WANT_FACT, &r->first) != AM_OK)
            return ps->status;
        return r->first.n == 1 ? AM_OK : fail_rule(ps, "ends_at names one fact");
    case AM_RULE_DISQUALIFIES:
        if (parse_group(ps, lx, WANT_FACT, &r->first) != AM_OK)
            return ps->status;
        return parse_group(ps, lx, WANT_ITEM, &r->second);
    }
    return AM_OK;
}

static void rule_free(am_rule *r)
{
    am_free(r->id);
    am_free(r->source);
    am_free(r->source_zh);
    am_free(r->text);
    am_free(r->origin);
    am_free(r->first.refs);
    am_free(r->second.refs);
    for (size_t i = 0; i < r->nterms; i++)
        am_free(r->terms[i].refs);
    am_free(r->terms);
    memset(r, 0, sizeof *r);
}

static const struct {
    const char *word;
    am_rule_kind kind;
} kinds[] = {
    {"exclusive", AM_RULE_EXCLUSIVE},         {"entitles", AM_RULE_ENTITLES},
    {"household_unique", AM_RULE_HOUSEHOLD_UNIQUE}, {"ends_at", AM_RULE_ENDS_AT},
    {"disqualifies", AM_RULE_DISQUALIFIES},
};

static int id_taken(const am_rules *rules, const char *id, size_t len)
{
    for (size_t i = 0; i < rules->n; i++)
        if (strlen(rules->v[i].id) == len && memcmp(rules->v[i].id, id, len) == 0)
            return 1;
    return 0;
}

/* The kind a word names, or -1. */
static int kind_named(const lexer *lx)
{
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
        if (word_is(lx, kinds[k].word))
            return (int)k;
    return -1;
}

static am_status start_rule(parser *ps, lexer *lx, am_rules *rules, am_rule *r)
{
    memset(r, 0, sizeof *r);
    r->line = ps->line;
    ps->started++;
    next(lx);
    char numbered[24];
    const char *id = numbered;
    size_t id_len;
    if (ps->ad_hoc && kind_named(lx) >= 0) {
        /* The short form of an ad-hoc rule: KIND OPERANDS [OPTIONS]. */
        id_len = (size_t)snprintf(numbered, sizeof numbered, "Q%zu", ps->started);
    } else {
        if (!word_is(lx, "rule"))
            return expected(ps, lx,
                            ps->ad_hoc ? "'rule ID KIND ...', 'KIND ...' or an indented option "
                                         "of the rule above"
                                       : "'rule ID KIND ...' or an indented option of the rule "
                                         "above");
        next(lx);
        if (lx->type != TOK_WORD || memchr(lx->text, '=', lx->len))
            return expected(ps, lx, "a rule id such as R01");
        id = lx->text;
        id_len = lx->len;
        next(lx);
    }
    if (id_taken(rules, id, id_len) || (id_len == 3 && memcmp(id, "DUP", 3) == 0))
        return quotable(ps, id, id_len) || rule_id_shape(id, id_len)
                   ? fail_rule(ps, "rule id %.*s is already used", (int)id_len, id)
                   : fail_rule(ps, "a rule id is used twice (not shown: is this a rules file?)");
    if (!(r->id = am_strndup(id, id_len)))
        return ps->status = am_fail(ps->err, AM_ERR_NOMEM, "out of memory");
    const int k = kind_named(lx);
    if (k < 0)
        return expected(ps, lx,
                        "a kind: exclusive, entitles, household_unique, ends_at or disqualifies");
    r->kind = kinds[k].kind;
    next(lx);
    if (parse_operands(ps, lx, r) != AM_OK)
        return ps->status;
    return parse_options(ps, lx, r);
}

/* Appends a finished rule, or fails if it lacks its source.  The rule
 * keeps its text as written, [text, text_end), and where it came from. */
static am_status finish_rule(parser *ps, am_rules *rules, am_rule *r, const char *text,
                             const char *text_end)
{
    if (!r->source && ps->ad_hoc && !(r->source = am_strdup("ad hoc")))
        return ps->status = am_fail(ps->err, AM_ERR_NOMEM, "out of memory");
    if (!r->source) {
        ps->line = r->line;
        return fail_rule(ps, "rule %s has no 'source': every rule cites the policy behind it",
                         r->id);
    }
    if (!(r->text = am_strndup(text, (size_t)(text_end - text))) ||
        !(r->origin = am_strdup(ps->name)))
        return ps->status = am_fail(ps->err, AM_ERR_NOMEM, "out of memory");
    if (!AM_PUSH(rules->v, rules->n, rules->capacity, *r))
        return ps->status = am_fail(ps->err, AM_ERR_NOMEM, "out of memory");
    memset(r, 0, sizeof *r);
    return AM_OK;
}

static am_status parse(am_rules *rules, const am_catalogue *cat, const char *text, size_t len,
                       const char *name, int ad_hoc, am_err *err)
{
    parser ps = {.cat = cat, .name = name, .err = err, .ad_hoc = ad_hoc};
    const size_t before = rules->n;
    am_rule current = {0};
    int have_current = 0;
    const char *p = text, *end = text + len;
    const char *rule_text = NULL, *rule_text_end = NULL; /* the current rule as written */
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end && ps.status == AM_OK) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        ps.line++;
        lexer lx = {.p = p, .end = line_end};
        if (lx.end > lx.p && lx.end[-1] == '\r')
            lx.end--;
        const char *first = p;
        while (first < lx.end && (*first == ' ' || *first == '\t'))
            first++;
        const int blank = first == lx.end || *first == '#';
        if (!blank && first == p) {
            if (have_current &&
                finish_rule(&ps, rules, &current, rule_text, rule_text_end) != AM_OK)
                break;
            have_current = 1;
            rule_text = p;
            rule_text_end = lx.end;
            start_rule(&ps, &lx, rules, &current);
        } else if (!blank) {
            if (!have_current) {
                fail_rule(&ps, "an indented line must belong to a rule above it");
                break;
            }
            rule_text_end = lx.end;
            next(&lx);
            parse_options(&ps, &lx, &current);
        }
        p = eol ? eol + 1 : end;
    }
    if (ps.status == AM_OK && have_current)
        finish_rule(&ps, rules, &current, rule_text, rule_text_end);
    rule_free(&current);
    if (ps.status != AM_OK) {
        while (rules->n > before)
            rule_free(&rules->v[--rules->n]);
    }
    return ps.status;
}

am_status am_rules_parse(am_rules *rules, const am_catalogue *cat, const char *text, size_t len,
                         const char *name, am_err *err)
{
    return parse(rules, cat, text, len, name, 0, err);
}

am_status am_rules_parse_ad_hoc(am_rules *rules, const am_catalogue *cat, const char *text,
                                size_t len, const char *name, am_err *err)
{
    return parse(rules, cat, text, len, name, 1, err);
}

int am_group_has(const am_group *g, uint16_t code, uint8_t value)
{
    for (size_t i = 0; i < g->n; i++) {
        const am_code_ref *r = &g->refs[i];
        if (r->code == code && (r->value_max == 0 || (value >= r->value_min && value <= r->value_max)))
            return 1;
    }
    return 0;
}

void am_rules_free(am_rules *rules)
{
    for (size_t i = 0; i < rules->n; i++)
        rule_free(&rules->v[i]);
    am_free(rules->v);
    memset(rules, 0, sizeof *rules);
}
