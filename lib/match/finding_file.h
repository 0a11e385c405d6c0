/*
 * finding_file.h — one partition's findings, with their facts, in a file
 * of their own: what a worker of a distributed run (docs/dask.md) hands
 * back to the run that merges them.
 *
 * The file is "AMFIND01", the run's 16-byte id, the count (u64), every
 * finding (fixed fields, then its strings each as a u32 length and its
 * bytes), and an XXH3-64 of everything before it: a reader checks the
 * whole file before it believes any of it, and knows a file of another
 * run.  Findings hold tokens and feed:line references, never a raw ID or
 * name.  Written beside its final name and renamed over it, so a task run
 * again after a worker died writes the same file again, whole.
 */
#ifndef AM_FINDING_FILE_H
#define AM_FINDING_FILE_H

#include "common/error.h"
#include "match/finding.h"
#include "match/rules.h"

#define AM_RUN_ID_BYTES 16

/* Writes list (its public views pointing at its strings: am_findings_sort
 * has run) to path atomically.  Returns AM_OK, AM_ERR_NOMEM or AM_ERR_IO. */
am_status am_finding_file_write(const char *path, const unsigned char run_id[AM_RUN_ID_BYTES],
                                const am_finding_list *list, am_err *err);

/* Appends the findings of path to out, each rule id and policy source
 * pointing at rules' own (or the duplicate detector's), so that they live
 * as long as rules.  Returns AM_OK, AM_ERR_IO (unreadable), AM_ERR_FORMAT
 * (cut short, corrupt, of another run, or of a rule rules lacks) or
 * AM_ERR_NOMEM; on failure out is as it was. */
am_status am_finding_file_read(const char *path, const unsigned char run_id[AM_RUN_ID_BYTES],
                               const am_rules *rules, am_finding_list *out, am_err *err);

#endif
