/*
 * blanks.h — the blanks around a value that carry no meaning: spaces and
 * tabs in a configuration or outcomes file, and also the ideographic
 * space U+3000 around a feed's cell and around the feed text a code map
 * matches cells against.
 */
#ifndef AM_BLANKS_H
#define AM_BLANKS_H

#include <stddef.h>
#include <string.h>

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

static inline int am_may_pad(unsigned char c)
{
    return c == ' ' || c == '\t' || c == 0xE3 || c == 0x80;
}

/* As am_trim_blanks, and U+3000 too: for a feed's cells, and for what a
 * code map matches them against. */
static inline void am_trim_cell(const char **s, size_t *len)
{
    /* Nearly every cell starts and ends with neither kind of space. */
    if (*len == 0 || (!am_may_pad((unsigned char)(*s)[0]) &&
                      !am_may_pad((unsigned char)(*s)[*len - 1])))
        return;
    for (;;) {
        if (*len && (**s == ' ' || **s == '\t')) {
            (*s)++;
            (*len)--;
        } else if (*len >= 3 && memcmp(*s, "\xE3\x80\x80", 3) == 0) { /* U+3000 */
            *s += 3;
            *len -= 3;
        } else {
            break;
        }
    }
    for (;;) {
        if (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
            (*len)--;
        else if (*len >= 3 && memcmp(*s + *len - 3, "\xE3\x80\x80", 3) == 0)
            *len -= 3;
        else
            break;
    }
}

/* How many of the n bytes of a centre-file value at s (its leading blanks
 * skipped) come before its inline comment: a ';' after a space or tab, as
 * libinih reads one on a key's line; n when it has none. */
static inline size_t am_before_inline_comment(const char *s, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (s[i] == ';' && (s[i - 1] == ' ' || s[i - 1] == '\t'))
            return i;
    return n;
}

#endif
