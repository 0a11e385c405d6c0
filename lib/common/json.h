/*
 * json.h — a small JSON reader, enough to read back a previous run's
 * summary.json.  It builds a tree of nodes (every allocation through
 * alloc.h) and reports the first syntax error as "name:line: expected ...".
 */
#ifndef AM_JSON_H
#define AM_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "common/error.h"

typedef enum am_json_type {
    AM_JSON_NULL = 0,
    AM_JSON_FALSE,
    AM_JSON_TRUE,
    AM_JSON_NUMBER,
    AM_JSON_STRING,
    AM_JSON_ARRAY,
    AM_JSON_OBJECT
} am_json_type;

typedef struct am_json {
    am_json_type type;
    char *key;              /* the member's name inside an object, else NULL */
    char *text;             /* a string's value (unescaped, UTF-8) or a number as written */
    struct am_json *child;  /* first element or member */
    struct am_json *next;   /* next sibling */
} am_json;

/* Parses len bytes of text (name is used in messages) into *out.
 * Returns AM_OK, AM_ERR_FORMAT or AM_ERR_NOMEM; *out is NULL on failure. */
am_status am_json_parse(const char *text, size_t len, const char *name, am_json **out,
                        am_err *err);

/* The member named key of an object, or NULL (also when j is not an object). */
const am_json *am_json_get(const am_json *j, const char *key);

/* A string member's value, or NULL when absent or not a string. */
const char *am_json_string(const am_json *j, const char *key);

/* Writes s as a quoted JSON string, escaping quotes, backslashes and
 * control characters (the writing half, for summary.json). */
void am_json_write_string(FILE *out, const char *s);

/* An unsigned integer member's value: returns 1 and sets *out, or 0 when
 * absent, not a number, negative, fractional or too large. */
int am_json_uint(const am_json *j, const char *key, unsigned long long *out);

void am_json_free(am_json *j);

#endif
