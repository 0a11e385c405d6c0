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
