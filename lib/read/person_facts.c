/*
 * person_facts.c — a person's birth date, sex and area as linking's
 * evidence (see person_facts.h).
 *
 * The birth date's token is SipHash-2-4 under the centre key with a
 * domain prefix of its own, cut to 32 bits: it is compared only with the
 * few candidates of one row, where a chance collision is one in four
 * billion.  The date is formatted YYYYMMDD before hashing, so that a
 * row's 2025-01-05 and an ID's 20250105 give the same token.
 */
#include "read/person_facts.h"

#include <sodium.h>
#include <string.h>

#define BIRTH_PREFIX "birth:"

static uint32_t birth_token_of(const am_key *key, const char ymd[8])
{
    unsigned char buf[sizeof BIRTH_PREFIX - 1 + 8], out[crypto_shorthash_siphash24_BYTES];
    memcpy(buf, BIRTH_PREFIX, sizeof BIRTH_PREFIX - 1);
    memcpy(buf + sizeof BIRTH_PREFIX - 1, ymd, 8);
    crypto_shorthash_siphash24(out, buf, sizeof buf, key->bytes);
    sodium_memzero(buf, sizeof buf);
    const uint32_t t = (uint32_t)out[0] | (uint32_t)out[1] << 8 | (uint32_t)out[2] << 16 |
                       (uint32_t)out[3] << 24;
    sodium_memzero(out, sizeof out);
    return t ? t : 1; /* 0 means "not known" */
}

static void area_and_sex(const char *id18, am_person_facts *out)
{
    out->area = am_area_parse(id18, 6);
    out->sex = (uint8_t)((id18[16] - '0') % 2 ? AM_SEX_MALE : AM_SEX_FEMALE);
}

void am_person_facts_of_id(const am_key *key, const char *id18, am_person_facts *out)
{
    out->birth = birth_token_of(key, id18 + 6);
    area_and_sex(id18, out);
}

void am_person_facts_next(const am_key *key, const char *id18, const char *prev_id18,
                          const am_person_facts *prev, am_person_facts *out)
{
    const int same_birth = prev_id18 && memcmp(id18 + 6, prev_id18 + 6, 8) == 0;
    out->birth = same_birth ? prev->birth : birth_token_of(key, id18 + 6);
    area_and_sex(id18, out);
}

uint32_t am_birth_token(const am_key *key, const am_date_formats *formats, const char *s,
                        size_t len)
{
    int32_t first, last;
    if (!len)
        return 0;
    if (!(am_day_parse_formats(formats, s, len, &first, &last) && first == last) &&
        !am_day_parse(s, len, AM_DATE_AUTO, &first))
        return 0;
    int y, m, d;
    am_day_to_ymd(first, &y, &m, &d);
    if (y < 1000 || y > 9999)
        return 0;
    const int digits[8] = {y / 1000, y / 100 % 10, y / 10 % 10, y % 10,
                           m / 10,   m % 10,       d / 10,      d % 10};
    char ymd[8];
    for (int i = 0; i < 8; i++)
        ymd[i] = (char)('0' + digits[i]);
    const uint32_t t = birth_token_of(key, ymd);
    sodium_memzero(ymd, sizeof ymd);
    return t;
}

static int equals_folded(const char *s, size_t len, const char *word)
{
    if (strlen(word) != len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        const char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
        if (c != word[i])
            return 0;
    }
    return 1;
}

int am_sex_parse(const char *s, size_t len)
{
    static const char *const male[] = {"男", "m", "male", "1"},
                             *const female[] = {"女", "f", "female", "2"};
    for (size_t i = 0; i < sizeof male / sizeof *male; i++) {
        if (equals_folded(s, len, male[i]))
            return AM_SEX_MALE;
        if (equals_folded(s, len, female[i]))
            return AM_SEX_FEMALE;
    }
    return AM_SEX_UNKNOWN;
}

uint32_t am_area_parse(const char *s, size_t len)
{
    if (len < 6)
        return 0;
    uint32_t code = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        if (i < 6)
            code = code * 10 + (uint32_t)(s[i] - '0');
    }
    return code;
}
