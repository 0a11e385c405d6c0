/*
 * finding_file.c — a partition's findings written to and read from their
 * own checksummed file (finding_file.h).
 */
#include "match/finding_file.h"

#include <stdint.h>
#include <string.h>
#include <xxhash.h>

#include "common/alloc.h"
#include "common/atomic_file.h"
#include "common/text_file.h"
#include "match/duplicate.h"

static const char MAGIC[8] = {'A', 'M', 'F', 'I', 'N', 'D', '0', '1'};
#define HEADER_BYTES (sizeof MAGIC + AM_RUN_ID_BYTES + 8)
/* A findings file is read whole; a partition's findings are a small part
 * of its records. */
#define MAX_FILE_BYTES ((size_t)1 << 34)

typedef struct out_buf {
    unsigned char *v;
    size_t len, cap;
    int failed;
} out_buf;

static void put(out_buf *b, const void *p, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *grown = am_realloc(b->v, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->v = grown;
        b->cap = cap;
    }
    memcpy(b->v + b->len, p, n);
    b->len += n;
}

static void put_u64(out_buf *b, uint64_t x)
{
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(x >> (8 * i));
    put(b, le, 8);
}

static void put_str(out_buf *b, const char *s)
{
    const size_t n = s ? strlen(s) : 0;
    const uint32_t len = (uint32_t)n;
    unsigned char le[4] = {(unsigned char)len, (unsigned char)(len >> 8),
                           (unsigned char)(len >> 16), (unsigned char)(len >> 24)};
    put(b, le, 4);
    put(b, s, n);
}

am_status am_finding_file_write(const char *path, const unsigned char run_id[AM_RUN_ID_BYTES],
                                const am_finding_list *list, am_err *err)
{
    out_buf b = {0};
    put(&b, MAGIC, sizeof MAGIC);
    put(&b, run_id, AM_RUN_ID_BYTES);
    put_u64(&b, list->count);
    for (size_t i = 0; i < list->count; i++) {
        const am_finding_rec *f = &list->v[i];
        put_u64(&b, (uint64_t)f->pub.kind);
        put_u64(&b, f->area);
        put_u64(&b, f->facts_known);
        put_u64(&b, (uint64_t)f->pub.overlap_days);
        put_u64(&b, (uint64_t)f->pub.amount_fen);
        const char *strings[] = {f->id,         f->pub.rule_id,    f->pub.unit,  f->subject,
                                 f->period_start, f->period_end,   f->items,     f->agencies,
                                 f->evidence,   f->pub.policy_source, f->pub.priority, f->facts};
        for (size_t s = 0; s < sizeof strings / sizeof *strings; s++)
            put_str(&b, strings[s]);
    }
    if (!b.failed)
        put_u64(&b, XXH3_64bits(b.v, b.len));
    if (b.failed) {
        am_free(b.v);
        return am_fail(err, AM_ERR_NOMEM, "out of memory writing findings file %s", path);
    }
    am_atomic_file f;
    am_status st = am_atomic_open(&f, path, err);
    if (st == AM_OK) {
        if (fwrite(b.v, 1, b.len, f.out) != b.len) {
            am_atomic_abort(&f);
            st = am_fail(err, AM_ERR_IO, "%s: cannot write findings (disk full?)", path);
        } else {
            st = am_atomic_commit(&f, err);
        }
    }
    am_free(b.v);
    return st;
}

typedef struct in_buf {
    const unsigned char *p, *end;
} in_buf;

static int get_u64(in_buf *in, uint64_t *x)
{
    if (in->end - in->p < 8)
        return 0;
    *x = 0;
    for (int i = 0; i < 8; i++)
        *x |= (uint64_t)in->p[i] << (8 * i);
    in->p += 8;
    return 1;
}

/* The next string, borrowed from the file (not NUL-terminated). */
static int get_str(in_buf *in, const char **s, size_t *len)
{
    if (in->end - in->p < 4)
        return 0;
    const uint32_t n = (uint32_t)in->p[0] | (uint32_t)in->p[1] << 8 |
                       (uint32_t)in->p[2] << 16 | (uint32_t)in->p[3] << 24;
    in->p += 4;
    if ((size_t)(in->end - in->p) < n)
        return 0;
    *s = (const char *)in->p;
    *len = n;
    in->p += n;
    return 1;
}

static int same(const char *s, size_t len, const char *want)
{
    return want && strlen(want) == len && memcmp(s, want, len) == 0;
}

/* The lasting rule id and policy source for the file's, or 0. */
static int resolve_rule(const am_rules *rules, const char *id, size_t id_len, const char *src,
                        size_t src_len, am_finding *pub)
{
    if (same(id, id_len, AM_DUPLICATE_RULE_ID)) {
        pub->rule_id = AM_DUPLICATE_RULE_ID;
        pub->policy_source = same(src, src_len, AM_SAME_DAY_SOURCE)    ? AM_SAME_DAY_SOURCE
                             : same(src, src_len, AM_DUPLICATE_SOURCE) ? AM_DUPLICATE_SOURCE
                                                                       : NULL;
        return pub->policy_source != NULL;
    }
    for (size_t r = 0; r < rules->n; r++)
        if (same(id, id_len, rules->v[r].id) && same(src, src_len, rules->v[r].source)) {
            pub->rule_id = rules->v[r].id;
            pub->policy_source = rules->v[r].source;
            return 1;
        }
    return 0;
}

static const char *one_of(const char *s, size_t len, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (same(s, len, names[i]))
            return names[i];
    return NULL;
}

static char *copy_into(char *dst, size_t cap, const char *s, size_t len)
{
    if (len >= cap)
        return NULL;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return dst;
}

/* One finding from in into f.  Returns AM_OK, AM_ERR_FORMAT or AM_ERR_NOMEM. */
static am_status read_one(in_buf *in, const am_rules *rules, am_finding_rec *f)
{
    static const char *const units[] = {"person", "household"};
    static const char *const priorities[] = {"high", "normal", "low"};
    uint64_t kind, area, known, days, amount;
    const char *s[12];
    size_t n[12];
    if (!get_u64(in, &kind) || !get_u64(in, &area) || !get_u64(in, &known) ||
        !get_u64(in, &days) || !get_u64(in, &amount))
        return AM_ERR_FORMAT;
    for (int i = 0; i < 12; i++)
        if (!get_str(in, &s[i], &n[i]))
            return AM_ERR_FORMAT;
    memset(f, 0, sizeof *f);
    if (kind >= AM_KIND__COUNT || area > UINT32_MAX || known > 1 ||
        !resolve_rule(rules, s[1], n[1], s[9], n[9], &f->pub) ||
        !(f->pub.unit = one_of(s[2], n[2], units, 2)) ||
        !(f->pub.priority = one_of(s[10], n[10], priorities, 3)) ||
        !copy_into(f->id, sizeof f->id, s[0], n[0]) ||
        !copy_into(f->subject, sizeof f->subject, s[3], n[3]) ||
        !copy_into(f->period_start, sizeof f->period_start, s[4], n[4]) ||
        !copy_into(f->period_end, sizeof f->period_end, s[5], n[5]) ||
        !copy_into(f->facts, sizeof f->facts, s[11], n[11]))
        return AM_ERR_FORMAT;
    f->pub.kind = (am_kind)kind;
    f->area = (uint32_t)area;
    f->facts_known = (uint8_t)known;
    f->pub.overlap_days = (int64_t)days;
    f->pub.amount_fen = (int64_t)amount;
    char **owned[] = {&f->items, &f->agencies, &f->evidence};
    for (int i = 0; i < 3; i++) {
        *owned[i] = am_malloc(n[6 + i] + 1);
        if (!*owned[i]) {
            am_free(f->items);
            am_free(f->agencies);
            am_free(f->evidence);
            return AM_ERR_NOMEM;
        }
        copy_into(*owned[i], n[6 + i] + 1, s[6 + i], n[6 + i]);
    }
    return AM_OK;
}

am_status am_finding_file_read(const char *path, const unsigned char run_id[AM_RUN_ID_BYTES],
                               const am_rules *rules, am_finding_list *out, am_err *err)
{
    char *text;
    size_t len;
    am_status st = am_read_text_file(path, MAX_FILE_BYTES, "findings file", &text, &len, err);
    if (st != AM_OK)
        return st;
    const unsigned char *bytes = (const unsigned char *)text;
    in_buf tail = {bytes + (len >= 8 ? len - 8 : 0), bytes + len};
    uint64_t sum, count = 0;
    if (len < HEADER_BYTES + 8 || memcmp(bytes, MAGIC, sizeof MAGIC) != 0 ||
        !get_u64(&tail, &sum) || sum != XXH3_64bits(bytes, len - 8)) {
        am_free(text);
        return am_fail(err, AM_ERR_FORMAT, "%s: not a whole findings file (cut short or corrupt)",
                       path);
    }
    if (memcmp(bytes + sizeof MAGIC, run_id, AM_RUN_ID_BYTES) != 0) {
        am_free(text);
        return am_fail(err, AM_ERR_FORMAT, "%s: findings of another run", path);
    }
    in_buf in = {bytes + sizeof MAGIC + AM_RUN_ID_BYTES, bytes + len - 8};
    get_u64(&in, &count);
    am_finding_list got = {0};
    /* Each finding takes at least its fixed fields and string lengths. */
    if (count > (len - HEADER_BYTES) / (5 * 8 + 12 * 4))
        st = AM_ERR_FORMAT;
    else if (count && !(got.v = am_calloc((size_t)count, sizeof *got.v)))
        st = AM_ERR_NOMEM;
    got.capacity = (size_t)count;
    for (; st == AM_OK && got.count < count; got.count++)
        if ((st = read_one(&in, rules, &got.v[got.count])) != AM_OK)
            break;
    if (st == AM_OK && in.p != in.end)
        st = AM_ERR_FORMAT;
    if (st == AM_OK)
        st = am_findings_move(out, &got);
    am_findings_free(&got);
    am_free(text);
    if (st == AM_ERR_NOMEM)
        return am_fail(err, st, "out of memory reading findings file %s", path);
    if (st != AM_OK)
        return am_fail(err, st, "%s: a finding is malformed or names a rule this centre lacks",
                       path);
    am_findings_point_views(out);
    return AM_OK;
}
