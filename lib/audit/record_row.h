/*
 * record_row.h — one record as an answer lists it (a person's holdings, a
 * finding's evidence, the window's holdings): its names and dates written
 * out once, so that the am_record_info handed out stays put however the
 * rows move.
 */
#ifndef AM_RECORD_ROW_H
#define AM_RECORD_ROW_H

#include <stdint.h>

#include "aidmatch.h"
#include "read/catalogue.h"
#include "read/feed.h"
#include "store/store.h"

typedef struct am_record_row {
    const char *relation; /* static */
    const char *feed, *agency, *code, *code_name; /* owned by the feed and catalogue */
    char person[AM_TOKEN_HEX + 1], household[AM_TOKEN_HEX + 1];
    char start[11], end[11], area[7];
    char linked[8]; /* the probability of the link that joined its damaged ID, or "" */
    uint64_t line;
    int64_t amount_fen;
    int is_fact, value;
} am_record_row;

/* Fills *row from record r of store, read from feed, named by cat;
 * relation (static) says whose it is. */
void am_record_row_fill(am_record_row *row, const am_catalogue *cat, const am_feed *feed,
                        const am_store *store, const am_record *r, const char *relation);

/* The public view of row; its strings are row's. */
void am_record_row_info(const am_record_row *row, am_record_info *out);

#endif
