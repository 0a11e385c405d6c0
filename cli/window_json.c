/*
 * window_json.c — a check's answer as JSON (see window_json.h): the
 * person's token, whether it is clear, the holdings, the findings the
 * grants would raise, and the menu.
 */
#include "window_json.h"

#include <inttypes.h>

#include "cli.h"
#include "common/json.h"

static void holding_json(FILE *out, const am_record_info *r)
{
    int first = 1;
    json_pair(out, &first, "relation", r->relation);
    json_pair(out, &first, "person", r->person);
    json_pair(out, &first, "household", r->household);
    json_pair(out, &first, "feed", r->feed);
    json_number(out, &first, "line", (int64_t)r->line);
    json_pair(out, &first, "agency", r->agency);
    json_pair(out, &first, "code", r->code);
    json_pair(out, &first, "name", r->code_name);
    json_pair(out, &first, "type", r->is_fact ? "fact" : "item");
    json_pair(out, &first, "start", r->start);
    json_pair(out, &first, "end", r->end);
    json_number(out, &first, "amount_fen", r->amount_fen);
    json_number(out, &first, "value", r->value);
    fputc('}', out);
}

static void finding_json(FILE *out, const am_finding *f)
{
    int first = 1;
    json_pair(out, &first, "finding_id", f->id);
    json_pair(out, &first, "kind", am_kind_name(f->kind));
    json_pair(out, &first, "rule_id", f->rule_id);
    json_pair(out, &first, "unit", f->unit);
    json_pair(out, &first, "subject", f->subject);
    json_pair(out, &first, "items", f->items);
    json_pair(out, &first, "agencies", f->agencies);
    json_pair(out, &first, "period_start", f->period_start);
    json_pair(out, &first, "period_end", f->period_end);
    json_number(out, &first, "overlap_days", f->overlap_days);
    json_number(out, &first, "amount_fen", f->amount_fen);
    json_pair(out, &first, "evidence", f->evidence);
    json_pair(out, &first, "policy_source", f->policy_source);
    json_pair(out, &first, "priority", f->priority);
    fputc('}', out);
}

static void menu_json(FILE *out, const am_menu_item *m)
{
    int first = 1;
    json_pair(out, &first, "item", m->item);
    json_pair(out, &first, "name_zh", m->name_zh);
    json_pair(out, &first, "name_en", m->name_en);
    json_pair(out, &first, "agency", m->agency);
    json_pair(out, &first, "unit", m->unit);
    json_pair(out, &first, "rule_id", m->rule_id);
    json_pair(out, &first, "policy_source", m->policy_source);
    fputc('}', out);
}

void check_json(FILE *out, const am_check *c)
{
    fputs("{\"person\": ", out);
    am_json_write_string(out, am_check_person(c));
    fprintf(out, ", \"clear\": %s, \"journal_ignored\": %" PRIu64 ", \"holdings\": [",
            am_check_finding_count(c) ? "false" : "true", am_check_journal_ignored(c));
    for (size_t i = 0; i < am_check_holding_count(c); i++) {
        am_record_info r;
        if (am_check_holding_get(c, i, &r) == AM_OK) {
            fputs(i ? ", " : "", out);
            holding_json(out, &r);
        }
    }
    fputs("], \"findings\": [", out);
    for (size_t i = 0; i < am_check_finding_count(c); i++) {
        am_finding f;
        if (am_check_finding_get(c, i, &f) == AM_OK) {
            fputs(i ? ", " : "", out);
            finding_json(out, &f);
        }
    }
    fputs("], \"menu\": [", out);
    for (size_t i = 0; i < am_check_menu_count(c); i++) {
        am_menu_item m;
        if (am_check_menu_get(c, i, &m) == AM_OK) {
            fputs(i ? ", " : "", out);
            menu_json(out, &m);
        }
    }
    fputs("]}", out);
}
