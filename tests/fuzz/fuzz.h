/*
 * fuzz.h — what the fuzz targets share: the libFuzzer entry points, and
 * the helpers that find the source tree and lay out a scratch centre
 * directory.
 *
 * Each target is built two ways: by scripts/fuzz with clang and libFuzzer,
 * and by tests/meson.build with the project's compiler and regress_main.c,
 * which replays the committed corpus as a regression test.
 */
#ifndef AM_FUZZ_H
#define AM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts with a message when cond is false: a broken invariant is a crash
 * the fuzzer keeps a reproducer of. */
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))

void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

/* The source tree: $AM_SOURCE_ROOT, or derived from this file's path. */
const char *fuzz_source_root(void);

/* Writes "<source root>/<rel>" into out. */
void fuzz_source_path(char *out, size_t size, const char *rel);

/* A scratch directory, made once per process and removed at exit, holding
 * catalogue (a symlink to data/catalogue), default.rules (a symlink to
 * data/rules/default.rules) and centre.key (mode 0600, FUZZ_KEY_HEX). */
const char *fuzz_scratch_dir(void);

#define FUZZ_KEY_HEX "000102030405060708090a0b0c0d0e0f"

/* A directory of named files that every input fills: the input's texts,
 * separated by form feeds (\f), are the files in names' order, and a file
 * whose text is not given is absent.  For readers that take a directory
 * of several files (a catalogue, a previous run). */
typedef struct fuzz_file_set {
    char dir[4200];
    const char *const *names;
    size_t n;
} fuzz_file_set;

/* Makes set's directory, PREFIX-XXXXXX in the scratch directory, removed
 * with its files at exit.  names must outlive the set. */
void fuzz_file_set_init(fuzz_file_set *set, const char *prefix, const char *const *names,
                        size_t n);

/* Writes the input's texts into the set's files and removes the others. */
void fuzz_file_set_fill(const fuzz_file_set *set, const uint8_t *data, size_t size);

/* Reads a whole file into a new buffer (free it), with the library's
 * am_read_text_file.  Returns 0 on success. */
int fuzz_read_file(const char *path, unsigned char **data, size_t *len);

#endif
