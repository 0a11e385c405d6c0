/*
 * window.c — the window's commands: precheck (what an applicant holds,
 * what a grant would raise, what they are entitled to) and grant (record
 * a grant in the journal).  They parse, ask the library (am_window_*) and
 * print; every rule lives in the library.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "window_json.h"

static const char precheck_help[] =
    "Usage: aidmatch precheck ID_OR_TOKEN --item CODE --from DATE [--to DATE]\n"
    "                         [--agency CODE] [--amount YUAN] [--date DATE]\n"
    "                         [--snapshot FILE] [--key FILE | --centre CENTRE.ini]\n"
    "                         [--journal FILE] [--format table|json]\n"
    "\n"
    "At the window: what the applicant and their household hold now, every\n"
    "finding granting ITEM from DATE would raise (duplicate, conflict,\n"
    "disqualified, after death) with its policy source, and the menu of items\n"
    "their statuses entitle them to that they do not receive.  Reads the\n"
    "snapshot (default: $AIDMATCH_SNAPSHOT) and the grants recorded in its\n"
    "journal since.  A resident ID is hashed with the key on the spot and never\n"
    "kept or printed.\n"
    "\n"
    "  --item CODE     the item to grant (items.csv)\n"
    "  --from DATE     its first day, YYYY-MM-DD\n"
    "  --to DATE       its last day (default: a one-off's day, or the end of\n"
    "                  the month for a periodic item)\n"
    "  --agency CODE   the granting agency (default: the item's)\n"
    "  --amount YUAN   the amount (default 0)\n"
    "  --date DATE     the day holdings and the menu are judged (default --from)\n"
    "  --journal FILE  the grant journal (default: SNAPSHOT.journal)\n"
    "  --format F      table (default) or json\n"
    "\n"
    "Exit status: 0 clear, 5 a problem would arise; 1-4 as for other commands.\n";

static const char grant_help[] =
    "Usage: aidmatch grant ID_OR_TOKEN --item CODE --from DATE [--to DATE]\n"
    "                      [--agency CODE] --amount YUAN [--snapshot FILE]\n"
    "                      [--key FILE | --centre CENTRE.ini] [--journal FILE]\n"
    "\n"
    "Records a grant made at the window in the snapshot's journal, so that\n"
    "every check from then on sees it, until the agency's own feed does.\n"
    "Options as for precheck.\n";

typedef struct window_args {
    const char *positional;
    const char *snapshot, *key, *centre, *journal, *item, *from, *to, *agency, *amount, *date,
        *format;
} window_args;

static int parse_window_args(int argc, char **argv, window_args *a)
{
    memset(a, 0, sizeof *a);
    const value_option options[] = {
        {"--snapshot", &a->snapshot}, {"--key", &a->key},   {"--centre", &a->centre},
        {"--journal", &a->journal},   {"--item", &a->item}, {"--from", &a->from},
        {"--to", &a->to},             {"--agency", &a->agency}, {"--amount", &a->amount},
        {"--date", &a->date},         {"--format", &a->format}, {NULL, NULL},
    };
    int rc = parse_args(argc, argv, options, NULL, NULL, &a->positional);
    if (rc != EXIT_OK)
        return rc;
    if (!a->positional)
        return usage_error("give the applicant's resident ID or token", NULL);
    if (!a->item || !a->from)
        return usage_error("give the item to grant and its first day: --item CODE --from DATE",
                           NULL);
    if (!a->snapshot && !(a->snapshot = getenv("AIDMATCH_SNAPSHOT")))
        return usage_error("give --snapshot FILE (or set AIDMATCH_SNAPSHOT)", NULL);
    return EXIT_OK;
}

/* A context holding the snapshot (and the key, when an ID needs it) and a
 * window on it. */
static int open_window(const window_args *a, am_ctx **ctx, am_window **w)
{
    *w = NULL;
    am_status st = new_context(ctx);
    if (st != AM_OK)
        return fail(NULL, st);
    const int needs_key = !(strlen(a->positional) == 32 &&
                            strspn(a->positional, "0123456789abcdefABCDEF") == 32);
    if (needs_key && !a->key && !a->centre) {
        fprintf(stderr, "%s: a resident ID needs the centre's key to become a token: give "
                        "--key FILE or --centre CENTRE.ini (or give the token)\n", program);
        am_ctx_free(*ctx);
        return EXIT_KEY;
    }
    if (a->key) {
        st = am_load_key_file(*ctx, a->key);
    } else if (needs_key) {
        const int rc = load_centre_arg(*ctx, a->centre);
        if (rc != EXIT_OK)
            return rc;
    }
    if (st == AM_OK)
        st = am_snapshot_open(*ctx, a->snapshot);
    if (st == AM_OK)
        st = am_window_open(*ctx, a->journal, w);
    return st == AM_OK ? EXIT_OK : fail(*ctx, st);
}

static const char *kind_zh(am_kind kind)
{
    static const char *const names[] = {"重复享受", "户内重复", "政策互斥",
                                        "应享未享", "死亡后发放", "不符合条件"};
    return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "";
}

static void print_table(FILE *out, const am_check *c)
{
    char amount[32], period[32], days[24];
    fprintf(out, "申请人 Applicant: %s\n\n", am_check_person(c));
    fprintf(out, "现有救助 Current holdings (%zu)\n", am_check_holding_count(c));
    table t = {0};
    const char *hh[] = {"关系 relation", "项目 item", "名称 name", "部门 agency",
                        "起 from", "止 to", "金额 yuan", "来源 source"};
    table_add(&t, hh, 8);
    for (size_t i = 0; i < am_check_holding_count(c); i++) {
        am_record_info r;
        if (am_check_holding_get(c, i, &r) != AM_OK)
            break;
        const char *relation = strcmp(r.relation, "self") == 0 ? "本人 self" : "同户 member";
        format_money(r.amount_fen, amount, sizeof amount);
        char source[96];
        snprintf(source, sizeof source, "%s:%" PRIu64, r.feed, r.line);
        const char *row[] = {relation, r.code, r.code_name, r.agency, r.start, r.end,
                             r.is_fact ? "" : amount, source};
        table_add(&t, row, 8);
    }
    table_print(&t, out, "  ");
    fprintf(out, "\n将产生的问题 Findings the grant would raise (%zu)\n",
            am_check_finding_count(c));
    const char *fh[] = {"类型 kind", "规则 rule", "项目 items", "部门 agencies",
                        "期间 period", "天数 days", "金额 yuan", "政策依据 policy source"};
    table_add(&t, fh, 8);
    for (size_t i = 0; i < am_check_finding_count(c); i++) {
        am_finding f;
        if (am_check_finding_get(c, i, &f) != AM_OK)
            break;
        char kind[64];
        snprintf(kind, sizeof kind, "%s %s", kind_zh(f.kind), am_kind_name(f.kind));
        snprintf(period, sizeof period, "%s..%s", f.period_start, f.period_end);
        snprintf(days, sizeof days, "%" PRId64, f.overlap_days);
        format_money(f.amount_fen, amount, sizeof amount);
        const char *row[] = {kind, f.rule_id, f.items, f.agencies, period, days, amount,
                             f.policy_source};
        table_add(&t, row, 8);
    }
    table_print(&t, out, "  ");
    fprintf(out, "\n应享未享 Entitled, not received (%zu)\n", am_check_menu_count(c));
    const char *mh[] = {"项目 item", "名称", "name", "部门 agency", "对象 unit", "规则 rule",
                        "政策依据 policy source"};
    table_add(&t, mh, 7);
    for (size_t i = 0; i < am_check_menu_count(c); i++) {
        am_menu_item m;
        if (am_check_menu_get(c, i, &m) != AM_OK)
            break;
        const char *unit = strcmp(m.unit, "household") == 0 ? "户 household" : "人 person";
        const char *row[] = {m.item, m.name_zh, m.name_en, m.agency, unit, m.rule_id,
                             m.policy_source};
        table_add(&t, row, 7);
    }
    table_print(&t, out, "  ");
    if (am_check_finding_count(c))
        fprintf(out, "\n结论 Verdict: 将产生问题 a problem would arise (%zu finding%s)\n",
                am_check_finding_count(c), am_check_finding_count(c) == 1 ? "" : "s");
    else
        fputs("\n结论 Verdict: 无冲突 clear\n", out);
    if (am_check_journal_ignored(c))
        fprintf(out, "注意 Note: %" PRIu64 " journal line(s) damaged and ignored\n",
                am_check_journal_ignored(c));
}

static int grant_of(const window_args *a, am_grant *g)
{
    int64_t fen = 0;
    if (a->amount && !parse_yuan(a->amount, &fen))
        return usage_error("--amount takes yuan such as 1000 or 99.50, got", a->amount);
    *g = (am_grant){.item = a->item, .agency = a->agency, .start = a->from, .end = a->to,
                    .amount_fen = fen};
    return EXIT_OK;
}

int cmd_precheck(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(precheck_help, stdout);
        return EXIT_OK;
    }
    window_args a;
    int rc = parse_window_args(argc, argv, &a);
    if (rc == EXIT_OK && a.format && strcmp(a.format, "table") && strcmp(a.format, "json"))
        rc = usage_error("--format takes table or json, got", a.format);
    am_grant g;
    if (rc == EXIT_OK)
        rc = grant_of(&a, &g);
    am_ctx *ctx = NULL;
    am_window *w = NULL;
    if (rc == EXIT_OK)
        rc = open_window(&a, &ctx, &w);
    if (rc != EXIT_OK)
        return rc;
    const am_check_request q = {.person = a.positional, .date = a.date ? a.date : a.from,
                                .grants = &g, .ngrants = 1};
    am_check *c = NULL;
    const am_status st = am_window_check(w, &q, &c);
    if (st != AM_OK) {
        fprintf(stderr, "%s: %s\n", program, c ? am_check_errmsg(c) : am_strerror(st));
        rc = exit_code_for(st);
    } else {
        if (a.format && strcmp(a.format, "json") == 0) {
            check_json(stdout, c);
            fputc('\n', stdout);
        } else {
            print_table(stdout, c);
        }
        rc = am_check_finding_count(c) ? EXIT_PROBLEM : EXIT_OK;
        if (fflush(stdout) != 0)
            rc = EXIT_RUN_FAILED;
    }
    am_check_free(c);
    am_window_close(w);
    am_ctx_free(ctx);
    return rc;
}

int cmd_grant(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(grant_help, stdout);
        return EXIT_OK;
    }
    window_args a;
    int rc = parse_window_args(argc, argv, &a);
    if (rc == EXIT_OK && !a.amount)
        rc = usage_error("give the amount granted: --amount YUAN", NULL);
    if (rc == EXIT_OK && a.format)
        rc = usage_error("grant prints nothing but errors; unexpected", "--format");
    am_grant g;
    if (rc == EXIT_OK)
        rc = grant_of(&a, &g);
    am_ctx *ctx = NULL;
    am_window *w = NULL;
    if (rc == EXIT_OK)
        rc = open_window(&a, &ctx, &w);
    if (rc != EXIT_OK)
        return rc;
    char msg[512] = "";
    const am_status st = am_window_grant(w, a.positional, &g, msg, sizeof msg);
    if (st != AM_OK) {
        fprintf(stderr, "%s: %s\n", program, *msg ? msg : am_strerror(st));
        rc = exit_code_for(st);
    }
    am_window_close(w);
    am_ctx_free(ctx);
    return rc;
}
