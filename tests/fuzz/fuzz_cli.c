/*
 * fuzz_cli.c — the command's argument handling: the whole of aidmatch's
 * main (cli/, built with main renamed am_cli_main) on arbitrary argument
 * lists.
 *
 * The input is the arguments after the program's name, one per line (at
 * most 24, of at most 512 bytes each).  They run in a work directory of
 * their own that holds a small centre file (centre.ini, one feed,
 * feed.csv) with the scratch directory's catalogue, rules and key, so that
 * a valid command line does real work.  An argument that could reach
 * outside that directory (one holding '/' or "..") or the serve command
 * (which listens until stopped) skips the input.  Before each input the
 * work directory is emptied but for the centre file and its feed, which
 * are written again; stdin is /dev/null, stdout goes to a file.
 *
 * Invariants: no crash, no leak; the exit code is one of the documented
 * ones (0 to 7); what the command prints never holds the key unless the
 * arguments spell it.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

int am_cli_main(int argc, char **argv);

#define MAX_ARGS 24
#define MAX_ARG 512

static char work[4200];

static const char centre_ini[] = "[centre]\n"
                                 "name = fuzz county\n"
                                 "catalogue = ../catalogue\n"
                                 "key = ../centre.key\n"
                                 "rules = ../default.rules\n"
                                 "\n"
                                 "[feed dibao]\n"
                                 "file = feed.csv\n"
                                 "agency = MCA\n"
                                 "kind = payments\n"
                                 "person_id = 身份证号\n"
                                 "name = 姓名\n"
                                 "household_id = 户号\n"
                                 "item = DIBAO_URBAN\n"
                                 "month = 发放年月\n"
                                 "amount = 金额\n";

static const char feed_csv[] = "身份证号,姓名,户号,金额,发放年月\n"
                               "11010519491231002X,张三,H1,1100.00,202401\n"
                               "11010519491231002X,张三,H1,900,202401\n"
                               "110105194912310029,李四,H2,900,202402\n";

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    if (ftw->level > 0)
        remove(path);
    return 0;
}

static void empty_work(void) { nftw(work, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

static void remove_work(void)
{
    empty_work();
    rmdir(work);
}

static void write_fixture(const char *name, const char *text)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", work, name);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fputs(text, f) >= 0);
    FUZZ_CHECK(fclose(f) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(work, sizeof work, "%s/cli-XXXXXX", fuzz_scratch_dir());
    FUZZ_CHECK(mkdtemp(work) != NULL);
    atexit(remove_work);
    FUZZ_CHECK(chdir(work) == 0);
    /* Temporary files (stdin's copy) stay in the work directory too. */
    FUZZ_CHECK(setenv("TMPDIR", work, 1) == 0);
    unsetenv("AIDMATCH_SNAPSHOT");
    FUZZ_CHECK(freopen("/dev/null", "r", stdin) != NULL);
    return 0;
}

/* The key's hex digits in the file the command's stdout went to. */
static int printed_key(const char *path)
{
    FILE *f = fopen(path, "rb");
    FUZZ_CHECK(f != NULL);
    static char buf[1 << 20];
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (size_t i = 0; i + 32 <= n; i++)
        if (memcmp(buf + i, FUZZ_KEY_HEX, 32) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char args[MAX_ARGS][MAX_ARG + 1];
    char *argv[MAX_ARGS + 2];
    static char program[] = "aidmatch";
    int argc = 0;
    argv[argc++] = program;
    int has_key = 0;
    for (size_t start = 0; start < size;) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        const size_t end = nl ? (size_t)(nl - data) : size, len = end - start;
        if (argc > MAX_ARGS || len > MAX_ARG || memchr(data + start, '\0', len))
            return 0;
        char *a = args[argc - 1];
        memcpy(a, data + start, len);
        a[len] = '\0';
        if (strchr(a, '/') || strstr(a, ".."))
            return 0;
        has_key |= strstr(a, FUZZ_KEY_HEX) != NULL;
        argv[argc++] = a;
        start = end + 1;
    }
    argv[argc] = NULL;
    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        return 0;

    empty_work();
    write_fixture("centre.ini", centre_ini);
    write_fixture("feed.csv", feed_csv);
    char out_path[4300];
    snprintf(out_path, sizeof out_path, "%s/.stdout", work);
    fflush(stdout);
    const int saved = dup(1);
    FUZZ_CHECK(saved >= 0);
    const int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0 && dup2(fd, 1) == 1);
    close(fd);

    const int rc = am_cli_main(argc, argv);

    fflush(stdout);
    FUZZ_CHECK(dup2(saved, 1) == 1);
    close(saved);
    FUZZ_CHECK(rc >= 0 && rc <= 7);
    FUZZ_CHECK(has_key || !printed_key(out_path));
    return 0;
}
