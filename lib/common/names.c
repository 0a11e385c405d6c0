/*
 * names.c — the stable names of the public enums (aidmatch.h): what a
 * status says, the snake_case names of reject reasons that rejects.csv
 * and summary.json carry, and the names of finding kinds.  Apart from error.c, which the command shares
 * with the library (lib/common/meson.build): the public API stays in the
 * library alone.
 */
#include "aidmatch.h"

const char *am_strerror(am_status status)
{
    switch (status) {
    case AM_OK: return "success";
    case AM_ERR_NOMEM: return "out of memory";
    case AM_ERR_IO: return "input/output error";
    case AM_ERR_FORMAT: return "malformed input";
    case AM_ERR_KEY: return "key error";
    case AM_ERR_INVALID: return "invalid argument or call order";
    case AM_ERR_LIMIT: return "resource limit exceeded";
    case AM_ERR_ABORTED: return "stopped by callback";
    case AM_ERR_STATE: return "call out of order";
    }
    return "unknown status";
}

static const char *const reject_names[AM_REJECT__COUNT] = {
    [AM_REJECT_MISSING_ID] = "missing_id",
    [AM_REJECT_BAD_LENGTH] = "bad_length",
    [AM_REJECT_BAD_CHAR] = "bad_char",
    [AM_REJECT_BAD_BIRTH_DATE] = "bad_birth_date",
    [AM_REJECT_BAD_CHECK_DIGIT] = "bad_check_digit",
    [AM_REJECT_EXCEL_MANGLED] = "excel_mangled",
    [AM_REJECT_BAD_TOKEN] = "bad_token",
    [AM_REJECT_BAD_HOUSEHOLD] = "bad_household",
    [AM_REJECT_MISSING_DATE] = "missing_date",
    [AM_REJECT_BAD_DATE] = "bad_date",
    [AM_REJECT_END_BEFORE_START] = "end_before_start",
    [AM_REJECT_MISSING_AMOUNT] = "missing_amount",
    [AM_REJECT_BAD_AMOUNT] = "bad_amount",
    [AM_REJECT_NEGATIVE_AMOUNT] = "negative_amount",
    [AM_REJECT_ABSURD_AMOUNT] = "absurd_amount",
    [AM_REJECT_UNKNOWN_ITEM] = "unknown_item",
    [AM_REJECT_BAD_GRADE] = "bad_grade",
    [AM_REJECT_TOO_FEW_FIELDS] = "too_few_fields",
    [AM_REJECT_TOO_MANY_FIELDS] = "too_many_fields",
    [AM_REJECT_BAD_ENCODING] = "bad_encoding",
    [AM_REJECT_FIELD_TOO_LONG] = "field_too_long",
    [AM_REJECT_EMBEDDED_NUL] = "embedded_nul",
};

const char *am_reject_name(am_reject reason)
{
    if ((unsigned)reason >= AM_REJECT__COUNT)
        return "unknown";
    return reject_names[reason];
}

const char *am_kind_name(am_kind kind)
{
    static const char *const names[AM_KIND__COUNT] = {
        [AM_KIND_DUPLICATE] = "DUPLICATE",
        [AM_KIND_HOUSEHOLD_DUPLICATE] = "HOUSEHOLD_DUPLICATE",
        [AM_KIND_CONFLICT] = "CONFLICT",
        [AM_KIND_MISSING] = "MISSING",
        [AM_KIND_AFTER_DEATH] = "AFTER_DEATH",
        [AM_KIND_DISQUALIFIED] = "DISQUALIFIED",
    };
    return (unsigned)kind < AM_KIND__COUNT ? names[kind] : "UNKNOWN";
}
