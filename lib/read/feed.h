/*
 * feed.h — a feed spec: how one agency's export maps onto records.
 *
 * Specs are built key by key (am_feed_set), from a centre file or from an
 * embedder's code, so both paths share one validation.
 */
#ifndef AM_FEED_H
#define AM_FEED_H

#include <stdint.h>

#include "aidmatch.h"
#include "read/csv_reader.h"
#include "common/day.h"

typedef enum am_feed_kind { AM_FEED_PAYMENTS = 0, AM_FEED_REGISTRY } am_feed_kind;

/* How many days a feed's file may stay byte for byte the same before the
 * feed is called stale, unless its stale_days says otherwise.  Payments
 * move every week; registries (deaths, certificates, vehicles) may rest
 * for weeks, and warning about them every night taught people to ignore
 * the warning. */
#define AM_STALE_DAYS_PAYMENTS 7
#define AM_STALE_DAYS_REGISTRY 30
#define AM_STALE_DAYS_MAX 3650

/* The columns a spec can map; the order is the order of am_feed_columns. */
typedef enum am_column {
    AM_COL_PERSON = 0,
    AM_COL_NAME,
    AM_COL_HOUSEHOLD,
    AM_COL_CODE,   /* item_column or fact_column */
    AM_COL_AMOUNT,
    AM_COL_START,
    AM_COL_END,
    AM_COL_DATE,   /* a single day: start = end */
    AM_COL_MONTH,  /* a pay month YYYYMM: its first to last day */
    AM_COL_VALUE,  /* a fact's value, e.g. a disability grade */
    AM_COL_BIRTH_DATE, /* evidence for linking a damaged ID (person_facts.h) */
    AM_COL_SEX,
    AM_COL_AREA,
    AM_COL__COUNT
} am_column;

typedef struct am_code_map_entry {
    char *text;
    uint16_t code;
} am_code_map_entry;

/* The run a feed belongs to (feed_run.h). */
typedef struct am_feed_run am_feed_run;

struct am_feed {
    const am_feed_run *run;
    uint16_t index;
    char *name;
    char *file;          /* resolved path, NULL until set */
    int agency;          /* catalogue index, -1 until set */
    am_feed_kind kind;
    int ids_tokenised;
    char *key_fingerprint; /* required with ids = token */
    am_reader_opts reader;
    am_date_formats date_formats; /* date_format = ; n == 0: auto */
    char amount_unit[16];          /* amount_unit = : a suffix dropped from amounts, "" none */
    char thousands[8];             /* thousands = : the grouping mark, "" none (default ",") */
    char *column[AM_COL__COUNT]; /* header names; NULL when not mapped */
    char *code_text;             /* item = / fact = as written */
    char *code_map_text;         /* item_map = / fact_map = as written */
    int code_key_is_fact;        /* which of the two spellings was used */
    int code_constant;           /* resolved code for every row, or -1 */
    am_code_map_entry *code_map;
    size_t ncode_map, capcode_map;
    int64_t max_amount_fen;
    uint64_t max_rejects;        /* rejects listed per reason; more are only counted */
    uint64_t split_above;        /* split_above = : a larger plain feed is read in parts
                                  * on several threads (feed_split.h); 0 never */
    int32_t stale_days;          /* stale_days = ; -1: the kind's default (am_feed_stale_days) */
    int ingested;
    uint64_t text_size;          /* as told before reading (ingest.c), to read the largest first */
    /* progress while this feed is read (progress.c) */
    uint64_t progress_stored, progress_text_total, progress_text_done;
    uint64_t progress_rows; /* rows told so far: all parts' when read in parts */
    /* statistics */
    char *path_for_stats;
    char xxh3[33];
    am_encoding encoding_used;
    uint64_t rows_read, rows_ingested, rows_rejected, bytes_read;
    uint64_t by_reason[AM_REJECT__COUNT];
    uint64_t held_by_reason[AM_REJECT__COUNT]; /* of by_reason, held for linking (reject.h) */
};

/* Checks that a spec is complete and coherent before it is read: an
 * agency, an ID column, a code (constant or column), and the dates its
 * kind needs; resolves the codes against the catalogue.  Returns AM_OK,
 * AM_ERR_FORMAT or AM_ERR_KEY naming the feed. */
am_status am_feed_validate(am_feed *feed);

/* Whether key[0, len) names a feed's code map (item_map or fact_map), the
 * one key whose value may go on over indented lines and has ':' and '|'
 * for syntax. */
int am_feed_key_is_code_map(const char *key, size_t len);

/* The feed's stale_days: as set, else its kind's default; 0 never stale. */
int32_t am_feed_stale_days(const am_feed *feed);

/* Counts a rejected row of the feed for reason.  Returns 1 when the row
 * is to be listed too, 0 when max_rejects rows were already listed for
 * that reason (rejects.csv stays bounded; the counts stay whole).  Rows
 * held for linking are not counted against max_rejects here: which of
 * them stay rejects is known only after linking (reject.h). */
int am_feed_count_reject(am_feed *feed, am_reject reason);

/* Releases what a feed owns (not the feed itself). */
void am_feed_release(am_feed *feed);

#endif
