/*
 * text_file.h — reading a small file whole: a centre file, a previous
 * run's summary.
 */
#ifndef AM_TEXT_FILE_H
#define AM_TEXT_FILE_H

#include <stddef.h>

#include "common/error.h"

/* Reads the regular file at path, of at most max bytes, into *text (owned
 * by the caller, am_free) with *len its length; what names the file in
 * messages ("centre file").  Returns AM_OK, AM_ERR_IO (cannot open, not a
 * regular file, too large, read error) or AM_ERR_NOMEM. */
am_status am_read_text_file(const char *path, size_t max, const char *what, char **text,
                            size_t *len, am_err *err);

#endif
