/*
 * partition.h — a run larger than memory, reconciled a partition at a
 * time (docs/partitions.md).
 *
 * Ingestion spills every record, with its household token, to 256 bucket
 * files by the person's token.  Then, each step on its own so that a
 * distributed run can give them to different workers:
 *   am_partition_graph      the household graph's components, on disk,
 *                           and the run window;
 *   am_partition_distribute every record to one of n partition files by
 *                           its component, so that a partition holds
 *                           whole components;
 *   am_partition_reconcile  every partition loaded into a store of its own
 *                           and matched as a whole run would be, two at
 *                           once on two threads (am_partition_match_file:
 *                           one, as a distributed run's worker does);
 *   am_partition_evidence   the few records the report shows, once the
 *                           run is reviewed;
 *   am_partition_snapshot   the snapshot, from every partition's records
 *                           sorted and merged on disk;
 *   am_reconcile            (run/reconcile.c) all of them, the findings
 *                           joined and sorted as in memory.
 */
#ifndef AM_PARTITION_H
#define AM_PARTITION_H

#include "run/context.h"

/* The least --memory-limit a run accepts: what a run holds besides the
 * partition in memory (catalogue, readers' buffers, bucket files'
 * buffers) and a partition worth having. */
#define AM_MEMORY_LIMIT_MIN ((uint64_t)128 << 20)

/* Makes ctx's ingestion spill to partition files.  Returns AM_OK, or
 * AM_ERR_INVALID once records are in memory. */
am_status am_partition_enable(am_ctx *ctx);

/* Whether ingestion spilled hukou registry entries for linking. */
int am_partition_has_registry(const am_ctx *ctx);

/* Links the rows held for their damaged IDs (link/link.h) against the
 * registry entries ingestion spilled: sorted on disk in the memory the
 * limit allows, then read once.  Returns AM_OK, AM_ERR_NOMEM,
 * AM_ERR_LIMIT (both without a message, as am_link_run) or AM_ERR_IO
 * (message in ctx). */
am_status am_partition_link(am_ctx *ctx);

/* Edges of the household graph from the buckets, their components, and
 * the run window.  Returns AM_OK, AM_ERR_NOMEM or AM_ERR_IO (message in
 * ctx). */
am_status am_partition_graph(am_ctx *ctx);

/* How many partitions the memory limit calls for (at least the count
 * asked for, at least 1), each matched alone in a process's memory, as a
 * distributed run's workers do (a run here matches two at once on two
 * threads, and makes twice as many). */
unsigned am_partition_count(const am_ctx *ctx);

/* Moves every record into one of n partition files by its component;
 * the buckets and labels are removed.  Returns as am_partition_graph. */
am_status am_partition_distribute(am_ctx *ctx, unsigned n);

/* Matches the partition file at path, of records records, over the run
 * window [window_start, window_end], into out, each finding with its
 * facts (facts.h), on ctx's threads: what a worker of a distributed run
 * does without the partitioner that wrote the file (a run here matches
 * its partitions with the same code, keeping its store from one to the
 * next and the records findings cite).  Returns as am_partition_graph. */
am_status am_partition_match_file(am_ctx *ctx, const char *path, uint64_t records,
                                  int32_t window_start, int32_t window_end, am_finding_list *out);

/* Where a distributed partitioned run's partitions are, borrowed from the
 * partitioner until am_partitioner_free. */
typedef struct am_partition_layout {
    const char *dir;          /* the run's directory; partition i is "part-%04u" */
    unsigned n;
    const uint64_t *records;  /* of each partition */
    int32_t window_start, window_end;
} am_partition_layout;

/* Fills *out once am_partition_distribute has run.  Returns AM_OK or
 * AM_ERR_STATE (no partitions yet), with no message. */
am_status am_partition_layout_of(const am_ctx *ctx, am_partition_layout *out);

/* Graph, distribution and every partition matched, the findings into
 * ctx->findings in output order.  The partition files stay for
 * am_partition_evidence until am_partitioner_free.  Returns as
 * am_partition_graph. */
am_status am_partition_reconcile(am_ctx *ctx);

/* Loads into ctx's store the evidence records of findings which[0, n):
 * what the report shows of the findings it shows in full.  They come from
 * the records am_partition_reconcile kept as it matched each partition
 * (with the claim households matching assigned, as a run in memory's
 * have), or, when workers matched the partitions, from the partition
 * files (without).  Returns as am_partition_graph. */
am_status am_partition_evidence(am_ctx *ctx, const size_t *which, size_t n);

/* Writes the reconciled run's snapshot at path from the partition files,
 * byte for byte what the run in memory would write, in the memory the
 * limit allows.  Returns as am_partition_graph. */
am_status am_partition_snapshot(am_ctx *ctx, const char *path);

/* Removes the run's partition files and frees what it holds. */
void am_partitioner_free(am_ctx *ctx);

#endif
