/*
 * fuzz_catalogue.c — the catalogue reader (agencies.csv, items.csv,
 * facts.csv and the optional areas.csv) on arbitrary files.
 *
 * The input is the four files' texts separated by form feeds (\f), in
 * that order; with fewer than three separators, areas.csv is absent (and
 * so are the tables after the last text given).  They are written into a
 * directory of their own and loaded with am_catalogue_load.
 *
 * Invariants: errors are fine, crashes and leaks are not; a failure has a
 * message; a loaded catalogue has unique, non-empty codes that look up to
 * their own index, items name an agency that exists, and facts' value
 * ranges are ordered.
 */
#include <string.h>

#include "fuzz.h"
#include "read/catalogue.h"

static const char *const tables[] = {"agencies.csv", "items.csv", "facts.csv", "areas.csv"};
static fuzz_file_set set;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_file_set_init(&set, "catalogue", tables, sizeof tables / sizeof *tables);
    return 0;
}

static void check_loaded(const am_catalogue *cat)
{
    for (size_t i = 0; i < cat->nagencies; i++) {
        const am_agency *a = &cat->agencies[i];
        FUZZ_CHECK(a->code && *a->code);
        FUZZ_CHECK(am_catalogue_agency(cat, a->code, strlen(a->code)) == (int)i);
    }
    for (size_t i = 0; i < cat->nitems; i++) {
        const am_item *it = &cat->items[i];
        FUZZ_CHECK(it->code && *it->code);
        FUZZ_CHECK(am_catalogue_item(cat, it->code, strlen(it->code)) == (int)i);
        FUZZ_CHECK(it->agency < cat->nagencies);
        FUZZ_CHECK(it->duplicate_window_days >= 0);
    }
    for (size_t i = 0; i < cat->nfacts; i++) {
        const am_fact *f = &cat->facts[i];
        FUZZ_CHECK(f->code && *f->code);
        FUZZ_CHECK(am_catalogue_fact(cat, f->code, strlen(f->code)) == (int)i);
        FUZZ_CHECK(f->value_min <= f->value_max);
    }
    for (size_t i = 1; i < cat->nareas; i++)
        FUZZ_CHECK(cat->areas[i - 1].code < cat->areas[i].code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file_set_fill(&set, data, size);
    am_catalogue cat = {0};
    am_err err = {0};
    const am_status st = am_catalogue_load(&cat, set.dir, &err);
    if (st == AM_OK)
        check_loaded(&cat);
    else
        FUZZ_CHECK(err.msg[0] != '\0');
    am_catalogue_free(&cat);
    return 0;
}
