/*
 * format.c — how the CLI writes answers: to stdout or to a file replaced
 * atomically, as CSV (the library's own writer, lib/common/csv_out.c, with
 * its guard against spreadsheet formulas), JSON Lines (its JSON strings),
 * or an aligned table for a person at a terminal.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "common/json.h"
#include "common/money.h"
int output_open(output *o, const char *path)
{
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        return 1;
    }
    am_err err;
    if (am_atomic_open(&o->file, path, &err) != AM_OK) {
        fprintf(stderr, "%s: %s\n", program, err.msg);
        return 0;
    }
    o->f = o->file.out;
    return 1;
}

/* Finishes the output; with ok, the file takes its name.  Returns 1 when
 * everything was written. */
int output_close(output *o, int ok)
{
    if (o->f == stdout)
        return fflush(stdout) == 0 && ok;
    if (!ok) {
        am_atomic_abort(&o->file);
        return 0;
    }
    am_err err;
    if (am_atomic_commit(&o->file, &err) != AM_OK) {
        fprintf(stderr, "%s: %s\n", program, err.msg);
        return 0;
    }
    return 1;
}

/* "key": "value" pairs, then numbers, as one JSON object on one line. */
void json_pair(FILE *out, int *first, const char *key, const char *value)
{
    fputs(*first ? "{" : ", ", out);
    *first = 0;
    am_json_write_string(out, key);
    fputs(": ", out);
    am_json_write_string(out, value);
}

void json_number(FILE *out, int *first, const char *key, int64_t value)
{
    fputs(*first ? "{" : ", ", out);
    *first = 0;
    am_json_write_string(out, key);
    fprintf(out, ": %" PRId64, value);
}


void table_add(table *t, const char *const *cells, size_t n)
{
    if (t->nrows == t->cap) {
        const size_t cap = t->cap ? t->cap * 2 : 32;
        char **grown = realloc(t->cells, cap * TABLE_MAX_COLUMNS * sizeof *grown);
        if (!grown)
            return;
        t->cells = grown;
        t->cap = cap;
    }
    for (size_t c = 0; c < TABLE_MAX_COLUMNS; c++)
        t->cells[t->nrows * TABLE_MAX_COLUMNS + c] = c < n ? strdup(cells[c]) : NULL;
    if (n > t->ncols)
        t->ncols = n;
    t->nrows++;
}

/* Columns a UTF-8 string takes on a terminal: Chinese characters (and
 * the rest of the wide ranges from U+1100 on) take two. */
static size_t display_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned cp = *p, n = 1;
        if (*p >= 0xF0)
            cp = *p & 0x07, n = 4;
        else if (*p >= 0xE0)
            cp = *p & 0x0F, n = 3;
        else if (*p >= 0xC0)
            cp = *p & 0x1F, n = 2;
        for (unsigned k = 1; k < n && (p[k] & 0xC0) == 0x80; k++)
            cp = cp << 6 | (p[k] & 0x3F);
        w += n > 1 && cp >= 0x1100 ? 2 : 1;
        for (unsigned k = 0; k < n && *p; k++)
            p++;
    }
    return w;
}

void table_print(table *t, FILE *out, const char *indent)
{
    size_t width[TABLE_MAX_COLUMNS] = {0};
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * TABLE_MAX_COLUMNS + c];
            if (s && display_width(s) > width[c])
                width[c] = display_width(s);
        }
    for (size_t r = 0; r < t->nrows; r++) {
        fputs(indent, out);
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * TABLE_MAX_COLUMNS + c];
            s = s ? s : "";
            fputs(s, out);
            if (c + 1 < t->ncols)
                fprintf(out, "%*s", (int)(width[c] - display_width(s) + 2), "");
        }
        fputc('\n', out);
    }
    for (size_t i = 0; i < t->nrows * TABLE_MAX_COLUMNS; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

/* Yuan as the feeds write them (common/money.h: "99.50", "1,000",
 * "¥12"), into fen; a negative amount is no bound.  Returns 0 for
 * anything else. */
int parse_yuan(const char *s, int64_t *fen_out)
{
    return am_money_parse(s, strlen(s), fen_out) == AM_MONEY_OK;
}

/* Creates a new temporary file (mode 0600) under $TMPDIR or /tmp and
 * writes its name to path; with from_stdin, copies stdin into it.  For a
 * library call that reads or writes a named file where the user gave '-'.
 * The caller unlinks it.  Returns 1 on success; 0 after printing why. */
int temp_file(char *path, size_t size, int from_stdin)
{
    const char *dir = getenv("TMPDIR");
    if ((size_t)snprintf(path, size, "%s/aidmatch-XXXXXX", dir && *dir ? dir : "/tmp") >=
        size) {
        fprintf(stderr, "%s: TMPDIR is too long\n", program);
        return 0;
    }
    const int fd = mkstemp(path);
    if (fd < 0) {
        fprintf(stderr, "%s: %s: cannot create: %s\n", program, path, strerror(errno));
        return 0;
    }
    char buf[65536];
    size_t n;
    int ok = 1;
    while (from_stdin && ok && (n = fread(buf, 1, sizeof buf, stdin)) > 0)
        ok = write(fd, buf, n) == (ssize_t)n;
    ok = ok && !ferror(stdin);
    ok = close(fd) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "%s: copying stdin to %s failed: %s\n", program, path, strerror(errno));
        unlink(path);
    }
    return ok;
}

/* Writes a file's bytes to stdout.  Returns 1 on success; 0 after printing
 * why. */
int copy_file_to_stdout(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s: cannot open: %s\n", program, path, strerror(errno));
        return 0;
    }
    char buf[65536];
    size_t n;
    int ok = 1;
    while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0)
        ok = fwrite(buf, 1, n, stdout) == n;
    ok = !ferror(f) && fflush(stdout) == 0 && ok;
    fclose(f);
    if (!ok)
        fprintf(stderr, "%s: writing to stdout failed: %s\n", program, strerror(errno));
    return ok;
}
