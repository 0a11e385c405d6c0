/*
 * diag.h — a problem am_check_centre() found in a run's set-up: its
 * severity and message.  The check (run/check.c) makes them; summary.json
 * lists the warnings among them (cycle/review.c).
 */
#ifndef AM_DIAG_H
#define AM_DIAG_H

#include "aidmatch.h"

typedef struct am_diag {
    am_severity severity;
    char *message;
} am_diag;

#endif
