/*
 * reject.h — the reject list: every input row that was read and not
 * ingested, by feed, line and reason, with a detail that never holds a raw
 * ID or name.  Each reject is counted in its feed's statistics when it is
 * added, so rows_read = rows_ingested + rows_rejected holds per feed, even
 * for the rejects beyond a feed's max_rejects per reason, counted but not
 * listed.
 *
 * A row whose damaged ID is held for linking (link_input.h) is a reject
 * until linking finds its person.  Its entry is always listed while it is
 * held; linking takes back the rejects of linked rows and then settles
 * the list, so that it holds, per feed and reason, the first max_rejects
 * of the rows that stayed rejects, exactly as if the linked rows had been
 * ingested as they were read.
 */
#ifndef AM_REJECT_H
#define AM_REJECT_H

#include <stddef.h>
#include <stdint.h>

#include "aidmatch.h"
#include "read/feed.h"

/* Where an entry stands with linking. */
enum { AM_REJECT_FINAL = 0, AM_REJECT_HELD, AM_REJECT_TAKEN_BACK };

typedef struct am_reject_entry {
    uint16_t feed;  /* am_feed.index */
    uint8_t reason; /* am_reject */
    uint8_t state;  /* AM_REJECT_FINAL, _HELD or _TAKEN_BACK */
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

/* As am_reject_add, for a row held for linking: counted in the feed's
 * held_by_reason too, and listed whatever max_rejects, until
 * am_reject_list_settle.  Returns AM_OK, or AM_ERR_NOMEM with nothing
 * added and nothing counted. */
am_status am_reject_add_held(am_reject_list *list, am_feed *feed, uint64_t line,
                             am_reject reason, const char *detail);

/* Takes back the reject of the held row of feed at line, which linking
 * found a person for: no longer counted a reject but ingested, and its
 * entry dropped at the next am_reject_list_settle.  list must be sorted
 * (am_reject_list_sort).  Returns 1, or 0 (nothing changed) when no held
 * entry is at that line. */
int am_reject_take_back(am_reject_list *list, am_feed *feed, uint64_t line);

/* Ends holding, once linking has decided every held row: drops the
 * entries taken back, keeps per feed and reason the first max_rejects
 * entries by line, and marks the rest final.  feeds[i] is the feed of
 * index i.  list must be sorted; it stays so. */
void am_reject_list_settle(am_reject_list *list, am_feed *const *feeds, size_t nfeeds);

/* Moves every entry of from to the end of into, details and all, and
 * leaves from empty.  Returns AM_OK, or AM_ERR_NOMEM with both lists as
 * they were. */
am_status am_reject_list_move(am_reject_list *into, am_reject_list *from);

/* Puts the rejects in feed order, then line order, whichever order the
 * feeds were read in. */
void am_reject_list_sort(am_reject_list *list);

void am_reject_list_free(am_reject_list *list);

#endif
