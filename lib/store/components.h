/*
 * components.h — which persons are joined through households: the
 * connected components of the graph whose edges are (household, person)
 * pairs, in memory when the households persons join fit, else by label
 * propagation over sorted files.
 */
#ifndef AM_COMPONENTS_H
#define AM_COMPONENTS_H

#include <stdint.h>

#include "common/error.h"
#include "store/spill.h"

/* An edge as the passes carry it: a and b are the two ends (household and
 * person keys, in either order by pass), label the least household key
 * known to share the person's component, old the label before the pass. */
typedef struct am_edge {
    uint64_t a, b, label, old;
} am_edge;

/* A person's component: the least household key in it. */
typedef struct am_label {
    uint64_t person, label;
} am_label;

/* Where the edges come from: each(user, take, take_user, err) passes
 * every edge to take in batches, as am_edge {household key, person key}
 * (label and old not read; repeats allowed), and returns AM_OK or the
 * first failure, its own or take's.  It may be called twice: a second
 * time when the joined households do not fit in memory, so it must give
 * the same edges again. */
typedef struct am_edge_source {
    am_status (*each)(void *user, am_items_fn take, void *take_user, am_err *err);
    void *user;
} am_edge_source;

/* Writes labels, a spill file of one am_label for every person of an
 * edge, sorted by person key.  When the edges come grouped by the person
 * key's top byte, ascending (as partition buckets give them), and the
 * union-find of the households some person joins to another fits in
 * memory bytes (20 to 36 bytes each), the components are found in memory
 * as the edges are read, and *passes is 0.  Otherwise the edges are written to a file and labels
 * propagate in passes over sorted files, whose sorts use about memory / 2
 * bytes, and *passes receives their number (about half the widest
 * component's diameter, plus one); work files are labels.* beside it.
 * The labels are the same either way.  Returns AM_OK, AM_ERR_NOMEM,
 * AM_ERR_IO or the source's failure. */
am_status am_components(const am_edge_source *edges, const char *labels, size_t memory,
                        unsigned *passes, am_err *err);

#endif
