/*
 * resident_id.h — normalising and validating 18-digit resident identity
 * numbers (GB 11643-1999) as agencies actually export them.
 */
#ifndef AM_RESIDENT_ID_H
#define AM_RESIDENT_ID_H

#include <stddef.h>

#include "aidmatch.h"

#define AM_ID_LEN 18

/* Normalises raw (len bytes of UTF-8, not NUL-terminated): trims ASCII and
 * ideographic spaces and drops those inside the value, maps full-width
 * digits and full-width X to ASCII, x to X, upgrades a 15-digit legacy ID
 * to 18, then validates length, characters, birth date and check
 * character.  Recognises Excel damage (scientific notation such as
 * 3.20281E+17, a ".0" suffix, or 18 digits ending in 000 whose check
 * character fails) as AM_REJECT_EXCEL_MANGLED.
 * Returns 1 and writes exactly AM_ID_LEN ASCII bytes (no NUL) to out, or
 * returns 0, sets *why and leaves out untouched, so no partial ID leaks.
 * A NULL raw counts as missing; NULL why or out are accepted. */
int am_id_normalise(const char *raw, size_t len, char out[AM_ID_LEN], am_reject *why);

/* Returns the GB 11643 check character ('0'-'9' or 'X') of the first 17
 * digits of id17. */
char am_id_check_char(const char *id17);

#endif
