/*
 * cli.h — what the command's files share: exit codes, argument parsing,
 * failure reporting, and the writers of answers.
 */
#ifndef AM_CLI_H
#define AM_CLI_H

#include <aidmatch.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/atomic_file.h"

/* Exit codes, documented in docs/reference.md. */
enum {
    EXIT_OK = 0,
    EXIT_RUN_FAILED = 1, /* I/O, out of memory, a callback stop */
    EXIT_USAGE = 2,
    EXIT_CONFIG = 3,     /* a centre file, catalogue, feed spec or feed header is wrong */
    EXIT_KEY = 4,        /* the key is missing, too open, or does not match a feed */
    EXIT_PROBLEM = 5,    /* precheck: the grant would raise a finding */
    EXIT_NOT_FOUND = 6,  /* person, explain: the question has no answer */
    EXIT_WARNINGS = 7    /* check: no error, but warnings */
};

extern const char *program;

typedef struct value_option {
    const char *name;
    const char **value;
} value_option;

/* Where answers go: stdout, or a file written atomically. */
typedef struct output {
    FILE *f;              /* stdout, or file.out */
    am_atomic_file file;  /* common/atomic_file.h */
} output;

/* An aligned table for people: rows of cells, widths from the widest. */
#define TABLE_MAX_COLUMNS 12
typedef struct table {
    char **cells; /* rows × TABLE_MAX_COLUMNS, each malloc'd */
    size_t nrows, cap, ncols;
} table;

/* The CENTRE.ini argument (centre_arg.c): a path, or "-", the centre
 * file's text read once from stdin (named "<stdin>" in messages, its
 * relative paths taken from the current directory).  centre_arg_read
 * returns 1, or 0 after printing why stdin could not be read;
 * centre_arg_free releases the text. */
typedef struct centre_arg {
    const char *name; /* the path, or "<stdin>" */
    char *text;       /* stdin's text, or NULL for a file */
    size_t len;
} centre_arg;
int centre_arg_read(centre_arg *c, const char *arg);
am_status centre_load(am_ctx *ctx, const centre_arg *c);
am_status centre_check(am_ctx *ctx, const centre_arg *c, uint64_t rows);
void centre_arg_free(centre_arg *c);
/* Loads the centre file arg names ("-": stdin) into ctx.  Returns EXIT_OK,
 * or, having printed why and freed ctx, the exit code. */
int load_centre_arg(am_ctx *ctx, const char *arg);
/* Reads a regular file, or stdin for "-", whole (at most 16 MiB), with the
 * library's am_read_text_file (common.c); what names the file in messages
 * ("rules").  Returns 1, or 0 after printing why not.  *text is the
 * caller's, NUL-terminated, released with free(). */
int read_text_file(const char *path, const char *what, char **text, size_t *len);

/* What every command shares (common.c). */
am_status new_context(am_ctx **ctx);
int exit_code_for(am_status st);
int fail(am_ctx *ctx, am_status st);
int usage_error(const char *what, const char *arg);
int parse_args(int argc, char **argv, const value_option *options, const char *flag,
               int *flag_set, const char **positional);
int wants_help(int argc, char **argv);
int temp_file(char *path, size_t size, int from_stdin);
int copy_file_to_stdout(const char *path);
void format_money(int64_t fen, char *out, size_t size);
double now_seconds(void);
void today(char out[11]);

/* The auditor's commands (audit.c). */
int cmd_snapshot(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_person(int argc, char **argv);
int cmd_explain(int argc, char **argv);

/* The window's commands (window.c). */
int cmd_precheck(int argc, char **argv);
int cmd_grant(int argc, char **argv);
/* The window as a service (serve.c). */
int cmd_serve(int argc, char **argv);

/* Writers (format.c).  CSV rows and JSON strings are the library's own
 * writers, am_csv_row (common/csv_out.h) and am_json_write_string
 * (common/json.h), compiled once for both (lib/common/meson.build). */
int output_open(output *o, const char *path);
int output_close(output *o, int ok);
void json_pair(FILE *out, int *first, const char *key, const char *value);
void json_number(FILE *out, int *first, const char *key, int64_t value);
void table_add(table *t, const char *const *cells, size_t n);
void table_print(table *t, FILE *out, const char *indent);
int parse_yuan(const char *s, int64_t *fen);

#endif
