/* Tests for keys, fingerprints and keyed tokens. */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/token.h"
#include "check_run.h"

static const unsigned char key_a[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const unsigned char key_b[16] = {15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0};

static char temp_dir[] = "/tmp/am_token_XXXXXX";

static void setup(void) { ck_assert_ptr_nonnull(mkdtemp(temp_dir)); }

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", temp_dir);
    ck_assert_int_eq(system(cmd), 0);
    strcpy(temp_dir, "/tmp/am_token_XXXXXX");
}

static const char *write_key_file(const char *name, const char *text, mode_t mode)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", temp_dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
    return path;
}

/* The reference SipHash-2-4-128 vector (key 00..0f, empty message) pins the
 * primitive: a token must be exactly SipHash-2-4 with 128-bit output. */
START_TEST(primitive_is_siphash128)
{
    static const unsigned char expected[16] = {0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6,
                                               0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93};
    unsigned char out[16];
    ck_assert_int_eq(am_crypto_init(), 0);
    crypto_shorthash_siphashx24(out, (const unsigned char *)"", 0, key_a);
    ck_assert_mem_eq(out, expected, 16);
}
END_TEST

START_TEST(tokens_are_keyed_and_deterministic)
{
    am_key a = {0}, b = {0};
    am_err err;
    ck_assert_int_eq(am_key_set(&a, key_a, 16, &err), AM_OK);
    ck_assert_int_eq(am_key_set(&b, key_b, 16, &err), AM_OK);
    unsigned char t1[16], t2[16], t3[16], h[16];
    am_token_person(&a, "11010519491231002X", t1);
    am_token_person(&a, "11010519491231002X", t2);
    am_token_person(&b, "11010519491231002X", t3);
    ck_assert_mem_eq(t1, t2, 16);
    ck_assert(memcmp(t1, t3, 16) != 0);
    unsigned char direct[16];
    crypto_shorthash_siphashx24(direct, (const unsigned char *)"11010519491231002X", 18, key_a);
    ck_assert_mem_eq(t1, direct, 16);
    /* A household numbered like a person never gets that person's token. */
    ck_assert_int_eq(am_token_household(&a, "11010519491231002X", 18, h), 1);
    ck_assert(memcmp(h, t1, 16) != 0);
    char long_id[AM_HOUSEHOLD_ID_MAX + 2];
    memset(long_id, '7', sizeof long_id);
    ck_assert_int_eq(am_token_household(&a, long_id, AM_HOUSEHOLD_ID_MAX, h), 1);
    ck_assert_int_eq(am_token_household(&a, long_id, AM_HOUSEHOLD_ID_MAX + 1, h), 0);
    ck_assert_str_ne(a.fingerprint, b.fingerprint);
    ck_assert_int_eq(strlen(a.fingerprint), AM_FINGERPRINT_HEX);
    am_key_clear(&a);
    am_key_clear(&b);
    ck_assert_ptr_null(a.bytes);
}
END_TEST

START_TEST(hex_round_trip)
{
    unsigned char t[16], back[16];
    for (int i = 0; i < 16; i++)
        t[i] = (unsigned char)(i * 17 + 3);
    char hex[33];
    am_token_hex(t, hex);
    ck_assert_str_eq(hex, "031425364758697a8b9cadbecfe0f102");
    ck_assert_int_eq(am_token_parse(hex, 32, back), 1);
    ck_assert_mem_eq(t, back, 16);
    ck_assert_int_eq(am_token_parse("0314253647586A7B8C9DAEBFD0E1F2", 30, back), 0);
    ck_assert_int_eq(am_token_parse("0314253647586a7b8c9daebfd0e1f20g", 32, back), 0);
    ck_assert_int_eq(am_token_parse("0314253647586A7B8C9DAEBFD0E1F203", 32, back), 1);
}
END_TEST

START_TEST(key_files)
{
    am_key key = {0};
    am_err err = {{0}};
    const char *good = "000102030405060708090a0b0c0d0e0f\n";
    ck_assert_int_eq(am_key_load_file(&key, write_key_file("open.key", good, 0644), &err),
                     AM_ERR_KEY);
    ck_assert_ptr_nonnull(strstr(err.msg, "group or others"));
    ck_assert_ptr_null(strstr(err.msg, "000102")); /* never echo key material */
    ck_assert_int_eq(am_key_load_file(&key, write_key_file("group.key", good, 0640), &err),
                     AM_ERR_KEY);
    ck_assert_int_eq(am_key_load_file(&key, write_key_file("short.key", "0011\n", 0600), &err),
                     AM_ERR_KEY);
    ck_assert_int_eq(am_key_load_file(&key, write_key_file(
                         "bad.key", "zz0102030405060708090a0b0c0d0e0f\n", 0600), &err),
                     AM_ERR_KEY);
    ck_assert_int_eq(am_key_load_file(&key, "/nonexistent/k", &err), AM_ERR_IO);
    ck_assert_int_eq(am_key_load_file(&key, temp_dir, &err), AM_ERR_KEY);
    ck_assert_int_eq(am_key_load_file(&key, write_key_file("good.key", good, 0600), &err), AM_OK);
    am_key same = {0};
    ck_assert_int_eq(am_key_set(&same, key_a, 16, &err), AM_OK);
    ck_assert_str_eq(key.fingerprint, same.fingerprint);
    ck_assert_int_eq(am_key_set(&same, key_a, 15, &err), AM_ERR_KEY);
    am_key_clear(&key);
    am_key_clear(&same);
}
END_TEST

START_TEST(generated_keys)
{
    char path[256], msg[256];
    snprintf(path, sizeof path, "%s/new.key", temp_dir);
    ck_assert_int_eq(am_generate_key_file(path, msg, sizeof msg), AM_OK);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(st.st_size, 33);
    am_key key = {0};
    am_err err;
    ck_assert_int_eq(am_key_load_file(&key, path, &err), AM_OK);
    am_key_clear(&key);
    ck_assert_int_eq(am_generate_key_file(path, msg, sizeof msg), AM_ERR_IO);
    ck_assert_ptr_nonnull(strstr(msg, "exists"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("token");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, primitive_is_siphash128);
    tcase_add_test(tc, tokens_are_keyed_and_deterministic);
    tcase_add_test(tc, hex_round_trip);
    tcase_add_test(tc, key_files);
    tcase_add_test(tc, generated_keys);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
