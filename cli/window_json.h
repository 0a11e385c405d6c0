/*
 * window_json.h — a check's answer as one JSON object, for precheck
 * --format json.
 */
#ifndef AM_WINDOW_JSON_H
#define AM_WINDOW_JSON_H

#include <aidmatch.h>
#include <stdio.h>

/* Writes the answer as one JSON object on one line (no newline). */
void check_json(FILE *out, const am_check *check);

#endif
