/*
 * catalogue.h — the centre's agencies, assistance items and registry facts,
 * loaded from data (never compiled in: a centre edits its own list).
 *
 * Area codes and their names, optional, serve the people who read the
 * outputs: matching never depends on them.
 *
 * Items and facts share one numbering, the "code": items first, then facts,
 * so a stored record names either with one small integer.
 */
#ifndef AM_CATALOGUE_H
#define AM_CATALOGUE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef enum am_unit { AM_UNIT_PERSON = 0, AM_UNIT_HOUSEHOLD } am_unit;

typedef struct am_agency {
    char *code, *name_zh, *name_en;
} am_agency;

typedef struct am_item {
    char *code, *name_zh, *name_en;
    uint16_t agency;
    am_unit unit;
    int periodic;
    /* One-off items: a second payment within this many days of the first
     * is a duplicate; 0 means the item may legitimately repeat.  Periodic
     * items are duplicates when their periods overlap, so this is unused. */
    int32_t duplicate_window_days;
} am_item;

typedef struct am_fact {
    char *code, *name_zh, *name_en;
    int value_min, value_max; /* both 0: the fact carries no value */
} am_fact;

/* An administrative division (GB/T 2260) the first six digits of a
 * resident ID may name, historic codes included: IDs keep the code of
 * the place and year they were issued. */
typedef struct am_area_name {
    uint32_t code;  /* six digits */
    char *name;     /* e.g. 江阴市 */
    char *city;     /* the city it belongs to, "" for a city or province */
    char *status;   /* e.g. "current", "historic (became 江阴市 320281 in 1987)"; may be "" */
} am_area_name;

typedef struct am_catalogue {
    am_agency *agencies;
    size_t nagencies;
    am_item *items;
    size_t nitems;
    am_fact *facts;
    size_t nfacts;
    am_area_name *areas; /* by code; none when the catalogue has no areas.csv */
    size_t nareas;
    /* allocated while loading (common/alloc.h's AM_RESERVE); 0 otherwise */
    size_t capagencies, capitems, capfacts, capareas;
} am_catalogue;

/* Most data rows of one catalogue table (items and facts together are
 * bounded by the same number, as codes are 16-bit). */
#define AM_CATALOGUE_MAX_ROWS 65535

/* Loads agencies.csv, items.csv and facts.csv from dir into cat (zeroed by
 * the caller), and areas.csv when dir has one.  On failure cat is left
 * empty.  Errors name file:line; a table of more than
 * AM_CATALOGUE_MAX_ROWS data rows is AM_ERR_LIMIT. */
am_status am_catalogue_load(am_catalogue *cat, const char *dir, am_err *err);

void am_catalogue_free(am_catalogue *cat);

/* Lookups by code text (len bytes); each returns the index or -1. */
int am_catalogue_agency(const am_catalogue *cat, const char *code, size_t len);
int am_catalogue_item(const am_catalogue *cat, const char *code, size_t len);
int am_catalogue_fact(const am_catalogue *cat, const char *code, size_t len);

/* The name of a six-digit area code, or NULL when areas.csv does not
 * list it; valid while cat is. */
const am_area_name *am_catalogue_area(const am_catalogue *cat, uint32_t code);

/* The shared numbering. */
static inline int am_code_is_item(const am_catalogue *cat, unsigned code)
{
    return code < cat->nitems;
}
static inline unsigned am_code_of_fact(const am_catalogue *cat, unsigned fact)
{
    return (unsigned)cat->nitems + fact;
}
/* Returns the code text of an item or fact. */
const char *am_code_name(const am_catalogue *cat, unsigned code);

#endif
