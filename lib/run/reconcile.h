/*
 * reconcile.h — what every way of reconciling a run does first, in one
 * process (am_reconcile) or across machines (dist.c).
 */
#ifndef AM_RECONCILE_H
#define AM_RECONCILE_H

#include "run/context.h"

/* Checks that ctx can be reconciled (call names the public call in the
 * message), forgets the previous findings and review, and links the rows
 * held for their damaged IDs; a partitioned run's linked rows go to its
 * partition files.  Returns AM_OK, AM_ERR_INVALID, AM_ERR_STATE,
 * AM_ERR_NOMEM or AM_ERR_IO (message in ctx). */
am_status am_reconcile_begin(am_ctx *ctx, const char *call);

#endif
