/*
 * duplicate.h — the DUPLICATE matcher: one person paid the same item twice
 * over overlapping periods, by one agency or several.
 */
#ifndef AM_DUPLICATE_H
#define AM_DUPLICATE_H

#include "match/finding.h"
#include "match/input.h"

/* Policy source cited by every implicit duplicate finding, and in Chinese
 * for the report. */
#define AM_DUPLICATE_RULE_ID "DUP"
#define AM_DUPLICATE_SOURCE \
    "社会救助暂行办法 (State Council Order 649): one assistance chain per household; an item is paid once per period"
#define AM_DUPLICATE_SOURCE_ZH \
    "《社会救助暂行办法》（国务院令第649号）：同一救助项目在同一期间只发放一次"

/* Cited by a DUPLICATE of a one-off item whose window is none: the same
 * item paid to one person on one day by two or more agencies. */
#define AM_SAME_DAY_SOURCE \
    "社会救助暂行办法 (State Council Order 649): one hardship event is met once; the same item paid to one person on the same day by two agencies is paid twice"
#define AM_SAME_DAY_SOURCE_ZH \
    "《社会救助暂行办法》（国务院令第649号）：同一困难事件只救助一次；同一天由两个部门向同一人发放同一项目即重复发放"

/* Adds to out a DUPLICATE finding for every person and item whose records
 * overlap (one-off items: closer than the item's window; with window none,
 * on the same day from two or more agencies), among the sorted store's records [begin, end), which must start
 * and end at a person's first record.  Returns AM_OK or AM_ERR_NOMEM. */
am_status am_match_duplicates(const am_match_input *in, size_t begin, size_t end,
                              am_finding_list *out);

#endif
