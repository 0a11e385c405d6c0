/*
 * partition_dir.h — the directory a partitioned run keeps its files in:
 * made fresh under the temporary directory, locked while the run lives,
 * removed at its end, and removed by the next run when a crash left it.
 */
#ifndef AM_PARTITION_DIR_H
#define AM_PARTITION_DIR_H

#include <stddef.h>

#include "common/error.h"

typedef struct am_partition_dir {
    char *path; /* owned; NULL when none */
    int lock_fd;
} am_partition_dir;

/* Removes the directories of runs that died under temp_dir (those whose
 * lock nobody holds), then makes and locks a new one.  Only names a run
 * writes are removed; a directory holding anything else is left.
 * Returns AM_OK, AM_ERR_NOMEM or AM_ERR_IO. */
am_status am_partition_dir_open(am_partition_dir *d, const char *temp_dir, am_err *err);

/* path/name, allocated; NULL when out of memory. */
char *am_partition_dir_file(const am_partition_dir *d, const char *name);

/* Removes the run's files and directory and releases d. */
void am_partition_dir_close(am_partition_dir *d);

#endif
