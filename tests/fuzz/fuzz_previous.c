/*
 * fuzz_previous.c — the previous run's reader (findings.csv, summary.json,
 * suppressed.csv, delta.csv) and the outcomes reader on arbitrary files.
 *
 * The input is up to five texts separated by form feeds (\f): findings.csv,
 * summary.json, suppressed.csv, delta.csv and outcomes.csv; a file whose
 * text is not given is absent.  The first four are loaded as a previous
 * run's directory (am_previous_load), the fifth as an outcomes file
 * (am_outcomes_load); then every outcome is looked up and judged against
 * the previous run, as a run does.
 *
 * Invariants: errors are fine, crashes and leaks are not; a failure has a
 * message and leaves nothing loaded; a loaded run's findings are sorted,
 * unique, and each is found by its id, and each feed by its name; every
 * outcome kept is found again by its id and date; a suppression names
 * 32 hex digits.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "cycle/outcomes.h"
#include "cycle/previous.h"

static const char *const files[] = {"findings.csv", "summary.json", "suppressed.csv", "delta.csv",
                                    "outcomes.csv"};
static fuzz_file_set set;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_file_set_init(&set, "previous", files, sizeof files / sizeof *files);
    return 0;
}

static int is_hex32(const char *s)
{
    for (int i = 0; i < 32; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[32] == '\0';
}

static void check_previous(const am_previous *prev)
{
    for (size_t i = 0; i < prev->count; i++) {
        const am_prev_finding *pf = &prev->findings[i];
        if (i)
            FUZZ_CHECK(strcmp(prev->findings[i - 1].id, pf->id) < 0);
        FUZZ_CHECK(am_previous_find(prev, pf->id) == pf);
        for (int d = 0; d < AM_PREV__DETAILS; d++)
            FUZZ_CHECK(am_prev_finding_detail(pf, (am_prev_detail)d) != NULL);
    }
    for (size_t i = 0; i < prev->nfeeds; i++)
        FUZZ_CHECK(am_previous_feed(prev, prev->feeds[i].name) != NULL);
}

static void check_outcomes(am_outcomes *o, const am_previous *prev)
{
    am_outcomes_sort(o);
    for (size_t i = 0; i < o->count; i++) {
        const am_outcome_entry *e = &o->v[i];
        FUZZ_CHECK(e->outcome != AM_OUTCOME_NONE);
        const am_outcome_entry *latest = am_outcomes_latest(o, e->id, e->day);
        FUZZ_CHECK(latest != NULL && memcmp(latest->id, e->id, 32) == 0);
        FUZZ_CHECK(latest->day == e->day);
        const am_prev_finding *pf = am_previous_find(prev, e->id);
        const char *facts = pf && *pf->facts ? pf->facts : "0123456789abcdef0123456789abcdef";
        const char *judged = am_outcome_suppresses(latest, facts, prev, pf);
        FUZZ_CHECK(!judged || is_hex32(judged));
    }
    for (size_t i = 0; i < o->nskipped; i++)
        FUZZ_CHECK(o->skipped[i].reason[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file_set_fill(&set, data, size);
    am_previous prev = {0};
    am_err err = {0};
    am_status st = am_previous_load(&prev, set.dir, &err);
    if (st == AM_OK) {
        check_previous(&prev);
    } else {
        FUZZ_CHECK(err.msg[0] != '\0');
        FUZZ_CHECK(prev.count == 0 && prev.nfeeds == 0);
    }
    am_outcomes o = {0};
    char path[4300];
    snprintf(path, sizeof path, "%s/outcomes.csv", set.dir);
    st = am_outcomes_load(&o, path, &err);
    if (st == AM_OK)
        check_outcomes(&o, &prev);
    else
        FUZZ_CHECK(o.count == 0 && err.msg[0] != '\0');
    am_outcomes_free(&o);
    am_previous_free(&prev);
    return 0;
}
