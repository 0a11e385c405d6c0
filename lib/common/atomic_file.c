/*
 * atomic_file.c — temporary file, fsync, rename, fsync of the directory
 * (see atomic_file.h).  The directory sync is what makes the rename itself
 * survive a power cut.
 */
#include "common/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"

am_status am_atomic_open(am_atomic_file *f, const char *path, am_err *err)
{
    memset(f, 0, sizeof *f);
    f->final_path = am_strdup(path);
    f->temp_path = am_strdup_printf("%s.tmpXXXXXX", path);
    if (!f->final_path || !f->temp_path) {
        am_atomic_abort(f);
        return am_fail(err, AM_ERR_NOMEM, "out of memory");
    }
    const int fd = mkstemp(f->temp_path);
    if (fd < 0) {
        const int e = errno;
        am_free(f->temp_path);
        f->temp_path = NULL;
        am_atomic_abort(f);
        return am_fail(err, AM_ERR_IO, "%s: cannot create: %s", path, strerror(e));
    }
    if (!(f->out = fdopen(fd, "wb"))) {
        close(fd);
        am_atomic_abort(f);
        return am_fail(err, AM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    return AM_OK;
}

static void sync_directory(const char *path)
{
    char *dir = am_strdup(path);
    if (!dir)
        return;
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    const int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    am_free(dir);
}

am_status am_atomic_commit(am_atomic_file *f, am_err *err)
{
    int failed = fflush(f->out) != 0 || ferror(f->out) || fsync(fileno(f->out)) != 0;
    int e = errno;
    if (fclose(f->out) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    f->out = NULL;
    if (!failed && rename(f->temp_path, f->final_path) != 0) {
        failed = 1;
        e = errno;
    }
    if (failed) {
        am_status st = am_fail(err, AM_ERR_IO, "%s: write failed: %s", f->final_path, strerror(e));
        am_atomic_abort(f);
        return st;
    }
    sync_directory(f->final_path);
    am_free(f->temp_path);
    am_free(f->final_path);
    f->temp_path = f->final_path = NULL;
    return AM_OK;
}

void am_atomic_abort(am_atomic_file *f)
{
    if (f->out)
        fclose(f->out);
    if (f->temp_path)
        unlink(f->temp_path);
    am_free(f->temp_path);
    am_free(f->final_path);
    memset(f, 0, sizeof *f);
}
