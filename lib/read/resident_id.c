/*
 * resident_id.c — normalising and validating resident identity numbers
 * (GB 11643-1999) as they come out of agency exports (see resident_id.h).
 *
 * This file owns the rules that decide whether a raw ID field is a usable
 * person key: which cosmetic damage is repaired (spaces, full-width forms,
 * lower-case x, 15-digit legacy IDs) and which is rejected, with which
 * am_reject reason.  Excel damage is recognised explicitly because an ID
 * that went through a numeric cell has lost digits and must never be
 * matched, even when what is left happens to look plausible.
 *
 * Everything here works on the caller's buffers and the stack: no
 * allocation, no state between calls, so any thread may call it at any time.
 */
#include "read/resident_id.h"

#include <sodium.h>
#include <string.h>

#define LEGACY_LEN 15

/* Returned by next_char() for a character that can never be part of an ID
 * or of an Excel rendering of one.  Outside the byte range so that it
 * cannot collide with an ASCII character passed through unchanged. */
#define CH_BAD 0x100
#define CH_END (-1)

/* A view of the trimmed input that yields normalised characters one at a
 * time.  Callers make as many passes as they need over a copy rather than
 * buffering, so arbitrarily long garbage costs no memory. */
typedef struct id_cursor {
    const unsigned char *p;
    const unsigned char *end;
} id_cursor;

/* Not isspace(): that depends on the locale, and the answer must not. */
static int is_ascii_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* U+3000 IDEOGRAPHIC SPACE is E3 80 80.  In valid UTF-8 E3 is always a lead
 * byte, so matching these three bytes cannot split another character. */
static int is_ideo_space(const unsigned char *p, const unsigned char *end)
{
    return end - p >= 3 && p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80;
}

static int ends_with_ideo_space(const unsigned char *start, const unsigned char *end)
{
    return end - start >= 3 && is_ideo_space(end - 3, end);
}

static id_cursor cursor_trimmed(const char *raw, size_t len)
{
    id_cursor c;
    c.p = (const unsigned char *)raw;
    c.end = c.p + len;
    for (;;) {
        if (c.p < c.end && is_ascii_ws(*c.p))
            c.p++;
        else if (is_ideo_space(c.p, c.end))
            c.p += 3;
        else
            break;
    }
    for (;;) {
        if (c.end > c.p && is_ascii_ws(c.end[-1]))
            c.end--;
        else if (ends_with_ideo_space(c.p, c.end))
            c.end -= 3;
        else
            break;
    }
    return c;
}

/* Returns the next normalised character: '0'-'9', 'X', any other ASCII
 * byte unchanged (so that Excel's ".", "E", "+" can be recognised), CH_BAD
 * for anything else, or CH_END.
 *
 * Interior spaces are dropped because exports group IDs for readability
 * ("3202 8119 ...").  Interior tabs and line breaks are not: inside a field
 * they mean the field itself is broken, so they come back as themselves and
 * end up as AM_REJECT_BAD_CHAR.
 *
 * Only the few full-width forms that occur in IDs are decoded; every other
 * non-ASCII byte, including malformed UTF-8, is CH_BAD one byte at a time,
 * which is enough because a single CH_BAD already decides the outcome. */
static int next_char(id_cursor *c)
{
    for (;;) {
        if (c->p >= c->end)
            return CH_END;
        if (*c->p == ' ') {
            c->p++;
            continue;
        }
        if (is_ideo_space(c->p, c->end)) {
            c->p += 3;
            continue;
        }
        break;
    }

    unsigned char b = *c->p;
    if (b < 0x80) {
        c->p++;
        return b == 'x' ? 'X' : b;
    }

    /* U+FF10-U+FF19 are EF BC 90-99, U+FF38 is EF BC B8, U+FF58 is EF BD 98. */
    if (c->end - c->p >= 3 && b == 0xEF) {
        unsigned char b1 = c->p[1], b2 = c->p[2];
        int ch = CH_BAD;
        if (b1 == 0xBC && b2 >= 0x90 && b2 <= 0x99)
            ch = '0' + (b2 - 0x90);
        else if ((b1 == 0xBC && b2 == 0xB8) || (b1 == 0xBD && b2 == 0x98))
            ch = 'X';
        if (ch != CH_BAD) {
            c->p += 3;
            return ch;
        }
    }
    c->p++;
    return CH_BAD;
}

static int is_digit(int ch) { return ch >= '0' && ch <= '9'; }

/* Consumes a run of digits; returns how many there were and leaves the
 * first non-digit in *ch. */
static size_t skip_digits(id_cursor *c, int *ch)
{
    size_t n = 0;
    while (is_digit(*ch)) {
        n++;
        *ch = next_char(c);
    }
    return n;
}

/* Whole value is DIGITS [. DIGITS*] (E|e) [+|-] DIGITS: what Excel shows or
 * saves for a long number in a General cell.  The mantissa keeps at most 15
 * significant digits, so the ID is gone. */
static int is_scientific(id_cursor c)
{
    int ch = next_char(&c);
    if (skip_digits(&c, &ch) == 0)
        return 0;
    if (ch == '.') {
        ch = next_char(&c);
        skip_digits(&c, &ch);
    }
    if (ch != 'E' && ch != 'e')
        return 0;
    ch = next_char(&c);
    if (ch == '+' || ch == '-')
        ch = next_char(&c);
    if (skip_digits(&c, &ch) == 0)
        return 0;
    return ch == CH_END;
}

/* Whole value is DIGITS . 0+ ("320281199001011234.0"): a number formatted
 * with decimals, which proves the value lived in a numeric cell and so was
 * held as a double, whose 15-16 significant digits cannot carry 18.  A
 * 15-digit legacy ID would survive, but is rejected too: one rule ("it went
 * through a numeric cell") is easier for a caseworker to act on in
 * rejects.csv than a length-dependent one. */
static int is_zero_decimal(id_cursor c)
{
    int ch = next_char(&c);
    if (skip_digits(&c, &ch) == 0 || ch != '.')
        return 0;
    ch = next_char(&c);
    size_t zeros = 0;
    while (ch == '0') {
        zeros++;
        ch = next_char(&c);
    }
    return zeros > 0 && ch == CH_END;
}

static int digits_value(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Gregorian, proleptic for the whole accepted range.  The year window keeps
 * out values that are certainly typos without consulting today's date,
 * which would make yesterday's accepted row a reject tomorrow. */
static int valid_birth_date(int y, int m, int d)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1880 || y > 2100 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int max = mdays[m - 1] + (m == 2 && leap);
    return d <= max;
}

/* GB 11643: the check character is CHECK_CHARS[sum % 11] of the first
 * seventeen digits times these weights. */
static const unsigned char CHECK_WEIGHTS[AM_ID_LEN - 1] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3,
                                                           7, 9, 10, 5, 8, 4, 2};
static const char CHECK_CHARS[] = "10X98765432";

char am_id_check_char(const char *id17)
{
    if (!id17)
        return '\0';
    /* Unsigned arithmetic so that a non-digit, which the caller should never
     * pass, still yields an index in range rather than undefined behaviour. */
    unsigned sum = 0;
    /* Unrolled, the weights become immediates: this runs for most rows. */
#pragma GCC unroll 17
    for (size_t i = 0; i < AM_ID_LEN - 1; i++)
        sum += (unsigned)((unsigned char)id17[i] - '0') * CHECK_WEIGHTS[i];
    return CHECK_CHARS[sum % 11];
}

static int reject(am_reject *why, am_reject reason)
{
    if (why)
        *why = reason;
    return 0;
}

/* Checks an ID of the right length whose only X, if any, is its check
 * character: upgrades a legacy ID, and validates birth date and check
 * character. */
static int validate(char id[AM_ID_LEN], size_t n, char out[AM_ID_LEN], am_reject *why)
{
    if (n == LEGACY_LEN) {
        /* area(6) YYMMDD(6) seq(3) -> area(6) 19YYMMDD(8) seq(3) check(1);
         * memmove because source and destination overlap. */
        memmove(id + 8, id + 6, LEGACY_LEN - 6);
        id[6] = '1';
        id[7] = '9';
    }

    /* Excel zero-fills past 15 significant digits.  A genuine ID ending in
     * 000 has a valid check character, so only the failing ones are
     * attributed to Excel, before the birth date: a number Excel rounded
     * is damage whatever its digits 7-14 say (reference §3.6, step 3). */
    const char expected = am_id_check_char(id);
    if (n == AM_ID_LEN && id[AM_ID_LEN - 1] != expected &&
        memcmp(id + AM_ID_LEN - 3, "000", 3) == 0)
        return reject(why, AM_REJECT_EXCEL_MANGLED);

    if (!valid_birth_date(digits_value(id + 6, 4), digits_value(id + 10, 2),
                          digits_value(id + 12, 2)))
        return reject(why, AM_REJECT_BAD_BIRTH_DATE);

    if (n == LEGACY_LEN)
        id[AM_ID_LEN - 1] = expected;
    else if (id[AM_ID_LEN - 1] != expected)
        return reject(why, AM_REJECT_BAD_CHECK_DIGIT);

    if (out)
        memcpy(out, id, AM_ID_LEN);
    return 1;
}

/* Most IDs arrive clean: 18 ASCII digits, perhaps with a lower-case x.
 * They skip the general decoder. */
static int plain_id(const char *raw, size_t len, char id[AM_ID_LEN])
{
    if (!raw || len != AM_ID_LEN)
        return 0;
    for (size_t i = 0; i < AM_ID_LEN - 1; i++)
        if (raw[i] < '0' || raw[i] > '9')
            return 0;
    const char last = raw[AM_ID_LEN - 1];
    if (!is_digit(last) && last != 'X' && last != 'x')
        return 0;
    memcpy(id, raw, AM_ID_LEN - 1);
    id[AM_ID_LEN - 1] = last == 'x' ? 'X' : last;
    return 1;
}

/* am_id_normalise, with id as its working copy of the ID. */
static int normalise(const char *raw, size_t len, char id[AM_ID_LEN], char out[AM_ID_LEN],
                     am_reject *why)
{
    if (plain_id(raw, len, id))
        return validate(id, AM_ID_LEN, out, why);
    if (!raw)
        len = 0;
    const id_cursor start = cursor_trimmed(raw ? raw : "", len);

    /* Excel renderings contain '.', 'E' and '+', so they are recognised
     * before the character check would call them merely bad characters. */
    if (is_scientific(start) || is_zero_decimal(start))
        return reject(why, AM_REJECT_EXCEL_MANGLED);

    /* One pass: count characters and keep the first AM_ID_LEN.  A character
     * outside the ID alphabet outranks a wrong length, because it says more
     * precisely what is wrong with the field. */
    size_t n = 0;
    int alphabet_ok = 1, misplaced_x = 0;
    id_cursor c = start;
    for (int ch; (ch = next_char(&c)) != CH_END;) {
        if (!is_digit(ch) && ch != 'X')
            alphabet_ok = 0;
        /* Only the check character may be X; a legacy ID has none. */
        if (ch == 'X' && n != AM_ID_LEN - 1)
            misplaced_x = 1;
        if (n < AM_ID_LEN)
            id[n] = (char)ch;
        n++;
    }

    if (n == 0)
        return reject(why, AM_REJECT_MISSING_ID);
    if (!alphabet_ok)
        return reject(why, AM_REJECT_BAD_CHAR);
    if (n != LEGACY_LEN && n != AM_ID_LEN)
        return reject(why, AM_REJECT_BAD_LENGTH);
    if (misplaced_x)
        return reject(why, AM_REJECT_BAD_CHAR);

    return validate(id, n, out, why);
}

const char *am_id_expected(am_reject why)
{
    switch (why) {
    case AM_REJECT_MISSING_ID:
        return "empty";
    case AM_REJECT_BAD_CHAR:
        return "expected digits only, with X only as the 18th character";
    case AM_REJECT_BAD_LENGTH:
        return "expected 18 characters (or a 15-digit ID of before 1999)";
    case AM_REJECT_BAD_BIRTH_DATE:
        return "expected a real birth date as YYYYMMDD in characters 7-14";
    case AM_REJECT_BAD_CHECK_DIGIT:
        return "expected the 18th character to be the check character of the first 17 "
               "(GB 11643); a digit is mistyped";
    case AM_REJECT_EXCEL_MANGLED:
        return "expected the ID as text, not as an Excel number; ask the agency to "
               "format the column as text and export again";
    default:
        return am_reject_name(why);
    }
}

int am_id_normalise(const char *raw, size_t len, char out[AM_ID_LEN], am_reject *why)
{
    char id[AM_ID_LEN];
    const int ok = normalise(raw, len, id, out, why);
    sodium_memzero(id, sizeof id);
    return ok;
}

/* Repairs (see resident_id.h).  Each edit of the damaged characters is put
 * through validate(), so a repair is exactly what am_id_normalise() would
 * accept; the candidates a registry then recognises are chosen by the
 * linking stage, not here. */
typedef struct repair_set {
    char (*out)[AM_ID_LEN];
    size_t n;
} repair_set;

/* The alphabet of position i of an ID of n characters: only an 18-digit
 * ID's check character may be X. */
static int allowed(size_t n, size_t i, char ch)
{
    return is_digit(ch) || (ch == 'X' && n == AM_ID_LEN && i == AM_ID_LEN - 1);
}

static void offer(repair_set *set, const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!allowed(n, i, text[i]))
            return;
    /* Most edits of an 18-character ID break its check character: turned
     * away before validate() and the copies it would need wiped, which is
     * most of a damaged row's cost. */
    if (n == AM_ID_LEN && am_id_check_char(text) != text[AM_ID_LEN - 1])
        return;
    char id[AM_ID_LEN], valid[AM_ID_LEN];
    memcpy(id, text, n);
    if (validate(id, n, valid, NULL)) {
        /* Kept sorted, found by bisection: an Excel tail's hundred fillings
         * would otherwise compare each with all before it. */
        size_t i = 0, hi = set->n;
        while (i < hi) {
            const size_t mid = i + (hi - i) / 2;
            if (memcmp(set->out[mid], valid, AM_ID_LEN) < 0)
                i = mid + 1;
            else
                hi = mid;
        }
        if ((i == set->n || memcmp(set->out[i], valid, AM_ID_LEN) != 0) &&
            set->n < AM_ID_REPAIRS_MAX) {
            memmove(set->out[i + 1], set->out[i], (set->n - i) * AM_ID_LEN);
            memcpy(set->out[i], valid, AM_ID_LEN);
            set->n++;
        }
    }
    sodium_memzero(id, sizeof id);
    sodium_memzero(valid, sizeof valid);
}

/* The weighted sum of an 18-character ID's first seventeen digits modulo
 * 11, and the sum its check character stands for: 1 with both set, or 0
 * when the text is not seventeen digits and a check character.  A check
 * character is CHECK_CHARS[sum], so a sum is its place there. */
static int check_sums(const char *text, unsigned *sum, unsigned *target)
{
    for (size_t i = 0; i < AM_ID_LEN - 1; i++)
        if (!is_digit(text[i]))
            return 0;
    const char *at = memchr(CHECK_CHARS, text[AM_ID_LEN - 1], sizeof CHECK_CHARS - 1);
    if (!at)
        return 0;
    *target = (unsigned)(at - CHECK_CHARS);
    *sum = (unsigned)(strchr(CHECK_CHARS, am_id_check_char(text)) - CHECK_CHARS);
    return 1;
}

/* The digit that, put at position i (below 17), gives the weighted sum
 * target: the one substitution there that can pass the check, where
 * trying all ten would pay a validation for each. */
static unsigned digit_for_check(unsigned sum, unsigned target, size_t i, unsigned was)
{
    /* w * INVERSE[w] = 1 modulo 11 */
    static const unsigned char INVERSE[11] = {0, 1, 6, 4, 3, 9, 2, 8, 7, 5, 10};
    const unsigned w = CHECK_WEIGHTS[i];
    return INVERSE[w] * ((target + 11 - sum + w * was % 11) % 11) % 11;
}

static void substitute_and_swap(repair_set *set, char *text, size_t n)
{
    unsigned sum = 0, target = 0;
    const int checked = n == AM_ID_LEN && check_sums(text, &sum, &target);
    for (size_t i = 0; i < n; i++) {
        const char was = text[i];
        if (checked && i < AM_ID_LEN - 1) {
            const unsigned digit = digit_for_check(sum, target, i, (unsigned)(was - '0'));
            if (digit <= 9 && digit != (unsigned)(was - '0')) {
                text[i] = (char)('0' + digit);
                offer(set, text, n);
                text[i] = was;
            }
            continue;
        }
        for (const char *ch = "0123456789X"; *ch; ch++) {
            if (*ch == was || !allowed(n, i, *ch))
                continue;
            text[i] = *ch;
            offer(set, text, n);
        }
        text[i] = was;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        if (text[i] == text[i + 1] || !allowed(n, i, text[i + 1]) || !allowed(n, i + 1, text[i]))
            continue;
        const char a = text[i];
        text[i] = text[i + 1];
        text[i + 1] = a;
        offer(set, text, n);
        text[i + 1] = text[i];
        text[i] = a;
    }
}

/* A character inserted at i of seventeen to make an 18-character ID: of
 * the eleven, only the one the check character asks for can pass offer(),
 * so only that one is put through it (in edit, whose i is free). */
static void insert_checked(repair_set *set, char *edit, size_t i)
{
    unsigned sum, target;
    if (i == AM_ID_LEN - 1) {
        edit[i] = am_id_check_char(edit);
        offer(set, edit, AM_ID_LEN);
        return;
    }
    edit[i] = '0';
    if (!check_sums(edit, &sum, &target))
        return;
    const unsigned digit = digit_for_check(sum, target, i, 0);
    if (digit <= 9) {
        edit[i] = (char)('0' + digit);
        offer(set, edit, AM_ID_LEN);
    }
}

static void insert_or_delete(repair_set *set, const char *text, size_t n)
{
    char edit[AM_ID_LEN + 1];
    if (n + 1 == LEGACY_LEN || n + 1 == AM_ID_LEN) {
        for (size_t i = 0; i <= n; i++) {
            memcpy(edit, text, i);
            memcpy(edit + i + 1, text + i, n - i);
            if (n + 1 == AM_ID_LEN) {
                insert_checked(set, edit, i);
                continue;
            }
            for (const char *ch = "0123456789X"; *ch; ch++) {
                edit[i] = *ch;
                if (allowed(n + 1, i, *ch))
                    offer(set, edit, n + 1);
            }
        }
    }
    if (n - 1 == LEGACY_LEN || n - 1 == AM_ID_LEN) {
        for (size_t i = 0; i < n; i++) {
            memcpy(edit, text, i);
            memcpy(edit + i, text + i + 1, n - i - 1);
            offer(set, edit, n - 1);
        }
    }
    sodium_memzero(edit, sizeof edit);
}

/* The hundred fillings keep characters 1-15 (area and birth date) and
 * each gets its own check character, so offer() takes all of them or
 * none: only the first is put through it.  The rest follow it in sorted
 * order, distinct, as offer() would have placed them. */
static void fill_zeroed_tail(repair_set *set, char *text)
{
    for (int seq = 0; seq < 100; seq++) {
        text[AM_ID_LEN - 3] = (char)('0' + seq / 10);
        text[AM_ID_LEN - 2] = (char)('0' + seq % 10);
        text[AM_ID_LEN - 1] = am_id_check_char(text);
        if (seq == 0) {
            offer(set, text, AM_ID_LEN);
            if (set->n != 1)
                return;
        } else {
            memcpy(set->out[set->n++], text, AM_ID_LEN);
        }
    }
}

size_t am_id_repairs(const char *raw, size_t len, am_reject why,
                     char out[AM_ID_REPAIRS_MAX][AM_ID_LEN])
{
    /* One character more than an ID: a digit too many is repairable. */
    char text[AM_ID_LEN + 1];
    size_t n = 0;
    int only_id_chars = 1;
    id_cursor c = cursor_trimmed(raw ? raw : "", raw ? len : 0);
    for (int ch; (ch = next_char(&c)) != CH_END;) {
        if (n == sizeof text) {
            only_id_chars = 0;
            break;
        }
        text[n++] = (char)ch;
    }
    /* An X out of place may be the very character an edit removes; offer()
     * turns away whatever edits leave one out of place. */
    for (size_t i = 0; only_id_chars && i < n; i++)
        only_id_chars = is_digit(text[i]) || text[i] == 'X';
    repair_set set = {.out = out};
    if (only_id_chars) {
        switch (why) {
        case AM_REJECT_BAD_CHECK_DIGIT:
        case AM_REJECT_BAD_BIRTH_DATE:
            if (n == AM_ID_LEN || n == LEGACY_LEN)
                substitute_and_swap(&set, text, n);
            break;
        case AM_REJECT_BAD_LENGTH:
            insert_or_delete(&set, text, n);
            break;
        case AM_REJECT_EXCEL_MANGLED:
            if (n == AM_ID_LEN && memcmp(text + AM_ID_LEN - 3, "000", 3) == 0)
                fill_zeroed_tail(&set, text);
            break;
        default:
            break;
        }
    }
    sodium_memzero(text, sizeof text);
    return set.n;
}
