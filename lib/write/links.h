/*
 * links.h — links.csv, one row per held row (damaged ID) that had a
 * registry candidate, and the "links" object of summary.json.
 */
#ifndef AM_LINKS_OUT_H
#define AM_LINKS_OUT_H

#include <stdio.h>

#include "common/error.h"
#include "link/link.h"
#include "read/feed.h"

/* Writes links.csv at path, naming each row's feed from feeds (indexed by
 * am_link_result.feed), with a UTF-8 BOM first when bom is set.  Returns
 * AM_OK, or AM_ERR_IO with the message in err. */
am_status am_links_write(const am_links *links, const am_feed *const *feeds, int bom,
                         const char *path, am_err *err);

/* Writes ",\n  \"links\": {...}" to out: counts by status and damage kind,
 * rows without a registry candidate, thresholds, and the estimated m- and
 * u-probabilities with the counts they rest on. */
void am_links_summary_json(const am_links *links, FILE *out);

#endif
