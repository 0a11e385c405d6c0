/*
 * text_file.h — opening an input file safely, reading a small one whole
 * (a centre file, a previous run's summary), and reading a descriptor in
 * full chunks.
 */
#ifndef AM_TEXT_FILE_H
#define AM_TEXT_FILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/error.h"

/* Opens path for reading without blocking (a FIFO or a device would hang a
 * read, or the open itself) and fills *sb.  Returns the descriptor, which
 * the caller closes; or -1 with *error the errno of the failure, or 0 when
 * path is not a regular file (a directory, FIFO, socket or device; *sb
 * then says which). */
int am_open_regular(const char *path, struct stat *sb, int *error);

/* Reads the regular file at path, of at most max bytes, into *text (owned
 * by the caller, am_free; NUL-terminated) with *len its length; what names
 * the file in messages ("centre file").  Returns AM_OK, AM_ERR_IO (cannot
 * open, not a regular file, too large, read error) or AM_ERR_NOMEM.
 * Every whole-file read goes through here: the library's (centre file,
 * rules, previous summary), the command's and the fuzz harness's. */
am_status am_read_text_file(const char *path, size_t max, const char *what, char **text,
                            size_t *len, am_err *err);

/* Reads what fd holds up to its end (a pipe, standard input), at most max
 * bytes, into *text as am_read_text_file does; name names it in messages.
 * fd stays open.  Returns AM_OK, AM_ERR_IO (a read error, or more than max
 * bytes) or AM_ERR_NOMEM. */
am_status am_read_text_fd(int fd, size_t max, const char *name, char **text, size_t *len,
                          am_err *err);

/* Reads from fd until cap bytes are in buf or the file ends, going on
 * after EINTR.  Returns the bytes read (fewer than cap only at the end of
 * the file), or -1 with errno set. */
ssize_t am_read_full(int fd, void *buf, size_t cap);

#endif
