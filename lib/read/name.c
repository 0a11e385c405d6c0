/*
 * name.c — keyed name evidence (see name.h).
 *
 * A name is read only to be hashed: the normalised copy lives on the stack
 * for the length of one call and is wiped.  The whole-name token is
 * SipHash-2-4 (64 bits) under the centre key with a domain prefix, so it
 * can never equal a person's or a household's token; each character's
 * token is the low 16 bits of the same under another prefix.  Sixteen bits
 * suffice because they are only ever compared among a handful of names'
 * characters, where a chance collision costs one character of agreement.
 */
#include "read/name.h"

#include <sodium.h>
#include <string.h>

#define NAME_PREFIX "name:"
#define CHAR_PREFIX "namechar:"
/* Normalised bytes hashed at most: a name field longer than this is not a
 * person's name, and its first bytes still tell it apart. */
#define NAME_MAX_BYTES 96

/* Bytes of the UTF-8 character that starts with lead (1 for a stray
 * continuation byte, so that the walk always advances). */
static size_t char_len(unsigned char lead)
{
    return lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
}

static int is_separator(const unsigned char *p, size_t n)
{
    static const char *const forms[] = {"\xC2\xB7",     "\xE2\x80\xA2", "\xE3\x83\xBB",
                                        "\xE2\x97\x8F", "\xEF\xBC\x8E", "\xE2\x80\xA7"};
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++)
        if (strlen(forms[i]) == n && memcmp(p, forms[i], n) == 0)
            return 1;
    return 0;
}

static int is_space(const unsigned char *p, size_t n)
{
    return (n == 1 && (*p == ' ' || *p == '\t')) || (n == 3 && memcmp(p, "\xE3\x80\x80", 3) == 0);
}

static uint16_t char_token(const am_key *key, const unsigned char *p, size_t n)
{
    unsigned char buf[sizeof CHAR_PREFIX + 4], out[crypto_shorthash_siphash24_BYTES];
    memcpy(buf, CHAR_PREFIX, sizeof CHAR_PREFIX - 1);
    memcpy(buf + sizeof CHAR_PREFIX - 1, p, n);
    crypto_shorthash_siphash24(out, buf, sizeof CHAR_PREFIX - 1 + n, key->bytes);
    sodium_memzero(buf, sizeof buf);
    return (uint16_t)(out[0] | out[1] << 8);
}

/* The code point of an ASCII byte or of a well-formed three-byte
 * sequence, whose bytes it alone determines; -1 for any other form, whose
 * token is not remembered. */
static long remembered_code_point(const unsigned char *p, size_t n)
{
    if (n == 1 && p[0] < 0x80)
        return p[0];
    if (n != 3 || (p[0] & 0xF0) != 0xE0 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
        return -1;
    const long cp = (long)(p[0] & 0x0F) << 12 | (long)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    return cp >= 0x800 ? cp : -1; /* an overlong form shares its code point with another */
}

static uint16_t remembered_char_token(const am_key *key, am_name_chars *chars,
                                      const unsigned char *p, size_t n)
{
    const long cp = chars ? remembered_code_point(p, n) : -1;
    if (cp < 0)
        return char_token(key, p, n);
    const uint8_t bit = (uint8_t)(1u << (cp & 7));
    if (!(chars->known[cp >> 3] & bit)) {
        chars->token[cp] = char_token(key, p, n);
        chars->known[cp >> 3] |= bit;
    }
    return chars->token[cp];
}

/* At most AM_NAME_CHARS of them: insertion beats qsort's set-up. */
static void sort_chars(uint16_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const uint16_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

int am_name_evidence_make(const am_key *key, am_name_chars *chars, const char *text, size_t len,
                          am_name_evidence *ev)
{
    unsigned char norm[sizeof NAME_PREFIX + NAME_MAX_BYTES];
    size_t n = sizeof NAME_PREFIX - 1;
    memcpy(norm, NAME_PREFIX, n);
    memset(ev, 0, sizeof *ev);
    const unsigned char *p = (const unsigned char *)text, *end = p + (text ? len : 0);
    while (p < end) {
        size_t cl = char_len(*p);
        if (cl > (size_t)(end - p))
            cl = (size_t)(end - p);
        if (is_space(p, cl)) {
            p += cl;
            continue;
        }
        const int separator = is_separator(p, cl);
        const unsigned char *bytes = separator ? (const unsigned char *)"\xC2\xB7" : p;
        const size_t nbytes = separator ? 2 : cl;
        if (n + nbytes > sizeof norm)
            break;
        memcpy(norm + n, bytes, nbytes);
        if (nbytes == 1 && norm[n] >= 'A' && norm[n] <= 'Z')
            norm[n] = (unsigned char)(norm[n] - 'A' + 'a');
        if (!separator && ev->nchars < AM_NAME_CHARS)
            ev->chars[ev->nchars++] = remembered_char_token(key, chars, norm + n, nbytes);
        n += nbytes;
        p += cl;
    }
    const int present = n > sizeof NAME_PREFIX - 1;
    if (present) {
        unsigned char out[crypto_shorthash_siphash24_BYTES];
        crypto_shorthash_siphash24(out, norm, n, key->bytes);
        memcpy(&ev->whole, out, sizeof ev->whole);
        sort_chars(ev->chars, ev->nchars);
        if (!ev->nchars) /* a name of separators only is no name */
            memset(ev->whole, 0, sizeof ev->whole);
    }
    sodium_memzero(norm, sizeof norm);
    return present && ev->nchars;
}

unsigned am_name_dice(const am_name_evidence *a, const am_name_evidence *b)
{
    if (!a->nchars || !b->nchars)
        return 0;
    /* Both sorted: a merge counts the multiset intersection. */
    size_t i = 0, j = 0, common = 0;
    while (i < a->nchars && j < b->nchars) {
        if (a->chars[i] == b->chars[j]) {
            common++;
            i++;
            j++;
        } else if (a->chars[i] < b->chars[j]) {
            i++;
        } else {
            j++;
        }
    }
    return (unsigned)(2000 * common / (a->nchars + b->nchars));
}
