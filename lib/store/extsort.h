/*
 * extsort.h — sorting a spill file larger than memory: sorted runs of
 * what fits, merged; or files already split into ordered buckets, each
 * sorted as it is read.
 */
#ifndef AM_EXTSORT_H
#define AM_EXTSORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "store/key_sort.h"
#include "store/spill.h"


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

/* Reads the spill files buckets[0, n) of items as one sequence in order,
 * where every item of a bucket orders before every item of the next (as
 * when items go to buckets by their key's top byte), so that each bucket
 * is sorted alone when it is reached: in memory when it fits in about
 * memory bytes, otherwise by am_extsort into a file that then takes its
 * place; on two threads or more, two buckets that each fit in half of
 * memory are read and sorted at once.  Passes the items to take in order,
 * in batches, on the calling thread.  The buckets
 * stay, so a reading that take stopped can be made again (a bucket whose
 * sort on disk failed is lost: its runs and input are removed).  Returns
 * AM_OK, AM_ERR_NOMEM or AM_ERR_IO (message in err), or the first other
 * status take returned. */
am_status am_extsort_buckets(char *const *buckets, size_t n, size_t item_size,
                             const am_order *order, size_t memory, unsigned threads,
                             am_items_fn take, void *user, am_err *err);

#endif
