/*
 * link_input.h — what reading gathers for linking damaged IDs (link/):
 * the rows held back because their ID was damaged but repairable, with
 * the tokens of their repairs; the hukou registry's rows with their name
 * evidence; and a sample of rows whose ID was valid, from which the
 * evidence's probabilities are estimated.  Tokens and keyed name evidence
 * only: no raw ID or name is ever kept here.
 */
#ifndef AM_LINK_INPUT_H
#define AM_LINK_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "read/name.h"
#include "read/person_facts.h"
#include "store/store.h"

/* Valid rows stating some evidence (a name, birth date, sex or area)
 * sampled per feed for the m-probabilities. */
#define AM_LINK_SAMPLE_PER_FEED 2000

typedef struct am_link_candidate {
    unsigned char person[AM_TOKEN_BYTES]; /* token of one repair of the ID */
    am_person_facts id;                   /* what that repair says of its holder */
} am_link_candidate;

typedef struct am_link_row {
    am_record rec;         /* held rows: person zero until linked */
    am_name_evidence name; /* nchars 0: no name */
    am_person_facts stated; /* by the row's birth_date, sex and area columns */
    uint32_t first;        /* held rows: first candidate in am_link_input.candidates */
    uint8_t ncandidates;
    uint8_t reason;        /* held rows: the ID's reject reason */
} am_link_row;

/* A person as a registry row or a sampled valid row shows them: 44 bytes,
 * as a county's registry holds millions. */
typedef struct am_link_person {
    unsigned char person[AM_TOKEN_BYTES];
    uint32_t household; /* reference as in am_record, 0 = none */
    am_name_evidence name;
} am_link_person;

/* A registry entry as a partitioned run spills it to disk instead of
 * keeping it (link.h, am_link_run_spilled): its household is the token
 * itself, as a reference means nothing outside the run's household
 * table.  Tokens and keyed name evidence only. */
typedef struct am_link_spilled_person {
    unsigned char person[AM_TOKEN_BYTES];
    unsigned char household[AM_TOKEN_BYTES]; /* zero when has_household is 0 */
    am_name_evidence name;
    uint32_t has_household;
} am_link_spilled_person;

/* p as it is spilled, household being its household's token (NULL: none).
 * Every byte of *out is set, padding too: linking orders entries by them. */
void am_link_person_spilled(const am_link_person *p, const unsigned char *household,
                            am_link_spilled_person *out);

/* A sampled valid row: the person as the row shows them, what its columns
 * and its ID say of them, and where the row is, so that a feed read in
 * parts on several threads (ingest.c) still gives its first rows as the
 * sample. */
typedef struct am_link_sampled {
    am_link_person p;
    am_person_facts stated, own; /* own: from the row's valid ID */
    uint32_t line;
    uint16_t feed;
} am_link_sampled;

typedef struct am_link_list {
    am_link_row *v;
    size_t n, cap;
} am_link_list;

typedef struct am_link_people {
    am_link_person *v;
    size_t n, cap;
} am_link_people;

typedef struct am_link_samples {
    am_link_sampled *v;
    size_t n, cap;
} am_link_samples;

typedef struct am_link_input {
    am_link_list held;
    am_link_people registry;
    am_link_samples sample;
    am_link_candidate *candidates;
    size_t ncandidates, candidates_cap;
    /* Rows whose ID failed with a repairable reason but has no valid
     * repair at all: rejected as read, counted here for the summary. */
    uint64_t no_repair[AM_REJECT__COUNT];
} am_link_input;

/* Each appends one; returns AM_OK or AM_ERR_NOMEM with the list unchanged. */
am_status am_link_push(am_link_list *list, const am_link_row *row);
am_status am_link_push_person(am_link_people *people, const am_link_person *person);
am_status am_link_push_sampled(am_link_samples *samples, const am_link_sampled *row);

/* Keeps each feed's first AM_LINK_SAMPLE_PER_FEED sampled rows by line
 * and drops the rest: the parts of one feed each sample their own first
 * rows, of which only the feed's first count. */
void am_link_samples_trim(am_link_samples *samples);

/* Appends n candidates; returns AM_OK or AM_ERR_NOMEM with nothing added. */
am_status am_link_push_candidates(am_link_input *in, const am_link_candidate *c, size_t n);

/* Where in dst a move of src's entries goes: room claimed at the ends of
 * dst's lists, filled later by am_link_input_fill. */
typedef struct am_link_claim {
    am_link_row *held;
    am_link_person *registry;
    am_link_sampled *sample;
    am_link_candidate *candidates;
    uint32_t first_candidate; /* where src's candidates start in dst's */
} am_link_claim;

/* Moves everything src holds onto the end of dst, renumbering households
 * through refs (a record's household h becomes refs[h - 1]) as a batch of
 * records is renumbered, and leaves src empty for reuse.  Returns AM_OK, or
 * AM_ERR_NOMEM with both unchanged but for room dst's lists may have
 * grown.  The same as am_link_input_claim then am_link_input_fill. */
am_status am_link_input_move(am_link_input *dst, am_link_input *src, const uint32_t *refs);

/* Whether dst has room for src's entries without any of its lists moving:
 * a claim then changes no list's address. */
int am_link_input_fits(const am_link_input *dst, const am_link_input *src);

/* The first half of a move, for readers that share dst under a lock:
 * makes room in dst for src's entries and counts them into dst, so that
 * the room is this move's alone, and adds src's counts of rows without a
 * repair.  Returns AM_OK with *claim set, or AM_ERR_NOMEM with both
 * unchanged but for room dst's lists may have grown.  Until
 * am_link_input_fill has filled the room, dst's lists hold entries not
 * yet written: nothing may read them, or move them. */
am_status am_link_input_claim(am_link_input *dst, am_link_input *src, am_link_claim *claim);

/* The second half of a move: copies src's entries into the room claim
 * holds, renumbering households through refs, and empties src.  Cannot
 * fail; needs no lock, as the room is the claim's alone. */
void am_link_input_fill(am_link_input *src, const am_link_claim *claim, const uint32_t *refs);

/* Wipes and frees what in holds.  Every list wipes the entries it lets
 * go (a move, a trim, linking's end), so only [0, n) is wiped here: the
 * rest of a list's capacity was never written, and wiping it would
 * fault in pages for nothing. */
void am_link_input_free(am_link_input *in);

#endif
