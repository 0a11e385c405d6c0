/*
 * blanks.h — spaces and tabs around a value in a configuration or outcomes
 * file, which carry no meaning there.  (Feed fields are trimmed by
 * ingest.c, which also drops the ideographic space U+3000.)
 */
#ifndef AM_BLANKS_H
#define AM_BLANKS_H

#include <stddef.h>

/* Moves *s past leading spaces and tabs and shortens *len by those and by
 * trailing ones. */
static inline void am_trim_blanks(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

#endif
