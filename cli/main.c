/*
 * main.c — the aidmatch command: parses arguments, calls libaidmatch, and
 * prints.  Every decision about data belongs to the library; this file
 * only decides what a person at a terminal sees and which exit code a
 * scheduler gets.  The auditor's commands are in audit.c, the window's in
 * window.c, what the commands share in common.c and the writers of their
 * answers in format.c.
 */
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "common/size.h"

static const char main_help[] =
    "Usage: aidmatch COMMAND [OPTIONS]\n"
    "\n"
    "Cross-matches social-assistance feeds and reports duplicate aid.\n"
    "\n"
    "Commands:\n"
    "  check CENTRE.ini                 every problem of a centre file and its feeds\n"
    "  reconcile CENTRE.ini -o DIR      match every feed, write findings, rejects, summary\n"
    "  hash CENTRE.ini -f NAME -o FILE  agency side: replace raw IDs with tokens\n"
    "  keygen -o FILE                   create a new centre key (mode 0600)\n"
    "  snapshot CENTRE.ini -o FILE      reconcile and save the run for questions\n"
    "  match --snapshot FILE --rule 'RULE'\n"
    "                                   run ad-hoc rules over every record\n"
    "  person ID_OR_TOKEN --snapshot FILE\n"
    "                                   one person's records, household and findings\n"
    "  explain FINDING_ID --snapshot FILE\n"
    "                                   a finding, its rule and its evidence in full\n"
    "  precheck ID --item CODE --from DATE --snapshot FILE\n"
    "                                   at the window: holdings, what a grant would raise\n"
    "  grant ID --item CODE --from DATE --amount YUAN --snapshot FILE\n"
    "                                   record a grant made at the window\n"
    "  serve --snapshot FILE [--listen ADDRESS:PORT]\n"
    "                                   the window's checks as JSON over HTTP\n"
    "  version                          print the version (also -V, --version)\n"
    "  help COMMAND                     print a command's help (also COMMAND --help)\n"
    "\n"
    "Options take their value as '--out DIR' or '--out=DIR'.  Short forms:\n"
    "-o --out, -q --quiet, -j --threads, -s --snapshot, -p --previous, -f --feed,\n"
    "-r --rule, -k --key, -c --centre, -h --help.  '-' is stdin or stdout where\n"
    "a file is read or written (hash --in/--out, match --rules, --out of match,\n"
    "person and explain).\n"
    "\n"
    "Exit status: 0 success, 1 the run failed (I/O), 2 usage, 3 configuration,\n"
    "4 key, 5 precheck found a problem, 6 nothing found (person, explain),\n"
    "7 check found warnings only.\n";

static const char reconcile_help[] =
    "Usage: aidmatch reconcile CENTRE.ini -o DIR [-p DIR] [--run-date DATE]\n"
    "                          [-j N] [-s FILE] [--memory-limit SIZE] [-q]\n"
    "\n"
    "Reads every feed the centre file declares, matches them, and writes\n"
    "DIR/findings.csv, DIR/findings.xlsx, DIR/rejects.csv, DIR/links.csv,\n"
    "DIR/summary.json, DIR/suppressed.csv and DIR/report.html atomically.\n"
    "A missing or unreadable feed fails the run: nothing is reconciled\n"
    "without it.\n"
    "\n"
    "  -o, --out DIR        output directory (created if absent)\n"
    "  -p, --previous DIR   the previous run's output directory (may be DIR\n"
    "                       itself): adds DIR/delta.csv (new, persisting,\n"
    "                       resolved findings) and feed drift to summary.json;\n"
    "                       a DIR that does not exist yet is the first night\n"
    "      --run-date DATE  the date of this run, YYYY-MM-DD (default: today)\n"
    "  -j, --threads N      threads for reading, matching and writing\n"
    "                       (default: one per processor); the outputs are\n"
    "                       the same for any N\n"
    "  -s, --snapshot FILE  also save the run as a snapshot for match, person and\n"
    "                       explain (aidmatch help snapshot)\n"
    "      --memory-limit SIZE  reconcile in partitions on disk to stay under\n"
    "                       SIZE once the feeds are read (bytes, or 512M, 2G;\n"
    "                       at least 128M); the outputs are the same\n"
    "                       (docs/partitions.md)\n"
    "      --partitions N   partition on disk into at least N partitions\n"
    "      --temp-dir DIR   where partition files go (default /var/tmp)\n"
    "  -q, --quiet          print nothing on success, and no progress\n";

static const char check_help[] =
    "Usage: aidmatch check CENTRE.ini [--rows N] [--run-date DATE]\n"
    "\n"
    "Reads the centre file, catalogue, rules, and every feed's header and first\n"
    "rows, and prints every problem at once: where (centre.ini:LINE), what was\n"
    "found, what was expected, and a suggestion.  reconcile runs the same\n"
    "checks first and refuses to run on an error.\n"
    "\n"
    "      --rows N         rows of each feed to read (default 10000)\n"
    "      --run-date DATE  the run date the window is judged against\n"
    "                       (default: today)\n"
    "\n"
    "Exit status: 0 no problem, 7 warnings only, 3 errors; 1 and 2 as for\n"
    "every command.\n";

static const char hash_help[] =
    "Usage: aidmatch hash CENTRE.ini -f NAME -o FILE [--in FILE] [--keep-name]\n"
    "\n"
    "Writes the feed NAME as UTF-8 CSV with its person and household ID\n"
    "columns replaced by keyed tokens and its name column dropped, so raw IDs\n"
    "never leave the agency.  Rows with unusable IDs are not written; they\n"
    "are counted on stderr by reason.\n"
    "\n"
    "  -f, --feed NAME   the [feed NAME] section describing the export\n"
    "      --in FILE     read this file instead of the section's file ('-': stdin)\n"
    "  -o, --out FILE    where to write the tokenised CSV ('-': stdout)\n"
    "      --keep-name   keep the name column\n";

static const char keygen_help[] =
    "Usage: aidmatch keygen -o FILE [--force]\n"
    "\n"
    "Creates a random 128-bit key as 32 hex digits, readable by its owner\n"
    "only, and prints its fingerprint, which agencies compare with theirs.\n"
    "An existing file is not overwritten unless --force is given, and then\n"
    "only if it is a key file: every feed tokenised under the old key must\n"
    "then be tokenised again.\n"
    "\n"
    "  -o, --out FILE   the key file to create\n"
    "      --force      replace an existing key file\n";

/* Warns about feeds that moved by more than the drift share since the
 * previous run, or whose file has not changed for their stale_days. */
static void print_drift(am_ctx *ctx)
{
    for (size_t i = 0; i < am_feed_count(ctx); i++) {
        am_feed_drift d;
        if (am_feed_drift_get(ctx, i, &d) != AM_OK)
            return;
        if (d.shrunk || d.grew)
            fprintf(stderr,
                    "warning: feed %s %s: %" PRIu64 " rows, %" PRIu64 " in the previous run\n",
                    d.name, d.shrunk ? "shrank" : "grew", d.rows_read, d.previous_rows_read);
        am_feed_age age;
        if (d.stale && am_feed_age_get(ctx, i, &age) == AM_OK)
            fprintf(stderr,
                    "warning: feed %s is stale: its file has not changed for %" PRId32
                    " day%s, since %s (stale_days = %" PRId32 ")\n",
                    d.name, age.unchanged_days, age.unchanged_days == 1 ? "" : "s",
                    age.unchanged_since, age.stale_days);
    }
}

static void print_summary(am_ctx *ctx, double seconds)
{
    fprintf(stderr, "%-22s %-8s %10s %10s %10s\n", "feed", "agency", "read", "ingested",
            "rejected");
    for (size_t i = 0; i < am_feed_count(ctx); i++) {
        am_feed_stats s;
        if (am_feed_stats_get(ctx, i, &s) != AM_OK)
            continue;
        fprintf(stderr, "%-22s %-8s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", s.name,
                s.agency, s.rows_read, s.rows_ingested, s.rows_rejected);
    }
    int64_t count[AM_KIND__COUNT] = {0}, amount[AM_KIND__COUNT] = {0};
    size_t suppressed = 0, changes[AM_CHANGE__COUNT] = {0};
    for (size_t i = 0; i < am_finding_count(ctx); i++) {
        am_finding f;
        am_finding_review r;
        if (am_finding_review_get(ctx, i, &r) == AM_OK && r.suppressed) {
            suppressed++; /* in suppressed.csv, not findings.csv */
            continue;
        }
        if (am_finding_get(ctx, i, &f) == AM_OK) {
            count[f.kind]++;
            amount[f.kind] += f.amount_fen;
        }
    }
    for (size_t i = 0; i < am_delta_count(ctx); i++) {
        am_delta_row d;
        if (am_delta_get(ctx, i, &d) == AM_OK)
            changes[d.change]++;
    }
    fprintf(stderr, "\n%-22s %10s %16s\n", "finding kind", "count", "at stake (yuan)");
    for (int k = 0; k < AM_KIND__COUNT; k++) {
        if (!count[k])
            continue;
        char money[32];
        format_money(amount[k], money, sizeof money);
        fprintf(stderr, "%-22s %10" PRId64 " %16s\n", am_kind_name((am_kind)k), count[k], money);
    }
    if (suppressed)
        fprintf(stderr, "%-22s %10zu\n", "suppressed (no_issue)", suppressed);
    if (am_delta_count(ctx))
        fprintf(stderr, "\nsince the previous run: %zu new, %zu persisting, %zu resolved\n",
                changes[AM_CHANGE_NEW], changes[AM_CHANGE_PERSISTING],
                changes[AM_CHANGE_RESOLVED]);
    print_drift(ctx);
    fprintf(stderr, "\nkey %s, %zu findings, %zu rejected rows, %.2f s\n",
            am_key_fingerprint(ctx), am_finding_count(ctx) - suppressed, am_reject_count(ctx),
            seconds);
}

/* The progress line on a terminal: one line, rewritten in place. */
typedef struct progress_view {
    double feed_start, last_draw;
    size_t feed_index;
} progress_view;

static int on_progress(void *user, const am_progress *p)
{
    progress_view *v = user;
    const double now = now_seconds();
    if (p->feed_index != v->feed_index) {
        v->feed_index = p->feed_index;
        v->feed_start = v->last_draw; /* the previous feed ended there */
    }
    if (!p->done && now - v->last_draw < 0.1)
        return 0;
    const double elapsed = now - v->feed_start;
    const double mb = (double)p->bytes_read / 1e6, total = (double)p->bytes_total / 1e6;
    const double rate = elapsed > 0 ? mb / elapsed : 0;
    fprintf(stderr, "\r\033[K[%zu/%zu] %.24s: %" PRIu64 " rows, %.1f/%.1f MB, %.1f MB/s",
            p->feed_index + 1, p->feed_count, p->feed, p->rows, mb, total, rate);
    if (!p->done && rate > 0 && total > mb)
        fprintf(stderr, ", ETA %.0f s", (total - mb) / rate);
    fflush(stderr);
    v->last_draw = now;
    if (p->done)
        v->feed_start = now;
    return 0;
}


/* Runs am_check_centre and prints its problems: to stdout for check, to
 * stderr before a run.  Returns the number of errors, or -1 when the
 * check itself failed (out of memory). */
static long run_check(am_ctx *ctx, const centre_arg *centre, uint64_t rows, FILE *out,
                      int quiet, long *warnings)
{
    if (centre_check(ctx, centre, rows) != AM_OK)
        return -1;
    long errors = 0;
    *warnings = 0;
    for (size_t i = 0; i < am_diagnostic_count(ctx); i++) {
        am_diagnostic d;
        am_diagnostic_get(ctx, i, &d);
        const int error = d.severity == AM_SEVERITY_ERROR;
        if (error || !quiet)
            fprintf(out, "%s: %s\n", error ? (out == stderr ? program : "error") : "warning",
                    d.message);
        errors += error;
        *warnings += !error;
    }
    return errors;
}

static int cmd_check(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(check_help, stdout);
        return EXIT_OK;
    }
    const char *centre = NULL, *rows_text = NULL, *run_date = NULL;
    const value_option options[] = {{"--rows", &rows_text}, {"--run-date", &run_date},
                                    {NULL, NULL}};
    const int rc = parse_args(argc, argv, options, NULL, NULL, &centre);
    if (rc != EXIT_OK)
        return rc;
    if (!centre)
        return usage_error("check needs CENTRE.ini", NULL);
    unsigned long long rows = 10000;
    if (rows_text) {
        char *end;
        errno = 0;
        rows = strtoull(rows_text, &end, 10);
        if (*end || end == rows_text || rows == 0 || errno || rows_text[0] < '0' ||
            rows_text[0] > '9')
            return usage_error("--rows needs a number of rows from 1, got", rows_text);
    }
    char date[11];
    if (!run_date) {
        today(date);
        run_date = date;
    }
    am_ctx *ctx;
    am_status st = new_context(&ctx);
    if (st != AM_OK)
        return fail(NULL, st);
    if (am_set_run_date(ctx, run_date) != AM_OK) {
        am_ctx_free(ctx);
        return usage_error("--run-date needs a real date as YYYY-MM-DD, got", run_date);
    }
    centre_arg c;
    if (!centre_arg_read(&c, centre)) {
        am_ctx_free(ctx);
        return EXIT_RUN_FAILED;
    }
    long warnings;
    const long errors = run_check(ctx, &c, rows, stdout, 0, &warnings);
    if (errors < 0) {
        centre_arg_free(&c);
        return fail(ctx, AM_ERR_NOMEM);
    }
    if (errors || warnings)
        printf("%s: %ld error%s, %ld warning%s\n", c.name, errors, errors == 1 ? "" : "s",
               warnings, warnings == 1 ? "" : "s");
    else
        printf("%s: no problem found\n", c.name);
    centre_arg_free(&c);
    am_ctx_free(ctx);
    return errors ? EXIT_CONFIG : warnings ? EXIT_WARNINGS : EXIT_OK;
}

typedef struct reconcile_args {
    const centre_arg *centre;
    const char *out, *previous, *run_date, *threads, *snapshot;
    const char *memory_limit, *partitions, *temp_dir;
    int quiet;
} reconcile_args;

static int reconcile(const reconcile_args *a);

static int cmd_reconcile(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(reconcile_help, stdout);
        return EXIT_OK;
    }
    const char *centre = NULL, *out = NULL, *previous = NULL, *run_date = NULL, *threads = NULL;
    const char *snapshot = NULL, *memory_limit = NULL, *partitions = NULL, *temp_dir = NULL;
    int quiet = 0;
    const value_option options[] = {{"--out", &out},
                                    {"--previous", &previous},
                                    {"--run-date", &run_date},
                                    {"--threads", &threads},
                                    {"--snapshot", &snapshot},
                                    {"--memory-limit", &memory_limit},
                                    {"--partitions", &partitions},
                                    {"--temp-dir", &temp_dir},
                                    {NULL, NULL}};
    const int rc = parse_args(argc, argv, options, "--quiet", &quiet, &centre);
    if (rc != EXIT_OK)
        return rc;
    if (!centre || !out)
        return usage_error("reconcile needs CENTRE.ini and --out DIR", NULL);
    centre_arg c;
    if (!centre_arg_read(&c, centre))
        return EXIT_RUN_FAILED;
    const reconcile_args a = {&c,           out,        previous, run_date, threads, snapshot,
                              memory_limit, partitions, temp_dir, quiet};
    const int result = reconcile(&a);
    centre_arg_free(&c);
    return result;
}

/* --memory-limit, --partitions and --temp-dir, on ctx.  Returns EXIT_OK
 * or a usage error's exit code (printed). */
static int set_partitioning(am_ctx *ctx, const reconcile_args *a)
{
    if (a->memory_limit) {
        uint64_t bytes;
        if (!am_size_parse(a->memory_limit, &bytes) || am_set_memory_limit(ctx, bytes) != AM_OK)
            return usage_error("--memory-limit needs a size of at least 128M (bytes, or with "
                               "K, M or G), got",
                               a->memory_limit);
    }
    if (a->partitions) {
        char *end;
        const long n = strtol(a->partitions, &end, 10);
        if (*end || end == a->partitions || n < 1 || n > 4096 ||
            am_set_partitions(ctx, (unsigned)n) != AM_OK)
            return usage_error("--partitions needs a number from 1 to 4096, got", a->partitions);
    }
    if (a->temp_dir && am_set_temp_dir(ctx, a->temp_dir) != AM_OK)
        return usage_error("--temp-dir needs a directory, got", a->temp_dir);
    /* Partition files under the output directory would be found there
     * when the run is written, as files it cannot carry over. */
    struct stat out, temp;
    if (a->temp_dir && a->out && stat(a->out, &out) == 0 && stat(a->temp_dir, &temp) == 0 &&
        out.st_dev == temp.st_dev && out.st_ino == temp.st_ino)
        return usage_error("--temp-dir needs a directory other than the output directory, got",
                           a->temp_dir);
    return EXIT_OK;
}

/* Checks, reads and reconciles every feed, and writes the outputs. */
static int reconcile(const reconcile_args *a)
{
    const centre_arg *centre = a->centre;
    const char *out = a->out, *previous = a->previous, *run_date = a->run_date;
    const char *threads = a->threads, *snapshot = a->snapshot;
    const int quiet = a->quiet;
    char date[11];
    if (!run_date) {
        today(date);
        run_date = date;
    }
    const double start = now_seconds();
    am_ctx *ctx;
    am_status st = new_context(&ctx);
    if (st != AM_OK)
        return fail(NULL, st);
    if (am_set_run_date(ctx, run_date) != AM_OK) {
        am_ctx_free(ctx);
        return usage_error("--run-date needs a real date as YYYY-MM-DD, got", run_date);
    }
    /* By default every processor this machine has: the nightly batch owns it. */
    long nthreads = sysconf(_SC_NPROCESSORS_ONLN);
    if (threads) {
        char *end;
        nthreads = strtol(threads, &end, 10);
        if (*end || end == threads || *threads < '0' || *threads > '9' || nthreads < 1 ||
            nthreads > 64) {
            am_ctx_free(ctx);
            return usage_error("--threads needs a number from 1 to 64, got", threads);
        }
    }
    am_set_threads(ctx, (unsigned)(nthreads < 1 ? 1 : nthreads > 64 ? 64 : nthreads));
    const int usage = set_partitioning(ctx, a);
    if (usage != EXIT_OK) {
        am_ctx_free(ctx);
        return usage;
    }
    progress_view view = {.feed_start = start, .last_draw = start};
    const int show_progress = !quiet && isatty(STDERR_FILENO);
    if (show_progress)
        am_set_progress_fn(ctx, on_progress, &view);
    /* The same checks as aidmatch check, first: every problem at once, and
     * no run on an error.  The exit code is the one the run would have
     * failed with. */
    long warnings;
    const long errors = run_check(ctx, centre, 10000, stderr, quiet, &warnings);
    if (errors != 0) {
        if (errors < 0)
            return fail(ctx, AM_ERR_NOMEM);
        /* The run's own first failure gives the exit code; its message
         * is the check's, except for a previous run, which only the run
         * reads. */
        st = centre_load(ctx, centre);
        if (st == AM_OK && previous && (st = am_load_previous(ctx, previous)) != AM_OK)
            fprintf(stderr, "%s: %s\n", program, am_errmsg(ctx));
        if (st == AM_OK)
            st = am_ingest(ctx);
        fprintf(stderr, "%s: %s: %ld problem%s found; nothing was reconciled\n", program,
                centre->name, errors, errors == 1 ? "" : "s");
        am_ctx_free(ctx);
        return st == AM_OK ? EXIT_CONFIG : exit_code_for(st);
    }
    if ((st = centre_load(ctx, centre)) != AM_OK ||
        (previous && (st = am_load_previous(ctx, previous)) != AM_OK) ||
        (st = am_ingest(ctx)) != AM_OK) {
        if (show_progress)
            fputs("\r\033[K", stderr);
        return fail(ctx, st);
    }
    if (show_progress)
        fputs("\r\033[K", stderr); /* the summary below replaces the progress line */
    for (size_t i = 0; i < am_outcome_skipped_count(ctx); i++) {
        const char *file, *reason;
        uint64_t line;
        am_outcome_skipped_get(ctx, i, &file, &line, &reason);
        fprintf(stderr, "warning: %s:%" PRIu64 ": %s; row skipped\n", file, line, reason);
    }
    if (am_previous_missing(ctx))
        fprintf(stderr,
                "note: --previous %s does not exist yet: no previous run to compare with "
                "(the first night)\n",
                am_previous_missing(ctx));
    /* The snapshot first: a snapshot that cannot be written (a full disk)
     * fails the run while the output directory still holds the previous one. */
    if ((st = am_reconcile(ctx, NULL, NULL)) != AM_OK ||
        (snapshot && (st = am_snapshot_write(ctx, snapshot)) != AM_OK) ||
        (st = am_write_outputs(ctx, out, now_seconds() - start)) != AM_OK)
        return fail(ctx, st);
    if (!quiet)
        print_summary(ctx, now_seconds() - start);
    am_ctx_free(ctx);
    return EXIT_OK;
}

static int cmd_hash(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(hash_help, stdout);
        return EXIT_OK;
    }
    const char *centre = NULL, *feed_name = NULL, *in = NULL, *out = NULL;
    int keep_name = 0;
    const value_option options[] = {
        {"--feed", &feed_name}, {"--in", &in}, {"--out", &out}, {NULL, NULL}};
    const int rc = parse_args(argc, argv, options, "--keep-name", &keep_name, &centre);
    if (rc != EXIT_OK)
        return rc;
    if (!centre || !feed_name || !out)
        return usage_error("hash needs CENTRE.ini, --feed NAME and --out FILE", NULL);
    if (strcmp(centre, "-") == 0 && in && strcmp(in, "-") == 0)
        return usage_error("only one of CENTRE.ini and --in can be '-' (stdin)", NULL);
    am_ctx *ctx;
    am_status st = new_context(&ctx);
    if (st != AM_OK)
        return fail(NULL, st);
    centre_arg c;
    if (!centre_arg_read(&c, centre)) {
        am_ctx_free(ctx);
        return EXIT_RUN_FAILED;
    }
    const char *centre_name = c.name;
    st = centre_load(ctx, &c);
    centre_arg_free(&c);
    if (st != AM_OK)
        return fail(ctx, st);
    am_feed *feed = am_feed_find(ctx, feed_name);
    if (!feed) {
        fprintf(stderr, "%s: %s declares no feed '%s'\n", program, centre_name, feed_name);
        am_ctx_free(ctx);
        return EXIT_CONFIG;
    }
    /* '-' is stdin or stdout: the library reads and writes named files,
     * so the bytes pass through temporary files of our own. */
    char stdin_copy[4096] = "", stdout_copy[4096] = "";
    if (in && strcmp(in, "-") == 0) {
        if (!temp_file(stdin_copy, sizeof stdin_copy, 1)) {
            am_ctx_free(ctx);
            return EXIT_RUN_FAILED;
        }
        in = stdin_copy;
    }
    /* --in is the user's path, relative to where they stand, whereas the
     * centre file's own paths are relative to the centre file. */
    char in_path[4096];
    if (in && in[0] != '/' && !*stdin_copy) {
        char cwd[2048];
        if (!getcwd(cwd, sizeof cwd) ||
            (size_t)snprintf(in_path, sizeof in_path, "%s/%s", cwd, in) >= sizeof in_path) {
            fprintf(stderr, "%s: --in: path too long\n", program);
            am_ctx_free(ctx);
            return EXIT_USAGE;
        }
        in = in_path;
    }
    const int to_stdout = strcmp(out, "-") == 0;
    if (to_stdout && !temp_file(stdout_copy, sizeof stdout_copy, 0)) {
        if (*stdin_copy)
            unlink(stdin_copy);
        am_ctx_free(ctx);
        return EXIT_RUN_FAILED;
    }
    st = AM_OK;
    if ((in && (st = am_feed_set(feed, "file", in)) != AM_OK) ||
        (st = am_tokenise_feed(feed, to_stdout ? stdout_copy : out, keep_name)) != AM_OK) {
        if (*stdin_copy)
            unlink(stdin_copy);
        if (to_stdout)
            unlink(stdout_copy);
        return fail(ctx, st);
    }
    if (*stdin_copy)
        unlink(stdin_copy);
    if (to_stdout) {
        const int copied = copy_file_to_stdout(stdout_copy);
        unlink(stdout_copy);
        if (!copied) {
            am_ctx_free(ctx);
            return EXIT_RUN_FAILED;
        }
    }
    am_feed_stats s = {0};
    size_t index = 0;
    for (; index < am_feed_count(ctx); index++)
        if (am_feed_stats_get(ctx, index, &s) == AM_OK && strcmp(s.name, feed_name) == 0)
            break;
    fprintf(stderr, "%s: %" PRIu64 " rows written, %" PRIu64 " rejected", out, s.rows_ingested,
            s.rows_rejected);
    for (int r = 0; r < AM_REJECT__COUNT; r++) {
        const uint64_t rejected = am_feed_rejected(ctx, index, (am_reject)r);
        if (rejected)
            fprintf(stderr, ", %s %" PRIu64, am_reject_name((am_reject)r), rejected);
    }
    fprintf(stderr, "\ndeclare it with: ids = token, key_fingerprint = %s\n",
            am_key_fingerprint(ctx));
    am_ctx_free(ctx);
    return EXIT_OK;
}

static int cmd_keygen(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(keygen_help, stdout);
        return EXIT_OK;
    }
    const char *out = NULL;
    int force = 0;
    const value_option options[] = {{"--out", &out}, {NULL, NULL}};
    const int rc = parse_args(argc, argv, options, "--force", &force, NULL);
    if (rc != EXIT_OK)
        return rc;
    if (!out)
        return usage_error("keygen needs --out FILE", NULL);
    am_ctx *ctx;
    am_status st = am_ctx_new(&ctx);
    if (st != AM_OK)
        return fail(NULL, st);
    struct stat sb;
    if (lstat(out, &sb) == 0) {
        /* Only a key file is replaced: anything else there is not ours. */
        const int is_key = S_ISREG(sb.st_mode) && am_load_key_file(ctx, out) == AM_OK;
        if (!force || !is_key) {
            if (!is_key)
                fprintf(stderr, "%s: %s already exists and is not a key file; not overwritten\n",
                        program, out);
            else
                fprintf(stderr,
                        "%s: %s already exists (a key, fingerprint %s); not overwritten.\n"
                        "Feeds tokenised under it need it.  To replace it anyway, run "
                        "'aidmatch keygen --out %s --force'\n",
                        program, out, am_key_fingerprint(ctx), out);
            am_ctx_free(ctx);
            return EXIT_RUN_FAILED;
        }
        am_ctx_free(ctx);
        if ((st = am_ctx_new(&ctx)) != AM_OK)
            return fail(NULL, st);
        if (unlink(out) != 0) {
            fprintf(stderr, "%s: %s: cannot replace: %s\n", program, out, strerror(errno));
            am_ctx_free(ctx);
            return EXIT_RUN_FAILED;
        }
    }
    char msg[512];
    st = am_generate_key_file(out, msg, sizeof msg);
    if (st != AM_OK) {
        fprintf(stderr, "%s: %s\n", program, msg);
        am_ctx_free(ctx);
        return exit_code_for(st);
    }
    if ((st = am_load_key_file(ctx, out)) != AM_OK)
        return fail(ctx, st);
    printf("%s: new key, fingerprint %s\n", out, am_key_fingerprint(ctx));
    am_ctx_free(ctx);
    return EXIT_OK;
}

/* The short forms of the common options, as git, ripgrep and xsv have. */
static struct {
    char letter;
    char name[12];
} short_options[] = {
    {'o', "--out"},   {'q', "--quiet"}, {'j', "--threads"}, {'s', "--snapshot"},
    {'p', "--previous"}, {'f', "--feed"}, {'r', "--rule"},  {'k', "--key"},
    {'c', "--centre"}, {'h', "--help"},
};

/* Rewrites the arguments after the command into the one form the commands
 * parse: "--opt=value" becomes "--opt" "value", "-o" becomes "--out" and
 * "-j4" "--threads" "4".  "-" and everything after "--" stay as they are.
 * Returns a new argv (its strings point into the old one or into the
 * array's own allocation), or NULL when out of memory. */
static char **normalise_args(int argc, char **argv, int *out_argc)
{
    size_t bytes = 0;
    for (int i = 0; i < argc; i++)
        bytes += strlen(argv[i]) + 1;
    char **out = malloc(sizeof *out * (size_t)(2 * argc + 1) + bytes);
    if (!out)
        return NULL;
    char *store = (char *)(out + 2 * argc + 1);
    int n = 0, options_end = 0;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (i < 2 || options_end || a[0] != '-' || !a[1]) {
            out[n++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_end = 1;
            continue;
        }
        if (a[1] == '-') {
            char *eq = strchr(a, '=');
            if (!eq) {
                out[n++] = a;
                continue;
            }
            const size_t len = (size_t)(eq - a);
            memcpy(store, a, len);
            store[len] = '\0';
            out[n++] = store;
            store += len + 1;
            out[n++] = eq + 1;
            continue;
        }
        size_t k = 0;
        while (k < sizeof short_options / sizeof *short_options &&
               short_options[k].letter != a[1])
            k++;
        if (k == sizeof short_options / sizeof *short_options) {
            out[n++] = a; /* the command reports it as unknown */
            continue;
        }
        out[n++] = short_options[k].name;
        if (a[2]) /* "-j4", "-o=DIR" */
            out[n++] = a + 2 + (a[2] == '=');
    }
    out[n] = NULL;
    *out_argc = n;
    return out;
}

typedef int (*command_fn)(int argc, char **argv);

static command_fn find_command(const char *name)
{
    static const struct {
        const char *name;
        command_fn fn;
    } commands[] = {
        {"check", cmd_check},
        {"reconcile", cmd_reconcile}, {"hash", cmd_hash},       {"keygen", cmd_keygen},
        {"snapshot", cmd_snapshot},   {"match", cmd_match},     {"person", cmd_person},
        {"explain", cmd_explain},     {"precheck", cmd_precheck}, {"grant", cmd_grant},
        {"serve", cmd_serve},
    };
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].fn;
    return NULL;
}

int main(int argc, char **argv)
{
    /* Past a file size limit (ulimit -f), write() then fails with EFBIG
     * and the run reports "File too large" and cleans up, instead of being
     * killed with half-written files. */
    signal(SIGXFSZ, SIG_IGN);
    /* A core dump would hold the feed text being read (raw IDs and names)
     * and the key: none, and no tracing by other users, unless asked. */
    const char *cores = getenv("AIDMATCH_CORE_DUMPS");
    if (!cores || strcmp(cores, "1") != 0)
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* A run in partitions on disk keeps a file open for each partition
     * and 512 more while it distributes: the soft limit on open files
     * (often 1024) is raised to the hard one, which is the system's. */
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &files);
    }
    if (argc < 2)
        return usage_error("missing command", NULL);
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        if (strcmp(cmd, "help") == 0 && argc > 2) {
            command_fn fn = find_command(argv[2]);
            if (!fn)
                return usage_error("no help for unknown command", argv[2]);
            static char help_flag[] = "--help";
            char *help_argv[] = {argv[0], argv[2], help_flag, NULL};
            return fn(3, help_argv);
        }
        fputs(main_help, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        printf("aidmatch %s (library %s)\n", AIDMATCH_VERSION_STRING, am_version(NULL));
        return EXIT_OK;
    }
    command_fn fn = find_command(cmd);
    if (!fn)
        return usage_error("unknown command", cmd);
    int n;
    char **args = normalise_args(argc, argv, &n);
    if (!args) {
        fprintf(stderr, "%s: out of memory\n", program);
        return EXIT_RUN_FAILED;
    }
    const int rc = fn(n, args);
    free(args);
    return rc;
}
