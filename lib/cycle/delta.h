/*
 * delta.h — what changed since the previous run, finding by finding: new,
 * persisting or resolved, with the night each was first and last seen;
 * and delta.csv, which records it (and from which the next night carries
 * first_seen forward).
 */
#ifndef AM_DELTA_H
#define AM_DELTA_H

#include <stddef.h>

#include "aidmatch.h"
#include "common/error.h"
#include "cycle/cycle.h"

/* Classifies every finding of c under review in *rv against c->previous
 * (all new when there is none), sets first_seen, and lists in *rv the
 * previous run's findings that are gone.  Needs rv's records allocated.
 * Returns AM_OK or AM_ERR_NOMEM. */
am_status am_delta_classify(const am_cycle *c, struct am_review_state *rv);

/* How many rows delta.csv has for c's review: every finding tonight and
 * every resolved one; 0 when no previous run is loaded. */
size_t am_delta_rows(const am_cycle *c);

/* Fills *out with delta row i < am_delta_rows(c); its strings are c's,
 * valid while c's findings, review and previous run are. */
void am_delta_row_of(const am_cycle *c, size_t i, am_delta_row *out);

/* Writes delta.csv (finding_id,status,first_seen,last_seen and what each
 * finding is about) at path, with a UTF-8 BOM when bom.  Returns AM_OK,
 * AM_ERR_IO or AM_ERR_NOMEM with err's message set. */
am_status am_delta_write(const am_cycle *c, int bom, const char *path, am_err *err);

#endif
