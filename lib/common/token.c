/*
 * token.c — the key and the keyed tokens (see token.h).
 */
#include "common/token.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/text_file.h"

#define HOUSEHOLD_PREFIX "household:"
#define FINGERPRINT_LABEL "aidmatch key fingerprint v1"

int am_crypto_init(void) { return sodium_init() < 0 ? -1 : 0; }

am_status am_key_set(am_key *key, const void *bytes, size_t len, am_err *err)
{
    if (len != AM_KEY_BYTES)
        return am_fail(err, AM_ERR_KEY, "key must be %d bytes, got %zu", AM_KEY_BYTES, len);
    if (am_crypto_init() != 0)
        return am_fail(err, AM_ERR_KEY, "libsodium failed to initialise");
    if (!key->bytes && !(key->bytes = sodium_malloc(AM_KEY_BYTES)))
        return am_fail(err, AM_ERR_NOMEM, "cannot allocate key memory");
    memcpy(key->bytes, bytes, AM_KEY_BYTES);
    /* The fingerprint is a hash of the key under a public label: it tells
     * two keys apart without revealing either. */
    unsigned char fp[AM_FINGERPRINT_HEX / 2];
    crypto_generichash(fp, sizeof fp, (const unsigned char *)FINGERPRINT_LABEL,
                       sizeof FINGERPRINT_LABEL - 1, key->bytes, AM_KEY_BYTES);
    sodium_bin2hex(key->fingerprint, sizeof key->fingerprint, fp, sizeof fp);
    return AM_OK;
}

am_status am_key_load_file(am_key *key, const char *path, am_err *err)
{
    struct stat st;
    int e = 0;
    const int fd = am_open_regular(path, &st, &e);
    if (fd < 0 && e)
        return am_fail(err, AM_ERR_IO, "%s: cannot open key file: %s", path, strerror(e));
    if (fd < 0)
        return am_fail(err, AM_ERR_KEY, "%s: key file is not a regular file", path);
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        return am_fail(err, AM_ERR_KEY,
                       "%s: key file is accessible to group or others (mode %03o); "
                       "run chmod 600 on it", path, (unsigned)(st.st_mode & 0777));
    }
    /* Read whole (up to a size no key file reaches), so that anything
     * after the key is seen and refused, never ignored: the documented form
     * is 32 hex digits, then only line ends and spaces. */
    char text[256];
    size_t len = 0;
    ssize_t n = 0;
    while (len < sizeof text && ((n = read(fd, text + len, sizeof text - len)) > 0 ||
                                 (n < 0 && errno == EINTR)))
        len += n > 0 ? (size_t)n : 0;
    const int read_errno = errno;
    close(fd);
    if (n < 0) {
        sodium_memzero(text, sizeof text);
        return am_fail(err, AM_ERR_IO, "%s: cannot read key file: %s", path,
                       strerror(read_errno));
    }
    if (len == sizeof text)
        len = 0; /* too long to be a key file: refused below */
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    unsigned char raw[AM_KEY_BYTES];
    size_t raw_len = 0;
    am_status st_key = AM_OK;
    if (len != AM_KEY_BYTES * 2 ||
        sodium_hex2bin(raw, sizeof raw, text, len, NULL, &raw_len, NULL) != 0 ||
        raw_len != AM_KEY_BYTES)
        st_key = am_fail(err, AM_ERR_KEY,
                         "%s: expected %d hex digits of key, then nothing but spaces and line ends",
                         path, AM_KEY_BYTES * 2);
    else
        st_key = am_key_set(key, raw, sizeof raw, err);
    sodium_memzero(text, sizeof text);
    sodium_memzero(raw, sizeof raw);
    return st_key;
}

void am_key_clear(am_key *key)
{
    if (key->bytes)
        sodium_free(key->bytes); /* sodium_free wipes before freeing */
    key->bytes = NULL;
    key->fingerprint[0] = '\0';
}

void am_token_person(const am_key *key, const char *id18, unsigned char out[AM_TOKEN_BYTES])
{
    crypto_shorthash_siphashx24(out, (const unsigned char *)id18, 18, key->bytes);
}

int am_token_household(const am_key *key, const char *id, size_t len,
                       unsigned char out[AM_TOKEN_BYTES])
{
    unsigned char buf[sizeof HOUSEHOLD_PREFIX + AM_HOUSEHOLD_ID_MAX];
    const size_t prefix = sizeof HOUSEHOLD_PREFIX - 1;
    if (len > AM_HOUSEHOLD_ID_MAX)
        return 0;
    memcpy(buf, HOUSEHOLD_PREFIX, prefix);
    memcpy(buf + prefix, id, len);
    crypto_shorthash_siphashx24(out, buf, prefix + len, key->bytes);
    sodium_memzero(buf, prefix + len);
    return 1;
}

void am_token_hex(const unsigned char token[AM_TOKEN_BYTES], char out[AM_TOKEN_HEX + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < AM_TOKEN_BYTES; i++) {
        out[2 * i] = hex[token[i] >> 4];
        out[2 * i + 1] = hex[token[i] & 15];
    }
    out[AM_TOKEN_HEX] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int am_token_parse(const char *hex, size_t len, unsigned char out[AM_TOKEN_BYTES])
{
    if (len != AM_TOKEN_HEX)
        return 0;
    for (int i = 0; i < AM_TOKEN_BYTES; i++) {
        const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 1;
}

am_status am_generate_key_file(const char *path, char *errmsg, size_t errmsg_len)
{
    am_err err = {{0}};
    am_status st = AM_OK;
    if (!path) {
        if (errmsg && errmsg_len)
            snprintf(errmsg, errmsg_len, "am_generate_key_file: path is NULL");
        return AM_ERR_INVALID;
    }
    if (am_crypto_init() != 0)
        st = am_fail(&err, AM_ERR_IO, "libsodium failed to initialise");
    const int fd = st == AM_OK ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
    if (st == AM_OK && fd < 0)
        st = am_fail(&err, AM_ERR_IO, "%s: cannot create key file: %s", path, strerror(errno));
    if (fd >= 0) {
        unsigned char key[AM_KEY_BYTES];
        char hex[AM_KEY_BYTES * 2 + 2];
        randombytes_buf(key, sizeof key);
        sodium_bin2hex(hex, sizeof hex, key, sizeof key);
        hex[AM_KEY_BYTES * 2] = '\n';
        if (write(fd, hex, AM_KEY_BYTES * 2 + 1) != AM_KEY_BYTES * 2 + 1 || fsync(fd) != 0)
            st = am_fail(&err, AM_ERR_IO, "%s: cannot write key file: %s", path, strerror(errno));
        sodium_memzero(key, sizeof key);
        sodium_memzero(hex, sizeof hex);
        close(fd);
        if (st != AM_OK)
            unlink(path);
    }
    if (errmsg && errmsg_len)
        snprintf(errmsg, errmsg_len, "%s", err.msg);
    return st;
}
