/*
 * out_dir.c — the output directory's ownership, lock and replacement (see
 * out_dir.h).  Every removal here names a file aidmatch writes, or a hard
 * link whose twin is in the live directory: a file aidmatch did not write
 * keeps at least one name whatever happens, kill -9 included.
 */
#define _GNU_SOURCE /* renameat2 */
#include "write/out_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/atomic_file.h"

#define STAGING_SUFFIX_LEN 11 /* ".new-XXXXXX" and ".old-XXXXXX" */

static const char marker_text[] =
    "This directory holds a run of aidmatch.  The next run replaces the files\n"
    "aidmatch wrote and carries every other file over.\n";

static char *join(const char *a, const char *b)
{
    const size_t la = strlen(a), lb = strlen(b);
    char *s = am_malloc(la + lb + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
    }
    return s;
}

/* A name aidmatch writes into a run: the marker, a run file, or a run
 * file's temporary (atomic_file.c's NAME.tmpXXXXXX) left by a kill. */
static int ours(const am_out_dir *d, const char *name)
{
    if (strcmp(name, AM_OUT_MARKER) == 0)
        return 1;
    for (size_t i = 0; i < d->nnames; i++) {
        const size_t n = strlen(d->names[i]);
        if (strncmp(name, d->names[i], n) != 0)
            continue;
        if (name[n] == '\0' || (strncmp(name + n, ".tmp", 4) == 0 && strlen(name + n) == 10))
            return 1;
    }
    return 0;
}

/* The workbook library's scratch file: it creates "tmp." and ten random
 * characters in the workbook's directory, the staging directory, and
 * unlinks it at once, so a run killed between the two leaves it empty.
 * Only such an empty regular file counts as aidmatch's. */
static int workbook_scratch(int dir_fd, const char *name)
{
    struct stat st;
    if (strncmp(name, "tmp.", 4) != 0 || strlen(name) != 14)
        return 0;
    for (const char *c = name + 4; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z')))
            return 0;
    return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
           st.st_size == 0;
}

static int is_dot(const char *name)
{
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

static int same_file(int dir_a, int dir_b, const char *name)
{
    struct stat a, b;
    return dir_a >= 0 && dir_b >= 0 && fstatat(dir_a, name, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
           fstatat(dir_b, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

static void sync_dir(const char *path)
{
    const int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Removes a run directory other than the live one: an old run after the
 * exchange, a failed run's staging, a dead run's.  Unmarked, it is removed
 * only if empty (a run killed before writing its marker).  Marked, its run
 * files go, and the others only where the live directory has the same
 * file (the carried-over hard links); anything else keeps it in place. */
static void remove_run_dir(const am_out_dir *d, const char *path)
{
    const int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    if (faccessat(fd, AM_OUT_MARKER, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
        const int live = open(d->target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        const int scan = dup(fd);
        DIR *dir = scan >= 0 ? fdopendir(scan) : NULL;
        if (!dir && scan >= 0)
            close(scan);
        int kept = !dir;
        for (struct dirent *e; dir && (e = readdir(dir));) {
            if (is_dot(e->d_name) || strcmp(e->d_name, AM_OUT_MARKER) == 0)
                continue;
            if (ours(d, e->d_name) || workbook_scratch(fd, e->d_name) ||
                same_file(fd, live, e->d_name))
                kept |= unlinkat(fd, e->d_name, 0) != 0;
            else
                kept = 1;
        }
        if (dir)
            closedir(dir);
        if (live >= 0)
            close(live);
        if (!kept)
            unlinkat(fd, AM_OUT_MARKER, 0);
    }
    close(fd);
    rmdir(path); /* fails, and keeps the directory, when anything is left */
}

/* Sets d->target: the real path of an existing directory (a symbolic link
 * followed here, once; every later step uses the result), or the real
 * path of an absent one's parent and its own name. */
static am_status resolve(am_out_dir *d, am_err *err)
{
    struct stat st;
    char *real = NULL;
    if (lstat(d->shown, &st) == 0) {
        if (!(real = realpath(d->shown, NULL)))
            return am_fail(err, AM_ERR_IO, "%s: cannot resolve: %s%s", d->shown,
                           strerror(errno),
                           S_ISLNK(st.st_mode) ? " (a symbolic link to nothing)" : "");
        if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
            free(real);
            return am_fail(err, AM_ERR_IO, "%s: exists and is not a directory", d->shown);
        }
        d->target = am_strdup(real);
    } else if (errno == ENOENT) {
        am_make_parents(d->shown); /* --out reports/2026/11/28 on a fresh machine */
        char *slash = strrchr(d->shown, '/');
        const char *base = slash ? slash + 1 : d->shown;
        if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
            return am_fail(err, AM_ERR_IO, "%s: cannot resolve: %s", d->shown, strerror(ENOENT));
        if (slash)
            *slash = '\0';
        real = realpath(slash ? (slash == d->shown ? "/" : d->shown) : ".", NULL);
        const int e = errno;
        if (slash)
            *slash = '/';
        if (!real)
            return am_fail(err, AM_ERR_IO, "%s: cannot create a directory beside it: %s",
                           d->shown, strerror(e));
        const size_t n = strlen(real) + strlen(base) + 2;
        if ((d->target = am_malloc(n)))
            snprintf(d->target, n, "%s%s%s", real, strcmp(real, "/") ? "/" : "", base);
    } else {
        return am_fail(err, AM_ERR_IO, "%s: cannot access: %s", d->shown, strerror(errno));
    }
    free(real);
    if (!d->target)
        return am_fail(err, AM_ERR_NOMEM, "out of memory");
    if (strcmp(d->target, "/") == 0)
        return am_fail(err, AM_ERR_IO, "%s: the root directory cannot be an output directory",
                       d->shown);
    return AM_OK;
}

static int written_by_this_run(const am_out_dir *d, const struct stat *st)
{
    for (size_t i = 0; i < d->nown; i++)
        if (d->own[i].dev == (unsigned long long)st->st_dev &&
            d->own[i].ino == (unsigned long long)st->st_ino && S_ISREG(st->st_mode))
            return 1;
    return 0;
}

/* Refuses a target that is neither absent, empty nor marked, or that holds
 * something which cannot be carried over as a hard link. */
static am_status check_target(const am_out_dir *d, am_err *err)
{
    DIR *dir = opendir(d->target);
    if (!dir) {
        if (errno == ENOENT)
            return AM_OK;
        return am_fail(err, AM_ERR_IO, "%s: cannot read: %s", d->shown, strerror(errno));
    }
    int marked = 0, entries = 0;
    char odd[256] = "";
    for (struct dirent *e; (e = readdir(dir));) {
        if (is_dot(e->d_name))
            continue;
        if (ours(d, e->d_name)) {
            entries++;
            marked |= strcmp(e->d_name, AM_OUT_MARKER) == 0;
            continue;
        }
        struct stat st;
        const int stated = fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (stated && written_by_this_run(d, &st))
            continue;
        entries++;
        if (!odd[0] && (!stated || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))))
            snprintf(odd, sizeof odd, "%.200s", e->d_name);
    }
    closedir(dir);
    if (odd[0] && strncmp(odd, AM_PARTITION_DIR_PREFIX, strlen(AM_PARTITION_DIR_PREFIX)) == 0)
        return am_fail(err, AM_ERR_IO,
                       "%s: holds %s, a run's partition files: set the temporary directory "
                       "(--temp-dir, temp_dir) outside the output directory",
                       d->shown, odd);
    if (entries && !marked)
        return am_fail(err, AM_ERR_IO,
                       "%s: not empty and not an aidmatch output directory (it has no %s); "
                       "name a new or empty directory",
                       d->shown, AM_OUT_MARKER);
    if (odd[0])
        return am_fail(err, AM_ERR_IO,
                       "%s: holds %s, which is not a regular file and cannot be carried over "
                       "to the next run; move it out of the output directory",
                       d->shown, odd);
    return AM_OK;
}

static am_status take_lock(am_out_dir *d, am_err *err)
{
    char *lock = join(d->target, ".lock");
    if (!lock)
        return am_fail(err, AM_ERR_NOMEM, "out of memory");
    am_status st = AM_OK;
    struct stat sb;
    d->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (d->lock_fd < 0)
        st = am_fail(err, AM_ERR_IO, "%s: cannot create its lock file %s: %s", d->shown, lock,
                     strerror(errno));
    else if (fstat(d->lock_fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        st = am_fail(err, AM_ERR_IO, "%s: its lock file %s is not a regular file", d->shown,
                     lock);
    else if (flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0)
        st = errno == EWOULDBLOCK
                 ? am_fail(err, AM_ERR_IO, "%s: another run holds %s; try again when it has ended",
                           d->shown, lock)
                 : am_fail(err, AM_ERR_IO, "%s: cannot lock %s: %s", d->shown, lock,
                           strerror(errno));
    am_free(lock);
    return st;
}

/* Under the lock, no other run is alive: staging directories beside the
 * target are dead runs'.  A run that died between the two renames of the
 * fallback exchange left no target and the previous run in DIR.old-*: that
 * is put back first. */
static am_status clean_dead_runs(const am_out_dir *d, am_err *err)
{
    const char *slash = strrchr(d->target, '/');
    char *parent = am_strndup(d->target, slash == d->target ? 1 : (size_t)(slash - d->target));
    if (!parent)
        return am_fail(err, AM_ERR_NOMEM, "out of memory");
    const char *base = slash + 1;
    const size_t nbase = strlen(base);
    DIR *dir = opendir(parent);
    if (!dir) {
        am_free(parent);
        return AM_OK; /* nothing to clean that can be seen */
    }
    struct stat st;
    int target_exists = lstat(d->target, &st) == 0;
    am_status status = AM_OK;
    /* First put a previous run back, then remove the rest: a dead run's
     * carried-over links go only where the live directory has their twin. */
    for (int pass = 0; pass < 2 && status == AM_OK; pass++) {
        rewinddir(dir);
        for (struct dirent *e; (e = readdir(dir));) {
            const char *n = e->d_name;
            if (strncmp(n, base, nbase) != 0 || strlen(n) != nbase + STAGING_SUFFIX_LEN ||
                (strncmp(n + nbase, ".new-", 5) != 0 && strncmp(n + nbase, ".old-", 5) != 0))
                continue;
            if (pass == 0 && (target_exists || n[nbase + 1] != 'o'))
                continue;
            char *path = am_malloc(strlen(parent) + strlen(n) + 2);
            char *mark = path ? am_malloc(strlen(parent) + strlen(n) + sizeof AM_OUT_MARKER + 2)
                              : NULL;
            if (!mark) {
                am_free(path);
                status = am_fail(err, AM_ERR_NOMEM, "out of memory");
                break;
            }
            sprintf(path, "%s/%s", parent, n);
            sprintf(mark, "%s/%s", path, AM_OUT_MARKER);
            if (pass == 0) {
                if (access(mark, F_OK) == 0 && rename(path, d->target) == 0)
                    target_exists = 1;
            } else {
                remove_run_dir(d, path);
            }
            am_free(mark);
            am_free(path);
        }
    }
    closedir(dir);
    am_free(parent);
    return status;
}

static am_status make_staging(am_out_dir *d, am_err *err)
{
    d->staging = join(d->target, ".new-XXXXXX");
    if (!d->staging)
        return am_fail(err, AM_ERR_NOMEM, "out of memory");
    if (!mkdtemp(d->staging)) {
        const int e = errno;
        am_free(d->staging);
        d->staging = NULL;
        return am_fail(err, AM_ERR_IO, "%s: cannot create a directory beside it: %s", d->shown,
                       strerror(e));
    }
    chmod(d->staging, 0755);
    char *mark = join(d->staging, "/" AM_OUT_MARKER);
    if (!mark)
        return am_fail(err, AM_ERR_NOMEM, "out of memory");
    const int fd = open(mark, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    am_free(mark);
    const size_t n = sizeof marker_text - 1;
    if (fd < 0 || write(fd, marker_text, n) != (ssize_t)n) {
        const int e = errno;
        if (fd >= 0)
            close(fd);
        return am_fail(err, AM_ERR_IO, "%s: cannot write %s: %s", d->shown, AM_OUT_MARKER,
                       strerror(e));
    }
    close(fd);
    return AM_OK;
}

am_status am_out_dir_open(am_out_dir *d, const char *dir, const char *const *names,
                          size_t nnames, const am_file_id *own, size_t nown, am_err *err)
{
    memset(d, 0, sizeof *d);
    d->lock_fd = -1;
    d->names = names;
    d->nnames = nnames;
    d->own = own;
    d->nown = nown;
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (!(d->shown = am_strndup(dir, len)))
        return am_fail(err, AM_ERR_NOMEM, "out of memory");
    am_status st = resolve(d, err);
    /* Checked before the lock, so that a refused directory is not even
     * given a lock file beside it; checked again under the lock. */
    if (st == AM_OK)
        st = check_target(d, err);
    if (st == AM_OK)
        st = take_lock(d, err);
    if (st == AM_OK)
        st = clean_dead_runs(d, err);
    if (st == AM_OK)
        st = check_target(d, err);
    if (st == AM_OK)
        st = make_staging(d, err);
    if (st != AM_OK)
        am_out_dir_close(d);
    return st;
}

/* Gives the staging directory a hard link to every file of the live one
 * that aidmatch did not write, so that they stay where they were. */
static am_status carry_over(const am_out_dir *d, int live, am_err *err)
{
    const int fd = open(d->staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const int scan = dup(live);
    DIR *dir = scan >= 0 ? fdopendir(scan) : NULL;
    if (fd < 0 || !dir) {
        const int e = errno;
        if (fd >= 0)
            close(fd);
        if (dir)
            closedir(dir);
        else if (scan >= 0)
            close(scan);
        return am_fail(err, AM_ERR_IO, "%s: cannot read: %s", d->shown, strerror(e));
    }
    am_status st = AM_OK;
    for (struct dirent *e; st == AM_OK && (e = readdir(dir));) {
        if (is_dot(e->d_name) || ours(d, e->d_name))
            continue;
        if (linkat(live, e->d_name, fd, e->d_name, 0) != 0)
            st = am_fail(err, AM_ERR_IO, "%s: cannot carry %s over to the new run: %s",
                         d->shown, e->d_name, strerror(errno));
    }
    closedir(dir);
    close(fd);
    return st;
}

/* Two renames where the file system has no exchange (NFS, CIFS): between
 * them the target is absent, and the previous run is in DIR.old-XXXXXX,
 * which the next run puts back (clean_dead_runs).  Sets *old to the path
 * now holding the previous run. */
static am_status exchange_by_renames(am_out_dir *d, char **old, am_err *err)
{
    if (!(*old = join(d->target, ".old-XXXXXX")))
        return am_fail(err, AM_ERR_NOMEM, "out of memory");
    int e = 0;
    if (!mkdtemp(*old)) {
        e = errno;
    } else if (rename(d->target, *old) != 0) {
        e = errno;
        rmdir(*old);
    } else if (rename(d->staging, d->target) != 0) {
        e = errno;
        rename(*old, d->target);
    }
    if (e) {
        am_free(*old);
        *old = NULL;
        return am_fail(err, AM_ERR_IO, "%s: cannot replace the previous run: %s", d->shown,
                       strerror(e));
    }
    return AM_OK;
}

am_status am_out_dir_commit(am_out_dir *d, am_err *err)
{
    const int live = open(d->target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (live < 0 && errno != ENOENT)
        return am_fail(err, AM_ERR_IO, "%s: cannot read: %s", d->shown, strerror(errno));
    if (live >= 0) {
        const am_status st = carry_over(d, live, err);
        close(live);
        if (st != AM_OK)
            return st;
    }
    sync_dir(d->staging);
    char *old = NULL;
    if (live < 0) {
        if (rename(d->staging, d->target) != 0)
            return am_fail(err, AM_ERR_IO, "%s: cannot create: %s", d->shown, strerror(errno));
    } else if (!getenv(AM_OUT_FORCE_RENAME_ENV) &&
               renameat2(AT_FDCWD, d->staging, AT_FDCWD, d->target, RENAME_EXCHANGE) == 0) {
        old = d->staging; /* after the exchange it names the previous run */
        d->staging = NULL;
    } else if (getenv(AM_OUT_FORCE_RENAME_ENV) || errno == EINVAL || errno == ENOSYS ||
               errno == EOPNOTSUPP) {
        const am_status st = exchange_by_renames(d, &old, err);
        if (st != AM_OK)
            return st;
    } else {
        return am_fail(err, AM_ERR_IO, "%s: cannot replace the previous run: %s", d->shown,
                       strerror(errno));
    }
    am_free(d->staging);
    d->staging = NULL;
    if (old) {
        remove_run_dir(d, old);
        am_free(old);
    }
    const char *slash = strrchr(d->target, '/');
    char *parent = am_strndup(d->target, slash == d->target ? 1 : (size_t)(slash - d->target));
    if (parent)
        sync_dir(parent);
    am_free(parent);
    return AM_OK;
}

void am_out_dir_restate(const am_out_dir *d, am_err *err)
{
    if (!err || !d->staging)
        return;
    char msg[AM_ERRMSG_MAX];
    size_t used = 0;
    const char *from = err->msg, *at;
    const size_t len = strlen(d->staging);
    while ((at = strstr(from, d->staging)) != NULL) {
        used += (size_t)snprintf(msg + used, sizeof msg - used, "%.*s%s", (int)(at - from), from,
                                 d->shown);
        if (used >= sizeof msg)
            return; /* a message that would not fit stays as it was */
        from = at + len;
    }
    if (from == err->msg)
        return;
    if ((size_t)snprintf(msg + used, sizeof msg - used, "%s", from) < sizeof msg - used)
        memcpy(err->msg, msg, sizeof msg);
}

void am_out_dir_close(am_out_dir *d)
{
    if (d->staging && d->target)
        remove_run_dir(d, d->staging);
    if (d->lock_fd >= 0)
        close(d->lock_fd);
    am_free(d->staging);
    am_free(d->target);
    am_free(d->shown);
    memset(d, 0, sizeof *d);
    d->lock_fd = -1;
}
