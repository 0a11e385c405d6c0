/*
 * test_files.h — a whole file read into memory, for suites that compare
 * what a run wrote.
 */
#ifndef AM_TEST_FILES_H
#define AM_TEST_FILES_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* The bytes of path, NUL-terminated, in a buffer to free; their count in
 * *len.  Fails the test when the file cannot be read. */
static inline char *am_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc(*len + 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(fread(data, 1, *len, f), *len);
    data[*len] = 0;
    fclose(f);
    return data;
}

#endif
