/*
 * record_row.c — a record written out for an answer (see record_row.h).
 */
#include "audit/record_row.h"

#include <stdio.h>
#include <string.h>

#include "common/day.h"
#include "store/area.h"

void am_record_row_fill(am_record_row *row, const am_catalogue *cat, const am_feed *feed,
                        const am_store *store, const am_record *r, const char *relation)
{
    memset(row, 0, sizeof *row);
    row->relation = relation;
    row->feed = feed->name;
    row->agency = feed->agency >= 0 ? cat->agencies[feed->agency].code : "";
    row->is_fact = !am_code_is_item(cat, r->code);
    row->code = am_code_name(cat, r->code);
    row->code_name = row->is_fact ? cat->facts[r->code - cat->nitems].name_zh
                                  : cat->items[r->code].name_zh;
    am_token_hex(r->person, row->person);
    if (r->household && r->household <= store->nhouseholds)
        am_token_hex(store->households[r->household - 1], row->household);
    if (r->start != AM_DAY_EVER)
        am_day_format(r->start, row->start);
    am_day_format(r->end, row->end);
    const uint32_t area = am_area_of(r);
    if (area)
        snprintf(row->area, sizeof row->area, "%06u", (unsigned)(area % 1000000));
    row->line = r->line;
    row->amount_fen = r->amount_fen;
    row->value = r->value;
}

void am_record_row_info(const am_record_row *row, am_record_info *out)
{
    *out = (am_record_info){
        .relation = row->relation,
        .person = row->person,
        .household = row->household,
        .feed = row->feed,
        .agency = row->agency,
        .line = row->line,
        .code = row->code,
        .code_name = row->code_name ? row->code_name : "",
        .is_fact = row->is_fact,
        .start = row->start,
        .end = row->end,
        .amount_fen = row->amount_fen,
        .value = row->value,
        .area = row->area,
    };
}
