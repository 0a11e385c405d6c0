/*
 * csv_reader.h — turns a feed file (plain or gzip, any supported encoding)
 * into UTF-8 CSV records with the physical line each starts on.
 */
#ifndef AM_CSV_READER_H
#define AM_CSV_READER_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "read/separator_scan.h"

typedef enum am_encoding {
    AM_ENC_AUTO = 0, /* a BOM decides; else the 256 bytes from the first non-ASCII byte:
                        UTF-8 when valid multi-byte characters outnumber invalid
                        sequences 8 to 1, else GB18030.  Declare the encoding of
                        small feeds: a few GBK characters can be valid UTF-8. */
    AM_ENC_UTF8,
    AM_ENC_GB18030,  /* also reads GBK and GB2312, its subsets */
    AM_ENC_UTF16LE,
    AM_ENC_UTF16BE
} am_encoding;

/* Returns a static name: "auto", "utf-8", "gb18030", "utf-16le", "utf-16be". */
const char *am_encoding_name(am_encoding enc);
/* Parses a name as written in a centre file ("utf-8", "utf8", "gbk",
 * "gb18030", "utf-16", ...).  Returns 1 on success. */
int am_encoding_parse(const char *name, am_encoding *out);

typedef struct am_reader_opts {
    am_encoding encoding;
    unsigned char delimiter; /* ',' by default (0 means ',') */
    size_t max_field;        /* longest field in bytes; longer ones flag the row */
    size_t max_line;         /* longest physical line, and longest quoted record spanning
                                lines; longer fails the read (AM_ERR_LIMIT) */
    uint64_t max_rows;       /* most records (header included); more fail the read (AM_ERR_LIMIT) */
    unsigned max_inflate_ratio; /* gzip: most text bytes per stored byte (0: 100), past
                                   16 MiB of text; more fail the read (AM_ERR_LIMIT) */
    am_scan_kind scan;       /* the scanner that splits lines without quotes (0: the fastest) */
    int libcsv_only;         /* 1: libcsv splits every line, as the reference the scanner is
                                checked against; records and failures are the same either way */
    const char *max_rows_advice; /* what the max_rows message tells the reader to do
                                    (NULL: a feed's "raise max_rows if ...") */
    int inflate_ahead;       /* 1: a gzip file is inflated on a thread of its own, ahead of
                                the parsing (inflate_ahead.h), for a run on several threads */
    int cut_short;           /* 1: the text is the start of a longer file (a sample): a last
                                record the cut left open, in quotes or without its line end,
                                is the cut's and is dropped, not read nor a failure */
} am_reader_opts;

/* One CSV record, valid during the callback only.  Fields are UTF-8 and
 * NUL-terminated (a NUL inside a field is reported by has_nul, and the
 * field's len still counts every byte). */
typedef struct am_text_row {
    size_t nfields;
    char *const *field;
    const size_t *len;
    uint64_t line;        /* physical line (1-based) on which the record starts */
    int bad_encoding;     /* bytes invalid in the encoding were replaced by U+FFFD */
    int has_nul;          /* some field held a NUL byte */
    int field_too_long;   /* some field exceeded max_field (and was truncated) */
} am_text_row;

/* Receives each record, the header included, in file order.  Return 0 to go
 * on, non-zero to stop the read with AM_ERR_ABORTED. */
typedef int (*am_row_fn)(void *user, const am_text_row *row);

typedef struct am_read_result {
    am_encoding encoding;   /* the encoding actually used */
    uint64_t bytes_read;    /* bytes of the file as stored (compressed if gzip) */
    uint64_t records;       /* records delivered, header included */
    char xxh3[33];          /* XXH3-128 of the stored bytes, lowercase hex */
} am_read_result;

/* Reads the file at path.  gzip is detected by its magic bytes, not the
 * name.  Returns AM_OK, AM_ERR_IO (missing, unreadable, a directory, a
 * truncated or corrupt gzip stream), AM_ERR_FORMAT (an unterminated quote at
 * end of file, with the line where the field starts), AM_ERR_LIMIT or
 * AM_ERR_ABORTED; err receives "path:line: what" on failure, except on
 * AM_ERR_ABORTED, where the callback's own message is left in err.
 * result->xxh3 is "" on failure. */
am_status am_read_csv_file(const char *path, const am_reader_opts *opts,
                           am_row_fn fn, void *user, am_read_result *result, am_err *err);

/* As am_read_csv_file, over len bytes at data (possibly gzip); name is used
 * in messages. */
am_status am_read_csv_buffer(const void *data, size_t len, const char *name,
                             const am_reader_opts *opts, am_row_fn fn, void *user,
                             am_read_result *result, am_err *err);

/* As am_read_csv_file, over len bytes from offset of fd, an open plain
 * (not gzip) file: one part of a feed cut at a record boundary, read
 * beside the others on another thread (feed_split.h).  Its lines are
 * numbered from first_line.  A part after the first is not the start of
 * the text (a U+FEFF there is not a BOM) and must be read in the encoding
 * the first part decided, never AM_ENC_AUTO.  fd is read with pread and
 * left open; name is used in messages.  The part is not hashed (the
 * survey hashed the file once): result->xxh3 is "". */
am_status am_read_csv_part(int fd, const char *name, uint64_t offset, uint64_t len,
                           uint64_t first_line, const am_reader_opts *opts, am_row_fn fn,
                           void *user, am_read_result *result, am_err *err);

#endif
