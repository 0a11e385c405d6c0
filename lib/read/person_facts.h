/*
 * person_facts.h — what is known of a person beside the name and the
 * household, as evidence for linking a damaged ID: the birth date, the
 * sex and the area code.  A row states them in its birth_date, sex and
 * area columns; a resident ID carries them in its digits (area, birth
 * date, and the sequence digit's parity for the sex).  The birth date is
 * kept only as a keyed token: with the area and the sex it would hold all
 * but three digits of an ID.
 */
#ifndef AM_PERSON_FACTS_H
#define AM_PERSON_FACTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/day.h"
#include "common/token.h"

enum { AM_SEX_UNKNOWN = 0, AM_SEX_MALE, AM_SEX_FEMALE };

/* 0 in a field: not known. */
typedef struct am_person_facts {
    uint32_t birth; /* keyed token of the birth date */
    uint32_t area;  /* six-digit area code, as records keep it (store/area.h) */
    uint8_t sex;    /* AM_SEX_* */
} am_person_facts;

/* The facts an 18-character normalised ID gives its holder. */
void am_person_facts_of_id(const am_key *key, const char *id18, am_person_facts *out);

/* The same, taking the birth date's token from prev, the facts of
 * prev_id18, when that ID has the same birth date (prev_id18 NULL: none):
 * the repairs of one damaged ID, Excel's hundred fillings of a zeroed
 * tail above all, mostly share it, and a keyed hash each would cost more
 * than the rest of their facts. */
void am_person_facts_next(const am_key *key, const char *id18, const char *prev_id18,
                          const am_person_facts *prev, am_person_facts *out);

/* The keyed token of a birth date field (len bytes, trimmed): read with
 * the feed's date formats when they give a whole day, else as
 * am_day_parse() reads any common form (YYYYMMDD, YYYY-MM-DD, ...).
 * Returns 0 when the field is empty or not a real day: a birth date is
 * evidence, and a row is never rejected for it. */
uint32_t am_birth_token(const am_key *key, const am_date_formats *formats, const char *s,
                        size_t len);

/* A sex field: 男, M, male or 1 (GB/T 2261.1) for AM_SEX_MALE; 女, F,
 * female or 2 for AM_SEX_FEMALE; ASCII case ignored; anything else
 * AM_SEX_UNKNOWN. */
int am_sex_parse(const char *s, size_t len);

/* An area field: all digits, at least six (a county code, or a longer
 * town or household number that begins with one); its first six digits,
 * or 0 when the field is anything else or begins 000000. */
uint32_t am_area_parse(const char *s, size_t len);

#endif
