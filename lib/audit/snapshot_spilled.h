/*
 * snapshot_spilled.h — writing the snapshot of a run whose records are on
 * disk, not in memory (a partitioned run), in memory bounded by a budget.
 * The file is byte for byte the one am_snapshot_save() writes for the same
 * run held in memory.
 */
#ifndef AM_SNAPSHOT_SPILLED_H
#define AM_SNAPSHOT_SPILLED_H

#include <stddef.h>
#include <stdint.h>

#include "audit/snapshot.h"

typedef struct am_snapshot_spilled {
    /* A spill file (store/spill.h) of the run's records as am_spilled, in
     * am_record_compare order, claim households assigned: a record names
     * a household when rec.household is non-zero, by the token beside it.
     * It is read, and left in place. */
    const char *records;
    int32_t window_start, window_end; /* the run's reconciliation window */
    /* Working files are named scratch.SUFFIX; they are removed. */
    const char *scratch;
    size_t memory; /* what each sort of them may hold */
} am_snapshot_spilled;

/* Writes the snapshot of run (its catalogue, feeds, rules and findings;
 * its match.store is not read) with sp's records at path, atomically.
 * Returns AM_OK, AM_ERR_IO (a damaged or unwritable file), AM_ERR_NOMEM,
 * or AM_ERR_LIMIT (2^32 records or more), with err's message set; on
 * failure nothing is left at path, and no working file either way. */
am_status am_snapshot_save_spilled(const am_snapshot_run *run, const am_snapshot_spilled *sp,
                                   const char *path, am_err *err);

#endif
