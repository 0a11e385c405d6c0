/*
 * household.h — who belongs to which household, and what each household
 * is paid.
 *
 * A payment's claim household is the household column of its feed, or
 * else the payee's hukou household on the day the period starts.  The
 * index lists every payment by claim household so that a member can see
 * what their household holds, and household rules can see every claim.
 */
#ifndef AM_HOUSEHOLD_H
#define AM_HOUSEHOLD_H

#include "context.h"

typedef struct am_household_index {
    const am_record **claims; /* payments with a claim household, by household then start */
    size_t nclaims;
    size_t *first;            /* claims of household ref h: [first[h], first[h + 1]) */
    const am_record **shared; /* claims of household-unit items only, by household */
    size_t nshared;
    size_t *first_shared;     /* [first_shared[h], first_shared[h + 1]) */
    const am_record **members; /* hukou records, by household */
    size_t nmembers;
    size_t *first_member;     /* members of household ref h: [first_member[h], first_member[h + 1]) */
    size_t nrefs;             /* households + 1 (ref 0 means none) */
} am_household_index;

/* Fills in the claim household of every payment in the sorted store that
 * has none and whose payee has a hukou record covering its start, then
 * builds the index.  Returns AM_OK or AM_ERR_NOMEM. */
am_status am_households_build(am_ctx *ctx, am_household_index *index);

void am_households_free(am_household_index *index);

/* The run of records of the person with this token in the sorted store:
 * *begin and *end, empty when the person has none. */
void am_person_records(const am_store *store, const unsigned char token[AM_TOKEN_BYTES],
                       const am_record **begin, const am_record **end);

/* The fact code of HUKOU membership, or -1 when the catalogue has none. */
int am_hukou_code(const am_catalogue *cat);
/* The fact code of DEATH, or -1. */
int am_death_code(const am_catalogue *cat);

#endif
