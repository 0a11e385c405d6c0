"""The C declarations the bindings use: the one place they are written.

They are the declarations of include/aidmatch.h, as the C preprocessor
leaves them, in the form cffi's ABI mode reads.  tests/test_declarations.py
compiles every function type, struct layout and enum value given here
against the header itself and checks that the shared library exports each
function, so a change to the header that is not made here fails the tests.
"""

CDEF = r"""
const char *am_version(int *number);
typedef enum am_status {
    AM_OK = 0,
    AM_ERR_NOMEM,
    AM_ERR_IO,
    AM_ERR_FORMAT,
    AM_ERR_KEY,
    AM_ERR_INVALID,
    AM_ERR_LIMIT,
    AM_ERR_ABORTED,
    AM_ERR_STATE
} am_status;
const char *am_strerror(am_status status);
typedef enum am_reject {
    AM_REJECT_MISSING_ID = 0,
    AM_REJECT_BAD_LENGTH,
    AM_REJECT_BAD_CHAR,
    AM_REJECT_BAD_BIRTH_DATE,
    AM_REJECT_BAD_CHECK_DIGIT,
    AM_REJECT_EXCEL_MANGLED,
    AM_REJECT_BAD_TOKEN,
    AM_REJECT_BAD_HOUSEHOLD,
    AM_REJECT_MISSING_DATE,
    AM_REJECT_BAD_DATE,
    AM_REJECT_END_BEFORE_START,
    AM_REJECT_MISSING_AMOUNT,
    AM_REJECT_BAD_AMOUNT,
    AM_REJECT_NEGATIVE_AMOUNT,
    AM_REJECT_ABSURD_AMOUNT,
    AM_REJECT_UNKNOWN_ITEM,
    AM_REJECT_BAD_GRADE,
    AM_REJECT_TOO_FEW_FIELDS,
    AM_REJECT_TOO_MANY_FIELDS,
    AM_REJECT_BAD_ENCODING,
    AM_REJECT_FIELD_TOO_LONG,
    AM_REJECT_EMBEDDED_NUL,
    AM_REJECT__COUNT
} am_reject;
const char *am_reject_name(am_reject reason);
typedef struct am_ctx am_ctx;
am_status am_ctx_new(am_ctx **out);
void am_ctx_free(am_ctx *ctx);
const char *am_errmsg(const am_ctx *ctx);
am_status am_load_catalogue(am_ctx *ctx, const char *dir);
am_status am_load_key_file(am_ctx *ctx, const char *path);
am_status am_generate_key_file(const char *path, char *errmsg, size_t errmsg_len);
am_status am_load_key(am_ctx *ctx, const void *key, size_t len);
const char *am_key_fingerprint(const am_ctx *ctx);
am_status am_load_rules(am_ctx *ctx, const char *path);
am_status am_load_rules_mem(am_ctx *ctx, const char *text, size_t len, const char *name);
am_status am_set_window(am_ctx *ctx, const char *start, const char *end);
am_status am_load_centre(am_ctx *ctx, const char *path);
am_status am_load_centre_mem(am_ctx *ctx, const char *text, size_t len,
                                    const char *name, const char *base_dir);
typedef struct am_feed am_feed;
am_status am_feed_new(am_ctx *ctx, const char *name, am_feed **out);
am_status am_feed_set(am_feed *feed, const char *key, const char *value);
am_status am_ingest(am_ctx *ctx);
am_status am_feed_ingest_buffer(am_feed *feed, const void *data, size_t len);
typedef struct am_feed_stats {
    const char *name;
    const char *agency;
    const char *path;
    const char *file_xxh3;
    const char *encoding;
    uint64_t rows_read;
    uint64_t rows_ingested;
    uint64_t rows_rejected;
    uint64_t bytes_read;
} am_feed_stats;
size_t am_feed_count(const am_ctx *ctx);
am_status am_feed_stats_get(const am_ctx *ctx, size_t i, am_feed_stats *out);
uint64_t am_feed_rejected(const am_ctx *ctx, size_t i, am_reject reason);
typedef struct am_reject_row {
    const char *feed;
    uint64_t line;
    am_reject reason;
    const char *detail;
} am_reject_row;
size_t am_reject_count(const am_ctx *ctx);
am_status am_reject_get(const am_ctx *ctx, size_t i, am_reject_row *out);
typedef enum am_kind {
    AM_KIND_DUPLICATE = 0,
    AM_KIND_HOUSEHOLD_DUPLICATE,
    AM_KIND_CONFLICT,
    AM_KIND_MISSING,
    AM_KIND_AFTER_DEATH,
    AM_KIND_DISQUALIFIED,
    AM_KIND__COUNT
} am_kind;
const char *am_kind_name(am_kind kind);
typedef struct am_finding {
    const char *id;
    am_kind kind;
    const char *rule_id;
    const char *unit;
    const char *subject;
    const char *items;
    const char *agencies;
    const char *period_start;
    const char *period_end;
    int64_t overlap_days;
    int64_t amount_fen;
    const char *evidence;
    const char *policy_source;
    const char *priority;
} am_finding;
typedef int (*am_finding_fn)(void *user, const am_finding *finding);
am_status am_reconcile(am_ctx *ctx, am_finding_fn fn, void *user);
am_status am_set_threads(am_ctx *ctx, unsigned threads);
am_status am_set_memory_limit(am_ctx *ctx, uint64_t bytes);
am_status am_set_partitions(am_ctx *ctx, unsigned n);
am_status am_set_temp_dir(am_ctx *ctx, const char *dir);
size_t am_finding_count(const am_ctx *ctx);
am_status am_finding_get(const am_ctx *ctx, size_t i, am_finding *out);
am_status am_write_outputs(am_ctx *ctx, const char *dir, double wall_seconds);
am_status am_set_csv_bom(am_ctx *ctx, int bom);
am_status am_tokenise_feed(am_feed *feed, const char *out_path, int keep_name);
am_feed *am_feed_find(am_ctx *ctx, const char *name);
am_status am_set_run_date(am_ctx *ctx, const char *date);
am_status am_set_drift_share(am_ctx *ctx, unsigned per_mille);
am_status am_load_previous(am_ctx *ctx, const char *dir);
const char *am_previous_missing(const am_ctx *ctx);
typedef enum am_outcome {
    AM_OUTCOME_NONE = 0,
    AM_OUTCOME_CONFIRMED,
    AM_OUTCOME_ERROR_CORRECTED,
    AM_OUTCOME_NO_ISSUE,
    AM_OUTCOME__COUNT
} am_outcome;
const char *am_outcome_name(am_outcome outcome);
am_status am_load_outcomes(am_ctx *ctx, const char *path);
size_t am_outcome_skipped_count(const am_ctx *ctx);
am_status am_outcome_skipped_get(const am_ctx *ctx, size_t i, const char **file,
                                        uint64_t *line, const char **reason);
typedef enum am_change {
    AM_CHANGE_NEW = 0,
    AM_CHANGE_PERSISTING,
    AM_CHANGE_RESOLVED,
    AM_CHANGE__COUNT
} am_change;
const char *am_change_name(am_change change);
am_status am_review(am_ctx *ctx);
typedef struct am_finding_review {
    const char *facts;
    am_change change;
    const char *first_seen;
    am_outcome outcome;
    const char *outcome_date;
    int suppressed;
    const char *area;
} am_finding_review;
am_status am_finding_review_get(const am_ctx *ctx, size_t i, am_finding_review *out);
typedef struct am_delta_row {
    const char *finding_id;
    am_change change;
    const char *first_seen;
    const char *last_seen;
} am_delta_row;
size_t am_delta_count(const am_ctx *ctx);
am_status am_delta_get(const am_ctx *ctx, size_t i, am_delta_row *out);
typedef struct am_feed_drift {
    const char *name;
    int in_previous;
    uint64_t rows_read;
    uint64_t previous_rows_read;
    int64_t change_permille;
    int shrunk, grew;
    int stale;
} am_feed_drift;
am_status am_feed_drift_get(const am_ctx *ctx, size_t i, am_feed_drift *out);
typedef struct am_progress {
    const char *feed;
    size_t feed_index;
    size_t feed_count;
    uint64_t rows;
    uint64_t bytes_read;
    uint64_t bytes_total;
    int done;
} am_progress;
typedef int (*am_progress_fn)(void *user, const am_progress *progress);
am_status am_set_progress_fn(am_ctx *ctx, am_progress_fn fn, void *user);
am_status am_snapshot_write(am_ctx *ctx, const char *path);
am_status am_snapshot_open(am_ctx *ctx, const char *path);
am_status am_snapshot_verify(am_ctx *ctx);
typedef struct am_filter {
    unsigned kinds;
    const char *items;
    const char *agencies;
    int64_t min_amount_fen;
    const char *town;
} am_filter;
#define AM_MATCH_WITH_DUPLICATES 1
am_status am_match_rules(am_ctx *ctx, const char *rules, size_t len, const char *name,
                                const am_filter *filter, unsigned flags);
am_status am_person_lookup(am_ctx *ctx, const char *id_or_token, const am_filter *filter);
const char *am_person_token(const am_ctx *ctx);
typedef struct am_record_info {
    const char *relation;
    const char *person;
    const char *household;
    const char *feed;
    const char *agency;
    uint64_t line;
    const char *code;
    const char *code_name;
    int is_fact;
    const char *start;
    const char *end;
    int64_t amount_fen;
    int value;
    const char *area;
} am_record_info;
size_t am_person_record_count(const am_ctx *ctx);
am_status am_person_record_get(const am_ctx *ctx, size_t i, am_record_info *out);
am_status am_explain(am_ctx *ctx, const char *finding_id);
typedef struct am_result {
    am_finding finding;
    const char *facts;
    const char *area;
    const char *concerns;
    size_t evidence_count;
} am_result;
size_t am_result_count(const am_ctx *ctx);
am_status am_result_get(const am_ctx *ctx, size_t i, am_result *out);
am_status am_result_evidence_get(const am_ctx *ctx, size_t i, size_t k,
                                        am_record_info *out);
typedef struct am_rule_info {
    const char *id;
    const char *kind;
    const char *text;
    const char *origin;
    uint64_t line;
    const char *source;
} am_rule_info;
am_status am_rule_get(const am_ctx *ctx, const char *rule_id, am_rule_info *out);
typedef struct am_result_links {
    const char *linked;
    const char *possible_id_error;
} am_result_links;
am_status am_result_links_get(const am_ctx *ctx, size_t i, am_result_links *out);
const char *am_person_record_linked(const am_ctx *ctx, size_t i);
const char *am_result_evidence_linked(const am_ctx *ctx, size_t i, size_t k);
typedef struct am_window am_window;
am_status am_window_open(am_ctx *ctx, const char *journal, am_window **out);
void am_window_close(am_window *window);
typedef struct am_grant {
    const char *item;
    const char *agency;
    const char *start;
    const char *end;
    int64_t amount_fen;
} am_grant;
typedef struct am_check_request {
    const char *person;
    const char *date;
    const am_grant *grants;
    size_t ngrants;
} am_check_request;
typedef struct am_check am_check;
am_status am_window_check(am_window *window, const am_check_request *request,
                                 am_check **out);
am_status am_window_grant(am_window *window, const char *person, const am_grant *grant,
                                 char *errmsg, size_t errmsg_len);
void am_check_free(am_check *check);
const char *am_check_errmsg(const am_check *check);
const char *am_check_person(const am_check *check);
uint64_t am_check_journal_ignored(const am_check *check);
size_t am_check_holding_count(const am_check *check);
am_status am_check_holding_get(const am_check *check, size_t i, am_record_info *out);
size_t am_check_finding_count(const am_check *check);
am_status am_check_finding_get(const am_check *check, size_t i, am_finding *out);
typedef struct am_menu_item {
    const char *item;
    const char *name_zh;
    const char *name_en;
    const char *agency;
    const char *unit;
    const char *rule_id;
    const char *policy_source;
} am_menu_item;
size_t am_check_menu_count(const am_check *check);
am_status am_check_menu_get(const am_check *check, size_t i, am_menu_item *out);
am_status am_dist_prepare(am_ctx *ctx, unsigned partitions, const char **run_dir,
                          unsigned *count);
am_status am_dist_match(am_ctx *ctx, const char *run_dir, unsigned partition);
am_status am_dist_merge(am_ctx *ctx);
"""
