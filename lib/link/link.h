/*
 * link.h — linking rows whose resident ID was damaged to the hukou
 * registry's persons: of the repairs of each ID (resident_id.h), those the
 * registry knows are scored on keyed evidence in the Fellegi–Sunter
 * manner, and the row joins matching as the best of them only when the
 * evidence clearly says so.  See docs/linking.md.
 */
#ifndef AM_LINK_H
#define AM_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "read/link_input.h"
#include "store/key_sort.h"
#include "store/store.h"

typedef enum am_link_status {
    AM_LINKED = 0,  /* joins matching as `person` */
    AM_LINK_REVIEW, /* listed for a caseworker, not matched */
    AM_UNLINKED,
    AM_LINK__COUNT
} am_link_status;

/* The evidence a candidate can agree on, as bits of am_link_result.agreeing. */
enum {
    AM_AGREE_NAME = 1,
    AM_AGREE_NAME_FUZZY = 2,
    AM_AGREE_HOUSEHOLD = 4,
    AM_AGREE_BIRTH_DATE = 8,
    AM_AGREE_SEX = 16,
    AM_AGREE_AREA = 32
};

/* Thresholds on a candidate's probability, in thousandths.  A link
 * threshold must be above a half (AM_LINK_THRESHOLD_MIN), so that the
 * linked candidate is likelier than every other explanation together. */
#define AM_LINK_THRESHOLD_DEFAULT 990
#define AM_REVIEW_THRESHOLD_DEFAULT 300
#define AM_LINK_THRESHOLD_MIN 501

typedef struct am_link_result {
    unsigned char person[AM_TOKEN_BYTES]; /* the best candidate */
    uint32_t line;
    uint16_t feed;
    uint16_t code;        /* the row's item or fact (catalogue numbering) */
    uint16_t probability; /* thousandths */
    uint8_t reason;       /* the ID's reject reason */
    uint8_t status;       /* am_link_status */
    uint8_t agreeing;     /* AM_AGREE_* bits of the best candidate */
    uint8_t candidates;   /* registry persons among the repairs */
    uint8_t taken_back;   /* linked, and its reject taken back (run/) */
} am_link_result;

/* m- and u-probabilities of one level of agreement, with the counts they
 * were estimated from. */
typedef struct am_link_estimate {
    double m, u;
    uint64_t m_agree, m_pairs, u_agree, u_pairs;
} am_link_estimate;

typedef struct am_links {
    am_link_result *v; /* in feed, line order */
    size_t n;
    am_link_estimate name, name_fuzzy, household, birth_date, sex, area;
    /* thousandths; link_threshold 0: not set, both take their defaults */
    unsigned link_threshold, review_threshold;
    uint64_t count[AM_LINK__COUNT][AM_REJECT__COUNT]; /* rows by status and reason */
    uint64_t no_candidate[AM_REJECT__COUNT]; /* held rows the registry knew no repair of */
    uint64_t no_repair[AM_REJECT__COUNT];    /* damaged IDs with no valid repair at all */
} am_links;

/* Links every row in->held (each was rejected as it was read, and stays
 * so unless linked): a linked row is appended to store with its person
 * and area set; every held row with a registry candidate gets a result in
 * out, appended.  Afterwards in->held is empty; the registry and the
 * sample stay for a later call.  The registry's sort and directory and
 * the scoring run on two threads when threads > 1; the results do not
 * depend on it.  Returns AM_OK, AM_ERR_LIMIT (a registry of 2^32 - 1
 * entries or more) or AM_ERR_NOMEM. */
am_status am_link_run(am_link_input *in, am_store *store, am_links *out, unsigned threads);

/* The order a spilled registry (am_link_spilled_person) is sorted in for
 * am_link_run_spilled: by person token, then as am_link_run orders one
 * person's entries. */
extern const am_order am_link_spilled_order;

/* A spilled registry: n spill files of am_link_spilled_person entries in
 * buckets by the person token's leading bits, every token of a bucket
 * ordering before every token of the next (a partitioned run's are by
 * the first byte), and the memory a bucket may be sorted in. */
typedef struct am_link_registry_files {
    char *const *buckets;
    size_t n;
    size_t memory;
} am_link_registry_files;

/* am_link_run for a registry too large to hold: its entries were spilled
 * (link_input.h) instead of gathered into in->registry, to files (entries
 * of them).  One pass reads them in am_link_spilled_order, a bucket
 * sorted at a time (store/extsort.h), tallies m and u exactly as
 * am_link_run would, and keeps in in->registry only the persons some
 * held row's repair names, their households interned in store's table;
 * the rows are then scored as am_link_run scores them, with the same
 * results.  The files stay.  Returns as am_link_run, or AM_ERR_IO with
 * err's message set (a damaged or short file). */
am_status am_link_run_spilled(am_link_input *in, const am_link_registry_files *files,
                              uint64_t entries, am_store *store, am_links *out, unsigned threads,
                              am_err *err);

/* Puts out's results in feed, line order. */
void am_links_sort(am_links *out);

/* Frees out's results. */
void am_links_free(am_links *out);

/* Reads a probability written as a decimal from 0 to 1 with at most three
 * decimals ("0.99", "1", "0.995") into thousandths.  Returns 1, or 0 for
 * anything else (*thousandths unchanged). */
int am_link_probability_parse(const char *text, unsigned *thousandths);

/* "linked", "review" or "unlinked". */
const char *am_link_status_name(am_link_status status);

#endif
