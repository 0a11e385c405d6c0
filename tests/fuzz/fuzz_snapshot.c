/*
 * fuzz_snapshot.c — am_snapshot_open on arbitrary bytes, twice: as they
 * are, and with every checksum recomputed (am_snapshot_reseal), so that
 * mutations also reach the checks behind the checksums.  A snapshot that
 * opens is then asked every question: a person, a finding, ad-hoc rules.
 *
 * Invariants: opening fails only with AM_ERR_FORMAT or AM_ERR_NOMEM and a
 * message naming the file; questions fail only with AM_ERR_FORMAT (a
 * corrupt chunk found late) or AM_ERR_NOMEM; nothing crashes or leaks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/context.h"
#include "fuzz.h"
#include "audit/snapshot.h"
#include "common/token.h"

static char path[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(path, sizeof path, "%s/fuzz.snap", fuzz_scratch_dir());
    return 0;
}

static void check_failure(const am_ctx *ctx, am_status st)
{
    FUZZ_CHECK(st == AM_ERR_FORMAT || st == AM_ERR_NOMEM);
    const char *msg = am_errmsg(ctx);
    FUZZ_CHECK(memchr(msg, '\0', 512) != NULL);
    FUZZ_CHECK(st == AM_ERR_NOMEM || strstr(msg, path) != NULL);
}

static void ask(am_ctx *ctx, am_status st)
{
    if (st != AM_OK)
        check_failure(ctx, st);
}

static void run(const unsigned char *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(data, 1, size, f) == size);
    FUZZ_CHECK(fclose(f) == 0);
    am_ctx *ctx;
    FUZZ_CHECK(am_ctx_new(&ctx) == AM_OK);
    const am_status st = am_snapshot_open(ctx, path);
    if (st != AM_OK) {
        check_failure(ctx, st);
        am_ctx_free(ctx);
        return;
    }
    /* Questions that read a few chunks, verified as they are read. */
    ask(ctx, am_person_lookup(ctx, "0123456789abcdef0123456789abcdef", NULL));
    const am_source *src = &ctx->snapshot->src;
    char hex[AM_TOKEN_HEX + 1];
    if (src->nfindings) {
        am_token_hex(src->findings[0].id, hex);
        ask(ctx, am_explain(ctx, hex));
        am_result r;
        for (size_t i = 0; am_result_get(ctx, 0, &r) == AM_OK && i < r.evidence_count; i++) {
            am_record_info x;
            FUZZ_CHECK(am_result_evidence_get(ctx, 0, i, &x) == AM_OK);
        }
    }
    /* Then everything. */
    const am_status verified = am_snapshot_verify(ctx);
    if (verified != AM_OK) {
        check_failure(ctx, verified);
    } else {
        if (src->nrecords) {
            am_token_hex(src->records[src->nrecords / 2].person, hex);
            ask(ctx, am_person_lookup(ctx, hex, NULL));
        }
        static const char rules[] =
            "rule Q1 exclusive TEKUN_HOME|TEKUN_INST vs DIBAO_URBAN|DIBAO_RURAL\n  source s\n"
            "rule Q2 ends_at DEATH except FUNERAL\n  source s\n"
            "rule Q3 household_unique DIBAO_URBAN|DIBAO_RURAL\n  source s\n";
        const am_status m = am_match_rules(ctx, rules, sizeof rules - 1, "q", NULL, 0);
        FUZZ_CHECK(m == AM_OK || m == AM_ERR_FORMAT || m == AM_ERR_NOMEM);
        const am_status d =
            am_match_rules(ctx, rules, sizeof rules - 1, "q", NULL, AM_MATCH_WITH_DUPLICATES);
        FUZZ_CHECK(d == AM_OK || d == AM_ERR_FORMAT || d == AM_ERR_NOMEM);
    }
    am_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size);
    unsigned char *copy = malloc(size ? size : 1);
    FUZZ_CHECK(copy != NULL);
    if (size)
        memcpy(copy, data, size);
    if (am_snapshot_reseal(copy, size) == 0)
        run(copy, size);
    free(copy);
    unlink(path); /* so that the scratch directory can go at exit */
    return 0;
}
