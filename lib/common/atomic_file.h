/*
 * atomic_file.h — writing a file so that readers see either the old
 * complete file or the new complete one, never a torn mixture.
 */
#ifndef AM_ATOMIC_FILE_H
#define AM_ATOMIC_FILE_H

#include <stdio.h>

#include "common/error.h"

typedef struct am_atomic_file {
    FILE *out;        /* write through this */
    char *final_path;
    char *temp_path;
} am_atomic_file;

/* Creates the directories above path that are missing (mkdir -p of its
 * parent), mode 0755.  path is restored before it returns; a directory
 * that cannot be made shows when path itself is created. */
void am_make_parents(char *path);

/* Opens a temporary file beside path, path.tmpXXXXXX, locked (flock)
 * until it is committed or abandoned.  Temporaries of path left by
 * writers that died (no lock held, untouched for a minute) are removed
 * first; nothing else beside path is touched.  Returns AM_OK, AM_ERR_IO
 * or AM_ERR_NOMEM. */
am_status am_atomic_open(am_atomic_file *f, const char *path, am_err *err);

/* Flushes, syncs and renames the temporary file over the final path, then
 * syncs the directory.  On any failure the temporary file is removed and
 * the previous file is left as it was.  Returns AM_OK or AM_ERR_IO. */
am_status am_atomic_commit(am_atomic_file *f, am_err *err);

/* Abandons the temporary file. */
void am_atomic_abort(am_atomic_file *f);

#endif
