/*
 * test_resident_id.c — known-answer and generated tests for resident_id.c.
 *
 * The generated tests use their own check-character and date oracles
 * (ref_check_char, ref_valid_date) so that they do not merely agree with
 * the code under test.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read/resident_id.h"
#include "check_run.h"

#define NGENERATED 300
#define LEGACY_ID_LEN 15 /* a 15-digit ID of before 1999 */

/* ------------------------------------------------------------------ */
/* Oracles and helpers                                                  */

static char ref_check_char(const char *id17)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (id17[i] - '0') * w[i];
    return "10X98765432"[sum % 11];
}

static int ref_valid_date(const char *yyyymmdd)
{
    int y = 0, m = 0, d = 0;
    for (int i = 0; i < 4; i++)
        y = y * 10 + (yyyymmdd[i] - '0');
    for (int i = 4; i < 6; i++)
        m = m * 10 + (yyyymmdd[i] - '0');
    for (int i = 6; i < 8; i++)
        d = d * 10 + (yyyymmdd[i] - '0');
    if (y < 1880 || y > 2100 || m < 1 || m > 12 || d < 1)
        return 0;
    int dim;
    if (m == 2)
        dim = ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : 28;
    else if (m == 4 || m == 6 || m == 9 || m == 11)
        dim = 30;
    else
        dim = 31;
    return d <= dim;
}

/* What normalise must say about an 18-character all-digit/X candidate whose
 * check character is known to be wrong or right. */
static int expect_for(const char *id18, am_reject *why)
{
    if (ref_check_char(id18) != id18[17] && memcmp(id18 + 15, "000", 3) == 0) {
        *why = AM_REJECT_EXCEL_MANGLED;
        return 0;
    }
    if (!ref_valid_date(id18 + 6)) {
        *why = AM_REJECT_BAD_BIRTH_DATE;
        return 0;
    }
    if (ref_check_char(id18) == id18[17])
        return 1;
    *why = memcmp(id18 + 15, "000", 3) == 0 ? AM_REJECT_EXCEL_MANGLED : AM_REJECT_BAD_CHECK_DIGIT;
    return 0;
}

typedef struct rng {
    uint64_t s;
} rng;

/* splitmix64: deterministic, so a failure reproduces exactly. */
static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static int rng_range(rng *r, int lo, int hi)
{
    return lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static int days_in(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return dim[m - 1] + (m == 2 && leap);
}

static const char *const areas[] = {"110105", "320281", "440307", "620102", "441900",
                                    "510104", "650102", "820000", "130102", "210102"};

/* Writes a valid 18-character ID (and NUL) built with am_id_check_char. */
static void synth_id(rng *r, int year_lo, int year_hi, char id[19])
{
    int y = rng_range(r, year_lo, year_hi);
    int m = rng_range(r, 1, 12);
    int d = rng_range(r, 1, days_in(y, m));
    int seq = rng_range(r, 0, 999);
    const char *area = areas[rng_next(r) % (sizeof areas / sizeof areas[0])];
    char digits[48]; /* roomy, so the compiler can see nothing is cut */
    snprintf(digits, sizeof digits, "%s%04d%02d%02d%03d", area, y, m, d, seq);
    memcpy(id, digits, 17);
    id[17] = am_id_check_char(id);
    id[18] = '\0';
}

/* Runs normalise on a NUL-terminated string with a poisoned output buffer
 * and checks the exact outcome; on failure the buffer must be untouched. */
static void check_normalise(const char *in, int want_ok, am_reject want_why, const char *want_out)
{
    char out[AM_ID_LEN];
    memset(out, '#', sizeof out);
    am_reject why = AM_REJECT__COUNT;
    int ok = am_id_normalise(in, strlen(in), out, &why);
    ck_assert_msg(ok == want_ok, "input \"%s\": got ok=%d want %d (why=%d)", in, ok, want_ok,
                  (int)why);
    if (want_ok) {
        ck_assert_mem_eq(out, want_out, AM_ID_LEN);
    } else {
        ck_assert_msg(why == want_why, "input \"%s\": got reason %d want %d", in, (int)why,
                      (int)want_why);
        for (size_t i = 0; i < AM_ID_LEN; i++)
            ck_assert_int_eq(out[i], '#');
    }
}

/* ------------------------------------------------------------------ */
/* Known-answer table                                                   */

typedef struct kat {
    const char *in;
    int ok;
    am_reject why; /* when !ok */
    const char *out; /* when ok */
} kat;

#define OK(in, out) {in, 1, AM_REJECT__COUNT, out}
#define NO(in, why) {in, 0, why, NULL}

static const kat kats[] = {
    /* Valid, and every normalisation. */
    OK("11010519491231002X", "11010519491231002X"),
    OK("11010519491231002x", "11010519491231002X"),
    OK("441900890101221", "441900198901012219"),
    OK("\uFF11\uFF11\uFF10\uFF11\uFF10\uFF15\uFF11\uFF19\uFF14\uFF19\uFF11\uFF12\uFF13\uFF11"
       "\uFF10\uFF10\uFF12\uFF38",
       "11010519491231002X"),
    OK("\uFF11\uFF11\uFF10\uFF11\uFF10\uFF15\uFF11\uFF19\uFF14\uFF19\uFF11\uFF12\uFF13\uFF11"
       "\uFF10\uFF10\uFF12\uFF58",
       "11010519491231002X"),
    OK("110105\uFF11\uFF19\uFF14\uFF19" "1231002X", "11010519491231002X"),
    /* Every full-width digit. */
    OK("\uFF13\uFF14\uFF15\uFF16\uFF17\uFF18\uFF11\uFF19\uFF19"
       "\uFF10\uFF10\uFF11\uFF12\uFF12\uFF10\uFF11\uFF13\uFF13",
       "345678199001220133"),
    OK(" 110105 19491231 002X ", "11010519491231002X"),
    OK("\t\r\n\v\f 11010519491231002X \r\n", "11010519491231002X"),
    OK("\u3000\u300011010519491231002X\u3000", "11010519491231002X"),
    OK("110105\u300019491231\u3000002X", "11010519491231002X"),
    /* Trimming alternates kinds of space; a tab inside would be bad. */
    OK("\u3000\t\u3000 11010519491231002X\t\u3000\n", "11010519491231002X"),
    OK("\u3000 1101 0519 4912 3100 2x \u3000", "11010519491231002X"),
    OK("4419 0089 0101 221", "441900198901012219"),
    OK("\uFF14\uFF14\uFF11\uFF19\uFF10\uFF10\uFF18\uFF19\uFF10\uFF11\uFF10\uFF11\uFF12\uFF12"
       "\uFF11",
       "441900198901012219"),
    OK("440307198005123456", "440307198005123456"),
    OK("620102197511018882", "620102197511018882"),
    OK("320281199001010003", "320281199001010003"),
    /* Ends in 000 but the check character holds: a real ID, not Excel. */
    OK("110105199001013000", "110105199001013000"),
    OK("440307199001013000", "440307199001013000"),

    /* Missing. */
    NO("", AM_REJECT_MISSING_ID),
    NO("   ", AM_REJECT_MISSING_ID),
    NO("\u3000\u3000 \t\r\n", AM_REJECT_MISSING_ID),

    /* Excel damage. */
    NO("3.20281E+17", AM_REJECT_EXCEL_MANGLED),
    NO("3.20281e+17", AM_REJECT_EXCEL_MANGLED),
    NO("3.2028119900101E+17", AM_REJECT_EXCEL_MANGLED),
    NO(" 3.20281E+17 ", AM_REJECT_EXCEL_MANGLED),
    NO("3E+17", AM_REJECT_EXCEL_MANGLED),
    NO("3.E17", AM_REJECT_EXCEL_MANGLED),
    NO("3.20281E-17", AM_REJECT_EXCEL_MANGLED),
    NO("320281199001011234.0", AM_REJECT_EXCEL_MANGLED),
    NO("320281199001011234.00", AM_REJECT_EXCEL_MANGLED),
    NO("441900890101221.0", AM_REJECT_EXCEL_MANGLED),
    NO("320281199001011000", AM_REJECT_EXCEL_MANGLED),
    NO("110105194912310000", AM_REJECT_EXCEL_MANGLED),

    /* Bad length: only digits and X, but not 15 or 18 of them. */
    NO("1", AM_REJECT_BAD_LENGTH),
    NO("X", AM_REJECT_BAD_LENGTH),
    NO("44190089010122", AM_REJECT_BAD_LENGTH),
    NO("4419008901012210", AM_REJECT_BAD_LENGTH),
    NO("11010519491231002", AM_REJECT_BAD_LENGTH),
    NO("1101051949123100X", AM_REJECT_BAD_LENGTH),
    NO("11010519491231002X0", AM_REJECT_BAD_LENGTH),
    NO("1101051949123100201", AM_REJECT_BAD_LENGTH),

    /* Bad characters, which outrank a wrong length. */
    NO("11010519491231002Y", AM_REJECT_BAD_CHAR),
    NO("1101051949123100X2", AM_REJECT_BAD_CHAR),
    NO("X1010519491231002X", AM_REJECT_BAD_CHAR),
    NO("44190089010122X", AM_REJECT_BAD_CHAR),
    NO("110105-19491231-002X", AM_REJECT_BAD_CHAR),
    NO("110105\t19491231002X", AM_REJECT_BAD_CHAR),
    NO("'11010519491231002X", AM_REJECT_BAD_CHAR),
    NO("11010519491231002\uFF39", AM_REJECT_BAD_CHAR),
    NO("110105\u00A019491231002X", AM_REJECT_BAD_CHAR),
    NO("1101051949A", AM_REJECT_BAD_CHAR),
    NO("110105194912310.5", AM_REJECT_BAD_CHAR),
    NO("320281199001011234.", AM_REJECT_BAD_CHAR),
    NO("3.2E+", AM_REJECT_BAD_CHAR),
    NO("3.20281E+17.5", AM_REJECT_BAD_CHAR),
    NO("320281199001011234.01", AM_REJECT_BAD_CHAR),
    NO("E+17", AM_REJECT_BAD_CHAR),
    NO("\xff", AM_REJECT_BAD_CHAR),
    NO("11010519491231002\xe3\x80", AM_REJECT_BAD_CHAR),
    NO("11010519491231002\xef\xbc", AM_REJECT_BAD_CHAR),
    NO("\xe3\x80\x80" "11010519491231002X\xe3", AM_REJECT_BAD_CHAR),

    /* Birth dates. */
    OK("110105200002290013", "110105200002290013"),
    OK("110105188001010017", "110105188001010017"),
    OK("110105210012310013", "110105210012310013"),
    NO("110105190002290017", AM_REJECT_BAD_BIRTH_DATE),
    NO("110105210002290012", AM_REJECT_BAD_BIRTH_DATE),
    NO("110105187912310016", AM_REJECT_BAD_BIRTH_DATE),
    NO("110105210101010012", AM_REJECT_BAD_BIRTH_DATE),
    NO("110105202302290014", AM_REJECT_BAD_BIRTH_DATE),
    NO("110105199004310019", AM_REJECT_BAD_BIRTH_DATE),
    NO("110105199013010018", AM_REJECT_BAD_BIRTH_DATE),
    NO("110105199000010019", AM_REJECT_BAD_BIRTH_DATE),
    NO("110105199001000015", AM_REJECT_BAD_BIRTH_DATE),
    NO("441900890230221", AM_REJECT_BAD_BIRTH_DATE),
    NO("441900000229221", AM_REJECT_BAD_BIRTH_DATE),
    /* Excel's zero-fill is judged before the birth date (reference §3.6):
     * a failing ID ending in 000 is Excel damage whatever digits 7-14 say. */
    NO("320281199002300000", AM_REJECT_EXCEL_MANGLED),
    NO("320281601123869000", AM_REJECT_EXCEL_MANGLED),

    /* Check character. */
    NO("110105194912310020", AM_REJECT_BAD_CHECK_DIGIT),
    NO("110105194912310021", AM_REJECT_BAD_CHECK_DIGIT),
    NO("11010519491231002\uFF10", AM_REJECT_BAD_CHECK_DIGIT),
    NO("320281199001011230", AM_REJECT_BAD_CHECK_DIGIT),
    NO("44030719800512345X", AM_REJECT_BAD_CHECK_DIGIT),
};

START_TEST(test_kat)
{
    const kat *k = &kats[_i];
    check_normalise(k->in, k->ok, k->why, k->out);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Calling conventions                                                  */

START_TEST(test_not_nul_terminated)
{
    /* The length decides, not a terminator: trailing junk beyond len is
     * invisible, and a NUL inside len is a character like any other. */
    static const char buf[] = "11010519491231002XJUNK";
    char out[AM_ID_LEN];
    am_reject why = AM_REJECT__COUNT;
    ck_assert_int_eq(am_id_normalise(buf, 18, out, &why), 1);
    ck_assert_mem_eq(out, "11010519491231002X", AM_ID_LEN);

    ck_assert_int_eq(am_id_normalise(buf, 17, out, &why), 0);
    ck_assert_int_eq(why, AM_REJECT_BAD_LENGTH);

    static const char nul[] = "1101051949\0" "1231002X";
    ck_assert_int_eq(am_id_normalise(nul, sizeof nul - 1, out, &why), 0);
    ck_assert_int_eq(why, AM_REJECT_BAD_CHAR);

    ck_assert_int_eq(am_id_normalise(buf, 0, out, &why), 0);
    ck_assert_int_eq(why, AM_REJECT_MISSING_ID);
}
END_TEST

START_TEST(test_null_arguments)
{
    char out[AM_ID_LEN];
    am_reject why = AM_REJECT__COUNT;
    ck_assert_int_eq(am_id_normalise(NULL, 0, out, &why), 0);
    ck_assert_int_eq(why, AM_REJECT_MISSING_ID);
    why = AM_REJECT__COUNT;
    ck_assert_int_eq(am_id_normalise(NULL, 18, out, &why), 0);
    ck_assert_int_eq(why, AM_REJECT_MISSING_ID);

    /* why may be NULL; out may be NULL to validate only. */
    ck_assert_int_eq(am_id_normalise("11010519491231002X", 18, out, NULL), 1);
    ck_assert_int_eq(am_id_normalise("11010519491231002Y", 18, out, NULL), 0);
    ck_assert_int_eq(am_id_normalise("441900890101221", 15, NULL, &why), 1);
    why = AM_REJECT__COUNT;
    ck_assert_int_eq(am_id_normalise("3.20281E+17", 11, NULL, &why), 0);
    ck_assert_int_eq(why, AM_REJECT_EXCEL_MANGLED);

    ck_assert_int_eq(am_id_check_char(NULL), '\0');
}
END_TEST

START_TEST(test_long_input)
{
    /* Far longer than any buffer an implementation might keep. */
    char big[4096];
    char out[AM_ID_LEN];
    am_reject why = AM_REJECT__COUNT;

    memset(big, '1', sizeof big);
    ck_assert_int_eq(am_id_normalise(big, sizeof big, out, &why), 0);
    ck_assert_int_eq(why, AM_REJECT_BAD_LENGTH);

    big[sizeof big - 1] = 'Q';
    ck_assert_int_eq(am_id_normalise(big, sizeof big, out, &why), 0);
    ck_assert_int_eq(why, AM_REJECT_BAD_CHAR);

    /* Eighteen digits drowned in spaces are still eighteen digits. */
    memset(big, ' ', sizeof big);
    memcpy(big + 1000, "1101051949", 10);
    memcpy(big + 3000, "1231002x", 8);
    ck_assert_int_eq(am_id_normalise(big, sizeof big, out, &why), 1);
    ck_assert_mem_eq(out, "11010519491231002X", AM_ID_LEN);

    /* A long zero-filled decimal is still a number. */
    memset(big, '0', sizeof big);
    memcpy(big, "320281199001011234.", 19);
    why = AM_REJECT__COUNT;
    ck_assert_int_eq(am_id_normalise(big, sizeof big, out, &why), 0);
    ck_assert_int_eq(why, AM_REJECT_EXCEL_MANGLED);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Check character                                                      */

static const struct {
    const char *id17;
    char check;
} check_kats[] = {
    {"11010519491231002", 'X'}, {"44190019890101221", '9'}, {"32028119900101123", '3'},
    {"32028119900101000", '3'}, {"11010520000229001", '3'}, {"11010518800101001", '7'},
    {"11010521001231001", '3'}, {"44030719800512345", '6'}, {"62010219751101888", '2'},
    {"32028119900101100", '6'}, {"32028119900101200", '9'}, {"11010519900101300", '0'},
    {"00000000000000000", '1'},
};

START_TEST(test_check_char_kat)
{
    ck_assert_int_eq(am_id_check_char(check_kats[_i].id17), check_kats[_i].check);
}
END_TEST

START_TEST(test_check_char_every_remainder)
{
    /* Position 8 has weight 1, so stepping it walks the sum through 10
     * consecutive remainders; two base values reach all 11. */
    int seen[11] = {0};
    static const char *const bases[] = {"11010519491231002", "44030719800512345"};
    for (size_t b = 0; b < 2; b++) {
        char id[18];
        memcpy(id, bases[b], 18);
        for (char d = '0'; d <= '9'; d++) {
            id[7] = d;
            char want = ref_check_char(id);
            ck_assert_int_eq(am_id_check_char(id), want);
            seen[strchr("10X98765432", want) - "10X98765432"] = 1;
        }
    }
    for (int i = 0; i < 11; i++)
        ck_assert_msg(seen[i], "remainder %d never exercised", i);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Generated                                                            */

START_TEST(test_generated_valid_unchanged)
{
    rng r = {0x1D5EEDu};
    for (int n = 0; n < NGENERATED; n++) {
        char id[19];
        synth_id(&r, 1880, 2100, id);
        ck_assert_int_eq(id[17], ref_check_char(id));
        check_normalise(id, 1, AM_REJECT__COUNT, id);

        /* The same ID as an export might show it. */
        char spaced[64];
        snprintf(spaced, sizeof spaced, " %.6s %.8s %.4s\t", id, id + 6, id + 14);
        check_normalise(spaced, 1, AM_REJECT__COUNT, id);

        char wide[19 * 3 + 1];
        size_t w = 0;
        for (int i = 0; i < 18; i++) {
            if (id[i] == 'X') {
                memcpy(wide + w, "\xef\xbd\x98", 3); /* U+FF58 */
            } else {
                wide[w] = '\xef';
                wide[w + 1] = '\xbc';
                wide[w + 2] = (char)(0x90 + (id[i] - '0'));
            }
            w += 3;
        }
        wide[w] = '\0';
        check_normalise(wide, 1, AM_REJECT__COUNT, id);
    }
}
END_TEST

START_TEST(test_generated_single_flip_rejected)
{
    rng r = {0xF11Bu};
    for (int n = 0; n < NGENERATED; n++) {
        char id[19];
        synth_id(&r, 1880, 2100, id);
        for (int pos = 0; pos < 18; pos++) {
            const char *alphabet = pos == 17 ? "0123456789X" : "0123456789";
            for (const char *a = alphabet; *a; a++) {
                if (*a == id[pos])
                    continue;
                char bad[19];
                memcpy(bad, id, sizeof bad);
                bad[pos] = *a;
                am_reject want = AM_REJECT__COUNT;
                /* GB 11643 detects every single substitution. */
                ck_assert_int_eq(expect_for(bad, &want), 0);
                ck_assert(want == AM_REJECT_BAD_BIRTH_DATE || want == AM_REJECT_BAD_CHECK_DIGIT ||
                          want == AM_REJECT_EXCEL_MANGLED);
                check_normalise(bad, 0, want, NULL);
            }
        }
    }
}
END_TEST

START_TEST(test_generated_legacy_upgrade)
{
    rng r = {0x15u};
    for (int n = 0; n < NGENERATED; n++) {
        char id[19];
        synth_id(&r, 1900, 1999, id);
        char legacy[16];
        memcpy(legacy, id, 6);
        memcpy(legacy + 6, id + 8, 9);
        legacy[15] = '\0';
        char want[19];
        memcpy(want, id, 17);
        want[17] = ref_check_char(want);
        want[18] = '\0';
        check_normalise(legacy, 1, AM_REJECT__COUNT, want);
    }
}
END_TEST

START_TEST(test_generated_excel)
{
    rng r = {0xE8CE1u};
    int zero_filled_valid = 0, zero_filled_rejected = 0;
    for (int n = 0; n < NGENERATED; n++) {
        char id[19];
        synth_id(&r, 1880, 2100, id);
        if (id[17] == 'X')
            continue; /* cannot have been a number */
        double v = strtod(id, NULL);
        char text[64];

        snprintf(text, sizeof text, "%.14E", v);
        check_normalise(text, 0, AM_REJECT_EXCEL_MANGLED, NULL);
        snprintf(text, sizeof text, "%.5e", v);
        check_normalise(text, 0, AM_REJECT_EXCEL_MANGLED, NULL);
        snprintf(text, sizeof text, "%.1f", v);
        check_normalise(text, 0, AM_REJECT_EXCEL_MANGLED, NULL);

        /* Fifteen significant digits kept, the rest zero-filled. */
        char trunc[19];
        memcpy(trunc, id, 15);
        memcpy(trunc + 15, "000", 4);
        if (ref_check_char(trunc) == '0') {
            zero_filled_valid++;
            check_normalise(trunc, 1, AM_REJECT__COUNT, trunc);
        } else {
            zero_filled_rejected++;
            check_normalise(trunc, 0, AM_REJECT_EXCEL_MANGLED, NULL);
        }
    }
    ck_assert_int_gt(zero_filled_rejected, 0);
    /* About 1 in 11 zero-filled values validate by chance; make sure the
     * sample exercised that branch too. */
    ck_assert_int_gt(zero_filled_valid, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Repairs of damaged IDs                                               */

/* Counts, first and last repair computed by an independent enumeration
 * (every edit of the kind, kept when a separate validator accepts it). */
static const struct {
    const char *raw;
    am_reject why;
    size_t count;
    const char *first, *last, *contains;
} repair_kats[] = {
    /* check character typed wrong: the original ends in X */
    {"110105194912310021", AM_REJECT_BAD_CHECK_DIGIT, 12, "110105190912310021",
     "710105194912310021", "11010519491231002X"},
    /* two digits of the birth date swapped: 1231 -> 2131, no one-edit repair passes */
    {"110105194921310021", AM_REJECT_BAD_BIRTH_DATE, 0, NULL, NULL, NULL},
    {"110105194902300021", AM_REJECT_BAD_BIRTH_DATE, 2, "110105194903200021",
     "110105194908300021", NULL},
    {"441900891301221", AM_REJECT_BAD_BIRTH_DATE, 5, "441900198903012212",
     "441900198912012214", NULL},
    /* a digit too few, a digit too many */
    {"11010519491231002", AM_REJECT_BAD_LENGTH, 5, "110105194910231002",
     "110105194912317002", NULL},
    {"1101051949123100211", AM_REJECT_BAD_LENGTH, 1, "110105194912310011",
     "110105194912310011", NULL},
    {"11010519491231002XX", AM_REJECT_BAD_LENGTH, 1, "11010519491231002X",
     "11010519491231002X", NULL},
    {"110105194912310021X", AM_REJECT_BAD_LENGTH, 1, "11010519491231002X",
     "11010519491231002X", NULL},
    {"44190089010122", AM_REJECT_BAD_LENGTH, 48, "441900198901010221",
     "441900198910101221", "441900198901012219"},
    /* Excel's zeroed tail: every filling of the last two sequence digits */
    {"320281199001011000", AM_REJECT_EXCEL_MANGLED, 100, "320281199001011006",
     "320281199001011997", "320281199001011233"},
    {" 3202 8119 9001 0110 00 ", AM_REJECT_EXCEL_MANGLED, 100, "320281199001011006",
     "320281199001011997", NULL},
    /* a zeroed tail whose birth date does not exist, or with an X among
     * the digits kept: no filling validates */
    {"320281199002300000", AM_REJECT_EXCEL_MANGLED, 0, NULL, NULL, NULL},
    {"32028119900101X000", AM_REJECT_EXCEL_MANGLED, 0, NULL, NULL, NULL},
    /* no repair: the digits are gone, or the reason is not damage */
    {"3.20281E+17", AM_REJECT_EXCEL_MANGLED, 0, NULL, NULL, NULL},
    {"320281199001011234.0", AM_REJECT_EXCEL_MANGLED, 0, NULL, NULL, NULL},
    {"11010519491231002A", AM_REJECT_BAD_CHAR, 0, NULL, NULL, NULL},
    {"", AM_REJECT_MISSING_ID, 0, NULL, NULL, NULL},
    {"1101051949123100", AM_REJECT_BAD_LENGTH, 0, NULL, NULL, NULL},
    {"11010519491231002100", AM_REJECT_BAD_LENGTH, 0, NULL, NULL, NULL},
};

START_TEST(test_repair_kat)
{
    char out[AM_ID_REPAIRS_MAX][AM_ID_LEN];
    const char *raw = repair_kats[_i].raw;
    const size_t n = am_id_repairs(raw, strlen(raw), repair_kats[_i].why, out);
    ck_assert_msg(n == repair_kats[_i].count, "%s: %zu repairs, expected %zu", raw, n,
                  repair_kats[_i].count);
    if (!n)
        return;
    ck_assert_int_eq(memcmp(out[0], repair_kats[_i].first, AM_ID_LEN), 0);
    ck_assert_int_eq(memcmp(out[n - 1], repair_kats[_i].last, AM_ID_LEN), 0);
    int found = !repair_kats[_i].contains;
    for (size_t i = 0; i < n; i++) {
        if (i)
            ck_assert_int_lt(memcmp(out[i - 1], out[i], AM_ID_LEN), 0); /* sorted, distinct */
        char want[AM_ID_LEN];
        am_reject why;
        ck_assert_int_eq(am_id_normalise(out[i], AM_ID_LEN, want, &why), 1);
        ck_assert_int_eq(memcmp(want, out[i], AM_ID_LEN), 0);
        if (repair_kats[_i].contains && memcmp(out[i], repair_kats[_i].contains, AM_ID_LEN) == 0)
            found = 1;
    }
    ck_assert_msg(found, "%s: %s not among the repairs", raw, repair_kats[_i].contains);
}
END_TEST

/* Whether id (18 characters) is among the n repairs. */
static int among(char out[][AM_ID_LEN], size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(out[i], id, AM_ID_LEN) == 0)
            return 1;
    return 0;
}

/* Every kind of damage to a valid ID, as the generator of test counties
 * plants it: the ID is rejected, and the original is among its repairs. */
START_TEST(test_generated_damage_repaired)
{
    rng r = {0xDA3Au};
    char out[AM_ID_REPAIRS_MAX][AM_ID_LEN];
    int kinds[5] = {0};
    for (int n = 0; n < NGENERATED; n++) {
        char id[19], bad[20];
        synth_id(&r, 1880, 2100, id);
        const int pos = (int)(rng_next(&r) % 17);
        am_reject why;
        char norm[AM_ID_LEN];

        memcpy(bad, id, 19); /* one digit substituted */
        bad[pos] = (char)('0' + (bad[pos] - '0' + 1 + (int)(rng_next(&r) % 9)) % 10);
        ck_assert_int_eq(am_id_normalise(bad, 18, norm, &why), 0);
        ck_assert_msg(among(out, am_id_repairs(bad, 18, why, out), id), "%s from %s", id, bad);
        kinds[0]++;

        memcpy(bad, id, 19); /* two adjacent digits swapped */
        if (pos < 16 && bad[pos] != bad[pos + 1]) {
            bad[pos] = id[pos + 1];
            bad[pos + 1] = id[pos];
            if (!am_id_normalise(bad, 18, norm, &why)) {
                ck_assert(among(out, am_id_repairs(bad, 18, why, out), id));
                kinds[1]++;
            }
        }

        memcpy(bad, id, 19); /* one digit dropped */
        memmove(bad + pos, bad + pos + 1, 18 - pos);
        ck_assert_int_eq(am_id_normalise(bad, 17, norm, &why), 0);
        ck_assert_int_eq(why, AM_REJECT_BAD_LENGTH);
        ck_assert(among(out, am_id_repairs(bad, 17, why, out), id));
        kinds[2]++;

        memcpy(bad, id, pos); /* one digit doubled */
        memcpy(bad + pos + 1, id + pos, 19 - pos);
        bad[pos] = id[pos];
        ck_assert_int_eq(am_id_normalise(bad, 19, norm, &why), 0);
        ck_assert(among(out, am_id_repairs(bad, 19, why, out), id));
        kinds[3]++;

        if (id[17] != 'X') { /* Excel's zeroed tail */
            memcpy(bad, id, 15);
            memcpy(bad + 15, "000", 4);
            if (!am_id_normalise(bad, 18, norm, &why)) {
                ck_assert_int_eq(why, AM_REJECT_EXCEL_MANGLED);
                ck_assert(among(out, am_id_repairs(bad, 18, why, out), id));
                kinds[4]++;
            }
        }
    }
    for (int k = 0; k < 5; k++)
        ck_assert_int_gt(kinds[k], NGENERATED / 4);
}
END_TEST

static int cmp_id(const void *a, const void *b) { return memcmp(a, b, AM_ID_LEN); }

/* Sorts the n IDs of out and keeps one of each; returns how many. */
static size_t sorted_distinct(char out[][AM_ID_LEN], size_t n)
{
    qsort(out, n, AM_ID_LEN, cmp_id);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (!kept || memcmp(out[kept - 1], out[i], AM_ID_LEN) != 0)
            memmove(out[kept++], out[i], AM_ID_LEN);
    return kept;
}

/* Every ID one substitution or one adjacent swap away from bad (18
 * characters) that validates, sorted and distinct: the oracle that
 * am_id_repairs' arithmetic short cut for the check must agree with. */
static size_t brute_repairs(const char *bad, char out[][AM_ID_LEN], size_t cap)
{
    size_t n = 0;
    char edit[AM_ID_LEN], norm[AM_ID_LEN];
    am_reject why;
    for (size_t i = 0; i < AM_ID_LEN + AM_ID_LEN - 1; i++) {
        for (const char *ch = "0123456789X"; *ch; ch++) {
            memcpy(edit, bad, AM_ID_LEN);
            if (i < AM_ID_LEN) {
                if (edit[i] == *ch)
                    continue;
                edit[i] = *ch;
            } else {
                if (*ch != '0') /* one swap a position */
                    continue;
                const size_t at = i - AM_ID_LEN;
                edit[at] = bad[at + 1];
                edit[at + 1] = bad[at];
            }
            if (!am_id_normalise(edit, AM_ID_LEN, norm, &why) ||
                memcmp(norm, edit, AM_ID_LEN) != 0)
                continue;
            memcpy(out[n++], edit, AM_ID_LEN);
            ck_assert_uint_lt(n, cap);
        }
    }
    return sorted_distinct(out, n);
}

START_TEST(test_repairs_against_brute_force)
{
    rng r = {0xB2F7u};
    char got[AM_ID_REPAIRS_MAX][AM_ID_LEN], want[512][AM_ID_LEN];
    int compared = 0;
    for (int k = 0; k < NGENERATED; k++) {
        char id[19], bad[19];
        synth_id(&r, 1880, 2100, id);
        memcpy(bad, id, 19);
        const size_t pos = (size_t)(rng_next(&r) % 18);
        if (rng_next(&r) % 2 && pos < 17) {
            bad[pos] = id[pos + 1];
            bad[pos + 1] = id[pos];
        } else {
            const char *alphabet = pos == 17 ? "0123456789X" : "0123456789";
            bad[pos] = alphabet[rng_next(&r) % strlen(alphabet)];
        }
        char norm[AM_ID_LEN];
        am_reject why;
        if (am_id_normalise(bad, AM_ID_LEN, norm, &why) ||
            (why != AM_REJECT_BAD_CHECK_DIGIT && why != AM_REJECT_BAD_BIRTH_DATE))
            continue;
        const size_t n = am_id_repairs(bad, AM_ID_LEN, why, got);
        const size_t m = brute_repairs(bad, want, sizeof want / sizeof *want);
        ck_assert_msg(n == m, "%.18s: %zu repairs, brute force %zu", bad, n, m);
        for (size_t i = 0; i < n; i++)
            ck_assert_int_eq(memcmp(got[i], want[i], AM_ID_LEN), 0);
        compared++;
    }
    ck_assert_int_gt(compared, NGENERATED / 2);
}
END_TEST

/* Every ID one inserted or one deleted character away from bad (n
 * characters) that validates, as am_id_normalise gives it (a 15-digit one
 * upgraded), sorted and distinct: the oracle for the short cut that puts
 * only the inserted character the check asks for through validation. */
static size_t brute_insertions_deletions(const char *bad, size_t n, char out[][AM_ID_LEN],
                                         size_t cap)
{
    size_t m = 0;
    char edit[AM_ID_LEN + 2], norm[AM_ID_LEN];
    am_reject why;
    for (size_t i = 0; i <= n; i++) {
        for (const char *ch = "0123456789X"; *ch; ch++) {
            memcpy(edit, bad, i);
            edit[i] = *ch;
            memcpy(edit + i + 1, bad + i, n - i);
            if (am_id_normalise(edit, n + 1, norm, &why)) {
                memcpy(out[m++], norm, AM_ID_LEN);
                ck_assert_uint_lt(m, cap);
            }
        }
        if (i < n) {
            memcpy(edit, bad, i);
            memcpy(edit + i, bad + i + 1, n - i - 1);
            if (am_id_normalise(edit, n - 1, norm, &why)) {
                memcpy(out[m++], norm, AM_ID_LEN);
                ck_assert_uint_lt(m, cap);
            }
        }
    }
    return sorted_distinct(out, m);
}

/* Generated IDs (18 and 15 characters) with a character dropped or one
 * added, and now and then an X or a digit out of place: the repairs of a
 * bad length are exactly the brute force's. */
START_TEST(test_insertions_deletions_against_brute_force)
{
    rng r = {0x1D5Eu};
    char got[AM_ID_REPAIRS_MAX][AM_ID_LEN], want[512][AM_ID_LEN];
    size_t lengths[20] = {0}, found = 0;
    for (int k = 0; k < NGENERATED; k++) {
        char id[19], bad[AM_ID_LEN + 2];
        synth_id(&r, 1880, 2100, id);
        size_t len = rng_next(&r) % 3 == 0 ? LEGACY_ID_LEN : AM_ID_LEN;
        if (len == LEGACY_ID_LEN) /* the 15-digit form: no century, no check */
            memmove(id + 6, id + 8, 9);
        const size_t at = (size_t)(rng_next(&r) % len);
        if (rng_next(&r) % 2) {
            memcpy(bad, id, at);
            memcpy(bad + at, id + at + 1, len - at - 1);
            len--;
        } else {
            memcpy(bad, id, at);
            bad[at] = "0123456789X"[rng_next(&r) % 11];
            memcpy(bad + at + 1, id + at, len - at);
            len++;
        }
        if (rng_next(&r) % 8 == 0)
            bad[rng_next(&r) % len] = 'X';
        char norm[AM_ID_LEN];
        am_reject why;
        if (am_id_normalise(bad, len, norm, &why) || why != AM_REJECT_BAD_LENGTH)
            continue;
        const size_t n = am_id_repairs(bad, len, why, got);
        const size_t m = brute_insertions_deletions(bad, len, want, sizeof want / sizeof *want);
        ck_assert_msg(n == m, "%.*s: %zu repairs, brute force %zu", (int)len, bad, n, m);
        for (size_t i = 0; i < n; i++)
            ck_assert_int_eq(memcmp(got[i], want[i], AM_ID_LEN), 0);
        lengths[len]++;
        found += n > 0;
    }
    for (size_t len = 14; len <= 19; len++)
        if (len != LEGACY_ID_LEN && len != AM_ID_LEN)
            ck_assert_uint_gt(lengths[len], NGENERATED / 20);
    ck_assert_uint_gt(found, NGENERATED / 4);
}
END_TEST

/* Excel's zeroed tails of generated IDs, a birth date in four made
 * impossible: the repairs are exactly the fillings of the last two
 * sequence digits that validate, each with its check character. */
START_TEST(test_excel_tails_against_brute_force)
{
    rng r = {0x5E1Fu};
    char got[AM_ID_REPAIRS_MAX][AM_ID_LEN];
    size_t none = 0;
    for (int k = 0; k < NGENERATED; k++) {
        char bad[19];
        synth_id(&r, 1880, 2100, bad);
        if (rng_next(&r) % 4 == 0)
            memcpy(bad + 10, "0231", 4); /* 31 February */
        memcpy(bad + 15, "000", 3);
        char want[100][AM_ID_LEN], norm[AM_ID_LEN];
        size_t m = 0;
        for (int seq = 0; seq < 100; seq++) {
            char edit[AM_ID_LEN];
            memcpy(edit, bad, AM_ID_LEN);
            edit[15] = (char)('0' + seq / 10);
            edit[16] = (char)('0' + seq % 10);
            edit[17] = am_id_check_char(edit);
            am_reject why;
            if (am_id_normalise(edit, AM_ID_LEN, norm, &why) &&
                memcmp(norm, edit, AM_ID_LEN) == 0)
                memcpy(want[m++], edit, AM_ID_LEN);
        }
        const size_t n = am_id_repairs(bad, AM_ID_LEN, AM_REJECT_EXCEL_MANGLED, got);
        ck_assert_msg(n == m, "%.18s: %zu repairs, brute force %zu", bad, n, m);
        for (size_t i = 0; i < n; i++)
            ck_assert_int_eq(memcmp(got[i], want[i], AM_ID_LEN), 0);
        none += n == 0;
    }
    ck_assert_uint_gt(none, 0);
    ck_assert_uint_lt(none, NGENERATED / 2);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *resident_id_suite(void)
{
    Suite *s = suite_create("resident_id");

    TCase *tc = tcase_create("known_answers");
    tcase_add_loop_test(tc, test_kat, 0, (int)(sizeof kats / sizeof kats[0]));
    tcase_add_loop_test(tc, test_check_char_kat, 0,
                        (int)(sizeof check_kats / sizeof check_kats[0]));
    tcase_add_test(tc, test_check_char_every_remainder);
    tcase_add_loop_test(tc, test_repair_kat, 0, (int)(sizeof repair_kats / sizeof repair_kats[0]));
    tcase_add_test(tc, test_repairs_against_brute_force);
    tcase_add_test(tc, test_excel_tails_against_brute_force);
    tcase_add_test(tc, test_insertions_deletions_against_brute_force);
    suite_add_tcase(s, tc);

    tc = tcase_create("conventions");
    tcase_add_test(tc, test_not_nul_terminated);
    tcase_add_test(tc, test_null_arguments);
    tcase_add_test(tc, test_long_input);
    suite_add_tcase(s, tc);

    tc = tcase_create("generated");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_generated_valid_unchanged);
    tcase_add_test(tc, test_generated_single_flip_rejected);
    tcase_add_test(tc, test_generated_legacy_upgrade);
    tcase_add_test(tc, test_generated_excel);
    tcase_add_test(tc, test_generated_damage_repaired);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    const int failed = am_check_failures(resident_id_suite());
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
