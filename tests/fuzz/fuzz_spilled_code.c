/*
 * fuzz_spilled_code.c — am_spilled_decode on arbitrary bytes, as a
 * damaged partition file whose checksum happened to hold would give it.
 *
 * Invariants: a decode takes at most the bytes it is given and at most
 * AM_SPILLED_CODE_MAX; what it accepts is a record that encodes within
 * AM_SPILLED_CODE_MAX and decodes back whole; decoding the input's records
 * one after another (as a block is read) ends exactly or refuses.
 */
#include <string.h>

#include "fuzz.h"
#include "store/spilled_code.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t at = 0;
    while (at < size) {
        am_spilled s;
        const size_t took = am_spilled_decode(data + at, size - at, &s);
        if (!took)
            break;
        FUZZ_CHECK(took <= size - at);
        FUZZ_CHECK(took <= AM_SPILLED_CODE_MAX);
        FUZZ_CHECK(s.rec.household <= 1);
        unsigned char again[AM_SPILLED_CODE_MAX];
        const size_t len = am_spilled_encode(&s, again);
        FUZZ_CHECK(len <= AM_SPILLED_CODE_MAX);
        FUZZ_CHECK(len <= took); /* a canonical encoding is never longer */
        am_spilled back;
        FUZZ_CHECK(am_spilled_decode(again, len, &back) == len);
        FUZZ_CHECK(memcmp(&back, &s, sizeof s) == 0);
        at += took;
    }
    return 0;
}
