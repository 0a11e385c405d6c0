/*
 * output.h — writing a reviewed run's files into its directory.
 */
#ifndef AM_OUTPUT_H
#define AM_OUTPUT_H

#include "aidmatch.h"

/* Writes the files of ctx's run (output.c's table) into a new directory
 * beside dir that then takes dir's place whole.  The run must be reviewed
 * (review.h): this only writes what the review decided.  Returns AM_OK,
 * AM_ERR_IO or AM_ERR_NOMEM, with ctx's message set. */
am_status am_output_write(am_ctx *ctx, const char *dir, double wall_seconds);

#endif
