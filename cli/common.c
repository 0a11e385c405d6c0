/*
 * common.c — what every command of the CLI shares: the program's name in
 * messages, exit codes, failure and usage reports, argument parsing, the
 * context with the installed data, money, time and today's date.  The
 * commands' files (main.c, audit.c, window.c) use these and not each other.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "common/text_file.h"

const char *program = "aidmatch";

int exit_code_for(am_status st)
{
    switch (st) {
    case AM_OK: return EXIT_OK;
    case AM_ERR_FORMAT:
    case AM_ERR_INVALID:
    case AM_ERR_STATE:
    case AM_ERR_LIMIT: return EXIT_CONFIG;
    case AM_ERR_KEY: return EXIT_KEY;
    default: return EXIT_RUN_FAILED;
    }
}

int fail(am_ctx *ctx, am_status st)
{
    const char *msg = ctx ? am_errmsg(ctx) : "";
    fprintf(stderr, "%s: %s\n", program, *msg ? msg : am_strerror(st));
    am_ctx_free(ctx);
    return exit_code_for(st);
}

/* Reports a usage error: what, and the argument at fault if any. */
int usage_error(const char *what, const char *arg)
{
    if (arg)
        fprintf(stderr, "%s: %s '%s'\nTry '%s --help'.\n", program, what, arg, program);
    else
        fprintf(stderr, "%s: %s\nTry '%s --help'.\n", program, what, program);
    return EXIT_USAGE;
}

/* Parses argv[2..]: options that take a value, flags, and positional
 * arguments, in any order.  Returns EXIT_OK or the usage error's code. */
int parse_args(int argc, char **argv, const value_option *options, const char *flag,
               int *flag_set, const char **positional)
{
    for (int i = 2; i < argc; i++) {
        const value_option *o = options;
        while (o->name && strcmp(o->name, argv[i]) != 0)
            o++;
        if (o->name) {
            if (i + 1 >= argc)
                return usage_error("this option needs a value:", argv[i]);
            *o->value = argv[++i];
        } else if (flag && strcmp(argv[i], flag) == 0) {
            *flag_set = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) { /* "-" alone is stdin */
            return usage_error("unknown option", argv[i]);
        } else if (positional && !*positional) {
            *positional = argv[i];
        } else {
            return usage_error("unexpected argument", argv[i]);
        }
    }
    return EXIT_OK;
}

int wants_help(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* A context that finds the installed catalogue and default rules:
 * PREFIX/share/aidmatch beside PREFIX/bin/aidmatch, wherever the install
 * was put (meson install --destdir, a moved tree).  A build tree has
 * none, so what it does never depends on an install elsewhere. */
am_status new_context(am_ctx **ctx)
{
    am_status st = am_ctx_new(ctx);
    if (st != AM_OK)
        return st;
    char exe[4096];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || (size_t)n >= sizeof exe - 1)
        return AM_OK;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return AM_OK;
    *slash = '\0'; /* the bin directory */
    char dir[4200];
    struct stat sb;
    if ((size_t)snprintf(dir, sizeof dir, "%s/%s", exe, AIDMATCH_DATA_FROM_BIN) < sizeof dir &&
        stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
        st = am_set_data_dir(*ctx, dir);
    return st;
}

/* Amounts at stake are never negative. */
void format_money(int64_t fen, char *out, size_t size)
{
    snprintf(out, size, "%" PRId64 ".%02d", fen / 100, (int)(fen % 100));
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Today's date as YYYY-MM-DD: the run date unless --run-date says otherwise. */
void today(char out[11])
{
    const time_t t = time(NULL);
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
        out[0] = '\0';
}

/* As the library reads a centre file or rules: one reader for both. */
int read_text_file(const char *path, const char *what, char **text, size_t *len)
{
    const size_t max = (size_t)1 << 24;
    am_err err;
    const am_status st =
        strcmp(path, "-") == 0
            ? am_read_text_fd(STDIN_FILENO, max, "standard input", text, len, &err)
            : am_read_text_file(path, max, what, text, len, &err);
    if (st != AM_OK)
        fprintf(stderr, "%s: %s\n", program, err.msg);
    return st == AM_OK;
}
