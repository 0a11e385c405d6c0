/*
 * name_map.c — open addressing with linear probing over XXH3 hashes; the
 * table doubles at half full, so lookups stay O(1) on average.
 */
#include <string.h>
#include <xxhash.h>

#include "common/alloc.h"
#include "common/name_map.h"

/* The index of name's slot, or of the free slot where it would go. */
static size_t find_slot(const am_name_slot *slots, size_t capacity, uint64_t hash,
                        const char *name)
{
    size_t i = (size_t)hash & (capacity - 1);
    while (slots[i].name && (slots[i].hash != hash || strcmp(slots[i].name, name) != 0))
        i = (i + 1) & (capacity - 1);
    return i;
}

void *am_name_map_get(const am_name_map *map, const char *name)
{
    if (!map->capacity)
        return NULL;
    const am_name_slot *slot =
        &map->slots[find_slot(map->slots, map->capacity, XXH3_64bits(name, strlen(name)), name)];
    return slot->name ? slot->value : NULL;
}

static int grow(am_name_map *map)
{
    const size_t capacity = map->capacity ? map->capacity * 2 : 64;
    am_name_slot *slots = am_calloc(capacity, sizeof *slots);
    if (!slots)
        return 0;
    for (size_t i = 0; i < map->capacity; i++)
        if (map->slots[i].name)
            slots[find_slot(slots, capacity, map->slots[i].hash, map->slots[i].name)] =
                map->slots[i];
    am_free(map->slots);
    map->slots = slots;
    map->capacity = capacity;
    return 1;
}

int am_name_map_add(am_name_map *map, const char *name, void *value)
{
    if ((map->count + 1) * 2 > map->capacity && !grow(map))
        return -1;
    const uint64_t hash = XXH3_64bits(name, strlen(name));
    am_name_slot *slot = &map->slots[find_slot(map->slots, map->capacity, hash, name)];
    if (slot->name)
        return 0;
    if (!(slot->name = am_strdup(name)))
        return -1;
    slot->hash = hash;
    slot->value = value;
    map->count++;
    return 1;
}

void am_name_map_free(am_name_map *map)
{
    for (size_t i = 0; i < map->capacity; i++)
        am_free(map->slots[i].name);
    am_free(map->slots);
    *map = (am_name_map){0};
}
