/*
 * fuzz_common.c — helpers shared by the fuzz targets (see fuzz.h).
 */
#define _XOPEN_SOURCE 700 /* realpath, mkdtemp */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/text_file.h"

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

const char *fuzz_source_root(void)
{
    static char root[4096];
    if (root[0])
        return root;
    const char *env = getenv("AM_SOURCE_ROOT");
    if (env && *env) {
        snprintf(root, sizeof root, "%s", env);
        return root;
    }
    /* __FILE__ is ".../tests/fuzz/fuzz_common.c", absolute when
     * scripts/fuzz compiles it, relative to the build directory in meson. */
    static const char tail[] = "tests/fuzz/fuzz_common.c";
    const char *file = __FILE__;
    const size_t n = strlen(file), t = sizeof tail - 1;
    if (n >= t && strcmp(file + n - t, tail) == 0) {
        size_t keep = n - t;
        if (keep > 1 && file[keep - 1] == '/')
            keep--;
        if (keep == 0)
            snprintf(root, sizeof root, ".");
        else
            snprintf(root, sizeof root, "%.*s", (int)keep, file);
    } else {
        snprintf(root, sizeof root, ".");
    }
    return root;
}

void fuzz_source_path(char *out, size_t size, const char *rel)
{
    snprintf(out, size, "%s/%s", fuzz_source_root(), rel);
}

static char scratch[4096];

static void remove_scratch(void)
{
    static const char *const names[] = {"catalogue", "default.rules", "centre.key"};
    char path[4200];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", scratch, names[i]);
        unlink(path);
    }
    rmdir(scratch);
}

/* Makes an absolute path of a source path, for symlinks. */
static void absolute(char *out, size_t size, const char *rel)
{
    char path[4096];
    fuzz_source_path(path, sizeof path, rel);
    if (!realpath(path, out))
        snprintf(out, size, "%s", path);
}

const char *fuzz_scratch_dir(void)
{
    if (scratch[0])
        return scratch;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/aidmatch-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch)) {
        perror("mkdtemp");
        abort();
    }
    atexit(remove_scratch);
    char target[4096], link_path[4200];
    absolute(target, sizeof target, "data/catalogue");
    snprintf(link_path, sizeof link_path, "%s/catalogue", scratch);
    FUZZ_CHECK(symlink(target, link_path) == 0);
    absolute(target, sizeof target, "data/rules/default.rules");
    snprintf(link_path, sizeof link_path, "%s/default.rules", scratch);
    FUZZ_CHECK(symlink(target, link_path) == 0);
    snprintf(link_path, sizeof link_path, "%s/centre.key", scratch);
    FILE *f = fopen(link_path, "w");
    FUZZ_CHECK(f != NULL);
    fputs(FUZZ_KEY_HEX "\n", f);
    FUZZ_CHECK(fclose(f) == 0);
    FUZZ_CHECK(chmod(link_path, 0600) == 0);
    return scratch;
}

/* The file sets made, removed at exit: a target has one. */
static const fuzz_file_set *file_sets[4];
static size_t nfile_sets;

static void remove_file_set_files(const fuzz_file_set *set, size_t from)
{
    char path[4300];
    for (size_t i = from; i < set->n; i++) {
        snprintf(path, sizeof path, "%s/%s", set->dir, set->names[i]);
        unlink(path);
    }
}

static void remove_file_sets(void)
{
    for (size_t i = 0; i < nfile_sets; i++) {
        remove_file_set_files(file_sets[i], 0);
        rmdir(file_sets[i]->dir);
    }
}

void fuzz_file_set_init(fuzz_file_set *set, const char *prefix, const char *const *names,
                        size_t n)
{
    FUZZ_CHECK(nfile_sets < sizeof file_sets / sizeof *file_sets);
    snprintf(set->dir, sizeof set->dir, "%s/%s-XXXXXX", fuzz_scratch_dir(), prefix);
    FUZZ_CHECK(mkdtemp(set->dir) != NULL);
    set->names = names;
    set->n = n;
    if (nfile_sets == 0)
        atexit(remove_file_sets); /* after fuzz_scratch_dir's: runs first */
    file_sets[nfile_sets++] = set;
}

void fuzz_file_set_fill(const fuzz_file_set *set, const uint8_t *data, size_t size)
{
    size_t start = 0, i = 0;
    char path[4300];
    for (; i < set->n; i++) {
        const uint8_t *ff = start < size ? memchr(data + start, '\f', size - start) : NULL;
        const size_t end = ff ? (size_t)(ff - data) : size;
        if (start > size)
            break;
        snprintf(path, sizeof path, "%s/%s", set->dir, set->names[i]);
        FILE *f = fopen(path, "wb");
        FUZZ_CHECK(f != NULL);
        FUZZ_CHECK(fwrite(data + start, 1, end - start, f) == end - start);
        FUZZ_CHECK(fclose(f) == 0);
        start = end + 1;
        if (!ff) {
            i++;
            break;
        }
    }
    remove_file_set_files(set, i);
}

int fuzz_read_file(const char *path, unsigned char **data, size_t *len)
{
    char *text;
    am_err err;
    if (am_read_text_file(path, (size_t)1 << 26, "fuzz input", &text, len, &err) != AM_OK)
        return -1;
    *data = (unsigned char *)text;
    return 0;
}
