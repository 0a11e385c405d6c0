/* Whole-file reading (common/text_file.h), which the library, the command
 * and the fuzz harness share: exact bytes from a file or a pipe, the size
 * limit at its edge, and the messages a person acts on, word for word. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/text_file.h"
#include "check_run.h"

#define MIB ((size_t)1 << 20)

/* A temporary file of n bytes (a repeating pattern, NULs included). */
static int temp_of(size_t n, char *path, size_t size)
{
    snprintf(path, size, "%s/text_file_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    const int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    char *buf = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)(i % 251);
    ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
    free(buf);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

START_TEST(a_file_of_exactly_the_limit_is_read_whole)
{
    static const size_t sizes[] = {0, 1, 65535, 65536, 65537, MIB - 1, MIB};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char path[256];
        const int fd = temp_of(sizes[k], path, sizeof path);
        char *text;
        size_t len;
        am_err err = {{0}};
        ck_assert_int_eq(am_read_text_fd(fd, MIB, "t", &text, &len, &err), AM_OK);
        ck_assert_uint_eq(len, sizes[k]);
        ck_assert_int_eq(text[len], '\0');
        size_t wrong = 0;
        for (size_t i = 0; i < len; i++)
            wrong += (unsigned char)text[i] != i % 251;
        ck_assert_uint_eq(wrong, 0);
        am_free(text);
        close(fd);
        ck_assert_int_eq(am_read_text_file(path, MIB, "rules", &text, &len, &err), AM_OK);
        ck_assert_uint_eq(len, sizes[k]);
        am_free(text);
        unlink(path);
    }
}
END_TEST

START_TEST(one_byte_over_the_limit_says_so)
{
    char path[256];
    const int fd = temp_of(MIB + 1, path, sizeof path);
    char *text = (char *)1;
    size_t len = 7;
    am_err err = {{0}};
    ck_assert_int_eq(am_read_text_fd(fd, MIB, "standard input", &text, &len, &err), AM_ERR_IO);
    ck_assert_str_eq(err.msg, "standard input: larger than 1 MiB");
    ck_assert_ptr_null(text);
    ck_assert_uint_eq(len, 0);
    close(fd);
    ck_assert_int_eq(am_read_text_file(path, MIB, "rules", &text, &len, &err), AM_ERR_IO);
    char want[512];
    snprintf(want, sizeof want, "%s: not a regular file of at most 1 MiB", path);
    ck_assert_str_eq(err.msg, want);
    unlink(path);
    ck_assert_int_eq(am_read_text_file(path, MIB, "rules", &text, &len, &err), AM_ERR_IO);
    snprintf(want, sizeof want, "%s: cannot open rules: No such file or directory", path);
    ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(a_pipe_is_read_to_its_end)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    static const char said[] = "rule Q1 exclusive A vs B\n\0after a NUL";
    ck_assert_int_eq(write(p[1], said, sizeof said), (ssize_t)sizeof said);
    close(p[1]);
    char *text;
    size_t len;
    am_err err = {{0}};
    ck_assert_int_eq(am_read_text_fd(p[0], MIB, "standard input", &text, &len, &err), AM_OK);
    ck_assert_uint_eq(len, sizeof said);
    ck_assert_int_eq(memcmp(text, said, sizeof said), 0);
    am_free(text);
    close(p[0]);
}
END_TEST

START_TEST(a_read_error_names_the_input)
{
    char *text;
    size_t len;
    am_err err = {{0}};
    ck_assert_int_eq(am_read_text_fd(-1, MIB, "standard input", &text, &len, &err), AM_ERR_IO);
    ck_assert_str_eq(err.msg, "standard input: read error: Bad file descriptor");
}
END_TEST

/* A pipe gives what has been written so far: a writer that stops between
 * pieces makes every read short, and the chunk must still come whole. */
START_TEST(a_chunk_is_read_full_across_short_reads)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    const pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        close(p[0]);
        for (int i = 0; i < 5; i++) {
            if (write(p[1], "0123456789", 10) != 10)
                _exit(1);
            nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
        }
        _exit(0);
    }
    close(p[1]);
    char buf[64];
    ck_assert_int_eq(am_read_full(p[0], buf, 30), 30);
    ck_assert_int_eq(memcmp(buf, "012345678901234567890123456789", 30), 0);
    /* Fewer than asked only at the end of the input. */
    ck_assert_int_eq(am_read_full(p[0], buf, sizeof buf), 20);
    ck_assert_int_eq(am_read_full(p[0], buf, sizeof buf), 0);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(p[0]);
    errno = 0;
    ck_assert_int_eq(am_read_full(-1, buf, sizeof buf), -1);
    ck_assert_int_eq(errno, EBADF);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("text_file");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, a_file_of_exactly_the_limit_is_read_whole);
    tcase_add_test(tc, one_byte_over_the_limit_says_so);
    tcase_add_test(tc, a_pipe_is_read_to_its_end);
    tcase_add_test(tc, a_read_error_names_the_input);
    tcase_add_test(tc, a_chunk_is_read_full_across_short_reads);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
