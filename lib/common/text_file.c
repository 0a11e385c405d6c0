/*
 * text_file.c — reading a small file whole (see text_file.h).
 */
#include "common/text_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"

am_status am_read_text_file(const char *path, size_t max, const char *what, char **text,
                            size_t *len, am_err *err)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return am_fail(err, AM_ERR_IO, "%s: cannot open %s: %s", path, what, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > max) {
        fclose(f);
        return am_fail(err, AM_ERR_IO, "%s: not a regular file of at most %zu MiB", path,
                       max >> 20);
    }
    char *buf = am_malloc((size_t)sb.st_size + 1);
    if (!buf) {
        fclose(f);
        return am_fail(err, AM_ERR_NOMEM, "out of memory");
    }
    const size_t n = fread(buf, 1, (size_t)sb.st_size, f);
    const int failed = ferror(f);
    fclose(f);
    if (failed || n != (size_t)sb.st_size) {
        am_free(buf);
        return am_fail(err, AM_ERR_IO, "%s: read error", path);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return AM_OK;
}
