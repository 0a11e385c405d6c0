/*
 * audit.c — the auditor's commands: snapshot, match, person and explain.
 * They ask the library questions about a snapshot or about the feeds and
 * print the answers (format.c) as CSV, JSON Lines or a table.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "common/csv_out.h"

/* ------------------------------------------------------------------ */
/* The auditor's tools: snapshot, match, person, explain                */

static const char snapshot_help[] =
    "Usage: aidmatch snapshot CENTRE.ini --out FILE [--run-date DATE] [--threads N] [--quiet]\n"
    "\n"
    "Reads and reconciles every feed as reconcile does, then writes the run as\n"
    "one snapshot file (atomically, mode 0600) instead of the output directory:\n"
    "records, households, catalogue, feeds, rules and the run's findings, for\n"
    "match, person and explain to open in milliseconds.  reconcile --snapshot\n"
    "FILE writes the same file beside its outputs.\n";

static const char match_help[] =
    "Usage: aidmatch match (--snapshot FILE | --centre CENTRE.ini)\n"
    "                      (--rule 'RULE' ... | --rules FILE) [--with-duplicates]\n"
    "                      [--format csv|jsonl] [--out FILE] [FILTERS] [--threads N]\n"
    "\n"
    "Runs ad-hoc rules, in the language of rules files (docs/rules.md), over\n"
    "every record of a snapshot, or of the centre's feeds read afresh.  Only\n"
    "these rules run: add --with-duplicates for the implicit DUP rule.  A --rule\n"
    "may leave out 'rule ID' (Q1, Q2, ... are given) and its source.\n"
    "Prints the findings with the columns of findings.csv, or as JSON Lines.\n"
    "\n"
    "  --rule 'RULE'      one rule, e.g. 'exclusive DIBAO_URBAN vs TEKUN_HOME'\n"
    "  --rules FILE       a rules file\n"
    "  --with-duplicates  also report duplicates (rule DUP)\n"
    "  --format F         csv (default) or jsonl\n"
    "  --out FILE         write there (atomically) instead of stdout\n"
    "\n"
    "Filters (repeat --kind, --item, --agency, or give lists with commas):\n"
    "  --kind KIND        DUPLICATE, HOUSEHOLD_DUPLICATE, CONFLICT, MISSING,\n"
    "                     AFTER_DEATH or DISQUALIFIED\n"
    "  --item CODE        findings involving the item\n"
    "  --agency CODE      findings involving the agency\n"
    "  --min-amount YUAN  findings with at least this much at stake\n"
    "  --town DIGITS      findings whose area code begins with DIGITS\n";

static const char person_help[] =
    "Usage: aidmatch person ID_OR_TOKEN (--snapshot FILE [--key FILE | --centre CENTRE.ini]\n"
    "                                   | --centre CENTRE.ini)\n"
    "                       [--format table|csv|jsonl] [--out FILE] [FILTERS]\n"
    "\n"
    "Prints every record of one person across feeds, the items of everyone\n"
    "in their households, and every finding that concerns them: an aligned\n"
    "table on a terminal, CSV otherwise.  ID_OR_TOKEN is the person's token\n"
    "(32 hex digits) or a resident ID, which is hashed with the centre's key\n"
    "on the spot and never kept or printed.  With a snapshot, a resident ID\n"
    "needs the key: --key FILE, or the centre file that names it.\n"
    "\n"
    "  --format F   table, csv or jsonl (default: table on a terminal, else csv)\n"
    "  --out FILE   write there (atomically) instead of stdout\n"
    "  Filters as for match: --item and --agency narrow records and findings,\n"
    "  --kind, --min-amount and --town narrow findings.\n";

static const char explain_help[] =
    "Usage: aidmatch explain FINDING_ID (--snapshot FILE | --centre CENTRE.ini)\n"
    "                        [--format text|jsonl] [--out FILE]\n"
    "\n"
    "Prints one finding of the run, the rule that raised it as written with\n"
    "its policy source, and every evidence record in full (agency, feed, line,\n"
    "item, period, amount), side by side.\n";

/* Options of the auditor's commands: values, repeatable values, flags. */
typedef struct audit_args {
    const char *positional;
    const char *snapshot, *centre, *key, *out, *format, *rules_file, *min_amount, *town;
    const char *threads, *run_date;
    const char **rules;  /* --rule, repeated */
    size_t nrules;
    char *kinds, *items, *agencies; /* joined with ',' */
    int with_duplicates, quiet;
} audit_args;

static void audit_args_free(audit_args *a)
{
    free(a->rules);
    free(a->kinds);
    free(a->items);
    free(a->agencies);
}

/* Appends value to a ','-joined list. */
static int join_value(char **list, const char *value)
{
    const size_t old = *list ? strlen(*list) : 0, add = strlen(value);
    char *grown = realloc(*list, old + add + 2);
    if (!grown)
        return 0;
    if (old)
        grown[old] = ',';
    memcpy(grown + old + (old != 0), value, add + 1);
    *list = grown;
    return 1;
}

/* Parses argv[2..] against the options named in allowed (space-separated,
 * e.g. "--snapshot --out --quiet").  Returns EXIT_OK or a usage error. */
static int parse_audit_args(int argc, char **argv, const char *allowed, audit_args *a)
{
    static const struct {
        const char *name;
        size_t offset; /* of a const char * in audit_args, or 0 */
        int kind;      /* 0 value, 1 repeated --rule, 2 list, 3 flag */
    } known[] = {
        {"--snapshot", offsetof(audit_args, snapshot), 0},
        {"--centre", offsetof(audit_args, centre), 0},
        {"--key", offsetof(audit_args, key), 0},
        {"--out", offsetof(audit_args, out), 0},
        {"--format", offsetof(audit_args, format), 0},
        {"--rules", offsetof(audit_args, rules_file), 0},
        {"--min-amount", offsetof(audit_args, min_amount), 0},
        {"--town", offsetof(audit_args, town), 0},
        {"--threads", offsetof(audit_args, threads), 0},
        {"--run-date", offsetof(audit_args, run_date), 0},
        {"--rule", 0, 1},
        {"--kind", offsetof(audit_args, kinds), 2},
        {"--item", offsetof(audit_args, items), 2},
        {"--agency", offsetof(audit_args, agencies), 2},
        {"--with-duplicates", offsetof(audit_args, with_duplicates), 3},
        {"--quiet", offsetof(audit_args, quiet), 3},
    };
    memset(a, 0, sizeof *a);
    if (!(a->rules = calloc((size_t)argc, sizeof *a->rules)))
        return usage_error("out of memory", NULL);
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        size_t k = 0;
        while (k < sizeof known / sizeof *known && strcmp(known[k].name, arg) != 0)
            k++;
        const char *found = k < sizeof known / sizeof *known ? strstr(allowed, arg) : NULL;
        const int allowed_here = found && (found[strlen(arg)] == ' ' || !found[strlen(arg)]);
        if (!allowed_here) {
            if (arg[0] == '-')
                return usage_error("unknown option", arg);
            if (a->positional)
                return usage_error("unexpected argument", arg);
            a->positional = arg;
            continue;
        }
        char *base = (char *)a;
        if (known[k].kind == 3) {
            *(int *)(base + known[k].offset) = 1;
            continue;
        }
        if (i + 1 >= argc)
            return usage_error("this option needs a value:", arg);
        const char *value = argv[++i];
        if (known[k].kind == 0)
            *(const char **)(base + known[k].offset) = value;
        else if (known[k].kind == 1)
            a->rules[a->nrules++] = value;
        else if (!join_value((char **)(base + known[k].offset), value))
            return usage_error("out of memory", NULL);
    }
    return EXIT_OK;
}

/* Fills a filter from the options; a bad value is a usage error. */
static int make_filter(const audit_args *a, am_filter *f)
{
    memset(f, 0, sizeof *f);
    for (const char *p = a->kinds; p && *p;) {
        const size_t len = strcspn(p, ",");
        int k = 0;
        while (k < AM_KIND__COUNT && !(strlen(am_kind_name((am_kind)k)) == len &&
                                       strncasecmp(am_kind_name((am_kind)k), p, len) == 0))
            k++;
        if (k == AM_KIND__COUNT)
            return usage_error("--kind takes DUPLICATE, HOUSEHOLD_DUPLICATE, CONFLICT, MISSING, "
                               "AFTER_DEATH or DISQUALIFIED, got", p);
        f->kinds |= 1u << k;
        p += len + (p[len] == ',');
    }
    f->items = a->items;
    f->agencies = a->agencies;
    f->town = a->town;
    if (a->min_amount) {
        int64_t fen;
        if (!parse_yuan(a->min_amount, &fen))
            return usage_error("--min-amount takes yuan such as 1000 or 99.50, got", a->min_amount);
        f->min_amount_fen = fen;
    }
    return EXIT_OK;
}

static const char finding_columns[] =
    "finding_id,kind,rule_id,unit,subject,items,agencies,period_start,period_end,"
    "overlap_days,amount_at_stake,evidence,policy_source,priority,facts,linked,"
    "possible_id_error\n";

/* What linking says of result i of the last question. */
static am_result_links links_of(const am_ctx *ctx, size_t i)
{
    am_result_links l = {"", ""};
    am_result_links_get(ctx, i, &l);
    return l;
}

static void finding_csv(FILE *out, const am_ctx *ctx, size_t i, const am_result *r)
{
    const am_finding *f = &r->finding;
    const am_result_links l = links_of(ctx, i);
    char days[24], amount[32];
    snprintf(days, sizeof days, "%" PRId64, f->overlap_days);
    format_money(f->amount_fen, amount, sizeof amount);
    const char *fields[] = {f->id,       am_kind_name(f->kind), f->rule_id,      f->unit,
                            f->subject,  f->items,              f->agencies,     f->period_start,
                            f->period_end, days,                amount,          f->evidence,
                            f->policy_source, f->priority,      r->facts,        l.linked,
                            l.possible_id_error};
    am_csv_row(out, fields, sizeof fields / sizeof *fields);
}

/* The finding's members of a JSON object (the object is left open). */
static void finding_json(FILE *out, int *first, const am_ctx *ctx, size_t i, const am_result *r)
{
    const am_finding *f = &r->finding;
    const am_result_links l = links_of(ctx, i);
    char amount[32];
    format_money(f->amount_fen, amount, sizeof amount);
    json_pair(out, first, "finding_id", f->id);
    json_pair(out, first, "kind", am_kind_name(f->kind));
    json_pair(out, first, "rule_id", f->rule_id);
    json_pair(out, first, "unit", f->unit);
    json_pair(out, first, "subject", f->subject);
    json_pair(out, first, "items", f->items);
    json_pair(out, first, "agencies", f->agencies);
    json_pair(out, first, "period_start", f->period_start);
    json_pair(out, first, "period_end", f->period_end);
    json_number(out, first, "overlap_days", f->overlap_days);
    json_pair(out, first, "amount_at_stake", amount);
    json_pair(out, first, "evidence", f->evidence);
    json_pair(out, first, "policy_source", f->policy_source);
    json_pair(out, first, "priority", f->priority);
    json_pair(out, first, "facts", r->facts);
    json_pair(out, first, "linked", l.linked);
    json_pair(out, first, "possible_id_error", l.possible_id_error);
    json_pair(out, first, "area", r->area);
}

/* linked: am_person_record_linked() or am_result_evidence_linked() of x. */
static void record_json(FILE *out, int *first, const am_record_info *x, const char *linked)
{
    char amount[32];
    format_money(x->amount_fen, amount, sizeof amount);
    json_pair(out, first, "relation", x->relation);
    json_pair(out, first, "person", x->person);
    json_pair(out, first, "household", x->household);
    json_pair(out, first, "agency", x->agency);
    json_pair(out, first, "feed", x->feed);
    json_number(out, first, "line", (int64_t)x->line);
    json_pair(out, first, x->is_fact ? "fact" : "item", x->code);
    json_pair(out, first, "name", x->code_name);
    json_pair(out, first, "start", x->start);
    json_pair(out, first, "end", x->end);
    json_pair(out, first, "amount", amount);
    json_number(out, first, "value", x->value);
    json_pair(out, first, "area", x->area);
    json_pair(out, first, "linked", linked ? linked : "");
}

static void period_text(const char *start, const char *end, char *out, size_t size)
{
    snprintf(out, size, "%s..%s", *start ? start : "(ever)", *end ? end : "(open)");
}

static void record_cells(table *t, const am_record_info *x, int with_relation, int with_person,
                         const char *linked)
{
    char line[24], amount[32], value[8], period[32];
    snprintf(line, sizeof line, "%" PRIu64, x->line);
    if (x->is_fact)
        amount[0] = '\0';
    else
        format_money(x->amount_fen, amount, sizeof amount);
    if (x->value)
        snprintf(value, sizeof value, "%d", x->value);
    else
        value[0] = '\0';
    period_text(x->start, x->end, period, sizeof period);
    const char *cells[TABLE_MAX_COLUMNS];
    size_t n = 0;
    if (with_relation)
        cells[n++] = x->relation;
    if (with_person)
        cells[n++] = x->person;
    cells[n++] = x->agency;
    cells[n++] = x->feed;
    cells[n++] = line;
    cells[n++] = x->code;
    cells[n++] = period;
    cells[n++] = amount;
    cells[n++] = value;
    cells[n++] = x->household;
    cells[n++] = x->area;
    cells[n++] = linked ? linked : "";
    table_add(t, cells, n);
}

/* Opens what a question reads: a snapshot (loading a key first when a raw
 * ID needs one), or the centre's feeds read and reconciled now. */
static int open_for_question(const audit_args *a, int needs_key, am_ctx **out)
{
    *out = NULL;
    if (!a->snapshot && !a->centre)
        return usage_error("give --snapshot FILE or --centre CENTRE.ini", NULL);
    am_ctx *ctx;
    am_status st = new_context(&ctx);
    if (st != AM_OK)
        return fail(NULL, st);
    long nthreads = sysconf(_SC_NPROCESSORS_ONLN);
    if (a->threads) {
        char *end;
        nthreads = strtol(a->threads, &end, 10);
        if (*end || end == a->threads || *a->threads < '0' || *a->threads > '9' ||
            nthreads < 1 || nthreads > 64) {
            am_ctx_free(ctx);
            return usage_error("--threads needs a number from 1 to 64, got", a->threads);
        }
    }
    am_set_threads(ctx, (unsigned)(nthreads < 1 ? 1 : nthreads > 64 ? 64 : nthreads));
    if (a->key && (st = am_load_key_file(ctx, a->key)) != AM_OK)
        return fail(ctx, st);
    if (a->snapshot) {
        /* The centre file is read for its key only, and only when needed. */
        int rc;
        if (needs_key && !a->key && a->centre && (rc = load_centre_arg(ctx, a->centre)) != EXIT_OK)
            return rc;
        if ((st = am_snapshot_open(ctx, a->snapshot)) != AM_OK)
            return fail(ctx, st);
    } else {
        char date[11];
        today(date);
        if ((st = am_set_run_date(ctx, a->run_date ? a->run_date : date)) != AM_OK)
            return fail(ctx, st);
        const int rc = load_centre_arg(ctx, a->centre);
        if (rc != EXIT_OK)
            return rc;
        if ((st = am_ingest(ctx)) != AM_OK || (st = am_reconcile(ctx, NULL, NULL)) != AM_OK)
            return fail(ctx, st);
    }
    *out = ctx;
    return EXIT_OK;
}

/* The --rule options as one rules text, a rule a line: am_match_rules
 * takes the short form ("exclusive A vs B": no 'rule ID', no source). */
static char *rules_text(const audit_args *a, size_t *len)
{
    size_t cap = 1;
    for (size_t i = 0; i < a->nrules; i++)
        cap += strlen(a->rules[i]) + 1;
    char *text = malloc(cap), *p = text;
    if (!text)
        return NULL;
    for (size_t i = 0; i < a->nrules; i++) {
        const char *r = a->rules[i];
        while (*r == ' ' || *r == '\t' || *r == '\n') /* a rule starts in the first column */
            r++;
        const size_t n = strlen(r);
        memcpy(p, r, n);
        p += n;
        *p++ = '\n';
    }
    *p = '\0';
    *len = (size_t)(p - text);
    return text;
}

int cmd_snapshot(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(snapshot_help, stdout);
        return EXIT_OK;
    }
    audit_args a;
    int rc = parse_audit_args(argc, argv, "--out --run-date --threads --quiet", &a);
    if (rc == EXIT_OK && (!a.positional || !a.out))
        rc = usage_error("snapshot needs CENTRE.ini and --out FILE", NULL);
    if (rc != EXIT_OK) {
        audit_args_free(&a);
        return rc;
    }
    const double start = now_seconds();
    audit_args source = a;
    source.centre = a.positional;
    am_ctx *ctx;
    rc = open_for_question(&source, 0, &ctx);
    if (rc == EXIT_OK) {
        const am_status st = am_snapshot_write(ctx, a.out);
        if (st != AM_OK) {
            rc = fail(ctx, st);
            ctx = NULL;
        }
    }
    if (rc == EXIT_OK && !a.quiet) {
        struct stat sb;
        size_t records = 0;
        for (size_t i = 0; i < am_feed_count(ctx); i++) {
            am_feed_stats s;
            if (am_feed_stats_get(ctx, i, &s) == AM_OK)
                records += s.rows_ingested;
        }
        if (stat(a.out, &sb) == 0)
            fprintf(stderr, "%s: %zu records, %zu findings, %lld bytes (%.1f per record), %.2f s\n",
                    a.out, records, am_finding_count(ctx), (long long)sb.st_size,
                    records ? (double)sb.st_size / (double)records : 0.0, now_seconds() - start);
    }
    am_ctx_free(ctx);
    audit_args_free(&a);
    return rc;
}

int cmd_match(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(match_help, stdout);
        return EXIT_OK;
    }
    audit_args a;
    int rc = parse_audit_args(argc, argv,
                              "--snapshot --centre --rule --rules --with-duplicates --format "
                              "--out --kind --item --agency --min-amount --town --threads "
                              "--run-date",
                              &a);
    if (rc == EXIT_OK && a.positional && !a.centre) {
        a.centre = a.positional; /* match CENTRE.ini, as reconcile takes it */
        a.positional = NULL;
    }
    if (rc == EXIT_OK && a.positional)
        rc = usage_error("unexpected argument", a.positional);
    if (rc == EXIT_OK && (!a.nrules == !a.rules_file))
        rc = usage_error("match needs one or more --rule 'RULE', or one --rules FILE", NULL);
    if (rc == EXIT_OK && a.format && strcmp(a.format, "csv") && strcmp(a.format, "jsonl"))
        rc = usage_error("--format takes csv or jsonl, got", a.format);
    am_filter filter;
    if (rc == EXIT_OK)
        rc = make_filter(&a, &filter);
    char *text = NULL;
    size_t len = 0;
    if (rc == EXIT_OK) {
        if (a.rules_file ? !read_text_file(a.rules_file, "rules", &text, &len) : !(text = rules_text(&a, &len)))
            rc = EXIT_RUN_FAILED;
    }
    am_ctx *ctx = NULL;
    if (rc == EXIT_OK)
        rc = open_for_question(&a, 0, &ctx);
    if (rc == EXIT_OK) {
        const am_status st = am_match_rules(ctx, text, len, a.rules_file ? a.rules_file : "--rule",
                                            &filter, a.with_duplicates ? AM_MATCH_WITH_DUPLICATES : 0);
        if (st != AM_OK) {
            rc = fail(ctx, st);
            ctx = NULL;
        }
    }
    output o;
    if (rc == EXIT_OK && !output_open(&o, a.out))
        rc = EXIT_RUN_FAILED;
    if (rc == EXIT_OK) {
        const int jsonl = a.format && strcmp(a.format, "jsonl") == 0;
        if (!jsonl)
            fputs(finding_columns, o.f);
        for (size_t i = 0; i < am_result_count(ctx); i++) {
            am_result r;
            am_result_get(ctx, i, &r);
            if (jsonl) {
                int first = 1;
                finding_json(o.f, &first, ctx, i, &r);
                fputs("}\n", o.f);
            } else {
                finding_csv(o.f, ctx, i, &r);
            }
        }
        if (!output_close(&o, 1))
            rc = EXIT_RUN_FAILED;
    }
    free(text);
    am_ctx_free(ctx);
    audit_args_free(&a);
    return rc;
}

static int looks_like_token(const char *s)
{
    return strlen(s) == 32 && strspn(s, "0123456789abcdefABCDEF") == 32;
}

static const char person_columns[] =
    "row,relation,person,household,agency,feed,line,code,start,end,amount,value,area,"
    "finding_id,kind,rule_id,unit,overlap_days,priority,evidence,policy_source,facts,linked,"
    "possible_id_error\n";

static void person_csv(FILE *out, am_ctx *ctx)
{
    fputs(person_columns, out);
    for (size_t i = 0; i < am_person_record_count(ctx); i++) {
        am_record_info x;
        am_person_record_get(ctx, i, &x);
        char line[24], amount[32], value[8];
        snprintf(line, sizeof line, "%" PRIu64, x.line);
        format_money(x.amount_fen, amount, sizeof amount);
        snprintf(value, sizeof value, "%d", x.value);
        const char *fields[] = {"record", x.relation, x.person, x.household, x.agency, x.feed,
                                line, x.code, x.start, x.end, amount, x.value ? value : "",
                                x.area, "", "", "", "", "", "", "", "", "",
                                am_person_record_linked(ctx, i), ""};
        am_csv_row(out, fields, sizeof fields / sizeof *fields);
    }
    for (size_t i = 0; i < am_result_count(ctx); i++) {
        am_result r;
        am_result_get(ctx, i, &r);
        const am_finding *f = &r.finding;
        const am_result_links l = links_of(ctx, i);
        char days[24], amount[32];
        snprintf(days, sizeof days, "%" PRId64, f->overlap_days);
        format_money(f->amount_fen, amount, sizeof amount);
        const char *fields[] = {"finding", r.concerns, f->subject, "", f->agencies, "", "",
                                f->items, f->period_start, f->period_end, amount, "", r.area,
                                f->id, am_kind_name(f->kind), f->rule_id, f->unit, days,
                                f->priority, f->evidence, f->policy_source, r.facts,
                                l.linked, l.possible_id_error};
        am_csv_row(out, fields, sizeof fields / sizeof *fields);
    }
}

static void person_jsonl(FILE *out, am_ctx *ctx)
{
    for (size_t i = 0; i < am_person_record_count(ctx); i++) {
        am_record_info x;
        am_person_record_get(ctx, i, &x);
        int first = 1;
        json_pair(out, &first, "row", "record");
        record_json(out, &first, &x, am_person_record_linked(ctx, i));
        fputs("}\n", out);
    }
    for (size_t i = 0; i < am_result_count(ctx); i++) {
        am_result r;
        am_result_get(ctx, i, &r);
        int first = 1;
        json_pair(out, &first, "row", "finding");
        json_pair(out, &first, "concerns", r.concerns);
        finding_json(out, &first, ctx, i, &r);
        fputs("}\n", out);
    }
}

static void person_table(FILE *out, am_ctx *ctx)
{
    size_t self = 0, members = 0;
    for (size_t i = 0; i < am_person_record_count(ctx); i++) {
        am_record_info x;
        am_person_record_get(ctx, i, &x);
        if (strcmp(x.relation, "self") == 0)
            self++;
        else
            members++;
    }
    fprintf(out, "person %s: %zu records, %zu items of household members, %zu findings\n",
            am_person_token(ctx), self, members, am_result_count(ctx));
    table t = {0};
    static const char *const head[] = {"relation", "agency", "feed",      "line", "code", "period",
                                       "amount",   "value",  "household", "area", "linked"};
    if (am_person_record_count(ctx)) {
        fputs("\nrecords\n", out);
        table_add(&t, head, sizeof head / sizeof *head);
        for (size_t i = 0; i < am_person_record_count(ctx); i++) {
            am_record_info x;
            am_person_record_get(ctx, i, &x);
            if (strcmp(x.relation, "self") == 0)
                record_cells(&t, &x, 1, 0, am_person_record_linked(ctx, i));
        }
        table_print(&t, out, "  ");
    }
    if (members) {
        fputs("\nhousehold members' items\n", out);
        static const char *const mhead[] = {"relation", "person",    "agency", "feed",
                                            "line",     "code",      "period", "amount",
                                            "value",    "household", "area",   "linked"};
        table_add(&t, mhead, sizeof mhead / sizeof *mhead);
        for (size_t i = 0; i < am_person_record_count(ctx); i++) {
            am_record_info x;
            am_person_record_get(ctx, i, &x);
            if (strcmp(x.relation, "self") != 0)
                record_cells(&t, &x, 1, 1, am_person_record_linked(ctx, i));
        }
        table_print(&t, out, "  ");
    }
    if (am_result_count(ctx)) {
        fputs("\nfindings\n", out);
        static const char *const fhead[] = {"finding_id", "kind",     "rule",     "concerns",
                                            "items",      "period",   "days",     "at stake",
                                            "priority",   "linked"};
        table_add(&t, fhead, sizeof fhead / sizeof *fhead);
        for (size_t i = 0; i < am_result_count(ctx); i++) {
            am_result r;
            am_result_get(ctx, i, &r);
            const am_finding *f = &r.finding;
            char period[32], days[24], amount[32];
            period_text(f->period_start, f->period_end, period, sizeof period);
            snprintf(days, sizeof days, "%" PRId64, f->overlap_days);
            format_money(f->amount_fen, amount, sizeof amount);
            const char *cells[] = {f->id,    am_kind_name(f->kind), f->rule_id, r.concerns,
                                   f->items, period, days, amount, f->priority,
                                   links_of(ctx, i).linked};
            table_add(&t, cells, sizeof cells / sizeof *cells);
        }
        table_print(&t, out, "  ");
    }
}

int cmd_person(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(person_help, stdout);
        return EXIT_OK;
    }
    audit_args a;
    int rc = parse_audit_args(argc, argv,
                              "--snapshot --centre --key --format --out --kind --item --agency "
                              "--min-amount --town --threads --run-date",
                              &a);
    if (rc == EXIT_OK && !a.positional)
        rc = usage_error("person needs a resident ID or a token", NULL);
    if (rc == EXIT_OK && a.format && strcmp(a.format, "table") && strcmp(a.format, "csv") &&
        strcmp(a.format, "jsonl"))
        rc = usage_error("--format takes table, csv or jsonl, got", a.format);
    am_filter filter;
    if (rc == EXIT_OK)
        rc = make_filter(&a, &filter);
    am_ctx *ctx = NULL;
    if (rc == EXIT_OK && a.snapshot && !a.key && !a.centre && !looks_like_token(a.positional)) {
        fprintf(stderr, "%s: a resident ID needs the centre's key to become a token: give "
                        "--key FILE or --centre CENTRE.ini (or give the token)\n", program);
        rc = EXIT_KEY;
    }
    if (rc == EXIT_OK)
        rc = open_for_question(&a, !looks_like_token(a.positional), &ctx);
    if (rc == EXIT_OK) {
        const am_status st = am_person_lookup(ctx, a.positional, &filter);
        if (st != AM_OK) {
            rc = fail(ctx, st);
            ctx = NULL;
        } else if (am_person_record_count(ctx) == 0 && am_result_count(ctx) == 0) {
            fprintf(stderr, "%s: no records of person %s%s\n", program, am_person_token(ctx),
                    a.items || a.agencies ? " match the filters" : "");
            rc = EXIT_NOT_FOUND;
        }
    }
    output o;
    if (rc == EXIT_OK && !output_open(&o, a.out))
        rc = EXIT_RUN_FAILED;
    if (rc == EXIT_OK) {
        const char *format = a.format ? a.format
                             : !a.out && isatty(STDOUT_FILENO) ? "table"
                                                               : "csv";
        if (strcmp(format, "table") == 0)
            person_table(o.f, ctx);
        else if (strcmp(format, "jsonl") == 0)
            person_jsonl(o.f, ctx);
        else
            person_csv(o.f, ctx);
        if (!output_close(&o, 1))
            rc = EXIT_RUN_FAILED;
    }
    am_ctx_free(ctx);
    audit_args_free(&a);
    return rc;
}

static void explain_text(FILE *out, am_ctx *ctx, const am_result *r, const am_rule_info *rule)
{
    const am_finding *f = &r->finding;
    char amount[32];
    format_money(f->amount_fen, amount, sizeof amount);
    fprintf(out, "finding %s\n", f->id);
    table t = {0};
    const char *rows[][2] = {
        {"kind", am_kind_name(f->kind)},
        {"priority", f->priority},
        {"rule", f->rule_id},
        {"subject", f->subject},
        {"unit", f->unit},
        {"items", f->items},
        {"agencies", f->agencies},
        {"area", *r->area ? r->area : "(unknown)"},
        {"facts", r->facts},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        table_add(&t, rows[i], 2);
    char period[64], stake[48];
    snprintf(period, sizeof period, "%s..%s (%" PRId64 " days)", f->period_start, f->period_end,
             f->overlap_days);
    snprintf(stake, sizeof stake, "%s yuan", amount);
    const char *p[] = {"period", period}, *s[] = {"at stake", stake};
    table_add(&t, p, 2);
    table_add(&t, s, 2);
    /* A caseworker checks a linked ID before acting on the finding. */
    const am_result_links l = links_of(ctx, 0);
    char linked[96], id_error[640];
    snprintf(linked, sizeof linked, "%s (an evidence record's damaged ID was linked: check it first)",
             l.linked);
    snprintf(id_error, sizeof id_error, "%s (left for review: paid under a mistyped ID?)",
             l.possible_id_error);
    const char *lk[] = {"linked", linked}, *pe[] = {"possible ID error", id_error};
    if (*l.linked)
        table_add(&t, lk, 2);
    if (*l.possible_id_error)
        table_add(&t, pe, 2);
    table_print(&t, out, "  ");
    if (*rule->origin)
        fprintf(out, "\nrule %s (%s), %s:%" PRIu64 ", as written:\n", rule->id, rule->kind,
                rule->origin, rule->line);
    else
        fprintf(out, "\nrule %s (%s):\n", rule->id, rule->kind);
    for (const char *line = rule->text; *line;) {
        const size_t len = strcspn(line, "\n");
        fprintf(out, "  | %.*s\n", (int)len, line);
        line += len + (line[len] == '\n');
    }
    fprintf(out, "policy source: %s\n", f->policy_source);
    fprintf(out, "\nevidence: %zu records\n", r->evidence_count);
    static const char *const head[] = {"agency", "feed",      "line", "code",   "period", "amount",
                                       "value",  "household", "area", "person", "linked"};
    table_add(&t, head, sizeof head / sizeof *head);
    for (size_t k = 0; k < r->evidence_count; k++) {
        am_record_info x;
        am_result_evidence_get(ctx, 0, k, &x);
        char line[24], amt[32], value[8], per[32];
        snprintf(line, sizeof line, "%" PRIu64, x.line);
        if (x.is_fact)
            amt[0] = '\0';
        else
            format_money(x.amount_fen, amt, sizeof amt);
        if (x.value)
            snprintf(value, sizeof value, "%d", x.value);
        else
            value[0] = '\0';
        period_text(x.start, x.end, per, sizeof per);
        const char *linked_k = am_result_evidence_linked(ctx, 0, k);
        const char *cells[] = {x.agency, x.feed,   line, x.code, per, amt, value, x.household,
                               x.area,   x.person, linked_k ? linked_k : ""};
        table_add(&t, cells, sizeof cells / sizeof *cells);
    }
    table_print(&t, out, "  ");
}

static void explain_jsonl(FILE *out, am_ctx *ctx, const am_result *r, const am_rule_info *rule)
{
    int first = 1;
    json_pair(out, &first, "row", "finding");
    finding_json(out, &first, ctx, 0, r);
    fputs("}\n", out);
    first = 1;
    json_pair(out, &first, "row", "rule");
    json_pair(out, &first, "rule_id", rule->id);
    json_pair(out, &first, "kind", rule->kind);
    json_pair(out, &first, "origin", rule->origin);
    json_number(out, &first, "line", (int64_t)rule->line);
    json_pair(out, &first, "text", rule->text);
    json_pair(out, &first, "policy_source", rule->source);
    fputs("}\n", out);
    for (size_t k = 0; k < r->evidence_count; k++) {
        am_record_info x;
        am_result_evidence_get(ctx, 0, k, &x);
        first = 1;
        json_pair(out, &first, "row", "evidence");
        record_json(out, &first, &x, am_result_evidence_linked(ctx, 0, k));
        fputs("}\n", out);
    }
}

int cmd_explain(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(explain_help, stdout);
        return EXIT_OK;
    }
    audit_args a;
    int rc = parse_audit_args(argc, argv, "--snapshot --centre --format --out --threads --run-date",
                              &a);
    if (rc == EXIT_OK && !a.positional)
        rc = usage_error("explain needs a finding id", NULL);
    if (rc == EXIT_OK && a.format && strcmp(a.format, "text") && strcmp(a.format, "jsonl"))
        rc = usage_error("--format takes text or jsonl, got", a.format);
    am_ctx *ctx = NULL;
    if (rc == EXIT_OK)
        rc = open_for_question(&a, 0, &ctx);
    am_result r;
    am_rule_info rule;
    if (rc == EXIT_OK) {
        const am_status st = am_explain(ctx, a.positional);
        if (st != AM_OK) {
            rc = fail(ctx, st);
            ctx = NULL;
        } else if (am_result_get(ctx, 0, &r) != AM_OK) {
            fprintf(stderr, "%s: no finding %s in %s\n", program, a.positional,
                    a.snapshot ? a.snapshot : "this run");
            rc = EXIT_NOT_FOUND;
        } else if (am_rule_get(ctx, r.finding.rule_id, &rule) != AM_OK) {
            fprintf(stderr, "%s: rule %s is not loaded\n", program, r.finding.rule_id);
            rc = EXIT_RUN_FAILED;
        }
    }
    output o;
    if (rc == EXIT_OK && !output_open(&o, a.out))
        rc = EXIT_RUN_FAILED;
    if (rc == EXIT_OK) {
        if (a.format && strcmp(a.format, "jsonl") == 0)
            explain_jsonl(o.f, ctx, &r, &rule);
        else
            explain_text(o.f, ctx, &r, &rule);
        if (!output_close(&o, 1))
            rc = EXIT_RUN_FAILED;
    }
    am_ctx_free(ctx);
    audit_args_free(&a);
    return rc;
}
