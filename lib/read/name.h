/*
 * name.h — a person's name as keyed evidence for linking a damaged ID:
 * a token of the whole normalised name and short tokens of its
 * characters, all under the centre key, so that two names can be found
 * equal or nearly equal without either being kept.
 */
#ifndef AM_NAME_H
#define AM_NAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/token.h"

/* Names longer than this (in characters) are compared on their first
 * AM_NAME_CHARS characters by the fuzzy form; the whole-name token still
 * covers every character. */
#define AM_NAME_CHARS 6

typedef struct am_name_evidence {
    uint32_t whole[2];             /* keyed token of the normalised name */
    uint16_t chars[AM_NAME_CHARS]; /* keyed tokens of its characters, sorted */
    uint8_t nchars;                /* 0: no name */
} am_name_evidence;

/* The tokens of characters already met under one key.  A reader makes
 * tens of millions of names out of a few thousand characters, and a
 * character's token costs a SipHash; remembering them halves the cost of
 * reading the hukou register's names.  Covers ASCII and the characters of
 * three UTF-8 bytes (the Basic Multilingual Plane past U+07FF: every
 * common Chinese character).  Zeroed (am_calloc) it is empty; it serves
 * one key only. */
typedef struct am_name_chars {
    uint16_t token[0x10000];       /* by code point */
    uint8_t known[0x10000 / 8];    /* which tokens are there */
} am_name_chars;

/* Makes the evidence of a name field (len bytes of UTF-8, not
 * NUL-terminated): spaces (ASCII and U+3000) are dropped, ASCII letters
 * lower-cased, and the look-alikes of the minority-name separator U+00B7
 * (U+2022, U+30FB, U+25CF, U+FF0E, U+2027, U+00B7 itself) are the same
 * separator, which is part of the whole name but not a character of the
 * fuzzy form.  Returns 1, or 0 for an empty name (ev->nchars = 0).  The
 * normalised copy is wiped before returning.  chars, when not NULL,
 * remembers characters' tokens across calls (the same key every time):
 * the evidence is the same with it or without. */
int am_name_evidence_make(const am_key *key, am_name_chars *chars, const char *text, size_t len,
                          am_name_evidence *ev);

/* The Dice coefficient of two names' character tokens (as multisets),
 * in thousandths: 1000 for the same characters, 0 for none in common or
 * for a missing name. */
unsigned am_name_dice(const am_name_evidence *a, const am_name_evidence *b);

#endif
