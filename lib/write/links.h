/*
 * links.h — links.csv, one row per held row (damaged ID) that had a
 * registry candidate, and the "links" object of summary.json.
 */
#ifndef AM_LINKS_OUT_H
#define AM_LINKS_OUT_H

#include <stdio.h>

#include "common/error.h"
#include "link/link.h"
#include "match/input.h"
#include "read/feed.h"

/* Writes links.csv at path, naming each row's feed from feeds (indexed by
 * am_link_result.feed), with a UTF-8 BOM first when bom is set.  Returns
 * AM_OK, or AM_ERR_IO with the message in err. */
am_status am_links_write(const am_links *links, const am_feed *const *feeds, int bom,
                         const char *path, am_err *err);

/* The `linked` field of a finding whose evidence (its "feed:line" list)
 * names rows that linking joined to the run: the lowest of their
 * probabilities as "0.995", so that a caseworker checks those IDs first;
 * "" when it names none.  out holds at least 8 bytes. */
void am_links_of_evidence(const am_links *links, const am_match_input *in, const char *evidence,
                          char out[8]);

/* The probability of the link that joined row line of feed to the run, as
 * "0.995"; "" when the row's ID was read as written (or never linked).
 * out holds at least 8 bytes. */
void am_links_row_text(const am_links *links, uint16_t feed, uint32_t line, char out[8]);

/* The rows linking left for review, by the person each points at: what
 * a MISSING finding's `possible_id_error` field is looked up in. */
typedef struct am_review_rows {
    const am_link_result **v;
    size_t n;
} am_review_rows;

/* Indexes links' review rows into rows.  Returns AM_OK or AM_ERR_NOMEM
 * (rows empty); rows points into links, which must outlive it. */
am_status am_review_rows_build(const am_links *links, am_review_rows *rows);

void am_review_rows_free(am_review_rows *rows);

/* The `possible_id_error` field of finding f: for a MISSING finding, the
 * review rows of one of its items that point at its subject, as
 * "feed:line;…" in feed, line order — the person may be paid under a
 * mistyped ID; "" for any other finding or none.  Written into out (cap
 * bytes); rows that do not fit end the list with "…". */
/* Room for a possible_id_error field: a few dozen rows. */
#define AM_ID_ERROR_FIELD_MAX 512

void am_possible_id_error(const am_review_rows *rows, const am_match_input *in,
                          const am_finding *f, char *out, size_t cap);

/* Writes ",\n  \"links\": {...}" to out: counts by status and damage kind,
 * rows without a registry candidate, thresholds, and the estimated m- and
 * u-probabilities with the counts they rest on. */
void am_links_summary_json(const am_links *links, FILE *out);

#endif
