/*
 * token_map.c — bench-only helper for the DuckDB oracle (bench/duckdb/).
 *
 * DuckDB cannot compute aidmatch's keyed SipHash tokens, yet one feed of
 * the synthetic county (housing_payments) arrives tokenised, and aidmatch's
 * findings name people and households only by token.  This helper, run
 * outside any timed region, turns the raw identifiers DuckDB extracted
 * into their tokens under the county's key:
 *
 *   token_map KEYFILE < ids.txt > map.csv
 *
 * Input lines:  P<TAB>ID18       a normalised resident ID
 *               H<TAB>HOUSEHOLD  a household ID as written (trimmed)
 * Output:       kind,raw,token   CSV (raw quoted when it needs to be)
 *
 * Person token = crypto_shorthash_siphashx24(ID18, 18 bytes, key);
 * household token = the same of "household:" + the household ID
 * (docs/reference.md §8.1).  Files it writes live under bench/cache/ and
 * are never committed: they hold raw IDs.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_csv(const char *s, size_t len)
{
    if (strcspn(s, ",\"\r\n") >= len) {
        fwrite(s, 1, len, stdout);
        return;
    }
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            putchar('"');
        putchar(s[i]);
    }
    putchar('"');
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: token_map KEYFILE < ids.txt > map.csv\n");
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    FILE *f = fopen(argv[1], "r");
    char text[80] = {0};
    unsigned char key[16];
    size_t bin = 0;
    if (!f || !fgets(text, sizeof text, f)) {
        fprintf(stderr, "token_map: %s: cannot read key file\n", argv[1]);
        return 1;
    }
    fclose(f);
    text[strcspn(text, "\r\n ")] = '\0';
    if (strlen(text) != 32 || sodium_hex2bin(key, sizeof key, text, 32, NULL, &bin, NULL) != 0 ||
        bin != 16) {
        fprintf(stderr, "token_map: %s: expected 32 hex digits\n", argv[1]);
        return 1;
    }
    sodium_memzero(text, sizeof text);

    static const char prefix[] = "household:";
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long long rows = 0, bad = 0;
    unsigned char buf[sizeof prefix + 4096], tok[16];
    char hex[33];
    puts("kind,raw,token");
    while ((n = getline(&line, &cap, stdin)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n < 3 || line[1] != '\t' || (line[0] != 'P' && line[0] != 'H')) {
            bad++;
            continue;
        }
        const char *raw = line + 2;
        const size_t len = (size_t)n - 2;
        if (line[0] == 'P') {
            if (len != 18) {
                bad++;
                continue;
            }
            crypto_shorthash_siphashx24(tok, (const unsigned char *)raw, 18, key);
        } else {
            if (len > 4096) {
                bad++;
                continue;
            }
            memcpy(buf, prefix, sizeof prefix - 1);
            memcpy(buf + sizeof prefix - 1, raw, len);
            crypto_shorthash_siphashx24(tok, buf, sizeof prefix - 1 + len, key);
        }
        sodium_bin2hex(hex, sizeof hex, tok, sizeof tok);
        putchar(line[0]);
        putchar(',');
        put_csv(raw, len);
        putchar(',');
        fputs(hex, stdout);
        putchar('\n');
        rows++;
    }
    free(line);
    sodium_memzero(key, sizeof key);
    if (fflush(stdout) != 0) {
        perror("token_map: write");
        return 1;
    }
    fprintf(stderr, "token_map: %llu tokens, %llu lines skipped\n", rows, bad);
    return bad ? 1 : 0;
}
