/*
 * inflater.c — gzip to bytes (see inflater.h).
 *
 * Built with AM_HAVE_ISAL, reading uses ISA-L's isal_inflate, which
 * parses the gzip header and checks the trailer's CRC-32 and length itself
 * (crc_flag ISAL_GZIP); otherwise zlib's inflate with gzip decoding
 * (windowBits 15 + 16).  Either way the state lives on the library's heap,
 * so the allocation-failure build reaches it, and output goes through one
 * fixed buffer of OUT_CHUNK bytes.
 *
 * The two engines are held to the same contract by the same tests (the
 * normal build uses ISA-L when present; tests/meson.build also builds the
 * reader and the CLI without it): a member is done only once its trailer
 * has been checked, the next member starts at the first byte after it, and
 * anything else there fails as a bad header.
 */
#include "read/inflater.h"

#include <stdint.h>

#include "common/alloc.h"

#ifdef AM_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#define ZLIB_CONST /* next_in is const: the caller's buffer is never written */
#include <zlib.h>
#endif

/* As the reader's own chunk: output stays in L2 with its decoded copy. */
#define OUT_CHUNK (256u * 1024u)

struct am_inflater {
#ifdef AM_HAVE_ISAL
    struct inflate_state st;
#else
    z_stream zs;
    int zs_ready; /* zs needs inflateEnd */
#endif
    int member_done; /* the last member ended cleanly, trailer checked */
    unsigned char out[OUT_CHUNK];
};

#ifdef AM_HAVE_ISAL

const char *am_inflater_engine(void) { return "isa-l"; }

static void start_member(am_inflater *z)
{
    isal_inflate_reset(&z->st);
    z->st.crc_flag = ISAL_GZIP;
}

am_status am_inflater_new(am_inflater **out)
{
    am_inflater *z = am_secret_malloc(sizeof *z);
    *out = z;
    if (!z)
        return AM_ERR_NOMEM;
    isal_inflate_init(&z->st);
    z->st.crc_flag = ISAL_GZIP;
    z->member_done = 0;
    return AM_OK;
}

am_status am_inflater_feed(am_inflater *z, const unsigned char *p, size_t n,
                           am_inflate_sink sink, void *user)
{
    am_status st;

    /* The reader never hands more than a chunk at a time; avail_in is 32 bits. */
    if (n > UINT32_MAX)
        return AM_ERR_INVALID;
    /* isal_inflate only reads next_in; its field is not const. */
    z->st.next_in = (uint8_t *)(uintptr_t)p;
    z->st.avail_in = (uint32_t)n;
    for (;;) {
        if (z->member_done) {
            if (z->st.avail_in == 0)
                break;
            /* isal_inflate_reset keeps nothing of the input but what is
             * still in next_in: the bytes after the trailer. */
            uint8_t *next = z->st.next_in;
            uint32_t avail = z->st.avail_in;
            start_member(z);
            z->st.next_in = next;
            z->st.avail_in = avail;
            z->member_done = 0;
        }
        z->st.next_out = z->out;
        z->st.avail_out = OUT_CHUNK;
        int rc = isal_inflate(&z->st);
        if (rc != ISAL_DECOMP_OK)
            return AM_ERR_FORMAT;
        if (z->st.block_state == ISAL_BLOCK_FINISH)
            z->member_done = 1;
        size_t got = OUT_CHUNK - z->st.avail_out;
        if (got > 0 && (st = sink(user, z->out, got)) != AM_OK)
            return st;
        /* A full output buffer may mean more output is pending. */
        if (!z->member_done && z->st.avail_in == 0 && z->st.avail_out != 0)
            break;
    }
    return AM_OK;
}

void am_inflater_free(am_inflater *z) { am_secret_free(z); }

#else /* zlib */

const char *am_inflater_engine(void) { return "zlib"; }

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    if (size && items > SIZE_MAX / size)
        return Z_NULL;
    return am_secret_malloc((size_t)items * size); /* the window holds feed text */
}

static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    am_secret_free(p);
}

am_status am_inflater_new(am_inflater **out)
{
    am_inflater *z = am_secret_malloc(sizeof *z);
    *out = z;
    if (!z)
        return AM_ERR_NOMEM;
    z->zs.zalloc = z_alloc;
    z->zs.zfree = z_free;
    z->zs.opaque = Z_NULL;
    z->zs.next_in = Z_NULL;
    z->zs.avail_in = 0;
    z->zs_ready = 0;
    z->member_done = 0;
    int zr = inflateInit2(&z->zs, 15 + 16);
    if (zr == Z_MEM_ERROR)
        return AM_ERR_NOMEM;
    if (zr != Z_OK)
        return AM_ERR_FORMAT;
    z->zs_ready = 1;
    return AM_OK;
}

am_status am_inflater_feed(am_inflater *z, const unsigned char *p, size_t n,
                           am_inflate_sink sink, void *user)
{
    am_status st;

    if (n > UINT32_MAX)
        return AM_ERR_INVALID;
    z->zs.next_in = p;
    z->zs.avail_in = (uInt)n;
    for (;;) {
        if (z->member_done) {
            if (z->zs.avail_in == 0)
                break;
            if (inflateReset(&z->zs) != Z_OK)
                return AM_ERR_FORMAT;
            z->member_done = 0;
        }
        z->zs.next_out = z->out;
        z->zs.avail_out = OUT_CHUNK;
        int zr = inflate(&z->zs, Z_NO_FLUSH);
        if (zr == Z_STREAM_END)
            z->member_done = 1;
        else if (zr == Z_MEM_ERROR)
            return AM_ERR_NOMEM;
        else if (zr != Z_OK && zr != Z_BUF_ERROR)
            return AM_ERR_FORMAT;
        size_t got = OUT_CHUNK - z->zs.avail_out;
        if (got > 0 && (st = sink(user, z->out, got)) != AM_OK)
            return st;
        /* A full output buffer may mean more output is pending. */
        if (!z->member_done && z->zs.avail_in == 0 && z->zs.avail_out != 0)
            break;
    }
    return AM_OK;
}

void am_inflater_free(am_inflater *z)
{
    if (z && z->zs_ready)
        inflateEnd(&z->zs);
    am_secret_free(z);
}

#endif

int am_inflater_done(const am_inflater *z) { return z->member_done; }
