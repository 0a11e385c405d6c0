/*
 * error.h — the failure message every internal function can leave behind.
 *
 * Internal code reports failures by filling an am_err and returning its
 * status; the context copies the message for am_errmsg().  Messages follow
 * the "file:line: what was expected" convention and must never contain raw
 * IDs, names or key bytes.
 */
#ifndef AM_ERROR_H
#define AM_ERROR_H

#include "aidmatch.h"

#define AM_ERRMSG_MAX 512

typedef struct am_err {
    char msg[AM_ERRMSG_MAX];
} am_err;

/* Formats a message into err (which may be NULL) and returns status, so
 * that callers can write `return am_fail(err, AM_ERR_IO, "...")`. */
am_status am_fail(am_err *err, am_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A public accessor's misuse: out NULL, or index i not below the n items
 * there are ("am_finding_get: no finding 7: there are 3").  Returns
 * AM_ERR_INVALID. */
am_status am_fail_index(am_err *err, const char *call, const void *out, const char *what,
                        size_t i, size_t n);

#endif
