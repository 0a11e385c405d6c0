/*
 * reject.h — the reject list: every input row that was read and not
 * ingested, by feed, line and reason, with a detail that never holds a raw
 * ID or name.  Each reject is counted in its feed's statistics when it is
 * added, so rows_read = rows_ingested + rows_rejected holds per feed, even
 * for the rejects beyond a feed's max_rejects per reason, counted but not
 * listed.
 */
#ifndef AM_REJECT_H
#define AM_REJECT_H

#include <stddef.h>
#include <stdint.h>

#include "aidmatch.h"
#include "read/feed.h"

typedef struct am_reject_entry {
    uint16_t feed;  /* am_feed.index */
    uint8_t reason; /* am_reject */
    uint64_t line;
    char *detail;   /* owned by the list */
} am_reject_entry;

typedef struct am_reject_list {
    am_reject_entry *v;
    size_t count, capacity;
} am_reject_list;

/* Counts a reject of feed at line in feed's rows_rejected and by_reason
 * and, unless the feed has listed max_rejects of this reason already, adds
 * it to list with a copy of detail.  Returns AM_OK, or AM_ERR_NOMEM with
 * nothing added and nothing counted. */
am_status am_reject_add(am_reject_list *list, am_feed *feed, uint64_t line, am_reject reason,
                        const char *detail);

/* Moves every entry of from to the end of into, details and all, and
 * leaves from empty.  Returns AM_OK, or AM_ERR_NOMEM with both lists as
 * they were. */
am_status am_reject_list_move(am_reject_list *into, am_reject_list *from);

/* Puts the rejects in feed order, then line order, whichever order the
 * feeds were read in. */
void am_reject_list_sort(am_reject_list *list);

void am_reject_list_free(am_reject_list *list);

#endif
