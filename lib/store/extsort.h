/*
 * extsort.h — sorting a spill file larger than memory: sorted runs of
 * what fits, merged.
 */
#ifndef AM_EXTSORT_H
#define AM_EXTSORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "store/key_sort.h"


/* Sorts the items (item_size bytes each) of spill file in into a new
 * spill file out, in order (items cmp finds equal come in no set order),
 * using about memory bytes.  in is removed once read; the runs are files
 * out.runN, removed as they are merged.  Returns AM_OK, AM_ERR_NOMEM or
 * AM_ERR_IO (message in err); on failure neither out nor a run is left. */
am_status am_extsort(const char *in, const char *out, size_t item_size, const am_order *order,
                     size_t memory, am_err *err);

/* Merges the n spill files sorted[] (each sorted in cmp's order) into a
 * new spill file out, and removes them (also on failure).  Returns as
 * am_extsort. */
am_status am_extsort_merge(const char *const *sorted, size_t n, const char *out,
                           size_t item_size, int (*cmp)(const void *, const void *), am_err *err);

#endif
