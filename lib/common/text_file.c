/*
 * text_file.c — opening and reading input files (see text_file.h).
 */
#include "common/text_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"

#ifdef AM_FAULT_INJECTION
#include "common/fault.h"

static atomic_ulong read_countdown;

void am_fault_fail_read_at(unsigned long nth) { atomic_store(&read_countdown, nth); }

static int read_should_fail(void) { return am_fault_count_down(&read_countdown); }
#else
static int read_should_fail(void) { return 0; }
#endif

int am_open_regular(const char *path, struct stat *sb, int *error)
{
    const int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        *error = errno;
        return -1;
    }
    if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
        *error = S_ISREG(sb->st_mode) ? errno : 0;
        close(fd);
        return -1;
    }
    /* Regular files ignore O_NONBLOCK; cleared all the same, for clarity. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

am_status am_read_text_fd(int fd, size_t max, const char *name, char **text, size_t *len,
                          am_err *err)
{
    *text = NULL;
    *len = 0;
    size_t n = 0, cap = 0;
    char *buf = NULL;
    for (;;) {
        if (n == cap) {
            /* Room for one byte more than max, to tell "max" from "more";
             * and for the NUL. */
            const size_t next = cap ? cap * 2 : 65536;
            cap = next > max + 1 ? max + 1 : next;
            char *grown = am_realloc(buf, cap + 1);
            if (!grown) {
                am_free(buf);
                return am_fail(err, AM_ERR_NOMEM, "out of memory");
            }
            buf = grown;
        }
        const ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            const int e = errno;
            am_free(buf);
            return am_fail(err, AM_ERR_IO, "%s: read error: %s", name, strerror(e));
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > max) {
            am_free(buf);
            return am_fail(err, AM_ERR_IO, "%s: larger than %zu MiB", name, max >> 20);
        }
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return AM_OK;
}

am_status am_read_text_file(const char *path, size_t max, const char *what, char **text,
                            size_t *len, am_err *err)
{
    *text = NULL;
    *len = 0;
    struct stat sb;
    int e = 0;
    const int fd = am_open_regular(path, &sb, &e);
    if (fd < 0 && e)
        return am_fail(err, AM_ERR_IO, "%s: cannot open %s: %s", path, what, strerror(e));
    if (fd < 0 || (size_t)sb.st_size > max) {
        if (fd >= 0)
            close(fd);
        return am_fail(err, AM_ERR_IO, "%s: not a regular file of at most %zu MiB", path,
                       max >> 20);
    }
    const am_status st = am_read_text_fd(fd, max, path, text, len, err);
    close(fd);
    return st;
}

ssize_t am_read_full(int fd, void *buf, size_t cap)
{
    unsigned char *p = buf;
    size_t n = 0;
    if (read_should_fail()) {
        errno = EIO;
        return -1;
    }
    while (n < cap) {
        const ssize_t k = read(fd, p + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        n += (size_t)k;
    }
    return (ssize_t)n;
}
