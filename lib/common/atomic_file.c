/*
 * atomic_file.c — temporary file, fsync, rename, fsync of the directory
 * (see atomic_file.h).  The directory sync is what makes the rename itself
 * survive a power cut.
 */
#define _DEFAULT_SOURCE /* flock */
#include "common/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"

#define TEMP_SUFFIX ".tmpXXXXXX"
/* A temporary no writer has touched for this long, and none holds, is a
 * dead writer's.  The age covers the instant between mkstemp() and
 * flock(), when a live writer's temporary is not yet locked. */
#define DEAD_AFTER_SECONDS 60

/* Whether name is base's temporary: base, ".tmp", and six characters of
 * mkstemp()'s alphabet. */
static int temp_of(const char *name, const char *base, size_t base_len)
{
    if (strncmp(name, base, base_len) != 0 || strncmp(name + base_len, ".tmp", 4) != 0)
        return 0;
    const char *x = name + base_len + 4;
    if (strlen(x) != 6)
        return 0;
    for (int i = 0; i < 6; i++)
        if (!((x[i] >= '0' && x[i] <= '9') || (x[i] >= 'a' && x[i] <= 'z') ||
              (x[i] >= 'A' && x[i] <= 'Z')))
            return 0;
    return 1;
}

/* Removes the temporaries of path that writers killed before they
 * finished left beside it (a kill -9 while writing a snapshot): regular
 * files of that name, locked by no one, untouched for a minute.  A
 * failure here only leaves them. */
static void remove_dead_temporaries(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *dir = slash ? am_strndup(path, slash == path ? 1 : (size_t)(slash - path))
                      : am_strdup(".");
    const int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    am_free(dir);
    if (dfd < 0)
        return;
    const int scan = dup(dfd);
    DIR *d = scan >= 0 ? fdopendir(scan) : NULL;
    if (!d && scan >= 0)
        close(scan);
    const size_t base_len = strlen(base);
    const time_t now = time(NULL);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!temp_of(e->d_name, base, base_len))
            continue;
        const int fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat sb;
        if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
            now - sb.st_mtime >= DEAD_AFTER_SECONDS && flock(fd, LOCK_EX | LOCK_NB) == 0)
            unlinkat(dfd, e->d_name, 0);
        close(fd);
    }
    if (d)
        closedir(d);
    close(dfd);
}

am_status am_atomic_open(am_atomic_file *f, const char *path, am_err *err)
{
    memset(f, 0, sizeof *f);
    f->final_path = am_strdup(path);
    f->temp_path = am_strdup_printf("%s" TEMP_SUFFIX, path);
    if (!f->final_path || !f->temp_path) {
        am_atomic_abort(f);
        return am_fail(err, AM_ERR_NOMEM, "out of memory");
    }
    remove_dead_temporaries(path);
    const int fd = mkstemp(f->temp_path);
    if (fd < 0) {
        const int e = errno;
        am_free(f->temp_path);
        f->temp_path = NULL;
        am_atomic_abort(f);
        return am_fail(err, AM_ERR_IO, "%s: cannot create: %s", path, strerror(e));
    }
    /* Held until the file is closed: a live writer's temporary is never
     * taken for a dead one's. */
    flock(fd, LOCK_EX | LOCK_NB);
    if (!(f->out = fdopen(fd, "wb"))) {
        close(fd);
        am_atomic_abort(f);
        return am_fail(err, AM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    return AM_OK;
}

void am_make_parents(char *path)
{
    for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0755); /* an existing one is fine */
        *slash = '/';
    }
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
