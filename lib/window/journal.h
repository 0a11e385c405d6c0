/*
 * journal.h — the intraday grant journal: the grants made at the window
 * since the snapshot was written, kept beside it (SNAPSHOT.journal) so
 * that a check this afternoon sees a grant made this morning.
 *
 * One line per grant, tokens only, each line ending in an XXH3-64 of
 * itself; the first line names the key (by fingerprint) and the snapshot
 * (by the time it was written).  Appends take an exclusive flock and end
 * with fsync; a line cut short by a crash or failing its checksum is
 * ignored and counted, and the next append starts on a fresh line.
 * Readers take a shared flock, so they never see half an append.
 *
 * The agencies' own feeds are the record of payment: a journal entry that
 * a snapshot's records already hold (same person, item and agency, an
 * overlapping period) has arrived and is ignored.  When a window opens a
 * snapshot newer than the journal's, the journal is started afresh with
 * the entries that have not arrived; the old one is kept as
 * SNAPSHOT.journal.previous.
 */
#ifndef AM_JOURNAL_H
#define AM_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/token.h"
#include "read/catalogue.h"

typedef struct am_journal_entry {
    unsigned char person[AM_TOKEN_BYTES];
    int64_t made;       /* seconds since 1970 (UTC) when recorded */
    int64_t amount_fen;
    int32_t start, end; /* inclusive days */
    uint16_t code;      /* item, catalogue numbering */
    uint16_t agency;    /* catalogue index */
    uint32_t line;      /* line in the journal file */
} am_journal_entry;

/* The entries of one journal file as last read. */
typedef struct am_journal {
    char *path;
    am_journal_entry *v;
    size_t n, cap;
    uint64_t consumed;  /* bytes read and parsed: whole lines */
    uint64_t lines;     /* lines seen, header included */
    uint64_t ignored;   /* lines failing their checksum or their parse */
    dev_t dev;
    ino_t ino;
    int have_file;
} am_journal;

/* Whether a snapshot's records hold an entry already (it has arrived). */
typedef int (*am_journal_arrived_fn)(void *user, const am_journal_entry *e);

/* Reads what was appended to the journal since the last call (all of it
 * when the file was replaced).  A missing file is an empty journal.
 * Returns AM_OK, AM_ERR_IO, AM_ERR_KEY (written under another key) or
 * AM_ERR_NOMEM. */
am_status am_journal_refresh(am_journal *j, const am_catalogue *cat, const char *fingerprint,
                             am_err *err);

/* Appends one entry (its line field is ignored) under an exclusive lock,
 * creating the file (mode 0600) with its first line when absent.
 * snapshot_stamp names the snapshot for a new file.  Returns AM_OK,
 * AM_ERR_IO or AM_ERR_KEY (the file belongs to another key). */
am_status am_journal_append(const char *path, const am_catalogue *cat, const char *fingerprint,
                            int64_t snapshot_stamp, const am_journal_entry *e, am_err *err);

/* When the journal at path was started for a snapshot older than
 * snapshot_stamp: keeps the file as PATH.previous and starts a new one
 * holding the entries that arrived() says have not arrived.  *carried and
 * *dropped (may be NULL) count them.  A missing journal is left missing.
 * Returns AM_OK, AM_ERR_IO, AM_ERR_KEY or AM_ERR_NOMEM. */
am_status am_journal_take_in(const char *path, const am_catalogue *cat, const char *fingerprint,
                             int64_t snapshot_stamp, am_journal_arrived_fn arrived, void *user,
                             size_t *carried, size_t *dropped, am_err *err);

void am_journal_free(am_journal *j);

#endif
