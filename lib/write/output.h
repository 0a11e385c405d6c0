/*
 * output.h — writing a reviewed run's files into its directory.
 */
#ifndef AM_OUTPUT_H
#define AM_OUTPUT_H

#include "aidmatch.h"
#include "common/error.h"
#include "cycle/cycle.h"
#include "link/link.h"
#include "read/reject.h"
#include "write/out_dir.h"

/* What a run's files are written from: the reviewed cycle (findings,
 * review, previous run, feeds, catalogue), the rejected rows, what linking
 * decided, and how. */
typedef struct am_output_run {
    am_cycle cycle;
    const am_reject_list *rejects;
    const am_links *links;
    int csv_bom;         /* CSV files open with a UTF-8 BOM (common/csv_out.h) */
    unsigned threads;    /* 2 or more: the workbook is written beside the other files */
    double wall_seconds; /* for summary.json; < 0: not recorded */
    const am_file_id *written; /* files the run wrote into dir already (its snapshot) */
    size_t nwritten;
} am_output_run;

/* Writes the files of run (output.c's table) into a new directory beside
 * dir that then takes dir's place whole.  The cycle must be reviewed
 * (review.h): this only writes what the review decided.  Returns AM_OK,
 * AM_ERR_IO or AM_ERR_NOMEM, with err's message set. */
am_status am_output_write(const am_output_run *run, const char *dir, am_err *err);

#endif
