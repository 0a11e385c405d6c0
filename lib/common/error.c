/*
 * error.c — the internal failure message (see error.h).
 */
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>

am_status am_fail(am_err *err, am_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

am_status am_fail_index(am_err *err, const char *call, const void *out, const char *what,
                        size_t i, size_t n)
{
    if (!out)
        return am_fail(err, AM_ERR_INVALID, "%s: out is NULL", call);
    return am_fail(err, AM_ERR_INVALID, "%s: no %s %zu: there are %zu", call, what, i, n);
}
