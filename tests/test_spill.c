/* Spill files (checksums, truncation), records in their compact form
 * (known answers, INT64 and INT32 edges, every damaged encoding refused,
 * coded files read back whole), the external sort, its reading of
 * ordered buckets and the key sort against qsort over many runs,
 * components on graphs whose answer is known and on random graphs found
 * both ways, and am_size_parse with its INT64/UINT64 edges. */
#include <check.h>
#include <dirent.h>
#include <stddef.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/day.h"
#include "common/size.h"
#include "store/components.h"
#include "store/extsort.h"
#include "store/key_sort.h"
#include "store/spill.h"
#include "store/spilled_code.h"
#include "check_run.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/am-spill-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static char *path_in(const char *name)
{
    static char p[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void write_u64s(const char *path, const uint64_t *v, size_t n, size_t buffer)
{
    am_spill_writer w;
    am_err err;
    ck_assert_int_eq(am_spill_create(&w, path, sizeof *v, buffer, &err), AM_OK);
    ck_assert_int_eq(am_spill_write(&w, v, n, &err), AM_OK);
    ck_assert_int_eq(am_spill_finish(&w, &err), AM_OK);
}

/* Reads every item; returns the status of the reading. */
static am_status read_u64s(const char *path, uint64_t *v, size_t *n, am_err *err)
{
    am_spill_reader r;
    am_status st = am_spill_open(&r, path, sizeof *v, err);
    *n = 0;
    while (st == AM_OK) {
        const void *items;
        size_t k;
        if ((st = am_spill_next(&r, &items, &k, err)) != AM_OK || k == 0)
            break;
        memcpy(v + *n, items, k * sizeof *v);
        *n += k;
    }
    if (r.buf)
        am_spill_close(&r);
    return st;
}

START_TEST(spill_round_trip_and_damage)
{
    make_dir();
    enum { N = 10000 };
    uint64_t *v = malloc(N * sizeof *v), *back = malloc(N * sizeof *back);
    for (size_t i = 0; i < N; i++)
        v[i] = i * 2654435761u;
    write_u64s(path_in("a"), v, N, 4096);
    size_t n;
    am_err err;
    ck_assert_int_eq(read_u64s(path_in("a"), back, &n, &err), AM_OK);
    ck_assert_uint_eq(n, N);
    ck_assert(memcmp(v, back, sizeof *v * N) == 0);

    /* A flipped byte in a block's payload. */
    int fd = open(path_in("a"), O_RDWR);
    unsigned char b;
    ck_assert_int_eq(pread(fd, &b, 1, 5000), 1);
    b ^= 1;
    ck_assert_int_eq(pwrite(fd, &b, 1, 5000), 1);
    close(fd);
    ck_assert_int_eq(read_u64s(path_in("a"), back, &n, &err), AM_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, "partition file damaged (checksum)"));

    /* A file cut at a block boundary: its trailer is missing. */
    write_u64s(path_in("b"), v, N, 4096);
    ck_assert_int_eq(truncate(path_in("b"), 16 + 4096), 0);
    ck_assert_int_eq(read_u64s(path_in("b"), back, &n, &err), AM_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, "partition file damaged (cut short)"));

    /* An empty file still has its trailer. */
    write_u64s(path_in("c"), v, 0, 4096);
    ck_assert_int_eq(read_u64s(path_in("c"), back, &n, &err), AM_OK);
    ck_assert_uint_eq(n, 0);

    /* A file that exists is never overwritten. */
    am_spill_writer w;
    ck_assert_int_eq(am_spill_create(&w, path_in("c"), 8, 4096, &err), AM_ERR_IO);

    /* Closing a reader whose open failed, or closing one twice, closes
     * no descriptor of the process's. */
    if (fcntl(0, F_GETFD) == -1)
        ck_assert_int_eq(open("/dev/null", O_RDONLY), 0);
    am_spill_reader r;
    ck_assert_int_eq(am_spill_open(&r, path_in("missing"), 8, &err), AM_ERR_IO);
    am_spill_close(&r);
    am_spill_close(&r);
    ck_assert_int_ne(fcntl(0, F_GETFD), -1);
    free(v);
    free(back);
    remove_dir();
}
END_TEST

static am_spilled spilled(int64_t amount, int32_t start, int32_t end, uint32_t line,
                          uint16_t code, uint16_t feed, uint8_t value, int household)
{
    am_spilled s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < AM_TOKEN_BYTES; i++) {
        s.rec.person[i] = (unsigned char)i;
        if (household)
            s.household[i] = (unsigned char)(0xa0 + i);
    }
    s.rec = (am_record){.amount_fen = amount, .start = start, .end = end, .line = line,
                        .code = code, .feed = feed, .value = value,
                        .household = household ? 1 : 0};
    for (int i = 0; i < AM_TOKEN_BYTES; i++)
        s.rec.person[i] = (unsigned char)i;
    return s;
}

/* Decodes what encode wrote and compares it whole; every shorter prefix
 * must be refused, not read past.  Measuring takes and refuses the same. */
static size_t check_round_trip(const am_spilled *s)
{
    unsigned char buf[AM_SPILLED_CODE_MAX];
    const size_t n = am_spilled_encode(s, buf);
    ck_assert_uint_le(n, AM_SPILLED_CODE_MAX);
    am_spilled back;
    ck_assert_uint_eq(am_spilled_decode(buf, n, &back), n);
    ck_assert_uint_eq(am_spilled_measure(buf, n), n);
    ck_assert(memcmp(&back, s, sizeof back) == 0);
    for (size_t cut = 0; cut < n; cut++) {
        unsigned char *prefix = malloc(cut ? cut : 1);
        memcpy(prefix, buf, cut);
        ck_assert_msg(am_spilled_decode(prefix, cut, &back) == 0, "a prefix of %zu bytes", cut);
        ck_assert_msg(am_spilled_measure(prefix, cut) == 0, "a prefix of %zu bytes", cut);
        free(prefix);
    }
    return n;
}

/* Bytes at in, avail of them, that decode takes want of (0: refuses) into
 * *back; and measuring says the same. */
static void check_decoded_as_measured(const unsigned char *in, size_t avail, size_t want,
                                      am_spilled *back)
{
    ck_assert_uint_eq(am_spilled_decode(in, avail, back), want);
    ck_assert_uint_eq(am_spilled_measure(in, avail), want);
}

START_TEST(spilled_code_known_answers)
{
    const unsigned char person[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    /* A monthly payment of 1500 yuan: flags, person, code, feed, amount
     * 150000 fen zigzagged (300000), start 20089 (40178), length 30 (60),
     * line 7. */
    am_spilled s = spilled(150000, 20089, 20119, 7, 3, 2, 0, 0);
    unsigned char buf[AM_SPILLED_CODE_MAX];
    unsigned char want[27] = {0x00};
    memcpy(want + 1, person, 16);
    memcpy(want + 17, (const unsigned char[]){0x03, 0x02, 0xe0, 0xa7, 0x12, 0xf2, 0xb9, 0x02,
                                              0x3c, 0x07},
           10);
    ck_assert_uint_eq(am_spilled_encode(&s, buf), sizeof want);
    ck_assert(memcmp(buf, want, sizeof want) == 0);
    ck_assert_uint_eq(check_round_trip(&s), 27);

    /* A fact with a grade, open-ended, in a household: flags 7, code 300
     * in two bytes, amount -1 (zigzag 1), no length, value, household. */
    s = spilled(-1, 0, AM_DAY_OPEN, 0, 300, 0, 3, 1);
    unsigned char want2[40] = {0x07};
    memcpy(want2 + 1, person, 16);
    memcpy(want2 + 17, (const unsigned char[]){0xac, 0x02, 0x00, 0x01, 0x00, 0x00, 0x03}, 7);
    for (int i = 0; i < 16; i++)
        want2[24 + i] = (unsigned char)(0xa0 + i);
    ck_assert_uint_eq(am_spilled_encode(&s, buf), sizeof want2);
    ck_assert(memcmp(buf, want2, sizeof want2) == 0);
    ck_assert_uint_eq(check_round_trip(&s), 40);

    /* The edges of every field: INT64 amounts in ten bytes, the widest
     * period, the greatest line, code and feed (three bytes each, so the
     * amount starts at 23), reserved bytes carried. */
    s = spilled(INT64_MIN, INT32_MIN, INT32_MAX - 1, UINT32_MAX, UINT16_MAX, UINT16_MAX, 255, 1);
    s.rec.reserved[0] = 1;
    s.rec.reserved[2] = 3;
    ck_assert_uint_eq(check_round_trip(&s), 68);
    ck_assert_uint_eq(am_spilled_encode(&s, buf), 68);
    ck_assert(memcmp(buf + 23, (const unsigned char[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                       0xff, 0xff, 0x01},
                     10) == 0);
    s = spilled(INT64_MAX, INT32_MAX - 1, INT32_MIN, 0, 0, 0, 0, 0);
    ck_assert_uint_eq(check_round_trip(&s), 1 + 16 + 1 + 1 + 10 + 5 + 5 + 1);
    s = spilled(0, AM_DAY_EVER, AM_DAY_OPEN, 1, 1, 1, 0, 0);
    check_round_trip(&s);

    /* Bytes that are no record's encoding. */
    am_spilled back;
    unsigned char bad[40];
    memcpy(bad, want2, sizeof want2);
    bad[0] = 0x17; /* a flag no encoder sets */
    check_decoded_as_measured(bad, sizeof want2, 0, &back);
    memcpy(bad, want, sizeof want);
    memcpy(bad + 17, (const unsigned char[]){0x80, 0x80, 0x04, 0x02, 0xe0, 0xa7, 0x12, 0xf2,
                                             0xb9, 0x02, 0x3c, 0x07},
           12); /* code 65536 */
    check_decoded_as_measured(bad, sizeof want + 2, 0, &back);
    memcpy(bad, want, sizeof want);
    memcpy(bad + 18, (const unsigned char[]){0x80, 0x80, 0x04, 0xe0, 0xa7, 0x12, 0xf2, 0xb9,
                                             0x02, 0x3c, 0x07},
           11); /* feed 65536 */
    check_decoded_as_measured(bad, sizeof want + 2, 0, &back);
    memcpy(bad, want, sizeof want);
    memcpy(bad + 26, (const unsigned char[]){0x80, 0x80, 0x80, 0x80, 0x10}, 5); /* line 2^32 */
    check_decoded_as_measured(bad, sizeof want + 4, 0, &back);
    memcpy(bad + 26, (const unsigned char[]){0xff, 0xff, 0xff, 0xff, 0x0f}, 5); /* UINT32_MAX */
    check_decoded_as_measured(bad, sizeof want + 4, sizeof want + 4, &back);
    ck_assert_uint_eq(back.rec.line, UINT32_MAX);
    memcpy(bad, want, sizeof want);
    /* start 2^31, one past INT32_MAX (zigzag 2^32), with a length of -100
     * that would bring its end back into range */
    memcpy(bad + 22, (const unsigned char[]){0x80, 0x80, 0x80, 0x80, 0x10, 0xc7, 0x01, 0x07}, 8);
    check_decoded_as_measured(bad, 30, 0, &back);
    /* start INT32_MAX - 1 and a length of 2 passes INT32_MAX */
    memcpy(bad + 22, (const unsigned char[]){0xfc, 0xff, 0xff, 0xff, 0x0f, 0x04, 0x07}, 7);
    check_decoded_as_measured(bad, 29, 0, &back);
    /* a start of -1 and a length of INT64_MIN (zigzag UINT64_MAX): adding
     * them would overflow */
    memcpy(bad + 22, (const unsigned char[]){0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                             0xff, 0xff, 0x01, 0x07},
           12);
    check_decoded_as_measured(bad, 34, 0, &back);
    /* a code of 3 written in two bytes (0x83 0x00), not its shortest form */
    memcpy(bad, want, sizeof want);
    memcpy(bad + 17, (const unsigned char[]){0x83, 0x00, 0x02, 0xe0, 0xa7, 0x12, 0xf2, 0xb9,
                                             0x02, 0x3c, 0x07},
           11);
    check_decoded_as_measured(bad, sizeof want + 1, 0, &back);
    /* an amount of eleven bytes, and a tenth byte past 64 bits */
    unsigned char longer[40] = {0};
    memcpy(longer + 1, person, 16);
    longer[17] = 1;
    longer[18] = 1;
    memset(longer + 19, 0xff, 10);
    longer[29] = 0x01;
    check_decoded_as_measured(longer, sizeof longer, 0, &back);
    memset(longer + 19, 0xff, 9);
    longer[28] = 0x02;
    check_decoded_as_measured(longer, sizeof longer, 0, &back);
}
END_TEST

static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    return *state >> 11 ^ *state << 29;
}

/* A reading of encoded records, each compared with v's encoding. */
typedef struct encoded_reading {
    const am_spilled *v;
    size_t got, blocks;
} encoded_reading;

static am_status take_encoded(void *user, const unsigned char *bytes, const uint32_t *ends,
                              size_t n, am_err *err)
{
    (void)err;
    encoded_reading *e = user;
    for (size_t k = 0, at = 0; k < n; at = ends[k++]) {
        unsigned char want[AM_SPILLED_CODE_MAX];
        const size_t w = am_spilled_encode(&e->v[e->got + k], want);
        ck_assert_uint_eq(ends[k] - at, w);
        ck_assert_msg(memcmp(bytes + at, want, w) == 0, "record %zu", e->got + k);
    }
    e->got += n;
    e->blocks++;
    return AM_OK;
}

START_TEST(spilled_code_files)
{
    make_dir();
    enum { N = 20000 };
    am_spilled *v = calloc(N, sizeof *v);
    uint64_t state = 0x2545F4914F6CDD1Dull;
    for (size_t i = 0; i < N; i++) {
        const uint64_t r = next_random(&state);
        v[i] = spilled((int64_t)next_random(&state) >> (r % 64), (int32_t)(r >> 32) % 30000,
                       r & 1 ? AM_DAY_OPEN : (int32_t)(r >> 32) % 30000 + (int32_t)(r % 400),
                       (uint32_t)(r >> 8), (uint16_t)(r >> 16), (uint16_t)(r % 40),
                       r % 5 == 0 ? (uint8_t)(r >> 24) : 0, r % 3 == 0);
        memcpy(v[i].rec.person, &r, sizeof r);
    }
    am_err err;
    am_spill_writer w;
    ck_assert_int_eq(am_spill_create_coded(&w, path_in("r"), &am_spilled_codec, 4096, &err),
                     AM_OK);
    for (size_t i = 0; i < N; i += 777)
        ck_assert_int_eq(am_spill_write(&w, v + i, i + 777 <= N ? 777 : N - i, &err), AM_OK);
    ck_assert_int_eq(am_spill_finish(&w, &err), AM_OK);
    struct stat st;
    ck_assert_int_eq(stat(path_in("r"), &st), 0);
    ck_assert_int_lt(st.st_size, (off_t)(N * sizeof *v) * 3 / 4);

    am_spill_reader r;
    ck_assert_int_eq(am_spill_open_coded(&r, path_in("r"), &am_spilled_codec, &err), AM_OK);
    size_t got = 0;
    for (;;) {
        const void *item;
        ck_assert_int_eq(am_spill_next_item(&r, &item, &err), AM_OK);
        if (!item)
            break;
        ck_assert_uint_lt(got, N);
        ck_assert_msg(memcmp(item, &v[got], sizeof *v) == 0, "record %zu", got);
        got++;
    }
    ck_assert_uint_eq(got, N);
    am_spill_close(&r);

    /* Records encoded outside the writer and appended as bytes (as
     * distribution's threads do) read back as written. */
    ck_assert_int_eq(am_spill_create_coded(&w, path_in("e"), &am_spilled_codec, 4096, &err),
                     AM_OK);
    unsigned char enc[40 * AM_SPILLED_CODE_MAX];
    for (size_t i = 0; i < N; i += 40) {
        size_t len = 0;
        for (size_t k = i; k < i + 40; k++)
            len += am_spilled_encode(&v[k], enc + len);
        ck_assert_int_eq(am_spill_write_encoded(&w, enc, len, 40, &err), AM_OK);
    }
    char too_long[160];
    snprintf(too_long, sizeof too_long,
             "%s: encoded items written to a file that cannot take them", path_in("e"));
    unsigned char big[4097] = {0};
    ck_assert_int_eq(am_spill_write_encoded(&w, big, sizeof big, 1, &err), AM_ERR_INVALID);
    ck_assert_str_eq(err.msg, too_long);
    ck_assert_int_eq(am_spill_finish(&w, &err), AM_OK);
    ck_assert_int_eq(am_spill_open_coded(&r, path_in("e"), &am_spilled_codec, &err), AM_OK);
    for (got = 0;; got++) {
        const void *item;
        ck_assert_int_eq(am_spill_next_item(&r, &item, &err), AM_OK);
        if (!item)
            break;
        ck_assert_msg(memcmp(item, &v[got], sizeof *v) == 0, "record %zu", got);
    }
    ck_assert_uint_eq(got, N);
    am_spill_close(&r);

    /* Read back still encoded (as distribution copies them): every
     * record's bytes, in order, and the count the trailer holds; a
     * trailer that counts one more is damage. */
    encoded_reading e = {.v = v};
    ck_assert_int_eq(am_spill_each_encoded(path_in("e"), &am_spilled_codec, take_encoded, &e,
                                           &err),
                     AM_OK);
    ck_assert_uint_eq(e.got, N);
    ck_assert_uint_gt(e.blocks, 1);
    int fd = open(path_in("e"), O_RDWR);
    const off_t size = lseek(fd, 0, SEEK_END);
    const uint64_t more = N + 1;
    ck_assert_int_eq(pwrite(fd, &more, 8, size - 8), 8);
    close(fd);
    e = (encoded_reading){.v = v};
    ck_assert_int_eq(am_spill_each_encoded(path_in("e"), &am_spilled_codec, take_encoded, &e,
                                           &err),
                     AM_ERR_IO);
    ck_assert_uint_eq(e.got, N);
    char count[160];
    snprintf(count, sizeof count, "%s: partition file damaged (item count): the run cannot go on",
             path_in("e"));
    ck_assert_str_eq(err.msg, count);
    ck_assert_int_eq(am_spill_create(&w, path_in("plain"), 8, 4096, &err), AM_OK);
    ck_assert_int_eq(am_spill_write_encoded(&w, enc, 8, 1, &err), AM_ERR_INVALID);
    am_spill_discard(&w);

    /* A block whose checksum holds but whose second record is none: the
     * block's first record is not handed over either. */
    fd = open(path_in("r"), O_RDWR);
    unsigned char header[16], *block = malloc(4096);
    ck_assert_int_eq(pread(fd, header, 16, 0), 16);
    uint32_t len;
    memcpy(&len, header + 4, 4);
    ck_assert_int_eq(pread(fd, block, len, 16), (ssize_t)len);
    block[am_spilled_measure(block, len)] = 0xff;
    const uint64_t sum = XXH3_64bits(block, len);
    memcpy(header + 8, &sum, 8);
    ck_assert_int_eq(pwrite(fd, header, 16, 0), 16);
    ck_assert_int_eq(pwrite(fd, block, len, 16), (ssize_t)len);
    close(fd);
    free(block);
    ck_assert_int_eq(am_spill_open_coded(&r, path_in("r"), &am_spilled_codec, &err), AM_OK);
    const void *items;
    size_t n;
    ck_assert_int_eq(am_spill_next(&r, &items, &n, &err), AM_ERR_IO);
    char want[160];
    snprintf(want, sizeof want, "%s: partition file damaged (encoding): the run cannot go on",
             path_in("r"));
    ck_assert_str_eq(err.msg, want);
    am_spill_close(&r);
    e = (encoded_reading){.v = v};
    ck_assert_int_eq(am_spill_each_encoded(path_in("r"), &am_spilled_codec, take_encoded, &e,
                                           &err),
                     AM_ERR_IO);
    ck_assert_str_eq(err.msg, want);
    ck_assert_uint_eq(e.got, 0);
    free(v);
    remove_dir();
}
END_TEST

static int by_value(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t value_key(const void *a)
{
    return *(const uint64_t *)a;
}

/* The high half of a value: items of one key are left to by_value. */
static uint64_t high_key(const void *a)
{
    return *(const uint64_t *)a >> 32;
}

/* A key that never tells items apart: all left to by_value. */
static uint64_t no_key(const void *a)
{
    (void)a;
    return 0;
}

/* n items sorted in memory for about `memory` bytes: 0, 1 or many runs,
 * more than one merge's fan-in among them; by comparison alone, by the
 * whole value as a key, by a key that ties, and by one that always ties. */
static void check_extsort_by(size_t n, size_t memory, const am_order *order)
{
    make_dir();
    uint64_t *v = malloc((n ? n : 1) * sizeof *v), *back = malloc((n ? n : 1) * sizeof *back);
    uint64_t state = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        /* repeats too, and keys over all eight bytes */
        v[i] = (state % (n / 3 + 1)) * 0x9E3779B97F4A7C15ull;
    }
    write_u64s(path_in("in"), v, n, 8192);
    am_err err;
    ck_assert_int_eq(am_extsort(path_in("in"), path_in("out"), sizeof *v, order, memory, &err),
                     AM_OK);
    ck_assert_int_ne(access(path_in("in"), F_OK), 0);
    size_t got;
    ck_assert_int_eq(read_u64s(path_in("out"), back, &got, &err), AM_OK);
    qsort(v, n, sizeof *v, by_value);
    ck_assert_uint_eq(got, n);
    ck_assert(n == 0 || memcmp(v, back, n * sizeof *v) == 0);
    /* Nothing but the output is left. */
    ck_assert_int_ne(access(path_in("out.run0"), F_OK), 0);
    free(v);
    free(back);
    remove_dir();
}

static void check_extsort(size_t n, size_t memory)
{
    const am_order orders[] = {
        {by_value, NULL}, {by_value, value_key}, {by_value, high_key}, {by_value, no_key}};
    for (size_t i = 0; i < sizeof orders / sizeof *orders; i++)
        check_extsort_by(n, memory, &orders[i]);
}

START_TEST(extsort_matches_qsort)
{
    check_extsort(0, 1 << 20);
    check_extsort(1, 1 << 20);
    check_extsort(5000, 1 << 20);    /* one run */
    check_extsort(30000, 8192);      /* 30 runs of 1024 */
    check_extsort(200000, 8192);     /* 196 runs: merged 64 at a time, then the rest */
}
END_TEST

/* What a bucketed reading passed on, and when to stop it. */
typedef struct taken {
    uint64_t *v;
    size_t n, batches, stop_after;
} taken;

static am_status take_u64s(void *user, const void *items, size_t n, am_err *err)
{
    taken *t = user;
    if (t->stop_after && t->batches == t->stop_after)
        return am_fail(err, AM_ERR_NOMEM, "stopped");
    memcpy(t->v + t->n, items, n * sizeof *t->v);
    t->n += n;
    t->batches++;
    return AM_OK;
}

/* Buckets by the top two bits of the value, of 300, 5000, 0 and 2000
 * items, read under 8 KB (1024 items): the first sorted in memory, the
 * second and last on disk in runs, the empty one skipped.  The reading
 * gives qsort's order, leaves the buckets, gives the same again when
 * made again, and stops at take's first failure. */
START_TEST(extsort_buckets_read_in_order)
{
    make_dir();
    static const size_t sizes[4] = {300, 5000, 0, 2000};
    enum { TOTAL = 7300 };
    uint64_t *v = malloc(TOTAL * sizeof *v), *bucket = malloc(5000 * sizeof *bucket);
    char *names[4];
    size_t k = 0;
    uint64_t state = 2463534242u;
    for (unsigned b = 0; b < 4; b++) {
        for (size_t i = 0; i < sizes[b]; i++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            /* repeats too, within the bucket's quarter of the values */
            bucket[i] = (uint64_t)b << 62 | (state % (sizes[b] / 2 + 1)) << 20;
            v[k++] = bucket[i];
        }
        char name[16];
        snprintf(name, sizeof name, "bucket-%u", b);
        names[b] = strdup(path_in(name));
        write_u64s(names[b], bucket, sizes[b], 4096);
    }
    qsort(v, TOTAL, sizeof *v, by_value);
    const am_order order = {by_value, value_key};
    /* On disk but the first; all in memory, alone and two at once. */
    static const struct {
        size_t memory;
        unsigned threads;
    } ways[] = {{8192, 1}, {8192, 2}, {1 << 20, 1}, {1 << 20, 2}};
    for (size_t w = 0; w < sizeof ways / sizeof *ways; w++) {
        for (int again = 0; again < 2; again++) {
            taken t = {.v = malloc(TOTAL * sizeof *t.v)};
            am_err err;
            ck_assert_int_eq(am_extsort_buckets(names, 4, sizeof *v, &order, ways[w].memory,
                                                ways[w].threads, take_u64s, &t, &err),
                             AM_OK);
            ck_assert_uint_eq(t.n, TOTAL);
            ck_assert_int_eq(memcmp(t.v, v, TOTAL * sizeof *v), 0);
            for (unsigned b = 0; b < 4; b++)
                ck_assert_int_eq(access(names[b], F_OK), 0);
            free(t.v);
        }
        taken t = {.v = malloc(TOTAL * sizeof *t.v), .stop_after = 1};
        am_err err;
        ck_assert_int_eq(am_extsort_buckets(names, 4, sizeof *v, &order, ways[w].memory,
                                            ways[w].threads, take_u64s, &t, &err),
                         AM_ERR_NOMEM);
        ck_assert_str_eq(err.msg, "stopped");
        ck_assert_uint_eq(t.n, sizes[0]);
        free(t.v);
    }
    for (unsigned b = 0; b < 4; b++)
        free(names[b]);
    free(v);
    free(bucket);
    remove_dir();
}
END_TEST

/* Items of sizes not a multiple of 8 whose keys repeat: ordered by key,
 * then by cmp within a key, as qsort orders them.  Linking's registry
 * entries are 44 bytes, its candidate refs 12.
 * An item: a big-endian key in its first 8 bytes, 4 bytes that break
 * ties, then padding whose bytes the sort must carry along. */
#define ODD_ORDERED 12

static uint64_t odd_key(const void *p)
{
    const unsigned char *w = p;
    uint64_t k = 0;
    for (int i = 0; i < 8; i++)
        k = k << 8 | w[i];
    return k;
}

static int odd_cmp(const void *a, const void *b)
{
    return memcmp(a, b, ODD_ORDERED);
}

/* Item i of v: key, 4 bytes of tie-breaker, padding made from i. */
static void put_odd_item(unsigned char *v, size_t i, size_t size, uint64_t key, uint64_t tie)
{
    unsigned char *item = v + i * size;
    for (int b = 0; b < 8; b++)
        item[b] = (unsigned char)(key >> (56 - 8 * b));
    memcpy(item + 8, &tie, 4);
    for (size_t b = ODD_ORDERED; b < size; b++)
        item[b] = (unsigned char)(i * 31 + b);
}

START_TEST(key_sort_odd_size_with_ties)
{
    /* 20 and 44 bytes are swapped a 32-bit word at a time, 21 and 45 by
     * memcpy: every item whole, its padding included, where qsort puts it. */
    static const size_t sizes[] = {20, 21, 44, 45};
    const size_t n = 50000;
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        const size_t size = sizes[s];
        unsigned char *v = malloc(n * size), *ref = malloc(n * size), tmp[64];
        uint64_t state = 0x2545F4914F6CDD1Dull;
        for (size_t i = 0; i < n; i++) {
            const uint64_t random = next_random(&state);
            put_odd_item(v, i, size, (random % 3000) * 0x9E3779B97F4A7C15ull, random); /* ~17 per key */
        }
        memcpy(ref, v, n * size);
        const am_order order = {odd_cmp, odd_key};
        am_key_sort(v, n, size, &order, tmp);
        qsort(ref, n, size, odd_cmp);
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(memcmp(v + i * size, ref + i * size, size) == 0,
                          "size %zu: item %zu differs", size, i);
        free(v);
        free(ref);
    }
}
END_TEST

/* Keys for the pair sort's cases: which of the n items have the top bit
 * set decides how the two threads' splits meet. */
enum top_bits { TOP_RANDOM, TOP_ALL_CLEAR, TOP_ALL_SET, TOP_SET_FIRST, TOP_SET_LAST };

static uint64_t pair_case_key(enum top_bits shape, size_t i, size_t n, uint64_t random)
{
    const uint64_t low = random >> 1, high = low | 1ull << 63;
    switch (shape) {
    case TOP_ALL_CLEAR: return low;
    case TOP_ALL_SET: return high;
    case TOP_SET_FIRST: return i < n / 2 ? high : low;
    case TOP_SET_LAST: return i < n / 3 ? low : high;
    default: return random;
    }
}

START_TEST(key_sort_pair_split_by_top_bit)
{
    /* On one thread and on two (which split the items by the top bit
     * before sorting), every item where qsort puts it and the first with
     * the top bit set returned; below AM_PAIR_MIN_ITEMS two threads do
     * as one. */
    static const size_t sizes[] = {44, 21};
    static const size_t counts[] = {0, 1, 23, 4095, 4096, 4097, 60001};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (size_t c = 0; c < sizeof counts / sizeof *counts; c++)
            for (int shape = TOP_RANDOM; shape <= TOP_SET_LAST; shape++)
                for (unsigned threads = 1; threads <= 2; threads++) {
                    const size_t size = sizes[s], n = counts[c];
                    unsigned char *v = malloc(n * size + 1), *ref = malloc(n * size + 1);
                    unsigned char tmp[2 * 64];
                    uint64_t state = 0x9E3779B97F4A7C15ull + n;
                    for (size_t i = 0; i < n; i++) {
                        const uint64_t random = next_random(&state);
                        /* ~4 items a key, so cmp orders ties too */
                        const uint64_t key = pair_case_key(
                            shape, i, n, (random % (n / 4 + 1)) * 0x9E3779B97F4A7C15ull);
                        put_odd_item(v, i, size, key, random);
                    }
                    memcpy(ref, v, n * size);
                    const am_order order = {odd_cmp, odd_key};
                    const size_t split = am_key_sort_pair(v, n, size, &order, tmp, threads);
                    qsort(ref, n, size, odd_cmp);
                    size_t first_set = 0;
                    while (first_set < n && !(odd_key(ref + first_set * size) >> 63))
                        first_set++;
                    ck_assert_msg(split == first_set,
                                  "size %zu, %zu items, shape %d, %u threads: split %zu, not %zu",
                                  size, n, shape, threads, split, first_set);
                    for (size_t i = 0; i < n; i++)
                        ck_assert_msg(memcmp(v + i * size, ref + i * size, size) == 0,
                                      "size %zu, %zu items, shape %d, %u threads: item %zu",
                                      size, n, shape, threads, i);
                    free(v);
                    free(ref);
                }
}
END_TEST

/* k sorted files of the same n values dealt round-robin, merged: the
 * values in order, the inputs removed.  k above the merge's fan-in of 64
 * merges in two rounds. */
static void check_merge(size_t n, size_t k)
{
    make_dir();
    uint64_t *v = malloc((n ? n : 1) * sizeof *v), *back = malloc((n ? n : 1) * sizeof *back);
    for (size_t i = 0; i < n; i++)
        v[i] = (i * 2654435761u) % (n / 2 + 1);
    qsort(v, n, sizeof *v, by_value);
    char **names = malloc(k * sizeof *names);
    uint64_t *part = malloc((n / k + 1) * sizeof *part);
    for (size_t f = 0; f < k; f++) {
        size_t m = 0;
        for (size_t i = f; i < n; i += k)
            part[m++] = v[i];
        char name[32];
        snprintf(name, sizeof name, "sorted-%zu", f);
        names[f] = strdup(path_in(name));
        write_u64s(names[f], part, m, 4096);
    }
    am_err err;
    ck_assert_int_eq(am_extsort_merge((const char *const *)names, k, path_in("merged"), sizeof *v,
                                      by_value, &err),
                     AM_OK);
    size_t got;
    ck_assert_int_eq(read_u64s(path_in("merged"), back, &got, &err), AM_OK);
    ck_assert_uint_eq(got, n);
    ck_assert(n == 0 || memcmp(v, back, n * sizeof *v) == 0);
    for (size_t f = 0; f < k; f++) {
        ck_assert_int_ne(access(names[f], F_OK), 0);
        free(names[f]);
    }
    free(names);
    free(part);
    free(v);
    free(back);
    remove_dir();
}

START_TEST(extsort_merge_of_sorted_files)
{
    check_merge(0, 1);
    check_merge(0, 3);      /* empty files */
    check_merge(1, 1);      /* one file: renamed */
    check_merge(1000, 7);
    check_merge(20000, 130); /* 64, 64, then those two and the last 2 */
}
END_TEST

/* The files in the test's directory. */
static size_t files_in_dir(void)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* The edges of components_within, in batches of up to 7; with fail_at,
 * the reading fails (AM_ERR_IO) once that many batches are taken. */
typedef struct edge_array {
    uint64_t (*v)[2];
    size_t n;
    unsigned readings;
    size_t fail_at;
} edge_array;

static am_status each_of_array(void *user, am_items_fn take, void *take_user, am_err *err)
{
    edge_array *a = user;
    a->readings++;
    am_edge batch[7];
    for (size_t from = 0; from < a->n; from += 7) {
        if (a->fail_at && from / 7 == a->fail_at)
            return am_fail(err, AM_ERR_IO, "edges: cannot read");
        size_t k = 0;
        for (size_t i = from; i < a->n && k < 7; i++, k++)
            batch[k] = (am_edge){.a = a->v[i][0], .b = a->v[i][1]};
        const am_status st = take(take_user, batch, k, err);
        if (st != AM_OK)
            return st;
    }
    return AM_OK;
}

/* Components of edges (household, person) found within memory bytes:
 * labels[person] as found; the edges read once in memory, twice when
 * they propagate. */
static void components_within(uint64_t (*edges)[2], size_t n, size_t memory, am_label *out,
                              size_t *nout, unsigned *passes)
{
    make_dir();
    am_err err;
    edge_array a = {edges, n, 0, 0};
    const am_edge_source source = {each_of_array, &a};
    ck_assert_int_eq(am_components(&source, path_in("labels"), memory, passes, &err), AM_OK);
    ck_assert_uint_eq(a.readings, *passes ? 2 : 1);
    ck_assert_uint_eq(files_in_dir(), 1); /* the labels: work files removed */
    am_spill_reader r;
    ck_assert_int_eq(am_spill_open(&r, path_in("labels"), sizeof(am_label), &err), AM_OK);
    *nout = 0;
    for (;;) {
        const void *items;
        size_t k;
        ck_assert_int_eq(am_spill_next(&r, &items, &k, &err), AM_OK);
        if (!k)
            break;
        memcpy(out + *nout, items, k * sizeof *out);
        *nout += k;
    }
    am_spill_close(&r);
    remove_dir();
}

/* A source that fails half-way, in memory and while the edges are
 * written for propagation: its failure returned, no file left. */
START_TEST(components_source_failure)
{
    enum { N = 200 };
    uint64_t(*edges)[2] = malloc(N * sizeof *edges);
    for (uint64_t i = 0; i < N; i++) {
        edges[i][0] = 0x9E3779B97F4A7C15ull * (i / 3 + 1);
        edges[i][1] = i + 1;
    }
    static const size_t memory[] = {1 << 20, 4096};
    for (size_t m = 0; m < 2; m++) {
        make_dir();
        edge_array a = {edges, N, 0, 5};
        const am_edge_source source = {each_of_array, &a};
        unsigned passes;
        am_err err;
        ck_assert_int_eq(am_components(&source, path_in("labels"), memory[m], &passes, &err),
                         AM_ERR_IO);
        ck_assert_str_eq(err.msg, "edges: cannot read");
        ck_assert_uint_eq(files_in_dir(), 0);
        remove_dir();
    }
    free(edges);
}
END_TEST

/* Too little memory for the union-find: labels propagate. */
static void components_of(uint64_t (*edges)[2], size_t n, am_label *out, size_t *nout,
                          unsigned *passes)
{
    components_within(edges, n, 4096, out, nout, passes);
}

/* h households joined in pairs, each pair by a person of its own (and an
 * odd last one to the first pair by one more), within memory bytes: in
 * memory (passes 0) or not, and the same labels either way.  Every
 * household is joined to another, so each is a node. */
static void check_share(size_t h, size_t memory, int in_memory)
{
    const size_t persons = (h + 1) / 2, n_edges = h + h % 2;
    uint64_t (*edges)[2] = malloc(n_edges * sizeof *edges);
    am_label *got = malloc(persons * sizeof *got);
    for (uint64_t i = 0; i < h; i++) {
        edges[i][0] = 0x9E3779B97F4A7C15ull * (i + 1);
        edges[i][1] = i / 2 + 1;
    }
    if (h % 2) {
        edges[h][0] = edges[0][0];
        edges[h][1] = persons;
    }
    size_t n;
    unsigned passes;
    components_within(edges, n_edges, memory, got, &n, &passes);
    ck_assert_msg(in_memory ? passes == 0 : passes > 0, "%zu households in %zu bytes: %u passes",
                  h, memory, passes);
    ck_assert_uint_eq(n, persons);
    const uint64_t first = edges[0][0] < edges[1][0] ? edges[0][0] : edges[1][0];
    for (size_t j = 0; j < persons; j++) {
        uint64_t want = edges[2 * j][0];
        if (2 * j + 1 < h && edges[2 * j + 1][0] < want)
            want = edges[2 * j + 1][0];
        if (h % 2 && (j == 0 || j == persons - 1)) /* the first pair and the last household */
            want = first < edges[h - 1][0] ? first : edges[h - 1][0];
        ck_assert_uint_eq(got[j].person, j + 1);
        ck_assert_uint_eq(got[j].label, want);
    }
    free(edges);
    free(got);
}

/* Households that fit the share only if the nodes' last growth stops short
 * of doubling, and leaves the room the slots will need.  The forest holds
 * 4-byte slots at most five eighths full (4096 at first, for 2560
 * households), a group of 4096 edges (64 KiB) and 12-byte nodes.  1025
 * households (1026 edges) fit in 100,000 bytes (16 KiB of slots, 64 KiB,
 * 1506 nodes), not in the 106,496 a doubling to 2048 nodes asks; 94,000
 * bytes hold 1006 nodes (propagation).  2561 need 8192 slots: in 130,000
 * bytes, nodes grown to the 4006 that fit beside 4096 slots would leave
 * no room for 8192 (146,376); 2641 beside 8192 fit.  128,000 bytes hold
 * 2474 beside 8192 slots, so the nodes stop at the 2560 that 4096 slots
 * take (propagation).  And a doubling that fits is not taken whole when
 * the slots the nodes will need then would not: 5121 households' 5122
 * edges make a group of 8192 (128 KiB); in 270,000 bytes, 8192 nodes fit
 * beside 8192 slots (262,144) but not beside the 16384 slots 5121 need
 * (294,912); 6116 nodes do (270,000 exactly).  257,000 bytes hold 5032
 * beside 16384 slots (propagation). */
START_TEST(components_nodes_fill_the_share)
{
    check_share(1025, 100000, 1);
    check_share(1025, 94000, 0);
    check_share(2561, 130000, 1);
    check_share(2561, 128000, 0);
    check_share(5121, 270000, 1);
    check_share(5121, 257000, 0);
}
END_TEST

START_TEST(components_known_answers)
{
    /* Households 100 to 500; persons 1..7.  1 and 2 share 100; 2 moved
     * to 200, where 3 lives; 4 and 5 share 300; 6 is alone in 400 (twice,
     * a repeated edge); 7 claims through 300 and 500.  Each is labelled
     * with the least household of its component, by propagation and in
     * memory (where 400 has no node, and 4 and 5, of 300 alone, are
     * written before 7 joins 300 to 500). */
    static uint64_t edges[][2] = {{100, 2}, {100, 1}, {200, 2}, {200, 3}, {300, 4},
                                        {300, 5}, {400, 6}, {400, 6}, {300, 7}, {500, 7}};
    static const am_label want[] = {{1, 100}, {2, 100}, {3, 100}, {4, 300},
                                    {5, 300}, {6, 400}, {7, 300}};
    am_label got[16];
    size_t n;
    unsigned passes;
    for (int in_memory = 0; in_memory < 2; in_memory++) {
        components_within(edges, sizeof edges / sizeof *edges, in_memory ? 1 << 20 : 4096, got,
                          &n, &passes);
        ck_assert_uint_eq(in_memory, passes == 0);
        ck_assert_uint_eq(n, sizeof want / sizeof *want);
        for (size_t i = 0; i < n; i++) {
            ck_assert_uint_eq(got[i].person, want[i].person);
            ck_assert_uint_eq(got[i].label, want[i].label);
        }
    }

    /* A chain 1-h-2-h-3-...-400, its least household (100001, between
     * 400 and 399) at the far end from person 1: every person gets label
     * 100001, in a pass for every two steps or so. */
    enum { CHAIN = 400 };
    static uint64_t chain[2 * CHAIN][2];
    size_t k = 0;
    for (uint64_t p = 1; p < CHAIN; p++) {
        chain[k][0] = 100000 + p;
        chain[k++][1] = CHAIN + 1 - p;
        chain[k][0] = 100000 + p;
        chain[k++][1] = CHAIN - p;
    }
    static am_label many[CHAIN + 1];
    components_of(chain, k, many, &n, &passes);
    ck_assert_uint_eq(n, CHAIN);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(many[i].label, 100001);
    ck_assert_uint_ge(passes, CHAIN / 2);
}
END_TEST

static int by_person_top_byte(const void *pa, const void *pb)
{
    const uint64_t a = ((const uint64_t *)pa)[1] >> 56, b = ((const uint64_t *)pb)[1] >> 56;
    return (a > b) - (a < b);
}

/* Random graphs, their edges grouped by the person key's top byte as
 * partition buckets write them: the union-find in memory gives the labels
 * propagation gives, and so does a union-find that runs out of memory
 * half way (it hands over to propagation), and edges not so grouped. */
START_TEST(components_in_memory_as_propagated)
{
    static const struct {
        size_t edges, persons, households, memory;
        int grouped;
    } cases[] = {
        {1, 1, 1, 1 << 20, 1},          {5000, 3000, 2000, 1 << 20, 1},
        {20000, 2000, 20000, 1 << 22, 1}, /* sparse: many small components */
        {20000, 15000, 600, 1 << 22, 1},  /* dense: one giant component */
        {20000, 8000, 8000, 120000, 1},   /* memory runs out during the first reading */
        {5000, 3000, 2000, 1 << 20, 0},   /* not grouped: propagation only */
    };
    enum { MAX_EDGES = 20000 };
    static uint64_t edges[MAX_EDGES][2];
    static am_label want[MAX_EDGES], got[MAX_EDGES];
    uint64_t state = 42;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        /* Keys spread over the whole 64 bits, as keyed tokens are. */
        for (size_t i = 0; i < cases[c].edges; i++) {
            edges[i][0] = (next_random(&state) % cases[c].households + 1) * 0x9E3779B97F4A7C15u;
            edges[i][1] = (next_random(&state) % cases[c].persons + 1) * 0xC2B2AE3D27D4EB4Fu;
        }
        if (cases[c].grouped)
            qsort(edges, cases[c].edges, sizeof *edges, by_person_top_byte);
        else /* the top bytes of the first two persons in descending order */
            edges[0][1] |= 0xFF00000000000000u, edges[1][1] &= 0x00FFFFFFFFFFFFFFu;
        size_t nwant, ngot;
        unsigned passes_want, passes_got;
        components_of(edges, cases[c].edges, want, &nwant, &passes_want);
        ck_assert_uint_gt(passes_want, 0);
        components_within(edges, cases[c].edges, cases[c].memory, got, &ngot, &passes_got);
        if (cases[c].grouped && cases[c].memory >= (1 << 20))
            ck_assert_uint_eq(passes_got, 0);
        else
            ck_assert_uint_eq(passes_got, passes_want);
        ck_assert_uint_eq(ngot, nwant);
        for (size_t i = 0; i < ngot; i++) {
            ck_assert_uint_eq(got[i].person, want[i].person);
            ck_assert_uint_eq(got[i].label, want[i].label);
        }
    }
}
END_TEST

START_TEST(size_parse_edges)
{
    static const struct {
        const char *text;
        int ok;
        uint64_t bytes;
    } cases[] = {
        {"0", 1, 0},
        {"1048576", 1, 1048576},
        {"128M", 1, 128ull << 20},
        {"2G", 1, 2ull << 30},
        {"2g", 1, 2ull << 30},
        {"512k", 1, 512ull << 10},
        {"18446744073709551615", 1, UINT64_MAX},
        {"18446744073709551616", 0, 0},
        {"9223372036854775807", 1, INT64_MAX},
        {"17179869183G", 1, 17179869183ull << 30},
        {"17179869184G", 0, 0},
        {"", 0, 0},
        {"G", 0, 0},
        {"-1", 0, 0},
        {"+1", 0, 0},
        {"1.5G", 0, 0},
        {"2GB", 0, 0},
        {"2T", 0, 0},
        {" 2G", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint64_t bytes = 7;
        ck_assert_msg(am_size_parse(cases[i].text, &bytes) == cases[i].ok, "%s", cases[i].text);
        ck_assert_uint_eq(bytes, cases[i].ok ? cases[i].bytes : 7);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("spill");
    TCase *tc = tcase_create("spill");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, spill_round_trip_and_damage);
    tcase_add_test(tc, spilled_code_known_answers);
    tcase_add_test(tc, spilled_code_files);
    tcase_add_test(tc, extsort_matches_qsort);
    tcase_add_test(tc, extsort_merge_of_sorted_files);
    tcase_add_test(tc, extsort_buckets_read_in_order);
    tcase_add_test(tc, key_sort_odd_size_with_ties);
    tcase_add_test(tc, key_sort_pair_split_by_top_bit);
    tcase_add_test(tc, components_known_answers);
    tcase_add_test(tc, components_source_failure);
    tcase_add_test(tc, components_nodes_fill_the_share);
    tcase_add_test(tc, components_in_memory_as_propagated);
    tcase_add_test(tc, size_parse_edges);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
