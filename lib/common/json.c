/*
 * json.c — a small recursive-descent JSON reader (see json.h).  It accepts
 * RFC 8259 JSON; nesting is limited so that hostile input cannot exhaust
 * the stack.
 */
#include "common/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

#define MAX_DEPTH 64

typedef struct parser {
    const char *p, *end, *start;
    const char *name;
    am_err *err;
    am_status st;
} parser;

static unsigned long line_of(const parser *ps)
{
    unsigned long line = 1;
    for (const char *q = ps->start; q < ps->p && q < ps->end; q++)
        line += *q == '\n';
    return line;
}

static void fail(parser *ps, const char *what)
{
    if (ps->st == AM_OK)
        ps->st = am_fail(ps->err, AM_ERR_FORMAT, "%s:%lu: expected %s", ps->name, line_of(ps),
                         what);
}

static void nomem(parser *ps)
{
    if (ps->st == AM_OK)
        ps->st = am_fail(ps->err, AM_ERR_NOMEM, "%s: out of memory", ps->name);
}

static void skip_space(parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        const char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a string at ps->p (on its opening quote); returns its value. */
static char *parse_string(parser *ps)
{
    const char *s = ++ps->p;
    while (ps->p < ps->end && *ps->p != '"')
        ps->p += *ps->p == '\\' && ps->end - ps->p > 1 ? 2 : 1;
    if (ps->p >= ps->end) {
        fail(ps, "a closing quote");
        return NULL;
    }
    /* Unescaping never lengthens: \uXXXX (6 bytes) becomes at most 3,
     * a surrogate pair (12) at most 4. */
    char *out = am_malloc((size_t)(ps->p - s) + 1), *o = out;
    if (!out) {
        nomem(ps);
        return NULL;
    }
    for (const char *q = s; q < ps->p; q++) {
        const unsigned char c = (unsigned char)*q;
        if (c < 0x20) {
            ps->p = q;
            fail(ps, "no control character inside a string");
            am_free(out);
            return NULL;
        }
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        q++;
        switch (*q) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (ps->p - q < 5 || !hex4(q + 1, &cp)) {
                ps->p = q;
                fail(ps, "four hex digits after \\u");
                am_free(out);
                return NULL;
            }
            q += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && ps->p - q >= 7 && q[1] == '\\' && q[2] == 'u' &&
                hex4(q + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            } else if (cp >= 0xD800 && cp < 0xE000) {
                cp = 0xFFFD; /* a lone surrogate */
            }
            o += put_utf8(o, cp);
            break;
        }
        default:
            ps->p = q;
            fail(ps, "a valid escape after a backslash");
            am_free(out);
            return NULL;
        }
    }
    *o = '\0';
    ps->p++; /* the closing quote */
    return out;
}

static am_json *new_node(parser *ps, am_json_type type)
{
    am_json *j = am_calloc(1, sizeof *j);
    if (!j)
        nomem(ps);
    else
        j->type = type;
    return j;
}

static am_json *parse_value(parser *ps, int depth);

static am_json *parse_container(parser *ps, int depth, int object)
{
    am_json *node = new_node(ps, object ? AM_JSON_OBJECT : AM_JSON_ARRAY);
    if (!node)
        return NULL;
    ps->p++;
    skip_space(ps);
    const char close = object ? '}' : ']';
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return node;
    }
    am_json **tail = &node->child;
    for (;;) {
        char *key = NULL;
        skip_space(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"') {
                fail(ps, "a member name in quotes");
                break;
            }
            if (!(key = parse_string(ps)))
                break;
            skip_space(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                am_free(key);
                fail(ps, "':' after a member name");
                break;
            }
            ps->p++;
        }
        am_json *value = parse_value(ps, depth + 1);
        if (!value) {
            am_free(key);
            break;
        }
        value->key = key;
        *tail = value;
        tail = &value->next;
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return node;
        }
        fail(ps, object ? "',' or '}'" : "',' or ']'");
        break;
    }
    am_json_free(node);
    return NULL;
}

static am_json *parse_number(parser *ps)
{
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    size_t digits = 0;
    while (ps->p < ps->end && ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '.' ||
                               *ps->p == 'e' || *ps->p == 'E' || *ps->p == '+' || *ps->p == '-')) {
        digits += *ps->p >= '0' && *ps->p <= '9';
        ps->p++;
    }
    if (!digits) {
        fail(ps, "a value");
        return NULL;
    }
    am_json *j = new_node(ps, AM_JSON_NUMBER);
    if (j && !(j->text = am_strndup(s, (size_t)(ps->p - s)))) {
        nomem(ps);
        am_free(j);
        return NULL;
    }
    return j;
}

static am_json *parse_word(parser *ps, const char *word, am_json_type type)
{
    const size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
        fail(ps, "a value");
        return NULL;
    }
    ps->p += n;
    return new_node(ps, type);
}

static am_json *parse_value(parser *ps, int depth)
{
    if (depth > MAX_DEPTH) {
        fail(ps, "at most 64 levels of nesting");
        return NULL;
    }
    skip_space(ps);
    if (ps->p >= ps->end) {
        fail(ps, "a value");
        return NULL;
    }
    switch (*ps->p) {
    case '{': return parse_container(ps, depth, 1);
    case '[': return parse_container(ps, depth, 0);
    case 't': return parse_word(ps, "true", AM_JSON_TRUE);
    case 'f': return parse_word(ps, "false", AM_JSON_FALSE);
    case 'n': return parse_word(ps, "null", AM_JSON_NULL);
    case '"': {
        char *s = parse_string(ps);
        if (!s)
            return NULL;
        am_json *j = new_node(ps, AM_JSON_STRING);
        if (!j)
            am_free(s);
        else
            j->text = s;
        return j;
    }
    default: return parse_number(ps);
    }
}

am_status am_json_parse(const char *text, size_t len, const char *name, am_json **out,
                        am_err *err)
{
    *out = NULL;
    parser ps = {.p = text, .end = text + len, .start = text, .name = name, .err = err,
                 .st = AM_OK};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        ps.p += 3;
    am_json *root = parse_value(&ps, 0);
    if (root) {
        skip_space(&ps);
        if (ps.p != ps.end) {
            fail(&ps, "nothing after the value");
            am_json_free(root);
            root = NULL;
        }
    }
    if (!root)
        return ps.st != AM_OK ? ps.st : am_fail(err, AM_ERR_FORMAT, "%s: not JSON", name);
    *out = root;
    return AM_OK;
}

const am_json *am_json_get(const am_json *j, const char *key)
{
    if (!j || j->type != AM_JSON_OBJECT)
        return NULL;
    for (const am_json *m = j->child; m; m = m->next)
        if (strcmp(m->key, key) == 0)
            return m;
    return NULL;
}

const char *am_json_string(const am_json *j, const char *key)
{
    const am_json *m = am_json_get(j, key);
    return m && m->type == AM_JSON_STRING ? m->text : NULL;
}

int am_json_uint(const am_json *j, const char *key, unsigned long long *out)
{
    const am_json *m = am_json_get(j, key);
    if (!m || m->type != AM_JSON_NUMBER || m->text[0] < '0' || m->text[0] > '9')
        return 0;
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(m->text, &end, 10);
    if (errno || *end)
        return 0;
    *out = v;
    return 1;
}

void am_json_free(am_json *j)
{
    while (j) {
        am_json *next = j->next;
        am_json_free(j->child);
        am_free(j->key);
        am_free(j->text);
        am_free(j);
        j = next;
    }
}

void am_json_write_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        const unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}
