/*
 * spilled_code.c — the compact form of a spilled record (see
 * spilled_code.h): a flags byte, the person token, then code, feed,
 * amount, start, the period's length, line as LEB128 integers (signed
 * ones zigzagged), then what the flags say follows.
 */
#include "store/spilled_code.h"

#include <string.h>

#include "common/day.h"

enum {
    HAS_HOUSEHOLD = 1,
    OPEN_END = 2,
    HAS_VALUE = 4,
    HAS_RESERVED = 8, /* a record's reserved bytes are zero; carried if not */
    ALL_FLAGS = 15
};

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static uint64_t zigzag(int64_t v)
{
    return v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
}

static int64_t unzigzag(uint64_t u)
{
    return u & 1 ? -(int64_t)(u >> 1) - 1 : (int64_t)(u >> 1);
}

size_t am_spilled_encode(const void *item, unsigned char *out)
{
    const am_spilled *s = item;
    const am_record *r = &s->rec;
    const int reserved = r->reserved[0] | r->reserved[1] | r->reserved[2];
    const unsigned flags = (r->household ? HAS_HOUSEHOLD : 0) |
                           (r->end == AM_DAY_OPEN ? OPEN_END : 0) |
                           (r->value ? HAS_VALUE : 0) | (reserved ? HAS_RESERVED : 0);
    unsigned char *p = out;
    *p++ = (unsigned char)flags;
    memcpy(p, r->person, AM_TOKEN_BYTES);
    p += AM_TOKEN_BYTES;
    p = put_varint(p, r->code);
    p = put_varint(p, r->feed);
    p = put_varint(p, zigzag(r->amount_fen));
    p = put_varint(p, zigzag(r->start));
    if (!(flags & OPEN_END))
        p = put_varint(p, zigzag((int64_t)r->end - r->start));
    p = put_varint(p, r->line);
    if (flags & HAS_VALUE)
        *p++ = r->value;
    if (flags & HAS_RESERVED) {
        memcpy(p, r->reserved, sizeof r->reserved);
        p += sizeof r->reserved;
    }
    if (flags & HAS_HOUSEHOLD) {
        memcpy(p, s->household, AM_TOKEN_BYTES);
        p += AM_TOKEN_BYTES;
    }
    return (size_t)(p - out);
}

/* Reads a varint of at most 64 bits from [*p, end); 0 when cut short,
 * longer, or not in its shortest form (a last byte of 0 after others),
 * which no encoder writes: so no record takes over AM_SPILLED_CODE_MAX. */
static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
        const unsigned char b = *(*p)++;
        if (shift == 63 && b > 1)
            return 0;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (b == 0 && shift > 0)
                return 0;
            *v = x;
            return 1;
        }
    }
    return 0;
}

/* Reads one record from the avail bytes at in into *s, or only checks
 * and measures it when s is NULL: the two take and refuse the same bytes.
 * Inlined into each, where s's being NULL is known. */
static inline size_t parse(const unsigned char *in, size_t avail, am_spilled *s)
{
    const unsigned char *p = in, *end = in + avail;
    if (avail < 1 + AM_TOKEN_BYTES || (in[0] & ~ALL_FLAGS))
        return 0;
    const unsigned flags = *p++;
    const unsigned char *person = p;
    p += AM_TOKEN_BYTES;
    uint64_t code, feed, amount, start, length = 0, line;
    if (!get_varint(&p, end, &code) || code > UINT16_MAX || !get_varint(&p, end, &feed) ||
        feed > UINT16_MAX || !get_varint(&p, end, &amount) || !get_varint(&p, end, &start))
        return 0;
    const int64_t first = unzigzag(start);
    if (first < INT32_MIN || first > INT32_MAX)
        return 0;
    if (!(flags & OPEN_END) && !get_varint(&p, end, &length))
        return 0;
    /* Two int32 days are less than 2^32 apart: a longer span is damage,
     * and adding it could overflow. */
    const int64_t span = unzigzag(length);
    if (span < -((int64_t)1 << 32) || span > (int64_t)1 << 32)
        return 0;
    const int64_t last = flags & OPEN_END ? AM_DAY_OPEN : first + span;
    if (last < INT32_MIN || last > INT32_MAX || !get_varint(&p, end, &line) || line > UINT32_MAX)
        return 0;
    const size_t tail = (flags & HAS_VALUE ? 1 : 0) + (flags & HAS_RESERVED ? 3 : 0) +
                        (flags & HAS_HOUSEHOLD ? AM_TOKEN_BYTES : 0);
    if ((size_t)(end - p) < tail)
        return 0;
    if (!s)
        return (size_t)(p - in) + tail;
    memset(s, 0, sizeof *s);
    am_record *r = &s->rec;
    memcpy(r->person, person, AM_TOKEN_BYTES);
    r->code = (uint16_t)code;
    r->feed = (uint16_t)feed;
    r->amount_fen = unzigzag(amount);
    r->start = (int32_t)first;
    r->end = (int32_t)last;
    r->line = (uint32_t)line;
    if (flags & HAS_VALUE)
        r->value = *p++;
    if (flags & HAS_RESERVED) {
        memcpy(r->reserved, p, sizeof r->reserved);
        p += sizeof r->reserved;
    }
    if (flags & HAS_HOUSEHOLD) {
        r->household = 1;
        memcpy(s->household, p, AM_TOKEN_BYTES);
        p += AM_TOKEN_BYTES;
    }
    return (size_t)(p - in);
}

size_t am_spilled_decode(const unsigned char *in, size_t avail, void *item)
{
    return parse(in, avail, item);
}

size_t am_spilled_measure(const unsigned char *in, size_t avail)
{
    return parse(in, avail, NULL);
}

const am_spill_codec am_spilled_codec = {sizeof(am_spilled), AM_SPILLED_CODE_MAX,
                                         am_spilled_encode, am_spilled_decode,
                                         am_spilled_measure};
