/*
 * neighbourhood.h — the records around some persons or households,
 * gathered from a source into a small store of their own, where their
 * findings are recomputed exactly without reading the rest of the county.
 *
 * Whatever a person's findings rest on lies within two household steps:
 * their own records, the claims of every household they belong to (a
 * household item is held by every member), and, for the findings of their
 * housemates, the households those belong to in turn.  So for a focus (a
 * set of persons F and households H): H1 = H and every household of a
 * record of F; N1 = F and everyone with a record in H1; H2 = H1 and every
 * household of a record of N1; N2 = N1 and everyone with a record in H2.
 * The neighbourhood holds every record of everyone in N2.  Findings about
 * a person of N1 or a household of H1 come out as the whole run would
 * give them (same ids, amounts, evidence); findings about anyone else may
 * be partial, and are never to be reported.
 */
#ifndef AM_NEIGHBOURHOOD_H
#define AM_NEIGHBOURHOOD_H

#include "match/finding.h"
#include "match/input.h"
#include "match/rules.h"
#include "audit/source.h"

/* A person of N1 and their records in the neighbourhood's store. */
typedef struct am_hood_person {
    unsigned char token[AM_TOKEN_BYTES];
    size_t begin, end;
} am_hood_person;

typedef struct am_hood {
    am_store store;            /* in store order; households numbered afresh */
    am_hood_person *near;      /* N1, by token */
    size_t nnear;
    unsigned char (*focus)[AM_TOKEN_BYTES]; /* H1's household tokens, sorted */
    size_t nfocus;
} am_hood;

/* Gathers the neighbourhood of the person with token person (may be
 * NULL) and of household ref household of the source (0 for none).
 * Returns AM_OK, AM_ERR_FORMAT (a corrupt snapshot) or AM_ERR_NOMEM. */
am_status am_hood_gather(am_source *src, const unsigned char *person, uint32_t household,
                         am_hood *hood, am_err *err);

/* Gathers the neighbourhood of everyone who holds one of the codes flagged
 * in codes (cat's numbering): by a record of their own, or as a member of
 * a household paid a household item among them.  Every record of the
 * source must be readable (a snapshot verified whole).  When it would hold
 * more than max_records records, gathers nothing and sets *too_big.
 * Returns AM_OK, AM_ERR_FORMAT or AM_ERR_NOMEM. */
am_status am_hood_gather_codes(am_source *src, const am_catalogue *cat, const uint8_t *codes,
                               size_t max_records, am_hood *hood, int *too_big, am_err *err);

/* Whether a person token is in N1, a household token in H1. */
int am_hood_near(const am_hood *hood, const unsigned char token[AM_TOKEN_BYTES]);
int am_hood_focus(const am_hood *hood, const unsigned char token[AM_TOKEN_BYTES]);

/* Runs the implicit duplicates and rules over the neighbourhood, as the
 * run would (whole's catalogue, feeds and death lag; these rules and the
 * window given), on threads threads, leaving every finding, in output
 * order, in *out.  Returns AM_OK or AM_ERR_NOMEM. */
am_status am_hood_findings(const am_match_input *whole, am_hood *hood, const am_rules *rules,
                           int32_t window_start, int32_t window_end, unsigned threads,
                           am_finding_list *out);

void am_hood_free(am_hood *hood);

#endif
