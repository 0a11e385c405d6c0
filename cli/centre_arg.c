/*
 * centre_arg.c — the CENTRE.ini argument: a file's path, or "-" for the
 * centre file on standard input.  Standard input can be read only once,
 * while reconcile checks the centre file and then loads it, so its text
 * is read here once and handed to the library's in-memory variants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Messages name a centre file read from standard input so. */
static const char stdin_name[] = "<stdin>";

int centre_arg_read(centre_arg *c, const char *arg)
{
    memset(c, 0, sizeof *c);
    if (strcmp(arg, "-") != 0) {
        c->name = arg;
        return 1;
    }
    c->name = stdin_name;
    return read_text_file(arg, "centre file", &c->text, &c->len);
}

/* Paths in a centre file from standard input are taken from the current
 * directory (base_dir NULL), as there is no file's directory to take. */
am_status centre_load(am_ctx *ctx, const centre_arg *c)
{
    return c->text ? am_load_centre_mem(ctx, c->text, c->len, c->name, NULL)
                   : am_load_centre(ctx, c->name);
}

am_status centre_check(am_ctx *ctx, const centre_arg *c, uint64_t rows)
{
    return c->text ? am_check_centre_mem(ctx, c->text, c->len, c->name, NULL, rows)
                   : am_check_centre(ctx, c->name, rows);
}

void centre_arg_free(centre_arg *c)
{
    free(c->text);
    memset(c, 0, sizeof *c);
}

int load_centre_arg(am_ctx *ctx, const char *arg)
{
    centre_arg c;
    if (!centre_arg_read(&c, arg)) {
        am_ctx_free(ctx);
        return EXIT_RUN_FAILED;
    }
    const am_status st = centre_load(ctx, &c);
    centre_arg_free(&c);
    return st == AM_OK ? EXIT_OK : fail(ctx, st);
}
