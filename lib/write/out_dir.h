/*
 * out_dir.h — the output directory a run replaces: whose it is, who may
 * write it now, and how the new run takes the old one's place.
 *
 * A directory is aidmatch's when it holds the marker file (AM_OUT_MARKER)
 * a run writes into it, or when it is empty.  Anything else is refused
 * before anything is touched.  Files in it that aidmatch did not write are
 * carried over to the new run as hard links, never moved or deleted.
 * A lock (flock) on DIR.lock beside the directory admits one run at a time;
 * staging directories of runs that died (DIR.new-XXXXXX, DIR.old-XXXXXX)
 * are removed by the next run that holds the lock.
 */
#ifndef AM_OUT_DIR_H
#define AM_OUT_DIR_H

#include <stddef.h>

#include "common/error.h"

#define AM_OUT_MARKER ".aidmatch-run"

/* How the name of a partitioned run's own directory begins
 * (run/partition_dir.c makes it): one found in an output directory is
 * told as a temporary directory set there. */
#define AM_PARTITION_DIR_PREFIX "aidmatch-partitions-"

/* When set (to anything) in the environment, the exchange is done with two
 * renames, as on file systems without renameat2(RENAME_EXCHANGE): the tests
 * use it to exercise that path on a local disk. */
#define AM_OUT_FORCE_RENAME_ENV "AIDMATCH_TEST_NO_RENAME_EXCHANGE"

/* A file by identity: what this run itself wrote into the directory (its
 * snapshot), which does not make a new directory "not empty". */
typedef struct am_file_id {
    unsigned long long dev, ino;
} am_file_id;

typedef struct am_out_dir {
    char *shown;   /* the directory as the caller named it, for messages */
    char *target;  /* the directory itself: absolute, symbolic link resolved */
    char *staging; /* the new run is written here; NULL once committed */
    int lock_fd;
    const char *const *names; /* the files a run writes; borrowed */
    size_t nnames;
    const am_file_id *own; /* files this run wrote there before; borrowed */
    size_t nown;
} am_out_dir;

/* Prepares to replace dir: resolves it (a symbolic link once, to the
 * directory it names), refuses it unless it is absent, empty or marked as
 * aidmatch's and holding nothing but regular files and symbolic links,
 * takes the lock, removes dead runs' staging directories and creates a new
 * one holding the marker, whose path is then d->staging.  names (borrowed
 * until am_out_dir_close) lists the files a run writes: in an old run
 * they are aidmatch's to delete.  own[0, nown) (borrowed likewise) are
 * files this run has already written into dir, its snapshot: they do not
 * count against an empty directory, and are carried over as the
 * centre's files are.
 * Returns AM_OK, AM_ERR_IO (refused, locked by another run, or a file
 * system error; the message says which and names the directory) or
 * AM_ERR_NOMEM.  On failure nothing is left to close. */
am_status am_out_dir_open(am_out_dir *d, const char *dir, const char *const *names,
                          size_t nnames, const am_file_id *own, size_t nown, am_err *err);

/* Carries the files aidmatch did not write over into the staging directory,
 * syncs it and puts it in the target's place, then removes the previous
 * run.  Returns AM_OK or AM_ERR_IO (the target still holds the previous
 * run).  Call am_out_dir_close afterwards in either case. */
am_status am_out_dir_commit(am_out_dir *d, am_err *err);

/* Rewrites err's message to name the run's files as DIR/NAME, where the
 * operator will look for them, instead of in the staging directory, which
 * is gone once the run fails. */
void am_out_dir_restate(const am_out_dir *d, am_err *err);

/* Removes the staging directory unless committed, releases the lock and
 * frees d's memory. */
void am_out_dir_close(am_out_dir *d);

#endif
