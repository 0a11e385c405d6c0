/*
 * partition_dir.c — the partitioned run's own directory (see
 * partition_dir.h).
 */
#define _GNU_SOURCE /* mkdtemp */
#include "run/partition_dir.h"

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
#include "write/out_dir.h"

#define LOCK_NAME "lock"

char *am_partition_dir_file(const am_partition_dir *d, const char *name)
{
    return am_strdup_printf("%s/%s", d->path, name);
}

/* A name a partitioned run writes in its directory (partition.c,
 * components.c, extsort.c name them so). */
static int ours(const char *name)
{
    /* "edges": a run of an earlier version wrote the household graph's
     * edges there, and its directory may be left after a crash. */
    static const char *const prefixes[] = {"bucket-",  "edges",  "labels",    "part-",  "registry",
                                           "sorted",   "snapshot.", "found-", "run.state"};
    if (strcmp(name, LOCK_NAME) == 0)
        return 1;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

/* Removes our files from the directory dir_fd and, if that empties it,
 * the directory name in parent_fd. */
static void remove_ours(int parent_fd, const char *name, int dir_fd)
{
    DIR *dir = fdopendir(dup(dir_fd));
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir)))
        if (ours(e->d_name))
            unlinkat(dir_fd, e->d_name, 0);
    closedir(dir);
    unlinkat(parent_fd, name, AT_REMOVEDIR); /* fails, harmlessly, if anything else is left */
}

/* Removes what runs that died left under temp_dir. */
static void clean_stale(const char *temp_dir)
{
    const int parent = open(temp_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0)
        return;
    DIR *dir = fdopendir(dup(parent));
    if (!dir) {
        close(parent);
        return;
    }
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (strncmp(e->d_name, AM_PARTITION_DIR_PREFIX, strlen(AM_PARTITION_DIR_PREFIX)) != 0 ||
            strlen(e->d_name) != strlen(AM_PARTITION_DIR_PREFIX) + 6)
            continue;
        const int fd = openat(parent, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        const int lock = openat(fd, LOCK_NAME, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        /* No lock file: a run that died before making it, or one making
         * it now; only an empty directory is removed, so either is safe. */
        if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) == 0)
            remove_ours(parent, e->d_name, fd);
        if (lock >= 0)
            close(lock);
        close(fd);
    }
    closedir(dir);
    close(parent);
}

am_status am_partition_dir_open(am_partition_dir *d, const char *temp_dir, am_err *err)
{
    d->path = NULL;
    d->lock_fd = -1;
    struct stat sb;
    if (stat(temp_dir, &sb) != 0)
        return am_fail(err, AM_ERR_IO, "temporary directory %s: %s", temp_dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return am_fail(err, AM_ERR_IO, "temporary directory %s: not a directory", temp_dir);
    clean_stale(temp_dir);
    for (int attempt = 0; attempt < 3; attempt++) {
        char *path = am_strdup_printf("%s/%sXXXXXX", temp_dir, AM_PARTITION_DIR_PREFIX);
        if (!path)
            return am_fail(err, AM_ERR_NOMEM, "out of memory");
        if (!mkdtemp(path)) {
            const am_status st = am_fail(err, AM_ERR_IO, "temporary directory %s: cannot make "
                                         "a directory for partition files: %s", temp_dir,
                                         strerror(errno));
            am_free(path);
            return st;
        }
        d->path = path;
        char *lock = am_partition_dir_file(d, LOCK_NAME);
        if (!lock) {
            am_partition_dir_close(d);
            return am_fail(err, AM_ERR_NOMEM, "out of memory");
        }
        d->lock_fd = open(lock, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int e = errno;
        const int locked = d->lock_fd >= 0 && flock(d->lock_fd, LOCK_EX | LOCK_NB) == 0;
        if (d->lock_fd >= 0 && !locked)
            e = errno;
        /* Another run's cleaning may take the new directory between the
         * lock file's making and its locking: it removed the directory
         * before the lock was made (ENOENT), holds the lock while it
         * removes it (EWOULDBLOCK), or has removed it, lock and all, once
         * this run locked.  Then make another. */
        struct stat held, named;
        const int ours_still = locked && fstat(d->lock_fd, &held) == 0 &&
                               stat(lock, &named) == 0 && held.st_dev == named.st_dev &&
                               held.st_ino == named.st_ino;
        am_free(lock);
        if (ours_still)
            return AM_OK;
        if (locked || (d->lock_fd < 0 && e == ENOENT) || (d->lock_fd >= 0 && e == EWOULDBLOCK)) {
            if (d->lock_fd >= 0)
                close(d->lock_fd);
            d->lock_fd = -1;
            am_free(d->path);
            d->path = NULL;
            continue;
        }
        am_partition_dir_close(d);
        return am_fail(err, AM_ERR_IO, "temporary directory %s: cannot lock a directory for "
                       "partition files: %s", temp_dir, strerror(e));
    }
    return am_fail(err, AM_ERR_IO, "temporary directory %s: its directories for partition "
                   "files keep being removed", temp_dir);
}

void am_partition_dir_close(am_partition_dir *d)
{
    if (d->path) {
        const int fd = open(d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            /* The lock goes last, with the directory. */
            char *slash = strrchr(d->path, '/');
            *slash = '\0';
            const int parent = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            *slash = '/';
            if (parent >= 0) {
                remove_ours(parent, slash + 1, fd);
                close(parent);
            }
            close(fd);
        }
    }
    if (d->lock_fd >= 0)
        close(d->lock_fd);
    am_free(d->path);
    d->path = NULL;
    d->lock_fd = -1;
}
