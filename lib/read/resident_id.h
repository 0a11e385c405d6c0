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

/* What an ID rejected for why was expected to be, for a reject's detail:
 * a static string that never holds the value. */
const char *am_id_expected(am_reject why);

/* Returns the GB 11643 check character ('0'-'9' or 'X') of the first 17
 * digits of id17. */
char am_id_check_char(const char *id17);

/* The most repairs am_id_repairs() can return: Excel's zeroed tail has a
 * hundred fillings, every other damage far fewer. */
#define AM_ID_REPAIRS_MAX 128

/* The valid IDs one edit away from a raw ID that am_id_normalise()
 * rejected with why: for AM_REJECT_BAD_CHECK_DIGIT and
 * AM_REJECT_BAD_BIRTH_DATE one character substituted (the check character
 * recomputed among them) or two adjacent characters swapped; for
 * AM_REJECT_BAD_LENGTH one digit inserted or deleted; for
 * AM_REJECT_EXCEL_MANGLED of 18 digits the zeroed tail filled (the last two
 * sequence digits, and the check character computed).  A 15-digit result
 * is upgraded as am_id_normalise() would.  Other reasons, and Excel's
 * scientific notation (whose digits are gone), have no repair.
 * Writes the distinct repairs, sorted, to out (room for AM_ID_REPAIRS_MAX)
 * and returns how many; its working copies are wiped, and the caller
 * wipes out when done. */
size_t am_id_repairs(const char *raw, size_t len, am_reject why,
                     char out[AM_ID_REPAIRS_MAX][AM_ID_LEN]);

#endif
