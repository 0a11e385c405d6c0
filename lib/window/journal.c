/*
 * journal.c — the intraday grant journal's file: its lines, appends under
 * flock, incremental reads, and the fresh start after a nightly run (see
 * journal.h).
 *
 *   aidmatch-journal  1  FINGERPRINT  SNAPSHOT_STAMP  SUM
 *   G  MADE  PERSON  ITEM  AGENCY  START  END  AMOUNT_FEN  SUM
 *
 * Fields are separated by tabs; SUM is 16 hex digits of the XXH3-64 of
 * the line up to and including the tab before it.
 */
#include "window/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/alloc.h"
#include "common/day.h"

#define MAGIC "aidmatch-journal"
#define LINE_MAX_BYTES 512
#define FIELDS_MAX 12

/* ------------------------------------------------------------------ */
/* Lines                                                                */

/* Adds the checksum and the newline to the len bytes of line (which end in
 * a tab); returns the new length. */
static size_t seal(char *line, size_t len)
{
    const uint64_t sum = XXH3_64bits(line, len);
    return len + (size_t)sprintf(line + len, "%016" PRIx64 "\n", sum);
}

static size_t header_line(char *out, const char *fingerprint, int64_t stamp)
{
    const int n = snprintf(out, LINE_MAX_BYTES, MAGIC "\t1\t%s\t%" PRId64 "\t", fingerprint, stamp);
    return seal(out, (size_t)n);
}

static size_t entry_line(char *out, const am_catalogue *cat, const am_journal_entry *e)
{
    char person[AM_TOKEN_HEX + 1], start[11], end[11];
    am_token_hex(e->person, person);
    am_day_format(e->start, start);
    am_day_format(e->end, end);
    const int n = snprintf(out, LINE_MAX_BYTES, "G\t%" PRId64 "\t%s\t%s\t%s\t%s\t%s\t%" PRId64 "\t",
                           e->made, person, cat->items[e->code].code,
                           cat->agencies[e->agency].code, start, end, e->amount_fen);
    return seal(out, (size_t)n);
}

/* Splits a line (without its newline) at tabs, after checking its sum.
 * Returns the number of fields before the sum, or -1. */
static int split(const char *line, size_t len, const char **f, size_t *flen)
{
    if (len < 17 || line[len - 17] != '\t')
        return -1;
    char want[17];
    snprintf(want, sizeof want, "%016" PRIx64, XXH3_64bits(line, len - 16));
    if (memcmp(want, line + len - 16, 16) != 0)
        return -1;
    int n = 0;
    for (size_t i = 0; i < len - 16;) {
        const char *tab = memchr(line + i, '\t', len - 16 - i);
        if (!tab || n == FIELDS_MAX)
            return -1;
        f[n] = line + i;
        flen[n++] = (size_t)(tab - (line + i));
        i = (size_t)(tab - line) + 1;
    }
    return n;
}

static int parse_i64(const char *s, size_t len, int64_t *out)
{
    char buf[24];
    if (len == 0 || len >= sizeof buf)
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    const long long v = strtoll(buf, &end, 10);
    if (errno || *end || (buf[0] != '-' && (buf[0] < '0' || buf[0] > '9')))
        return 0;
    *out = v;
    return 1;
}

typedef enum line_kind { LINE_BAD, LINE_HEADER, LINE_ENTRY } line_kind;

typedef struct header {
    char fingerprint[AM_FINGERPRINT_HEX + 1];
    int64_t stamp;
} header;

static line_kind parse_line(const char *line, size_t len, const am_catalogue *cat, header *h,
                            am_journal_entry *e)
{
    const char *f[FIELDS_MAX];
    size_t fl[FIELDS_MAX];
    const int n = split(line, len, f, fl);
    if (n == 4 && fl[0] == strlen(MAGIC) && memcmp(f[0], MAGIC, fl[0]) == 0 && fl[1] == 1 &&
        f[1][0] == '1' && fl[2] <= AM_FINGERPRINT_HEX && parse_i64(f[3], fl[3], &h->stamp)) {
        memcpy(h->fingerprint, f[2], fl[2]);
        h->fingerprint[fl[2]] = '\0';
        return LINE_HEADER;
    }
    if (n != 8 || fl[0] != 1 || f[0][0] != 'G')
        return LINE_BAD;
    memset(e, 0, sizeof *e);
    int item, agency;
    if (!parse_i64(f[1], fl[1], &e->made) || !am_token_parse(f[2], fl[2], e->person) ||
        fl[2] != AM_TOKEN_HEX || (item = am_catalogue_item(cat, f[3], fl[3])) < 0 ||
        (agency = am_catalogue_agency(cat, f[4], fl[4])) < 0 ||
        !am_day_parse(f[5], fl[5], AM_DATE_AUTO, &e->start) ||
        !am_day_parse(f[6], fl[6], AM_DATE_AUTO, &e->end) || e->end < e->start ||
        !parse_i64(f[7], fl[7], &e->amount_fen) || e->amount_fen < 0)
        return LINE_BAD;
    e->code = (uint16_t)item;
    e->agency = (uint16_t)agency;
    return LINE_ENTRY;
}

/* ------------------------------------------------------------------ */
/* Files                                                                */

static am_status io_fail(am_err *err, const char *what, const char *path)
{
    return am_fail(err, AM_ERR_IO, "%s: cannot %s: %s", path, what, strerror(errno));
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        const ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return 0;
        p += w;
        len -= (size_t)w;
    }
    return 1;
}

/* Reads bytes [from, size) of fd into a new buffer. */
static am_status read_from(int fd, uint64_t from, uint64_t size, char **out, am_err *err,
                           const char *path)
{
    const size_t len = (size_t)(size - from);
    char *buf = am_malloc(len + 1);
    if (!buf)
        return am_fail(err, AM_ERR_NOMEM, "out of memory reading the journal");
    size_t got = 0;
    while (got < len) {
        const ssize_t r = pread(fd, buf + got, len - got, (off_t)(from + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            am_free(buf);
            return r < 0 ? io_fail(err, "read", path)
                         : am_fail(err, AM_ERR_IO, "%s: shorter than its size", path);
        }
        got += (size_t)r;
    }
    *out = buf;
    return AM_OK;
}

/* Opens path and locks it, making sure the lock is on the file the path
 * names now (a take-in may have replaced it while we waited). */
static int open_locked(const char *path, int flags, int lock, struct stat *st)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        const int fd = open(path, flags | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
        struct stat now;
        if (flock(fd, lock) != 0 || fstat(fd, st) != 0) {
            close(fd);
            return -1;
        }
        if (stat(path, &now) == 0 && now.st_ino == st->st_ino && now.st_dev == st->st_dev)
            return fd;
        close(fd);
    }
    errno = EAGAIN;
    return -1;
}

static void reset(am_journal *j)
{
    j->n = 0;
    j->consumed = j->lines = j->ignored = 0;
    j->have_file = 0;
}

static am_status add_entry(am_journal *j, const am_journal_entry *e)
{
    return AM_PUSH(j->v, j->n, j->cap, *e) ? AM_OK : AM_ERR_NOMEM;
}

/* Parses the whole lines of buf[0, len) into j; returns the bytes used. */
static am_status parse_lines(am_journal *j, const char *buf, size_t len, const am_catalogue *cat,
                             const char *fingerprint, size_t *used, am_err *err)
{
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr(buf + at, '\n', len - at);
        if (!nl)
            break; /* a torn append, or one not yet finished: read again later */
        const size_t n = (size_t)(nl - (buf + at));
        header h;
        am_journal_entry e;
        const line_kind kind = parse_line(buf + at, n, cat, &h, &e);
        j->lines++;
        if (kind == LINE_HEADER && j->lines == 1) {
            if (fingerprint && *fingerprint && strcmp(h.fingerprint, fingerprint) != 0)
                return am_fail(err, AM_ERR_KEY,
                               "%s: the journal was written under key %s, not %s", j->path,
                               h.fingerprint, fingerprint);
        } else if (kind == LINE_ENTRY) {
            e.line = (uint32_t)j->lines;
            if (add_entry(j, &e) != AM_OK)
                return am_fail(err, AM_ERR_NOMEM, "out of memory reading the journal");
        } else {
            j->ignored++;
        }
        at += n + 1;
    }
    *used = at;
    return AM_OK;
}

am_status am_journal_refresh(am_journal *j, const am_catalogue *cat, const char *fingerprint,
                             am_err *err)
{
    struct stat st;
    if (stat(j->path, &st) != 0) {
        if (errno != ENOENT)
            return io_fail(err, "read", j->path);
        reset(j);
        return AM_OK;
    }
    if (j->have_file && st.st_ino == j->ino && st.st_dev == j->dev &&
        (uint64_t)st.st_size == j->consumed)
        return AM_OK; /* nothing new: the usual case, one stat */
    const int fd = open_locked(j->path, O_RDONLY, LOCK_SH, &st);
    if (fd < 0) {
        if (errno == ENOENT) {
            reset(j);
            return AM_OK;
        }
        return io_fail(err, "read", j->path);
    }
    if (!j->have_file || st.st_ino != j->ino || st.st_dev != j->dev ||
        (uint64_t)st.st_size < j->consumed)
        reset(j);
    j->have_file = 1;
    j->dev = st.st_dev;
    j->ino = st.st_ino;
    am_status status = AM_OK;
    if ((uint64_t)st.st_size > j->consumed) {
        char *buf;
        status = read_from(fd, j->consumed, (uint64_t)st.st_size, &buf, err, j->path);
        if (status == AM_OK) {
            size_t used = 0;
            status = parse_lines(j, buf, (size_t)((uint64_t)st.st_size - j->consumed), cat,
                                 fingerprint, &used, err);
            j->consumed += used;
            am_free(buf);
        }
    }
    close(fd);
    if (status != AM_OK)
        reset(j);
    return status;
}

/* The header of an open journal, if its first line is one. */
static int read_header(int fd, const am_catalogue *cat, header *h)
{
    char buf[LINE_MAX_BYTES];
    const ssize_t r = pread(fd, buf, sizeof buf, 0);
    const char *nl = r > 0 ? memchr(buf, '\n', (size_t)r) : NULL;
    am_journal_entry e;
    return nl && parse_line(buf, (size_t)(nl - buf), cat, h, &e) == LINE_HEADER;
}

am_status am_journal_append(const char *path, const am_catalogue *cat, const char *fingerprint,
                            int64_t snapshot_stamp, const am_journal_entry *e, am_err *err)
{
    struct stat st;
    const int fd = open_locked(path, O_RDWR | O_APPEND | O_CREAT, LOCK_EX, &st);
    if (fd < 0)
        return io_fail(err, "open for appending", path);
    char line[2 * LINE_MAX_BYTES + 1];
    size_t len = 0;
    header h;
    am_status status = AM_OK;
    if (st.st_size == 0) {
        len = header_line(line, fingerprint, snapshot_stamp);
    } else {
        if (read_header(fd, cat, &h) && strcmp(h.fingerprint, fingerprint) != 0)
            status = am_fail(err, AM_ERR_KEY, "%s: the journal was written under key %s, not %s",
                             path, h.fingerprint, fingerprint);
        char last;
        if (pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
            line[len++] = '\n'; /* ends a torn line, which its checksum then rejects */
    }
    if (status == AM_OK) {
        len += entry_line(line + len, cat, e);
        if (!write_all(fd, line, len) || fsync(fd) != 0)
            status = io_fail(err, "append to", path);
    }
    close(fd);
    return status;
}

/* Writes len bytes to path through a temporary file beside it. */
static am_status replace_file(const char *path, const char *data, size_t len, am_err *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return am_fail(err, AM_ERR_IO, "%s: path too long", path);
    const int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return io_fail(err, "create", tmp);
    const int ok = write_all(fd, data, len) && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) != 0) {
        const am_status st = io_fail(err, "write", tmp);
        unlink(tmp);
        return st;
    }
    return AM_OK;
}

am_status am_journal_take_in(const char *path, const am_catalogue *cat, const char *fingerprint,
                             int64_t snapshot_stamp, am_journal_arrived_fn arrived, void *user,
                             size_t *carried, size_t *dropped, am_err *err)
{
    size_t ncarried = 0, ndropped = 0;
    struct stat st;
    const int fd = open_locked(path, O_RDWR, LOCK_EX, &st);
    if (fd < 0)
        return errno == ENOENT ? AM_OK : io_fail(err, "open", path);
    header h;
    am_status status = AM_OK;
    if (read_header(fd, cat, &h) && h.stamp >= snapshot_stamp) {
        close(fd);
        return AM_OK; /* started for this snapshot, or a newer one */
    }
    char *old = NULL, *fresh = NULL;
    am_journal j = {.path = (char *)(uintptr_t)path};
    size_t used = 0;
    if ((status = read_from(fd, 0, (uint64_t)st.st_size, &old, err, path)) == AM_OK)
        status = parse_lines(&j, old, (size_t)st.st_size, cat, fingerprint, &used, err);
    const size_t cap = LINE_MAX_BYTES * (j.n + 1);
    if (status == AM_OK && !(fresh = am_malloc(cap)))
        status = am_fail(err, AM_ERR_NOMEM, "out of memory taking the journal in");
    if (status == AM_OK) {
        size_t len = header_line(fresh, fingerprint, snapshot_stamp);
        for (size_t i = 0; i < j.n; i++) {
            if (arrived(user, &j.v[i])) {
                ndropped++;
                continue;
            }
            len += entry_line(fresh + len, cat, &j.v[i]);
            ncarried++;
        }
        char previous[4096];
        if (snprintf(previous, sizeof previous, "%s.previous", path) >= (int)sizeof previous)
            status = am_fail(err, AM_ERR_IO, "%s: path too long", path);
        if (status == AM_OK)
            status = replace_file(previous, old, (size_t)st.st_size, err);
        if (status == AM_OK)
            status = replace_file(path, fresh, len, err);
    }
    close(fd);
    am_free(old);
    am_free(fresh);
    am_free(j.v);
    if (carried)
        *carried = ncarried;
    if (dropped)
        *dropped = ndropped;
    return status;
}

void am_journal_free(am_journal *j)
{
    am_free(j->v);
    am_free(j->path);
    memset(j, 0, sizeof *j);
}
