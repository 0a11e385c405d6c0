/*
 * request.c — a check or a grant asked in JSON, as the service receives
 * them (docs/window-openapi.yaml, CheckRequest and GrantRequest): read
 * strictly (an unknown member is an error, so that a misspelt field is not
 * silently ignored) into the same request am_window_check() takes.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/json.h"
#include "window/check.h"

/* More grants than any one application asks for. */
#define MAX_GRANTS 32

static am_status only_members(const am_json *obj, const char *const *known, const char *what,
                              am_err *err)
{
    if (!obj || obj->type != AM_JSON_OBJECT)
        return am_fail(err, AM_ERR_FORMAT, "%s: expected a JSON object", what);
    for (const am_json *m = obj->child; m; m = m->next) {
        int ok = 0;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(m->key, *k) == 0;
        if (!ok)
            return am_fail(err, AM_ERR_FORMAT, "%s: unknown member '%.40s'", what, m->key);
    }
    return AM_OK;
}

/* A string member: required (or NULL when absent and optional). */
static am_status string_member(const am_json *obj, const char *key, int required,
                               const char *what, const char **out, am_err *err)
{
    const am_json *m = am_json_get(obj, key);
    *out = NULL;
    if (!m) {
        if (required)
            return am_fail(err, AM_ERR_FORMAT, "%s: '%s' is missing", what, key);
        return AM_OK;
    }
    if (m->type != AM_JSON_STRING)
        return am_fail(err, AM_ERR_FORMAT, "%s: '%s' must be a string", what, key);
    *out = m->text;
    return AM_OK;
}

static am_status grant_of(const am_json *obj, size_t k, am_grant *g, am_err *err)
{
    static const char *const known[] = {"item", "agency", "start", "end", "amount_fen", NULL};
    char what[32];
    snprintf(what, sizeof what, "grant %zu", k);
    memset(g, 0, sizeof *g);
    am_status st = only_members(obj, known, what, err);
    if (st == AM_OK)
        st = string_member(obj, "item", 1, what, &g->item, err);
    if (st == AM_OK)
        st = string_member(obj, "agency", 0, what, &g->agency, err);
    if (st == AM_OK)
        st = string_member(obj, "start", 1, what, &g->start, err);
    if (st == AM_OK)
        st = string_member(obj, "end", 0, what, &g->end, err);
    unsigned long long fen = 0;
    if (st == AM_OK && am_json_get(obj, "amount_fen") &&
        (!am_json_uint(obj, "amount_fen", &fen) || fen > (unsigned long long)INT64_MAX / 4))
        st = am_fail(err, AM_ERR_FORMAT,
                     "%s: 'amount_fen' must be a whole number of fen, not negative", what);
    g->amount_fen = (int64_t)fen;
    return st;
}

am_status am_window_check_json(am_window *w, const char *json, size_t len, am_check **out)
{
    if (!out)
        return AM_ERR_INVALID;
    *out = NULL;
    if (!w || (!json && len))
        return AM_ERR_INVALID;
    static const char *const known[] = {"person", "date", "grants", NULL};
    am_err err = {{0}};
    am_json *root = NULL;
    am_grant grants[MAX_GRANTS];
    am_check_request q = {.grants = grants};
    am_status st = am_json_parse(json ? json : "", len, "request", &root, &err);
    if (st == AM_OK)
        st = only_members(root, known, "request", &err);
    if (st == AM_OK)
        st = string_member(root, "person", 1, "request", &q.person, &err);
    if (st == AM_OK)
        st = string_member(root, "date", 1, "request", &q.date, &err);
    const am_json *list = st == AM_OK ? am_json_get(root, "grants") : NULL;
    if (list && list->type != AM_JSON_ARRAY)
        st = am_fail(&err, AM_ERR_FORMAT, "request: 'grants' must be an array");
    for (const am_json *g = list ? list->child : NULL; st == AM_OK && g; g = g->next) {
        if (q.ngrants == MAX_GRANTS)
            st = am_fail(&err, AM_ERR_LIMIT, "request: more than %d grants", MAX_GRANTS);
        else
            st = grant_of(g, q.ngrants + 1, &grants[q.ngrants], &err), q.ngrants++;
    }
    if (st == AM_OK)
        st = am_window_check(w, &q, out);
    else if ((*out = am_check_failed(w, &err)) == NULL)
        st = AM_ERR_NOMEM;
    am_json_free(root);
    return st;
}

am_status am_window_grant_json(am_window *w, const char *json, size_t len, char *errmsg,
                               size_t errmsg_len)
{
    static const char *const known[] = {"person", "grant", NULL};
    am_err err = {{0}};
    am_json *root = NULL;
    const char *person = NULL;
    am_grant g;
    am_status st = !w || (!json && len) ? am_fail(&err, AM_ERR_INVALID, "a grant needs a window")
                                        : am_json_parse(json ? json : "", len, "request", &root,
                                                        &err);
    if (st == AM_OK)
        st = only_members(root, known, "request", &err);
    if (st == AM_OK)
        st = string_member(root, "person", 1, "request", &person, &err);
    if (st == AM_OK && !am_json_get(root, "grant"))
        st = am_fail(&err, AM_ERR_FORMAT, "request: 'grant' is missing");
    if (st == AM_OK)
        st = grant_of(am_json_get(root, "grant"), 1, &g, &err);
    if (st == AM_OK)
        st = am_window_grant(w, person, &g, errmsg, errmsg_len);
    else if (errmsg && errmsg_len)
        snprintf(errmsg, errmsg_len, "%s", err.msg);
    am_json_free(root);
    return st;
}
