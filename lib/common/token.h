/*
 * token.h — keyed pseudonymous tokens for resident and household IDs, and
 * the key they are made with.
 *
 * A token is SipHash-2-4 with 128-bit output (libsodium's
 * crypto_shorthash_siphashx24) of the normalised ID under the centre's
 * 128-bit key: a keyed PRF, so tokens cannot be reversed or recomputed
 * without the key, and fast enough (~30 ns) to hash every row of a
 * province.  Household IDs are hashed with a domain prefix so that a
 * household number can never collide with a person's token.
 */
#ifndef AM_TOKEN_H
#define AM_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/error.h"

#define AM_KEY_BYTES 16
#define AM_TOKEN_BYTES 16
#define AM_TOKEN_HEX 32
#define AM_FINGERPRINT_HEX 16

typedef struct am_key {
    unsigned char *bytes; /* sodium_malloc'd: guarded, locked where possible */
    char fingerprint[AM_FINGERPRINT_HEX + 1];
} am_key;

/* Tokens are compared billions of times while sorting and grouping; two
 * 64-bit words do it without a call to memcmp. */
_Static_assert(AM_TOKEN_BYTES == 16, "tokens are compared as two 64-bit words");
static inline uint64_t am_token_word(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    w = __builtin_bswap64(w); /* so that word order is byte order */
#endif
    return w;
}

static inline int am_token_eq(const unsigned char *a, const unsigned char *b)
{
    uint64_t a0, a1, b0, b1;
    memcpy(&a0, a, 8);
    memcpy(&a1, a + 8, 8);
    memcpy(&b0, b, 8);
    memcpy(&b1, b + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/* Orders as memcmp() over AM_TOKEN_BYTES would: <0, 0 or >0. */
static inline int am_token_cmp(const unsigned char *a, const unsigned char *b)
{
    const uint64_t a0 = am_token_word(a), b0 = am_token_word(b);
    if (a0 != b0)
        return a0 < b0 ? -1 : 1;
    const uint64_t a1 = am_token_word(a + 8), b1 = am_token_word(b + 8);
    return a1 < b1 ? -1 : a1 > b1;
}

/* Initialises libsodium (idempotent and thread-safe in libsodium itself).
 * Returns 0 on success. */
int am_crypto_init(void);

/* Loads a key from raw bytes.  Returns AM_OK, AM_ERR_KEY (wrong length) or
 * AM_ERR_NOMEM. */
am_status am_key_set(am_key *key, const void *bytes, size_t len, am_err *err);

/* Loads a key file of 32 hex digits.  A file that group or others may read
 * is refused before it is read. */
am_status am_key_load_file(am_key *key, const char *path, am_err *err);

/* Wipes and frees the key.  Safe on a key never set. */
void am_key_clear(am_key *key);

/* Token of a normalised 18-character resident ID. */
void am_token_person(const am_key *key, const char *id18, unsigned char out[AM_TOKEN_BYTES]);

/* Longest household ID accepted, in bytes. */
#define AM_HOUSEHOLD_ID_MAX 64

/* Token of a household ID as the hukou registry writes it (any text of at
 * most AM_HOUSEHOLD_ID_MAX bytes).  Returns 0 for a longer ID. */
int am_token_household(const am_key *key, const char *id, size_t len,
                       unsigned char out[AM_TOKEN_BYTES]);

/* Writes 32 lowercase hex digits and a NUL. */
void am_token_hex(const unsigned char token[AM_TOKEN_BYTES], char out[AM_TOKEN_HEX + 1]);

/* Parses 32 hex digits (either case).  Returns 1 on success. */
int am_token_parse(const char *hex, size_t len, unsigned char out[AM_TOKEN_BYTES]);

#endif
