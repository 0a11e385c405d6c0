/*
 * fuzz_centre.c — am_load_centre_mem on arbitrary text.
 *
 * The text's relative paths resolve in a scratch directory that holds
 * catalogue/, default.rules and centre.key.  Byte 0 picks a mode: bit 0
 * puts a valid [centre] section before the text, so that the fuzzer
 * spends its time on feed sections; bit 1 has the "embedder" load the
 * catalogue and key first.  Every feed the text declares is then
 * ingested from a small buffer and, if any was, the context reconciles.
 *
 * Bit 2 also checks the text (am_check_centre_mem), whose feeds may name
 * the scratch directory's feed.csv, feed_cr.csv (a CR alone ends each
 * line) and feed16.csv (UTF-16LE with a BOM), so that the check's sample
 * reader, header and map messages are fuzzed too.
 *
 * Invariants: errors are fine, crashes and leaks are not; a message never
 * holds the key; a successful load leaves a catalogue, a key and feeds
 * with valid names; the check runs (AM_OK) and each problem it keeps has
 * a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aidmatch.h>

#include "fuzz.h"

static const char header[] = "[centre]\ncatalogue = catalogue\nkey = centre.key\n"
                             "rules = default.rules\n";

static const char feed_csv[] =
    "身份证号,姓名,户号,金额,开始日期,结束日期,补贴项目,发放年月,日期,残疾等级\n"
    "11010519491231002X,张三,H1,1100.00,2024-01-01,2024-03-31,城市低保,202401,2024-01-05,2\n"
    "11010519491231002X,张三,H1,900,2024-03-01,2024-04-30,城市低保,202403,2024-03-05,1\n";

static void write_feed(const char *name, const char *text, size_t len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", fuzz_scratch_dir(), name);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(text, 1, len, f) == len);
    FUZZ_CHECK(fclose(f) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const size_t len = sizeof feed_csv - 1;
    write_feed("feed.csv", feed_csv, len);
    char cr[sizeof feed_csv];
    for (size_t i = 0; i < len; i++)
        cr[i] = feed_csv[i] == '\n' ? '\r' : feed_csv[i];
    write_feed("feed_cr.csv", cr, len);
    /* UTF-16LE: the text's UTF-8 decoded by hand (it is in the BMP) */
    char utf16[2 * sizeof feed_csv + 2] = {'\xFF', '\xFE'};
    size_t n = 2;
    for (size_t i = 0; i < len;) {
        const unsigned char c = (unsigned char)feed_csv[i];
        unsigned cp = c;
        const size_t extra = c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (extra)
            cp = c & (extra == 2 ? 0x0F : 0x1F);
        for (size_t k = 1; k <= extra; k++)
            cp = cp << 6 | ((unsigned char)feed_csv[i + k] & 0x3F);
        i += extra + 1;
        utf16[n++] = (char)(cp & 0xFF);
        utf16[n++] = (char)(cp >> 8);
    }
    write_feed("feed16.csv", utf16, n);
    return 0;
}

/* Set when the input itself spells the key, which a message may then echo. */
static int input_has_key;

static int has_key_hex(const char *s) { return !input_has_key && strstr(s, FUZZ_KEY_HEX) != NULL; }

static int contains(const char *s, size_t n, const char *word)
{
    const size_t k = strlen(word);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, word, k) == 0)
            return 1;
    return 0;
}

/* Paths a centre file may name are opened and read; device files such as
 * /dev/stdin would wait for input, so the fuzzer is kept off them. */
static int names_special_files(const uint8_t *data, size_t size)
{
    static const char *const words[] = {"dev/", "proc/", "sys/", "fd/"};
    for (size_t w = 0; w < sizeof words / sizeof *words; w++)
        if (contains((const char *)data, size, words[w]))
            return 1;
    return 0;
}

static int on_finding(void *user, const am_finding *f)
{
    size_t *count = user;
    FUZZ_CHECK(f->id && strlen(f->id) == 32);
    FUZZ_CHECK(f->amount_fen >= 0);
    (*count)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || names_special_files(data, size))
        return 0;
    const unsigned mode = data[0];
    data++;
    size--;

    const size_t hlen = (mode & 1) ? sizeof header - 1 : 0;
    char *text = malloc(hlen + size + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, header, hlen);
    if (size)
        memcpy(text + hlen, data, size);
    text[hlen + size] = '\0';
    input_has_key = contains(text, hlen + size, FUZZ_KEY_HEX);

    am_ctx *ctx;
    FUZZ_CHECK(am_ctx_new(&ctx) == AM_OK);
    const char *dir = fuzz_scratch_dir();
    if (mode & 2) {
        char path[4200];
        snprintf(path, sizeof path, "%s/catalogue", dir);
        FUZZ_CHECK(am_load_catalogue(ctx, path) == AM_OK);
        snprintf(path, sizeof path, "%s/centre.key", dir);
        FUZZ_CHECK(am_load_key_file(ctx, path) == AM_OK);
    }
    const am_status st = am_load_centre_mem(ctx, text, hlen + size, "fuzz.ini", dir);
    FUZZ_CHECK(!has_key_hex(am_errmsg(ctx)));
    if (st != AM_OK) {
        FUZZ_CHECK(st == AM_ERR_FORMAT || st == AM_ERR_IO || st == AM_ERR_KEY ||
                   st == AM_ERR_INVALID || st == AM_ERR_LIMIT);
        FUZZ_CHECK(am_errmsg(ctx)[0] != '\0');
    } else {
        FUZZ_CHECK(strlen(am_key_fingerprint(ctx)) == 16);
    }

    /* Whatever was declared, even after a failure, must be safe to use. */
    int ingested = 0;
    for (size_t i = 0; i < am_feed_count(ctx); i++) {
        am_feed_stats s;
        FUZZ_CHECK(am_feed_stats_get(ctx, i, &s) == AM_OK);
        FUZZ_CHECK(s.name && *s.name);
        am_feed *feed = am_feed_find(ctx, s.name);
        FUZZ_CHECK(feed != NULL);
        const am_status fs = am_feed_ingest_buffer(feed, feed_csv, sizeof feed_csv - 1);
        FUZZ_CHECK(!has_key_hex(am_errmsg(ctx)));
        FUZZ_CHECK(am_feed_stats_get(ctx, i, &s) == AM_OK);
        FUZZ_CHECK(s.rows_read == s.rows_ingested + s.rows_rejected);
        ingested |= fs == AM_OK;
    }
    if (ingested) {
        size_t count = 0;
        FUZZ_CHECK(am_reconcile(ctx, on_finding, &count) == AM_OK);
        FUZZ_CHECK(count == am_finding_count(ctx));
    }
    am_ctx_free(ctx);

    if (mode & 4) {
        am_ctx *check;
        FUZZ_CHECK(am_ctx_new(&check) == AM_OK);
        FUZZ_CHECK(am_check_centre_mem(check, text, hlen + size, "fuzz.ini", dir, 3) == AM_OK);
        for (size_t i = 0; i < am_diagnostic_count(check); i++) {
            am_diagnostic d;
            FUZZ_CHECK(am_diagnostic_get(check, i, &d) == AM_OK);
            FUZZ_CHECK(d.message && d.message[0] && !has_key_hex(d.message));
        }
        am_ctx_free(check);
    }
    free(text);
    return 0;
}
