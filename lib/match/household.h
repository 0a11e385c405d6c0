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

#include "match/input.h"

/* A claim of a household-unit item, with what a member's matcher reads of
 * it kept beside its position: members read their household's claims for
 * every person, and the records themselves lie all over the store. */
typedef struct am_shared_claim {
    uint32_t record; /* position in the store */
    uint16_t code;
    int32_t start, end;
} am_shared_claim;

typedef struct am_household_index {
    /* The lists hold 32-bit positions in the store rather than pointers:
     * half the memory, and the store never moves while an index lives. */
    const am_record *records;  /* the sorted store the positions refer to */
    uint32_t *claims;          /* payments of the items household_unique rules name that
                                * have a claim household, by household then start */
    size_t nclaims;
    uint32_t *first;           /* claims of household ref h: [first[h], first[h + 1]) */
    am_shared_claim *shared;   /* claims of household-unit items only, by household */
    size_t nshared;
    uint32_t *first_shared;    /* [first_shared[h], first_shared[h + 1]) */
    uint64_t *has_shared;      /* bit h: household ref h has shared claims.  Most
                                * have none, and this bitmap stays in cache where
                                * first_shared does not */
    uint32_t *members;         /* hukou records, by household; only when a
                                * household-scope exclusive rule needs them */
    size_t nmembers;
    uint32_t *first_member;    /* members of ref h: [first_member[h], first_member[h + 1]) */
    size_t nrefs;              /* households + 1 (ref 0 means none) */
} am_household_index;

/* Fills in the claim household of every payment in the sorted store that
 * has none and whose payee has a hukou record covering its start, then
 * builds the index of it for rules, on two threads when threads > 1.  The
 * index points into store, which must outlive it and not move.  Returns AM_OK,
 * AM_ERR_NOMEM, or AM_ERR_LIMIT when the store holds UINT32_MAX records
 * or more. */
am_status am_households_build(am_store *store, const am_catalogue *cat, const am_rules *rules,
                              am_household_index *index, unsigned threads);

void am_households_free(am_household_index *index);

/* The household of the hukou record (code hukou) among one person's
 * records [begin, end) that covers day, or 0: the claim household a
 * payment starting that day is given when its feed names none. */
uint32_t am_hukou_household_on(const am_record *begin, const am_record *end, int hukou,
                               int32_t day);

/* The run of records of the person with this token in the sorted store:
 * *begin and *end, empty when the person has none. */
void am_person_records(const am_store *store, const unsigned char token[AM_TOKEN_BYTES],
                       const am_record **begin, const am_record **end);

/* The fact code of HUKOU membership, or -1 when the catalogue has none. */
int am_hukou_code(const am_catalogue *cat);
/* The fact code of DEATH, or -1. */
int am_death_code(const am_catalogue *cat);

#endif
