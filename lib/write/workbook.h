/*
 * workbook.h — findings.xlsx: the run as an Excel workbook for people who
 * filter and sort in Excel or WPS, beside the CSV files scripts read.
 */
#ifndef AM_WORKBOOK_H
#define AM_WORKBOOK_H

#include "aidmatch.h"
#include "common/error.h"
#include "cycle/cycle.h"
#include "link/link.h"
#include "read/reject.h"

/* Excel's limits: characters in a cell, rows in a sheet. */
#define AM_WORKBOOK_CELL_MAX 32767
#define AM_WORKBOOK_ROWS_MAX 1048576

/* Writes findings.xlsx at path from a reviewed cycle, the run's rejects
 * and what linking decided (for the findings' `linked` column): the sheets 线索 findings (the rows of findings.csv), 拒收
 * rejects (rejects.csv) and 数据源 feeds (the counts per feed of
 * summary.json), each with a frozen header row of Chinese and English
 * titles and an auto-filter; amounts are numbers in a money format; text
 * cells are neutralised against formulas as the CSV files are.  Returns
 * AM_OK, AM_ERR_IO or AM_ERR_NOMEM with err's message set. */
am_status am_workbook_write(const am_cycle *cycle, const am_reject_list *rejects,
                            const am_links *links, const char *path, am_err *err);

#endif
