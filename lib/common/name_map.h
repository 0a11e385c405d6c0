/*
 * name_map.h — a hash map from NUL-terminated names to pointers, for
 * lookups that must stay linear in the number of names (a centre file's
 * 65,535 feeds and their keys).
 */
#ifndef AM_NAME_MAP_H
#define AM_NAME_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct am_name_slot {
    uint64_t hash;
    char *name; /* NULL: the slot is free */
    void *value;
} am_name_slot;

/* Zero-initialise; release with am_name_map_free. */
typedef struct am_name_map {
    am_name_slot *slots;
    size_t capacity; /* a power of two, or 0 */
    size_t count;
} am_name_map;

/* The value stored under name, or NULL when name is absent. */
void *am_name_map_get(const am_name_map *map, const char *name);

/* Stores a copy of name with value.  Returns 1 when added, 0 when name
 * was already present (the map is unchanged), -1 when out of memory. */
int am_name_map_add(am_name_map *map, const char *name, void *value);

/* Frees the slots and the copied names (not the values). */
void am_name_map_free(am_name_map *map);

#endif
