/*
 * drift.h — feed-level drift against the previous run: how far each
 * feed's row count moved, whether that is more than the centre tolerates
 * (a half-empty export would otherwise flood the run with missing aid),
 * and how long its file has stayed byte for byte the same: stale once that
 * reaches the feed's stale_days.
 */
#ifndef AM_DRIFT_H
#define AM_DRIFT_H

#include <stddef.h>
#include <stdint.h>

#include "aidmatch.h"
#include "cycle/cycle.h"

#define AM_DRIFT_DEFAULT_PERMILLE 500u
#define AM_DRIFT_MAX_PERMILLE 1000000u

/* Parses a share such as "0.5", ".25", "1" or "0.125" (at most three
 * decimals, no floating point) into per mille.  Returns 1 on success. */
int am_drift_share_parse(const char *s, uint32_t *permille);

/* Writes a per-mille share as "0.500" into out (16 bytes). */
void am_drift_share_format(uint32_t permille, char out[16]);

/* Fills *out for feed i < c->match.nfeeds against c->previous (only the
 * feed's name and rows when none is loaded). */
void am_drift_of(const am_cycle *c, size_t i, am_feed_drift *out);

/* Fills *out for feed i < c->match.nfeeds: since when its file is the
 * same (carried over from the previous run while the file does not
 * change), and whether that makes it stale. */
void am_feed_age_of(const am_cycle *c, size_t i, am_feed_age *out);

#endif
