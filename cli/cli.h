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
    FILE *f;
    char *path, *temp;
} output;

/* An aligned table for people: rows of cells, widths from the widest. */
#define TABLE_MAX_COLUMNS 12
typedef struct table {
    char **cells; /* rows × TABLE_MAX_COLUMNS, each malloc'd */
    size_t nrows, cap, ncols;
} table;

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

/* Writers (format.c). */
int output_open(output *o, const char *path);
int output_close(output *o, int ok);
void csv_field(FILE *out, const char *s);
void csv_row(FILE *out, const char *const *fields, size_t n);
void json_string(FILE *out, const char *s);
void json_pair(FILE *out, int *first, const char *key, const char *value);
void json_number(FILE *out, int *first, const char *key, int64_t value);
void table_add(table *t, const char *const *cells, size_t n);
void table_print(table *t, FILE *out, const char *indent);
int parse_yuan(const char *s, int64_t *fen);

#endif
