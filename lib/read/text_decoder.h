/*
 * text_decoder.h — streaming conversion of a feed's bytes to UTF-8.
 *
 * Bytes go in as chunks of any size, cut anywhere (even inside a character);
 * UTF-8 text comes out, with every invalid input sequence replaced by U+FFFD
 * and its place recorded so that the reader can flag the record holding it.
 */
#ifndef AM_TEXT_DECODER_H
#define AM_TEXT_DECODER_H

#include <iconv.h>
#include <stddef.h>

#include "read/csv_reader.h"

/* Input held back between chunks: an incomplete character (at most 4
 * bytes) or, while AM_ENC_AUTO is still deciding, the detection window. */
#define AM_DECODER_CARRY 512

typedef struct am_text_decoder {
    am_encoding enc;      /* AM_ENC_AUTO until the stream has decided */
    int sniffed;          /* AUTO: the BOM has been looked for */
    int at_start;         /* nothing decoded yet: a U+FEFF here is a BOM */
    iconv_t cd;           /* (iconv_t)-1 unless GB18030 or UTF-16 */
    size_t unit;          /* input bytes skipped per invalid iconv sequence */
    unsigned char carry[AM_DECODER_CARRY];
    size_t ncarry;
    /* Output of the last am_text_decoder_feed(), valid until the next. */
    char *out;
    size_t out_len, out_cap;
    size_t *marks;        /* ascending offsets in out of suspect characters */
    size_t nmarks, marks_cap;
    int open_errno; /* why iconv_open failed, for the message */
} am_text_decoder;

/* Prepares d for a stream in enc.  Returns AM_OK, AM_ERR_NOMEM,
 * AM_ERR_FORMAT when iconv cannot convert from enc on this system, or
 * AM_ERR_IO when it could not open the conversion for another reason (out
 * of file descriptors: d->open_errno says which). */
am_status am_text_decoder_init(am_text_decoder *d, am_encoding enc);

/* Decodes the next len bytes of the stream (final: they are the last; len
 * may be 0).  Replaces d->out/out_len and d->marks/nmarks: a mark is the
 * offset of a U+FFFD standing for invalid input, or of a U+FEFF that is not
 * at the start of the stream (a BOM where no BOM belongs); a BOM at the
 * start is dropped.  Returns AM_OK, AM_ERR_NOMEM or AM_ERR_FORMAT (AUTO
 * chose GB18030 and iconv cannot convert from it). */
am_status am_text_decoder_feed(am_text_decoder *d, const void *in, size_t len, int final);

/* Releases what init and feed allocated.  Safe after a failed init. */
void am_text_decoder_free(am_text_decoder *d);

#endif
