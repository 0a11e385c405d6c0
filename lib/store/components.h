/*
 * components.h — which persons are joined through households: the
 * connected components of the graph whose edges are (household, person)
 * pairs, in memory when the households fit, else by label propagation
 * over sorted files.
 */
#ifndef AM_COMPONENTS_H
#define AM_COMPONENTS_H

#include <stdint.h>

#include "common/error.h"

/* An edge as the passes carry it: a and b are the two ends (household and
 * person keys, in either order by pass), label the least person key known
 * to share the person's component, old the label before the pass. */
typedef struct am_edge {
    uint64_t a, b, label, old;
} am_edge;

/* A person's component: the least person key in it. */
typedef struct am_label {
    uint64_t person, label;
} am_label;

/* Reads edges, a spill file of am_edge {household key, person key,
 * person key, person key} (repeats allowed; removed once read), and
 * writes labels, a spill file of one am_label for every person of an
 * edge, sorted by person key.  When the edges come grouped by the person
 * key's top byte, ascending (as partition buckets give them), and the
 * households' union-find fits in memory bytes (32 to 64 bytes a
 * household), the components are found in memory and *passes is 0.
 * Otherwise labels propagate in passes over sorted files, whose sorts use
 * about memory / 2 bytes, and *passes receives their number (about half
 * the widest component's diameter, plus one); work files are labels.*
 * beside it.  The labels are the same either way.  Returns AM_OK,
 * AM_ERR_NOMEM or AM_ERR_IO. */
am_status am_components(const char *edges, const char *labels, size_t memory, unsigned *passes,
                        am_err *err);

#endif
