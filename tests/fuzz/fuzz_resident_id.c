/*
 * fuzz_resident_id.c — am_id_normalise on arbitrary bytes.
 *
 * Invariants: a reject leaves the output untouched and names an ID
 * reason; an accepted ID is 17 digits and a check character that matches,
 * with a real birth date, and normalising it again gives it back
 * unchanged; surrounding spaces never change the verdict.
 */
#include <string.h>

#include "fuzz.h"
#include "read/resident_id.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static int is_id_reason(am_reject why)
{
    switch (why) {
    case AM_REJECT_MISSING_ID:
    case AM_REJECT_BAD_LENGTH:
    case AM_REJECT_BAD_CHAR:
    case AM_REJECT_BAD_BIRTH_DATE:
    case AM_REJECT_BAD_CHECK_DIGIT:
    case AM_REJECT_EXCEL_MANGLED:
        return 1;
    default:
        return 0;
    }
}

static int leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int real_date(const char *d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
    const int m = (d[4] - '0') * 10 + (d[5] - '0');
    const int day = (d[6] - '0') * 10 + (d[7] - '0');
    if (y < 1880 || y > 2100 || m < 1 || m > 12 || day < 1)
        return 0;
    return day <= mdays[m - 1] + (m == 2 && leap(y));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *raw = (const char *)data;
    char out[AM_ID_LEN];
    memset(out, '#', sizeof out);
    am_reject why = AM_REJECT__COUNT;
    const int ok = am_id_normalise(raw, size, out, &why);

    if (!ok) {
        FUZZ_CHECK(is_id_reason(why));
        for (size_t i = 0; i < AM_ID_LEN; i++)
            FUZZ_CHECK(out[i] == '#'); /* no partial ID leaks */
    } else {
        for (size_t i = 0; i < AM_ID_LEN - 1; i++)
            FUZZ_CHECK(out[i] >= '0' && out[i] <= '9');
        FUZZ_CHECK((out[17] >= '0' && out[17] <= '9') || out[17] == 'X');
        FUZZ_CHECK(am_id_check_char(out) == out[17]);
        FUZZ_CHECK(real_date(out + 6));

        /* Normalising is idempotent. */
        char again[AM_ID_LEN];
        am_reject why2 = AM_REJECT__COUNT;
        FUZZ_CHECK(am_id_normalise(out, AM_ID_LEN, again, &why2) == 1);
        FUZZ_CHECK(memcmp(out, again, AM_ID_LEN) == 0);
        FUZZ_CHECK(why2 == AM_REJECT__COUNT);
    }

    /* NULL out and why are accepted and change nothing. */
    FUZZ_CHECK(am_id_normalise(raw, size, NULL, NULL) == ok);

    /* Leading and trailing ASCII spaces are trimmed: same verdict, same ID. */
    if (size < 4096) {
        char padded[4096 + 2];
        padded[0] = ' ';
        if (size)
            memcpy(padded + 1, data, size);
        padded[size + 1] = ' ';
        char out2[AM_ID_LEN];
        am_reject why3 = AM_REJECT__COUNT;
        const int ok2 = am_id_normalise(padded, size + 2, out2, &why3);
        FUZZ_CHECK(ok2 == ok);
        if (ok)
            FUZZ_CHECK(memcmp(out, out2, AM_ID_LEN) == 0);
        else
            FUZZ_CHECK(why3 == why);
    }
    return 0;
}
