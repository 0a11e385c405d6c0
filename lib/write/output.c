/*
 * output.c — writing a reviewed run's files into its directory: the table
 * of files (output_files), the writers of findings.csv, suppressed.csv,
 * rejects.csv and summary.json, and the directory replaced whole
 * (out_dir.c).  Other files have their own writers, named in the table:
 * delta.csv (delta.c) and report.html (report.c).  Nothing here decides
 * what a finding is or whether it is suppressed: the review (review.c) has
 * done that before.
 *
 * Their columns are a contract scripts rely on (docs/reference.md).  Every
 * CSV field that may have come from input is neutralised against
 * spreadsheet formula injection, and CSV files open with a UTF-8 BOM unless
 * the centre turns it off, because auditors open these in Excel or WPS
 * (common/csv_out.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "write/output.h"

#include "aidmatch.h"
#include "common/alloc.h"
#include "common/json.h"
#include "common/thread_pair.h"
#include "common/atomic_file.h"
#include "common/csv_out.h"
#include "cycle/delta.h"
#include "common/money.h"
#include "write/out_dir.h"
#include "write/links.h"
#include "write/report.h"
#include "write/workbook.h"
#include "cycle/drift.h"
#include "cycle/review.h"

/* findings.csv holds the findings no outcome suppresses, suppressed.csv
 * the others, with the outcome they are suppressed under. */
static am_status write_findings(const am_output_run *run, const char *path, int suppressed,
                                am_err *err)
{
    const am_cycle *cycle = &run->cycle;
    am_review_rows review_rows;
    if (am_review_rows_build(run->links, &review_rows) != AM_OK)
        return am_fail(err, AM_ERR_NOMEM, "out of memory writing %s", path);
    am_atomic_file f;
    am_status st = am_atomic_open(&f, path, err);
    if (st != AM_OK) {
        am_review_rows_free(&review_rows);
        return st;
    }
    if (run->csv_bom)
        fputs(AM_CSV_BOM, f.out);
    fputs("finding_id,kind,rule_id,unit,subject,items,agencies,period_start,period_end,"
          "overlap_days,amount_at_stake,evidence,policy_source,priority,facts,linked,"
          "possible_id_error",
          f.out);
    fputs(suppressed ? ",outcome_date,reviewed_facts\n" : "\n", f.out);
    for (size_t i = 0; i < cycle->findings->count; i++) {
        const am_review_rec *r = &cycle->review->v[i];
        if (r->suppressed != suppressed)
            continue;
        const am_finding *p = &cycle->findings->v[i].pub;
        char days[24], amount[32], linked[8], id_error[AM_ID_ERROR_FIELD_MAX];
        snprintf(days, sizeof days, "%" PRId64, p->overlap_days);
        am_money_format(p->amount_fen, amount);
        am_links_of_evidence(run->links, &cycle->match, p->evidence, linked);
        am_possible_id_error(&review_rows, &cycle->match, p, id_error, sizeof id_error);
        const char *fields[] = {p->id,          am_kind_name(p->kind), p->rule_id,
                                p->unit,        p->subject,            p->items,
                                p->agencies,    p->period_start,       p->period_end,
                                days,           amount,                p->evidence,
                                p->policy_source, p->priority,         r->facts,
                                linked,          id_error,             r->outcome_date,
                                r->reviewed};
        am_csv_row(f.out, fields, sizeof fields / sizeof *fields - (suppressed ? 0 : 2));
    }
    am_review_rows_free(&review_rows);
    return am_atomic_commit(&f, err);
}

static am_status write_rejects(const am_output_run *run, const char *path, am_err *err)
{
    const am_cycle *cycle = &run->cycle;
    am_atomic_file f;
    am_status st = am_atomic_open(&f, path, err);
    if (st != AM_OK)
        return st;
    if (run->csv_bom)
        fputs(AM_CSV_BOM, f.out);
    fputs("feed,line,reason,detail\n", f.out);
    for (size_t i = 0; i < run->rejects->count; i++) {
        const am_reject_entry *r = &run->rejects->v[i];
        char line[24];
        snprintf(line, sizeof line, "%" PRIu64, r->line);
        const char *fields[] = {cycle->match.feeds[r->feed]->name, line,
                                am_reject_name((am_reject)r->reason), r->detail};
        am_csv_row(f.out, fields, 4);
    }
    return am_atomic_commit(&f, err);
}

static am_status write_summary(const am_output_run *run, const char *path, am_err *err)
{
    const am_cycle *cycle = &run->cycle;
    const double wall_seconds = run->wall_seconds;
    am_atomic_file f;
    am_status st = am_atomic_open(&f, path, err);
    if (st != AM_OK)
        return st;
    FILE *out = f.out;
    fprintf(out, "{\n  \"aidmatch_version\": \"%s\",\n  \"centre\": ", AIDMATCH_VERSION_STRING);
    am_json_write_string(out, cycle->centre_name ? cycle->centre_name : "");
    fprintf(out, ",\n  \"key_fingerprint\": \"%s\",\n", cycle->key_fingerprint);
    if (wall_seconds >= 0)
        fprintf(out, "  \"wall_seconds\": %.3f,\n", wall_seconds);
    fputs("  \"feeds\": [", out);
    for (size_t i = 0; i < cycle->match.nfeeds; i++) {
        const am_feed *feed = cycle->match.feeds[i];
        fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
        am_json_write_string(out, feed->name);
        fputs(", \"agency\": ", out);
        am_json_write_string(out, feed->agency >= 0 ? cycle->match.catalogue->agencies[feed->agency].code : "");
        fprintf(out,
                ", \"file_xxh3\": \"%s\", \"encoding\": \"%s\", \"bytes\": %" PRIu64
                ", \"rows_read\": %" PRIu64 ", \"rows_ingested\": %" PRIu64
                ", \"rows_rejected\": %" PRIu64 ", \"rejected_by_reason\": {",
                feed->xxh3, am_encoding_name(feed->encoding_used), feed->bytes_read,
                feed->rows_read, feed->rows_ingested, feed->rows_rejected);
        int first = 1;
        for (int r = 0; r < AM_REJECT__COUNT; r++) {
            if (!feed->by_reason[r])
                continue;
            fprintf(out, "%s\"%s\": %" PRIu64, first ? "" : ", ", am_reject_name((am_reject)r),
                    feed->by_reason[r]);
            first = 0;
        }
        am_feed_age age;
        am_feed_age_of(cycle, i, &age);
        fprintf(out, "}, \"stale_days\": %" PRId32 ", \"unchanged_since\": ", age.stale_days);
        if (age.unchanged_since[0])
            fprintf(out, "\"%s\"}", age.unchanged_since);
        else
            fputs("null}", out);
    }
    fputs("\n  ],\n  \"findings\": {", out);
    int64_t count[AM_KIND__COUNT] = {0}, amount[AM_KIND__COUNT] = {0};
    for (size_t i = 0; i < cycle->findings->count; i++) {
        if (cycle->review->v[i].suppressed)
            continue; /* counted under outcomes */
        count[cycle->findings->v[i].pub.kind]++;
        const am_kind k = cycle->findings->v[i].pub.kind;
        amount[k] = am_money_add(amount[k], cycle->findings->v[i].pub.amount_fen);
    }
    for (int k = 0; k < AM_KIND__COUNT; k++) {
        char money[32];
        am_money_format(amount[k], money);
        fprintf(out, "%s\n    \"%s\": {\"count\": %" PRId64 ", \"amount_at_stake\": \"%s\"}",
                k ? "," : "", am_kind_name((am_kind)k), count[k], money);
    }
    fputs("\n  }", out);
    am_links_summary_json(run->links, out);
    am_review_summary_json(cycle, out);
    fputs("\n}\n", out);
    return am_atomic_commit(&f, err);
}

static am_status write_findings_file(const am_output_run *run, const char *path, am_err *err)
{
    return write_findings(run, path, 0, err);
}

static am_status write_suppressed_file(const am_output_run *run, const char *path,
                                       am_err *err)
{
    return write_findings(run, path, 1, err);
}

static am_status write_delta_file(const am_output_run *run, const char *path, am_err *err)
{
    return am_delta_write(&run->cycle, run->csv_bom, path, err);
}

static am_status write_report_file(const am_output_run *run, const char *path, am_err *err)
{
    return am_report_write(&run->cycle, run->links, path, err);
}

static am_status write_workbook_file(const am_output_run *run, const char *path, am_err *err)
{
    return am_workbook_write(&run->cycle, run->rejects, run->links, path, err);
}

static am_status write_links_file(const am_output_run *run, const char *path, am_err *err)
{
    return am_links_write(run->links, (const am_feed *const *)run->cycle.match.feeds,
                          run->csv_bom, path, err);
}

static int with_previous(const am_output_run *run) { return run->cycle.previous != NULL; }

/* The files of a run, in the order they are written.  In an old run of
 * the output directory, they are aidmatch's to replace and delete
 * (out_dir.h), whether or not this run writes them. */
static const struct output_file {
    const char *name;
    am_status (*write)(const am_output_run *run, const char *path, am_err *err);
    int (*wanted)(const am_output_run *run); /* NULL: always written */
} output_files[] = {
    {"findings.csv", write_findings_file, NULL},
    {"rejects.csv", write_rejects, NULL},
    {"summary.json", write_summary, NULL},
    {"suppressed.csv", write_suppressed_file, NULL},
    {"delta.csv", write_delta_file, with_previous},
    {"report.html", write_report_file, NULL},
    {"findings.xlsx", write_workbook_file, NULL},
    {"links.csv", write_links_file, NULL},
};
#define NOUTPUT_FILES (sizeof output_files / sizeof *output_files)

/* The files of one of two threads: the workbook, which takes as long to
 * write as all the others together, or all the others.  A part stops at
 * its first failure; failed is that file's place in the table. */
typedef struct write_part {
    const am_output_run *run;
    const char *dir;
    int workbook;
    am_status st;
    size_t failed;
    am_err err;
} write_part;

static void *write_part_files(void *arg)
{
    write_part *part = arg;
    const size_t n = strlen(part->dir) + 32;
    char *path = am_malloc(n);
    part->st = path ? AM_OK : am_fail(&part->err, AM_ERR_NOMEM, "out of memory");
    part->failed = 0;
    for (size_t i = 0; part->st == AM_OK && i < NOUTPUT_FILES; i++) {
        const struct output_file *file = &output_files[i];
        if ((file->write == write_workbook_file) != part->workbook ||
            (file->wanted && !file->wanted(part->run)))
            continue;
        snprintf(path, n, "%s/%s", part->dir, file->name);
        part->st = file->write(part->run, path, &part->err);
        part->failed = i;
    }
    am_free(path);
    return NULL;
}

/* Writes the files on two threads when the run has them.  What a failure
 * says is what writing them one by one in the table's order would say:
 * the first failed file's message. */
static am_status write_all(const am_output_run *run, const char *dir, am_err *err)
{
    write_part parts[2] = {{.run = run, .dir = dir, .workbook = 0},
                           {.run = run, .dir = dir, .workbook = 1}};
    /* Any run is worth the second thread: a workbook takes milliseconds. */
    am_run_pair(write_part_files, &parts[0], &parts[1], run->threads, AM_PAIR_MIN_ITEMS);
    const write_part *failed = NULL;
    for (size_t i = 0; i < 2; i++)
        if (parts[i].st != AM_OK && (!failed || parts[i].failed < failed->failed))
            failed = &parts[i];
    if (!failed)
        return AM_OK;
    if (err)
        *err = failed->err;
    return failed->st;
}

/* The run is written whole into a fresh sibling directory, which then
 * takes DIR's place in one atomic exchange (out_dir.c): however the process
 * dies, DIR holds the previous complete run or the new complete run, never
 * a mixture of the two. */
am_status am_output_write(const am_output_run *run, const char *dir, am_err *err)
{
    const char *names[NOUTPUT_FILES]; /* borrowed by out until closed below */
    for (size_t i = 0; i < NOUTPUT_FILES; i++)
        names[i] = output_files[i].name;
    am_out_dir out;
    am_status st =
        am_out_dir_open(&out, dir, names, NOUTPUT_FILES, run->written, run->nwritten, err);
    if (st != AM_OK)
        return st;
    st = write_all(run, out.staging, err);
    if (st != AM_OK)
        am_out_dir_restate(&out, err);
    if (st == AM_OK)
        st = am_out_dir_commit(&out, err);
    am_out_dir_close(&out);
    return st;
}
