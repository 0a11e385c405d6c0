/*
 * drift.c — feed-level drift against the previous run (see drift.h).
 * Integer arithmetic only, so that the flags never depend on rounding.
 */
#include "cycle/drift.h"

#include <stdio.h>
#include <string.h>

#include "common/day.h"
#include "read/feed.h"

/* Row counts beyond this are clamped: no feed has a trillion rows, and
 * the products below then stay far inside 64 bits. */
#define ROWS_CAP 1000000000000ull

int am_drift_share_parse(const char *s, uint32_t *permille)
{
    uint64_t whole = 0;
    int digits = 0, decimals = 0;
    uint32_t frac = 0;
    while (*s == ' ')
        s++;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        whole = whole * 10 + (uint64_t)(*s - '0');
        if (whole > AM_DRIFT_MAX_PERMILLE / 1000)
            return 0;
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, decimals++) {
            if (decimals == 3)
                return 0;
            frac = frac * 10 + (uint32_t)(*s - '0');
        }
        if (!digits && !decimals)
            return 0;
    } else if (!digits) {
        return 0;
    }
    while (*s == ' ')
        s++;
    if (*s)
        return 0;
    for (; decimals < 3; decimals++)
        frac *= 10;
    const uint64_t v = whole * 1000 + frac;
    if (v > AM_DRIFT_MAX_PERMILLE)
        return 0;
    *permille = (uint32_t)v;
    return 1;
}

void am_drift_share_format(uint32_t permille, char out[16])
{
    snprintf(out, 16, "%u.%03u", permille / 1000, permille % 1000);
}

void am_feed_age_of(const am_cycle *c, size_t i, am_feed_age *out)
{
    const am_feed *feed = c->match.feeds[i];
    memset(out, 0, sizeof *out);
    out->stale_days = am_feed_stale_days(feed);
    out->unchanged_days = -1;
    if (!c->run_date_set)
        return;
    int32_t since = c->run_date;
    const am_previous *prev = c->previous;
    const am_prev_feed *pf = prev ? am_previous_feed(prev, feed->name) : NULL;
    if (pf && pf->xxh3[0] && feed->xxh3[0] && strcmp(pf->xxh3, feed->xxh3) == 0) {
        /* A run that did not record the day its file arrived read it on
         * its own date at the latest. */
        if (pf->unchanged_since_set)
            since = pf->unchanged_since;
        else if (prev->run_date[0])
            since = prev->run_day;
        if (since > c->run_date)
            since = c->run_date;
    }
    am_day_format(since, out->unchanged_since);
    out->unchanged_days = c->run_date - since;
    out->stale = out->stale_days > 0 && out->unchanged_days >= out->stale_days;
}

void am_drift_of(const am_cycle *c, size_t i, am_feed_drift *out)
{
    const am_feed *feed = c->match.feeds[i];
    memset(out, 0, sizeof *out);
    out->name = feed->name;
    out->rows_read = feed->rows_read;
    const am_prev_feed *pf = am_previous_feed(c->previous, feed->name);
    if (!pf)
        return;
    out->in_previous = 1;
    out->previous_rows_read = pf->rows_read;
    am_feed_age age;
    am_feed_age_of(c, i, &age);
    out->stale = age.stale;
    const uint64_t prev = pf->rows_read < ROWS_CAP ? pf->rows_read : ROWS_CAP;
    const uint64_t rows = feed->rows_read < ROWS_CAP ? feed->rows_read : ROWS_CAP;
    const uint64_t share = c->drift_permille;
    if (prev == 0) {
        out->grew = rows > 0; /* any growth from nothing is more than any share */
        return;
    }
    const uint64_t diff = rows > prev ? rows - prev : prev - rows;
    const int64_t change = (int64_t)(diff * 1000 / prev);
    out->change_permille = rows >= prev ? change : -change;
    if (diff * 1000 > share * prev) {
        out->shrunk = rows < prev;
        out->grew = rows > prev;
    }
}
