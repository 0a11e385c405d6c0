/*
 * report.h — report.html: the run for people, in one self-contained file
 * (inline CSS and SVG, no script, no external resource) that any browser
 * opens offline.
 */
#ifndef AM_REPORT_H
#define AM_REPORT_H

#include "aidmatch.h"
#include "common/error.h"
#include "cycle/cycle.h"
#include "cycle/review.h"
#include "link/link.h"
#include "match/finding.h"

/* How many findings the report shows in full, and how many evidence
 * records of each. */
#define AM_REPORT_TOP 50
#define AM_REPORT_EVIDENCE 20

/* The findings the report shows in full, as indexes into findings, into
 * top (room for AM_REPORT_TOP): the highest priority first and, within a
 * priority, the most money, leaving out suppressed ones.  Returns how
 * many. */
size_t am_report_pick_top(const am_finding_list *findings, const am_review_state *rv,
                          size_t *top);

/* Writes report.html at path from a reviewed cycle and what linking
 * decided (a finding shown in full says when it rests on a linked row or
 * may be a mistyped ID).  Returns AM_OK, AM_ERR_IO or AM_ERR_NOMEM with
 * err's message set. */
am_status am_report_write(const am_cycle *cycle, const am_links *links, const char *path,
                          am_err *err);

#endif
