/*
 * gen_county.c — the synthetic county: a deterministic population, the
 * exports 20+ agencies would send about it, the centre file describing
 * those exports, and truth.csv, the complete list of findings that the
 * rule semantics must produce.
 *
 * Natural data is built so that it triggers no rule at all; anomalies are
 * planted on chosen hosts and each plant records exactly the findings it
 * causes.  That is what lets a quality run score recall and precision
 * against truth.csv without a human in the loop.  Near-misses (touching
 * periods, repeats just outside a window, gaps within the grace, death on
 * the last day of a period, household moves) are planted too and must not
 * appear in truth.
 *
 * Truth assumes data/rules/default.rules and the shipped catalogue; both
 * are cross-checked after writing and any difference is reported, since a
 * centre that edits them would silently make truth wrong.
 *
 * Everything derives from --seed: a person's secondary attributes are
 * hashes of (seed, index, purpose) rather than stored, which keeps memory
 * near 30 bytes a person and makes every feed writer an independent pass
 * over the same arrays.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* ------------------------------------------------------------------ */
/* Small utilities                                                     */
/* ------------------------------------------------------------------ */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gen_county: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory (%zu bytes)", n);
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory (%zu bytes)", n);
    return p;
}

static uint64_t g_seed;

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/* A stable random value per (entity, purpose): lets every writer recompute
 * a person's attributes in any order without storing them. */
static uint64_t hv(uint64_t entity, uint64_t purpose)
{
    return mix64(mix64(entity ^ g_seed) ^ (purpose * 0xD6E8FEB86659FD93ULL));
}

static uint32_t hr(uint64_t entity, uint64_t purpose, uint32_t n)
{
    return (uint32_t)(hv(entity, purpose) % n);
}

/* xoshiro256** for the sequential passes (household composition). */
typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static void rng_seed(rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        x += 0x9E3779B97F4A7C15ULL;
        r->s[i] = mix64(x);
    }
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static uint32_t rng_below(rng *r, uint32_t n) { return (uint32_t)(rng_next(r) % n); }

/* ------------------------------------------------------------------ */
/* Days (1970-01-01 = 0), proleptic Gregorian                          */
/* ------------------------------------------------------------------ */

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int dim(int y, int m)
{
    static const unsigned char d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

static int32_t day_of(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void ymd_of(int32_t day, int *y, int *m, int *d)
{
    const int32_t z = day + 719468;
    const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int32_t doe = z - era * 146097;
    const int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int32_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

#define NO_DEATH INT32_MAX
static int32_t D0, D1; /* 2025-01-01 and 2025-12-31: the reconciliation window */

static int year_of(int32_t day)
{
    int y, m, d;
    ymd_of(day, &y, &m, &d);
    return y;
}

static int month_of(int32_t day)
{
    int y, m, d;
    ymd_of(day, &y, &m, &d);
    return m;
}

static int32_t m25(int m, int d) { return day_of(2025, m, d); }
static int32_t mstart(int m) { return day_of(2025, m, 1); }
static int32_t mend(int m) { return day_of(2025, m, dim(2025, m)); }

static int is_month_end(int32_t day)
{
    int y, m, d;
    ymd_of(day, &y, &m, &d);
    return d == dim(y, m);
}

static int is_month_start(int32_t day)
{
    int y, m, d;
    ymd_of(day, &y, &m, &d);
    return d == 1;
}

/* Last month of 2025 that ends on or before e: monthly exports can only pay
 * whole months, so a death mid-month stops them at the previous month (the
 * gap is at most 30 days, inside every rule's 31-day grace). */
static int last_full_month(int32_t e)
{
    if (e >= D1)
        return 12;
    if (e < mend(1))
        return 0;
    int y, m, d;
    ymd_of(e, &y, &m, &d);
    return d == dim(y, m) ? m : m - 1;
}

/* Age in whole years on day `on`. */
static int age_on(int32_t birth, int32_t on)
{
    int by, bm, bd, y, m, d;
    ymd_of(birth, &by, &bm, &bd);
    ymd_of(on, &y, &m, &d);
    int a = y - by;
    if (m < bm || (m == bm && d < bd))
        a--;
    return a;
}

/* ------------------------------------------------------------------ */
/* Buffered feed writer: plain, gzip or GB18030                        */
/* ------------------------------------------------------------------ */

#define WBUF_FLUSH (1u << 20)
#define WBUF_CAP (WBUF_FLUSH + (64u << 10))

enum { W_BOM = 1, W_CRLF = 2, W_GZ = 4, W_GBK = 8 };

typedef struct writer {
    char *buf;
    size_t len;
    int fd;
    gzFile gz;
    iconv_t cd;
    char *conv;
    int flags;
    char delim;
    const char *name;
    uint64_t rows; /* data rows, header excluded */
    uint64_t bad;  /* rejectable rows appended by --bad-rows */
} writer;

static char g_dir[4096];
static uint64_t g_rows_total, g_bytes_total;

static void w_rawwrite(writer *w, const char *p, size_t n)
{
    g_bytes_total += n;
    if (w->flags & W_GZ) {
        while (n) {
            const unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
            if (gzwrite(w->gz, p, chunk) != (int)chunk)
                die("%s: gzip write failed", w->name);
            p += chunk;
            n -= chunk;
        }
        return;
    }
    while (n) {
        const ssize_t k = write(w->fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            die("%s: write failed: %s", w->name, strerror(errno));
        }
        p += k;
        n -= (size_t)k;
    }
}

/* Only ever called at a row boundary, so a UTF-8 character is never cut
 * in half before iconv sees it. */
static void w_flush(writer *w)
{
    if (!w->len)
        return;
    if (w->flags & W_GBK) {
        char *in = w->buf, *out = w->conv;
        size_t inleft = w->len, outleft = 2 * WBUF_CAP;
        if (iconv(w->cd, &in, &inleft, &out, &outleft) == (size_t)-1)
            die("%s: iconv to GB18030 failed: %s", w->name, strerror(errno));
        w_rawwrite(w, w->conv, (size_t)(out - w->conv));
    } else {
        w_rawwrite(w, w->buf, w->len);
    }
    w->len = 0;
}

static void w_open(writer *w, const char *name, int flags, char delim)
{
    memset(w, 0, sizeof *w);
    w->name = name;
    w->flags = flags;
    w->delim = delim;
    w->buf = xmalloc(WBUF_CAP);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    if (flags & W_GZ) {
        w->gz = gzopen(path, "wb1");
        if (!w->gz)
            die("%s: cannot create", path);
        gzbuffer(w->gz, 1u << 18);
    } else {
        w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (w->fd < 0)
            die("%s: cannot create: %s", path, strerror(errno));
    }
    if (flags & W_GBK) {
        w->cd = iconv_open("GB18030", "UTF-8");
        if (w->cd == (iconv_t)-1)
            die("iconv has no UTF-8 to GB18030 conversion");
        w->conv = xmalloc(2 * WBUF_CAP);
    }
    if (flags & W_BOM) {
        memcpy(w->buf, "\xEF\xBB\xBF", 3);
        w->len = 3;
    }
}

static void w_close(writer *w)
{
    w_flush(w);
    if (w->flags & W_GZ) {
        if (gzclose(w->gz) != Z_OK)
            die("%s: gzip close failed", w->name);
    } else if (close(w->fd) != 0) {
        die("%s: close failed: %s", w->name, strerror(errno));
    }
    if (w->flags & W_GBK) {
        iconv_close(w->cd);
        free(w->conv);
    }
    free(w->buf);
    g_rows_total += w->rows;
}

static inline void w_c(writer *w, char c) { w->buf[w->len++] = c; }

static inline void w_n(writer *w, const char *s, size_t n)
{
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static inline void w_s(writer *w, const char *s) { w_n(w, s, strlen(s)); }

static inline void w_sep(writer *w) { w->buf[w->len++] = w->delim; }

static void w_end(writer *w)
{
    if (w->flags & W_CRLF)
        w_c(w, '\r');
    w_c(w, '\n');
    w->rows++;
    if (w->len >= WBUF_FLUSH)
        w_flush(w);
}

/* The header: a comma-separated literal, re-delimited for tab feeds. */
static void w_header(writer *w, const char *cols)
{
    for (const char *p = cols; *p; p++)
        w_c(w, *p == ',' ? w->delim : *p);
    if (w->flags & W_CRLF)
        w_c(w, '\r');
    w_c(w, '\n');
}

static void w_u(writer *w, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        w_c(w, tmp[--n]);
}

static void w_u0(writer *w, uint64_t v, int width)
{
    char tmp[24];
    for (int i = width - 1; i >= 0; i--) {
        tmp[i] = (char)('0' + v % 10);
        v /= 10;
    }
    w_n(w, tmp, (size_t)width);
}

enum { DF_ISO, DF_COMPACT, DF_SLASH };

static void w_day(writer *w, int32_t day, int fmt)
{
    int y, m, d;
    ymd_of(day, &y, &m, &d);
    w_u0(w, (uint64_t)y, 4);
    if (fmt == DF_ISO) {
        w_c(w, '-');
        w_u0(w, (uint64_t)m, 2);
        w_c(w, '-');
        w_u0(w, (uint64_t)d, 2);
    } else if (fmt == DF_COMPACT) {
        w_u0(w, (uint64_t)m, 2);
        w_u0(w, (uint64_t)d, 2);
    } else {
        w_c(w, '/');
        w_u(w, (uint64_t)m);
        w_c(w, '/');
        w_u(w, (uint64_t)d);
    }
}

static void w_month(writer *w, int m)
{
    w_s(w, "2025");
    w_u0(w, (uint64_t)m, 2);
}

static void w_amt(writer *w, int64_t fen)
{
    if (fen < 0) {
        w_c(w, '-');
        fen = -fen;
    }
    w_u(w, (uint64_t)(fen / 100));
    w_c(w, '.');
    w_u0(w, (uint64_t)(fen % 100), 2);
}

/* ------------------------------------------------------------------ */
/* Reference tables                                                    */
/* ------------------------------------------------------------------ */

/* GB/T 2260 codes: Jiangyin and the rest of Wuxi, plus a few Jiangsu
 * places people commonly move from. */
static const struct {
    const char *code;
    unsigned weight;
} AREAS[] = {
    {"320281", 760}, {"320282", 40}, {"320211", 25}, {"320213", 25}, {"320214", 20},
    {"320205", 20},  {"320206", 20}, {"320583", 15}, {"321281", 25}, {"321282", 30},
    {"320481", 10},  {"321088", 10},
};
#define NAREAS (sizeof AREAS / sizeof AREAS[0])

/* Jiangyin's streets (urban, first 7) and towns. */
static const char *const TOWNS[] = {
    "澄江街道", "南闸街道", "云亭街道", "城东街道", "夏港街道", "申港街道",
    "利港街道", "璜土镇",   "月城镇",   "青阳镇",   "徐霞客镇", "华士镇",
    "周庄镇",   "新桥镇",   "长泾镇",   "顾山镇",   "祝塘镇",
};
#define NTOWNS 17
#define NURBAN_TOWNS 7

static const char *const SURNAMES[] = {
    "陈", "张", "王", "周", "吴", "徐", "朱", "黄", "陆", "顾", "沈", "钱", "孙",
    "许", "李", "刘", "杨", "赵", "夏", "缪", "殷", "薛", "蒋", "季", "曹", "承",
    "严", "华", "邹", "贡", "范", "蔡", "邵", "花", "郁", "谢", "包", "叶", "何",
    "高", "胡", "郭", "唐", "宋", "冯", "丁", "任", "姚", "吕", "龚",
};
#define NSURNAMES (sizeof SURNAMES / sizeof SURNAMES[0])

static const char *const GIVEN_M[] = {
    "伟", "强", "军", "勇", "杰", "磊", "涛", "明", "斌", "刚", "建", "国", "华",
    "平", "峰", "俊", "文", "辉", "亮", "宇", "浩", "鹏", "飞", "成", "林", "荣",
    "兴", "忠", "德", "洪", "金", "根", "宝", "春", "志", "海", "晨", "子", "轩", "博",
};
static const char *const GIVEN_F[] = {
    "芳", "娟", "敏", "静", "丽", "艳", "霞", "燕", "玲", "红", "梅", "英", "兰",
    "萍", "琴", "云", "洁", "雪", "婷", "颖", "佳", "欣", "怡", "菊", "凤", "珍",
    "秀", "月", "彩", "美", "慧", "琳", "倩", "雨", "涵", "诗", "梦", "晓", "思", "悦",
};
#define NGIVEN 40

/* Minority names: given name and patronymic joined by U+00B7. */
static const char *const MIN_FIRST[] = {"阿依古丽", "热依拉", "迪丽娜尔", "艾力",
                                        "努尔江",   "古丽米拉", "麦麦提",  "扎西"};
static const char *const MIN_SECOND[] = {"买买提", "阿不都拉", "吐尔逊", "肉孜",
                                         "托合提", "艾买提",   "依明"};

static const char *const REL_NAMES[] = {"户主", "配偶", "子", "女", "父亲", "母亲",
                                        "孙子", "孙女", "儿媳", "女婿", "其他"};
enum { R_HEAD, R_SPOUSE, R_SON, R_DAUGHTER, R_FATHER, R_MOTHER, R_GRANDSON,
       R_GRANDDAUGHTER, R_DIL, R_SIL, R_OTHER };

/* ------------------------------------------------------------------ */
/* Population                                                          */
/* ------------------------------------------------------------------ */

enum {
    PF_VEHICLE = 1u << 0,
    PF_BUSINESS = 1u << 1,
    PF_PROPERTY = 1u << 2,
    PF_UNEMP = 1u << 3,
    PF_HOUSING = 1u << 4,
    PF_ORPHAN = 1u << 5,
    PF_FUC = 1u << 6,
    PF_VET = 1u << 7,
    PF_FP = 1u << 8,
    PF_TK_HOME = 1u << 9,
    PF_TK_INST = 1u << 10,
    PF_TK_CARE = 1u << 11,
    PF_TK_PLANTED = 1u << 12, /* given TEKUN_HOME by a CONFLICT plant */
    PF_MULTI = 1u << 13,      /* hukou in two households (mover, R16 plant) */
    PF_MALE = 1u << 14,
};

typedef struct person {
    int32_t birth;
    int32_t death; /* NO_DEATH, or the day of death (2024 or 2025) */
    uint32_t hh;
    uint32_t flags;
    uint16_t seq;
    uint8_t area;
    uint8_t rel;
    uint8_t dis;    /* disability grade 1-4, 0 none */
    uint8_t school; /* SCHOOL_ENROLMENT stage 1-5, 0 none */
    uint8_t plant;  /* plant or near-miss code, 0 none */
    uint8_t pad;
} person;

enum {
    HF_RURAL = 1u << 0,
    HF_DIBAO = 1u << 1,
    HF_SPLIT = 1u << 2,  /* created for a mover, has no natural members */
    HF_LOCKED = 1u << 3, /* hosts a household plant: no other plants inside */
    HF_MULTI = 1u << 4,  /* a member is also in another household */
    HF_PRR = 1u << 5,
    HF_ANTI = 1u << 6,
};

typedef struct hhold {
    uint32_t first;
    uint8_t size;
    uint8_t town;
    uint8_t flags;
    uint8_t plant;
    uint8_t dibao_from; /* first month of dibao in 2025 */
    uint8_t pad[3];
} hhold;

static person *P;
static hhold *H;
static uint32_t g_n, g_nh, g_nh_nat, g_nh_cap;

/* Small sorted maps for the few plants that need a second index. */
typedef struct kv {
    uint32_t k, v;
} kv;
typedef struct kvmap {
    kv *a;
    size_t n, cap;
} kvmap;

static kvmap g_paux, g_haux; /* person -> household, household -> person */

static void kv_put(kvmap *m, uint32_t k, uint32_t v)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->a = xrealloc(m->a, m->cap * sizeof *m->a);
    }
    m->a[m->n].k = k;
    m->a[m->n].v = v;
    m->n++;
}

static int kv_cmp(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    return x->k < y->k ? -1 : x->k > y->k;
}

static void kv_sort(kvmap *m) { qsort(m->a, m->n, sizeof *m->a, kv_cmp); }

static uint32_t kv_get(const kvmap *m, uint32_t k)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if (m->a[mid].k < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < m->n && m->a[lo].k == k)
        return m->a[lo].v;
    die("internal: missing aux entry for %u", k);
    return 0;
}

static int is_male(uint32_t i) { return (P[i].flags & PF_MALE) != 0; }
static int is_head(uint32_t i) { return H[P[i].hh].first == i; }
static int alive_all(uint32_t i) { return P[i].death == NO_DEATH; }
static int alive_on(uint32_t i, int32_t day) { return P[i].death >= day; }
static int age25(uint32_t i) { return age_on(P[i].birth, D0); }

/* Last day of 2025 on which person i can be paid. */
static int32_t pend(uint32_t i) { return P[i].death < D1 ? P[i].death : D1; }

static const char *dibao_code(uint32_t h)
{
    return (H[h].flags & HF_RURAL) ? "DIBAO_RURAL" : "DIBAO_URBAN";
}

static int tekun_nat(uint32_t i) { return (P[i].flags & (PF_TK_HOME | PF_TK_INST)) != 0; }
static int tekun_any(uint32_t i) { return (P[i].flags & (PF_TK_HOME | PF_TK_INST | PF_TK_PLANTED)) != 0; }
static int dibao_member(uint32_t i) { return (H[P[i].hh].flags & HF_DIBAO) != 0; }
static int lowinc(uint32_t i) { return dibao_member(i) || tekun_any(i); }

/* A dibao household paid all year to a head who lives all year: the only
 * kind that hosts dibao plants, so that every plant's condition spans the
 * year and nothing but the plant differs from natural data. */
static int dibao_full(uint32_t h)
{
    return (H[h].flags & HF_DIBAO) && !(H[h].flags & (HF_SPLIT | HF_LOCKED)) && H[h].dibao_from == 1 &&
           alive_all(H[h].first);
}

/* ------------------------------------------------------------------ */
/* Resident IDs, names, tokens                                         */
/* ------------------------------------------------------------------ */

static char check_char(const char *id17)
{
    static const unsigned char wt[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    unsigned sum = 0;
    for (int k = 0; k < 17; k++)
        sum += (unsigned)(id17[k] - '0') * wt[k];
    return "10X98765432"[sum % 11];
}

static void id18(uint32_t i, char out[18])
{
    const person *p = &P[i];
    memcpy(out, AREAS[p->area].code, 6);
    int y, m, d;
    ymd_of(p->birth, &y, &m, &d);
    out[6] = (char)('0' + y / 1000);
    out[7] = (char)('0' + y / 100 % 10);
    out[8] = (char)('0' + y / 10 % 10);
    out[9] = (char)('0' + y % 10);
    out[10] = (char)('0' + m / 10);
    out[11] = (char)('0' + m % 10);
    out[12] = (char)('0' + d / 10);
    out[13] = (char)('0' + d % 10);
    out[14] = (char)('0' + p->seq / 100);
    out[15] = (char)('0' + p->seq / 10 % 10);
    out[16] = (char)('0' + p->seq % 10);
    out[17] = check_char(out);
}

/* How a feed writes IDs: real exports carry lowercase x, full-width
 * digits, legacy 15-digit numbers and grouping spaces.  All normalise to
 * the same person; none is an anomaly.  Rates are per 10,000 rows. */
typedef struct id_style {
    int lower_x;
    unsigned fullwidth, legacy, spaced;
    uint64_t salt;
} id_style;

static const id_style ID_PLAIN = {0, 0, 0, 0, 0};

static void w_id(writer *w, uint32_t i, const id_style *st)
{
    char id[18];
    id18(i, id);
    const unsigned r = st->salt ? hr(i, st->salt, 10000) : 10000;
    const int year = (id[6] - '0') * 1000 + (id[7] - '0') * 100 + (id[8] - '0') * 10 + (id[9] - '0');
    if (r < st->fullwidth) {
        for (int k = 0; k < 18; k++) {
            if (id[k] == 'X') {
                w_s(w, st->lower_x ? "\xEF\xBD\x98" : "\xEF\xBC\xB8");
            } else {
                w_c(w, '\xEF');
                w_c(w, '\xBC');
                w_c(w, (char)(0x90 + (id[k] - '0')));
            }
        }
        return;
    }
    if (r < st->fullwidth + st->legacy && year >= 1900 && year <= 1999) {
        w_n(w, id, 6);
        w_n(w, id + 8, 9); /* YYMMDD + sequence, no check character */
        return;
    }
    if (st->lower_x && id[17] == 'X')
        id[17] = 'x';
    if (r < st->fullwidth + st->legacy + st->spaced) {
        w_n(w, id, 6);
        w_c(w, ' ');
        w_n(w, id + 6, 8);
        w_c(w, ' ');
        w_n(w, id + 14, 4);
        return;
    }
    w_n(w, id, 18);
}

/* Person i's name, written into out (room for 64 bytes). */
static void name_of(uint32_t i, char out[64])
{
    out[0] = '\0';
    if (hr(i, 11, 1000) < 6) {
        const unsigned k = hr(i, 12, 8);
        snprintf(out, 64, "%s\xC2\xB7%s", MIN_FIRST[k],
                 k == 7 ? (hr(i, 13, 2) ? "多吉" : "次仁") : MIN_SECOND[hr(i, 13, 7)]);
        return;
    }
    /* Children and the head carry the household's surname. */
    const int kin = P[i].rel == R_HEAD || P[i].rel == R_SON || P[i].rel == R_DAUGHTER ||
                    P[i].rel == R_GRANDSON || P[i].rel == R_GRANDDAUGHTER;
    const char *const *given = is_male(i) ? GIVEN_M : GIVEN_F;
    snprintf(out, 64, "%s%s%s", SURNAMES[kin ? hr(P[i].hh, 14, NSURNAMES) : hr(i, 14, NSURNAMES)],
             given[hr(i, 15, NGIVEN)], hr(i, 16, 10) < 7 ? given[hr(i, 17, NGIVEN)] : "");
}

static void w_name(writer *w, uint32_t i)
{
    char name[64];
    name_of(i, name);
    w_s(w, name);
}

/* "3202810" + 9 digits: the county code, a 0, the town and a serial. */
static void hh_text(uint32_t h, char out[17])
{
    /* 320281, then the household number's eighth digit (0 below ten
     * million households), the town, and its seven low digits. */
    uint32_t v = h + 1;
    if (v >= 100000000u)
        die("internal: more than 99,999,999 households");
    memcpy(out, "320281", 6);
    out[6] = (char)('0' + v / 10000000u);
    const unsigned town = H[h].town + 1u;
    out[7] = (char)('0' + town / 10);
    out[8] = (char)('0' + town % 10);
    for (int k = 15; k >= 9; k--) {
        out[k] = (char)('0' + v % 10);
        v /= 10;
    }
    out[16] = '\0';
}

static void w_hh(writer *w, uint32_t h)
{
    char t[17];
    hh_text(h, t);
    w_n(w, t, 16);
}

static unsigned char g_key[16];
static char g_fingerprint[17];

static void hex(const unsigned char *b, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t k = 0; k < n; k++) {
        out[2 * k] = hx[b[k] >> 4];
        out[2 * k + 1] = hx[b[k] & 15];
    }
    out[2 * n] = '\0';
}

static void person_token(uint32_t i, char out[33])
{
    char id[18];
    unsigned char t[16];
    id18(i, id);
    crypto_shorthash_siphashx24(t, (const unsigned char *)id, 18, g_key);
    hex(t, 16, out);
}

static void household_token(uint32_t h, char out[33])
{
    unsigned char buf[26], t[16];
    memcpy(buf, "household:", 10);
    char txt[17];
    hh_text(h, txt);
    memcpy(buf + 10, txt, 16);
    crypto_shorthash_siphashx24(t, buf, sizeof buf, g_key);
    hex(t, 16, out);
}

/* ------------------------------------------------------------------ */
/* Building the population                                             */
/* ------------------------------------------------------------------ */

static uint16_t *g_seqcount; /* per (area, birth day since 1900, sex) */
static int32_t g_day1900;
#define SEQ_DAYS 46000

static void assign_id(uint32_t i, rng *r)
{
    unsigned total = 0;
    for (size_t a = 0; a < NAREAS; a++)
        total += AREAS[a].weight;
    unsigned x = rng_below(r, total);
    size_t a = 0;
    while (x >= AREAS[a].weight) {
        x -= AREAS[a].weight;
        a++;
    }
    const int male = is_male(i);
    /* Sequence numbers: odd for men, even for women, unique per (area,
     * birth day).  An occupied day moves the person to the next area with
     * room that day; when every area is full (only counties of tens of
     * millions get there), the birth moves a day later, or, past the last
     * day, a day earlier. */
    const int32_t born = P[i].birth;
    int step = 1;
    for (;;) {
        int32_t k = P[i].birth - g_day1900;
        if (k >= SEQ_DAYS && step == 1) {
            step = -1;
            P[i].birth = born - 1;
            k = P[i].birth - g_day1900;
        }
        if (k < 0 || k >= SEQ_DAYS)
            die("internal: birth out of range");
        for (size_t tried = 0; tried < NAREAS; tried++, a = (a + 1) % NAREAS) {
            uint16_t *c = &g_seqcount[((size_t)a * SEQ_DAYS + (size_t)k) * 2 + (size_t)male];
            if (*c < 480) {
                const unsigned off = hr(((uint64_t)a << 32) | (uint64_t)k, 21 + (uint64_t)male, 19);
                const unsigned slot = off + *c;
                P[i].area = (uint8_t)a;
                P[i].seq = (uint16_t)(male ? 2 * slot + 1 : 2 * slot + 2);
                (*c)++;
                return;
            }
        }
        P[i].birth += step;
    }
}

static int32_t g_birth_min, g_birth_max;

static int32_t birth_for_age(rng *r, int age)
{
    if (age < 0)
        age = 0;
    /* Born in 2024 - age (so age on 2025-01-01 is age, give or take the
     * birthday), day uniform in that year. */
    const int y = 2024 - age;
    int32_t b = day_of(y, 1, 1) + (int32_t)rng_below(r, (uint32_t)(is_leap(y) ? 366 : 365));
    if (b < g_birth_min)
        b = g_birth_min + (int32_t)rng_below(r, 365);
    if (b > g_birth_max)
        b = g_birth_max;
    return b;
}

static uint32_t g_np; /* persons created so far */

static int add_person(rng *r, uint32_t h, int rel, int age, int male)
{
    if (g_np >= g_n)
        return 0;
    const uint32_t i = g_np++;
    person *p = &P[i];
    memset(p, 0, sizeof *p);
    p->hh = h;
    p->rel = (uint8_t)rel;
    p->death = NO_DEATH;
    p->birth = birth_for_age(r, age);
    if (male)
        p->flags |= PF_MALE;
    assign_id(i, r);
    H[h].size++;
    return 1;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static void grow_households(void)
{
    if (g_nh < g_nh_cap)
        return;
    const size_t old_cap = g_nh_cap;
    g_nh_cap = g_nh_cap ? g_nh_cap + g_nh_cap / 2 : g_n / 2 + 64;
    H = xrealloc(H, (size_t)g_nh_cap * sizeof *H);
    /* household flags start cleared, as for persons */
    memset(H + old_cap, 0, (g_nh_cap - old_cap) * sizeof *H);
}

static void gen_households(rng *r)
{
    g_nh = 0;
    while (g_np < g_n) {
        grow_households();
        const uint32_t h = g_nh++;
        hhold *hh = &H[h];
        hh->first = g_np;
        hh->town = (uint8_t)rng_below(r, NTOWNS);
        const int rural_p = hh->town >= NURBAN_TOWNS ? 70 : 8;
        if ((int)rng_below(r, 100) < rural_p)
            hh->flags |= HF_RURAL;
        const unsigned t = rng_below(r, 100);
        const int hm = rng_below(r, 100) < 62; /* head is the husband */
        if (t < 14) { /* elder living alone */
            add_person(r, h, R_HEAD, 60 + (int)rng_below(r, 36), rng_below(r, 100) < 40);
        } else if (t < 21) { /* adult living alone */
            add_person(r, h, R_HEAD, 20 + (int)rng_below(r, 40), rng_below(r, 100) < 55);
        } else if (t < 35) { /* elder couple */
            const int a = 60 + (int)rng_below(r, 32);
            add_person(r, h, R_HEAD, a, hm);
            add_person(r, h, R_SPOUSE, clampi(a - 4 + (int)rng_below(r, 9), 58, 100), !hm);
        } else if (t < 42) { /* young couple */
            const int a = 22 + (int)rng_below(r, 22);
            add_person(r, h, R_HEAD, a, hm);
            add_person(r, h, R_SPOUSE, clampi(a - 3 + (int)rng_below(r, 7), 20, 60), !hm);
        } else if (t < 75 || t >= 95) { /* parents (or one) with children */
            const int a = 28 + (int)rng_below(r, 28);
            const int single = t >= 95;
            add_person(r, h, R_HEAD, a, single ? rng_below(r, 100) < 30 : hm);
            if (!single)
                add_person(r, h, R_SPOUSE, clampi(a - 3 + (int)rng_below(r, 7), 22, 70), !hm);
            const int kids = 1 + (rng_below(r, 100) < 35) + (rng_below(r, 100) < 8);
            for (int k = 0; k < kids; k++) {
                const int ka = a - 22 - (int)rng_below(r, 16);
                const int km = rng_below(r, 2);
                add_person(r, h, km ? R_SON : R_DAUGHTER, ka < 0 ? 0 : ka, km);
            }
        } else { /* three generations */
            const int a = 52 + (int)rng_below(r, 30);
            add_person(r, h, R_HEAD, a, hm);
            if (rng_below(r, 100) < 80)
                add_person(r, h, R_SPOUSE, clampi(a - 3 + (int)rng_below(r, 7), 48, 100), !hm);
            const int sa = a - 22 - (int)rng_below(r, 10);
            const int sm = rng_below(r, 100) < 75;
            add_person(r, h, sm ? R_SON : R_DAUGHTER, sa, sm);
            add_person(r, h, sm ? R_DIL : R_SIL, clampi(sa - 3 + (int)rng_below(r, 7), 20, 80), !sm);
            const int kids = 1 + (rng_below(r, 100) < 30);
            for (int k = 0; k < kids; k++) {
                const int ka = sa - 22 - (int)rng_below(r, 14);
                const int km = rng_below(r, 2);
                add_person(r, h, km ? R_GRANDSON : R_GRANDDAUGHTER, ka < 0 ? 0 : ka, km);
            }
        }
    }
    g_nh_nat = g_nh;
}

/* Yearly mortality by age: about 0.7 % a year over this (old) population. */
static unsigned death_per_100k(int age)
{
    if (age < 1)
        return 150;
    if (age < 50)
        return 45;
    if (age < 60)
        return 230;
    if (age < 70)
        return 600;
    if (age < 80)
        return 1650;
    if (age < 90)
        return 4900;
    return 12000;
}

static void gen_attributes(void)
{
    for (uint32_t i = 0; i < g_n; i++) {
        person *p = &P[i];
        const int age = age25(i);
        /* Deaths in 2025; deaths in 2024 only for non-heads, so that every
         * household has a living head on 2025-01-01. */
        if (hr(i, 31, 100000) < death_per_100k(age)) {
            const int32_t d = D0 + (int32_t)hr(i, 32, 365);
            if (d > p->birth)
                p->death = d;
        } else if (!is_head(i) && hr(i, 33, 100000) < death_per_100k(age > 0 ? age - 1 : 0)) {
            const int32_t d = day_of(2024, 1, 1) + (int32_t)hr(i, 34, 366);
            if (d > p->birth)
                p->death = d;
        }
        /* Disability: about 6 %, 40 % of certificates grade 1-2. */
        unsigned dp = age < 18 ? 150 : age < 60 ? 450 : age < 80 ? 1000 : 1800;
        if (hr(i, 35, 10000) < dp) {
            const unsigned g = hr(i, 36, 100);
            p->dis = g < 15 ? 1 : g < 40 ? 2 : g < 70 ? 3 : 4;
        }
        /* School enrolment, fixed for 2025. */
        const unsigned s = hr(i, 37, 100);
        if (age >= 3 && age <= 5 && s < 85)
            p->school = 1;
        else if (age >= 6 && age <= 14 && s < 98)
            p->school = 2;
        else if (age >= 15 && age <= 17)
            p->school = s < 55 ? 3 : s < 90 ? 4 : 0;
        else if (age >= 18 && age <= 21 && s < 45)
            p->school = 5;
        if (is_male(i) && age >= 45 && age <= 90 && hr(i, 38, 10000) < 120)
            p->flags |= PF_VET;
        if (age >= 49 && age <= 85 && hr(i, 39, 10000) < 40)
            p->flags |= PF_FP;
    }
}

/* Members of a natural household. */
#define FOR_MEMBERS(m, h) for (uint32_t m = H[h].first; m < H[h].first + H[h].size; m++)

static int hh_has_tekun(uint32_t h)
{
    FOR_MEMBERS(m, h)
    if (tekun_any(m))
        return 1;
    return 0;
}

static int hh_has_plant(uint32_t h)
{
    FOR_MEMBERS(m, h)
    if (P[m].plant)
        return 1;
    return 0;
}

static int hh_has_child_status(uint32_t h)
{
    FOR_MEMBERS(m, h)
    if (P[m].flags & (PF_ORPHAN | PF_FUC))
        return 1;
    return 0;
}

/* A deterministic walk over 0..n-1 without storing a permutation. */
typedef struct walk {
    uint64_t n, start, stride, k;
} walk;

static void walk_init(walk *wk, uint64_t n, uint64_t salt)
{
    static const uint64_t primes[] = {1000003ULL, 2147483647ULL, 998244353ULL, 1000000007ULL,
                                      4294967291ULL, 15485863ULL};
    wk->n = n;
    wk->k = 0;
    wk->start = n ? hv(salt, 51) % n : 0;
    wk->stride = 1;
    for (size_t j = 0; j < sizeof primes / sizeof primes[0]; j++) {
        const uint64_t p = primes[(hv(salt, 52) + j) % (sizeof primes / sizeof primes[0])];
        if (n > 1 && p % n != 0) {
            wk->stride = p % n;
            break;
        }
    }
}

static int walk_next(walk *wk, uint32_t *out)
{
    if (wk->k >= wk->n)
        return 0;
    *out = (uint32_t)((wk->start + wk->k * wk->stride) % wk->n);
    wk->k++;
    return 1;
}

static void gen_programmes(void)
{
    /* Dibao: about 3 % of households. */
    for (uint32_t h = 0; h < g_nh; h++) {
        if (hr(h, 61, 10000) < 300) {
            H[h].flags |= HF_DIBAO;
            H[h].dibao_from = 1;
        }
    }
    /* Tekun: about 0.3 % of persons, living alone, outside dibao. */
    const uint32_t want = g_n * 3 / 1000 + 1;
    uint32_t got = 0;
    walk wk;
    walk_init(&wk, g_nh, 62);
    uint32_t h;
    while (got < want && walk_next(&wk, &h)) {
        const uint32_t i = H[h].first;
        if (H[h].size != 1 || (H[h].flags & HF_DIBAO) || age25(i) < 18)
            continue;
        P[i].flags |= hr(i, 63, 100) < 20 ? PF_TK_INST : PF_TK_HOME;
        if ((P[i].dis >= 1 && P[i].dis <= 3) || age25(i) >= 80)
            if (hr(i, 64, 100) < 60)
                P[i].flags |= PF_TK_CARE;
        got++;
    }
    for (uint32_t i = 0; i < g_n; i++) {
        const int age = age25(i);
        const uint32_t hh = P[i].hh;
        if (age < 16 && !is_head(i) && !(H[hh].flags & HF_DIBAO)) {
            const unsigned x = hr(i, 65, 100000);
            if (x < 60)
                P[i].flags |= PF_ORPHAN;
            else if (x < 120)
                P[i].flags |= PF_FUC;
        }
    }
    for (uint32_t hh = 0; hh < g_nh; hh++) {
        const uint32_t head = H[hh].first;
        if (H[hh].flags & HF_DIBAO) {
            if (hr(hh, 66, 100) < 20)
                P[head].flags |= PF_HOUSING;
        } else if (!tekun_any(head)) {
            const unsigned x = hr(hh, 67, 10000);
            if (x < 80) {
                P[head].flags |= PF_HOUSING;
                if (x < 40)
                    H[hh].flags |= HF_PRR;
            }
            if ((H[hh].flags & HF_RURAL) && hr(hh, 68, 1000) < 15 && !hh_has_child_status(hh))
                H[hh].flags |= HF_ANTI;
        }
    }
    /* Registered unemployment: far more common in dibao households. */
    for (uint32_t i = 0; i < g_n; i++) {
        const int age = age25(i);
        if (age < 20 || age > 59 || P[i].school || tekun_any(i))
            continue;
        if (hr(i, 69, 1000) < (dibao_member(i) ? 250u : 30u))
            P[i].flags |= PF_UNEMP;
    }
}

/* ------------------------------------------------------------------ */
/* Plants: anomalies with the findings they cause, and near-misses     */
/* ------------------------------------------------------------------ */

enum {
    PL_NONE,
    PL_DUP_ELDER_MONTH, /* an ELDER_AGE month exported twice */
    PL_DUP_MEDPREM,     /* overlapping MED_PREM rows */
    PL_DUP_VET,         /* VET_PENSION half-years that overlap by a month */
    PL_DUP_NURSING_DPF, /* DIS_NURSING paid by MCA and by DPF */
    PL_DUP_FESTIVAL,    /* FESTIVAL twice within its 300-day window */
    PL_DUP_DEVICE,      /* DPF_DEVICE twice within 365 days */
    PL_R01, PL_R02, PL_R03, PL_R13,
    PL_R05_NONE, PL_R05_HALF, PL_R05_TK, PL_R06_NONE, PL_R06_SPRING, PL_R06H,
    PL_R07_NONE, PL_R07_Q1, PL_R08_NONE, PL_R08_LATE, PL_R11, PL_R12_NONE, PL_R12_LATE,
    PL_AD_LOW_MONTH, PL_AD_LOW_RANGE, PL_AD_LOW_ONEOFF,
    PL_AD_HIGH_MONTH, PL_AD_HIGH_PRIOR, PL_AD_HIGH_RANGE,
    PL_R15V, PL_R15V_MID, PL_R15B, PL_R15P,
    PL_R16B,
    NM_TK_SWITCH, NM_NURSING_TOUCH, NM_DIS_MID31, NM_DIS_MID20, NM_DEATH_HALF,
    NM_DEATH_MONTH, NM_MOVER, NM_VEHICLE_ENDED, NM_FESTIVAL_300,
    PL__COUNT
};

enum { HP_NONE, HP_R16A, HP_R17, HN_R17_30, HN_MIDYEAR, HP__COUNT };

static const char *const PLANT_NAMES[PL__COUNT] = {
    "none", "dup_elder_month", "dup_medprem_overlap", "dup_vet_overlap", "dup_nursing_mca_dpf",
    "dup_festival_window", "dup_device_window", "conflict_r01", "conflict_r02", "conflict_r03",
    "conflict_r13", "missing_r05_none", "missing_r05_half", "missing_r05_tekun", "missing_r06_none",
    "missing_r06_spring", "missing_r06h", "missing_r07_none", "missing_r07_q1", "missing_r08_none",
    "missing_r08_late", "missing_r11", "missing_r12_none", "missing_r12_late",
    "after_death_low_month", "after_death_low_range", "after_death_low_oneoff",
    "after_death_high_month", "after_death_high_prior_year", "after_death_high_range",
    "disq_r15v", "disq_r15v_midyear", "disq_r15b", "disq_r15p", "hhdup_r16_person",
    "near_tekun_switch_touching", "near_nursing_two_agencies_touching", "near_disability_gap31",
    "near_disability_gap20", "near_death_end_of_half", "near_death_end_of_month",
    "near_mover_dibao_follows", "near_vehicle_ended_2024", "near_festival_300_days",
};
static const char *const HPLANT_NAMES[HP__COUNT] = {"none", "hhdup_r16_two_payees",
                                                     "hhdup_r17_10_days", "near_r17_30_days",
                                                     "near_dibao_midyear_grace"};

static uint32_t g_planted[PL__COUNT], g_hplanted[HP__COUNT];

/* truth.csv rows, built as text and sorted at the end. */
static char **g_truth;
static size_t g_ntruth, g_truth_cap;

static void truth_add(const char *kind, const char *rule, int household, uint32_t subject,
                      const char *items)
{
    char tok[33];
    if (household)
        household_token(subject, tok);
    else
        person_token(subject, tok);
    char line[256];
    snprintf(line, sizeof line, "%s,%s,%s,%s,%s", kind, rule, household ? "household" : "person", tok,
             items);
    if (g_ntruth == g_truth_cap) {
        g_truth_cap = g_truth_cap ? g_truth_cap * 2 : 256;
        g_truth = xrealloc(g_truth, g_truth_cap * sizeof *g_truth);
    }
    g_truth[g_ntruth] = xmalloc(strlen(line) + 1);
    strcpy(g_truth[g_ntruth++], line);
}

static const char *items2(const char *a, const char *b, char *buf, size_t n)
{
    const int c = strcmp(a, b);
    if (c == 0)
        snprintf(buf, n, "%s", a);
    else if (c < 0)
        snprintf(buf, n, "%s;%s", a, b);
    else
        snprintf(buf, n, "%s;%s", b, a);
    return buf;
}

static const char *tekun_code(uint32_t i)
{
    return (P[i].flags & PF_TK_INST) ? "TEKUN_INST" : "TEKUN_HOME";
}

/* Hosts: a person with no plant yet, alive all 2025, in one household
 * that hosts no household plant. */
static int free_p(uint32_t i)
{
    return P[i].plant == 0 && alive_all(i) && !(P[i].flags & PF_MULTI) &&
           !(H[P[i].hh].flags & (HF_LOCKED | HF_SPLIT));
}

typedef int (*pred_fn)(uint32_t i);

static int a_any(uint32_t i)
{
    (void)i;
    return 1;
}
static int a_adult(uint32_t i) { return age25(i) >= 18; }
static int a_pupil(uint32_t i) { return P[i].school == 2; }
static int a_high(uint32_t i) { return P[i].school == 3; }
static int a_teen(uint32_t i) { return age25(i) >= 15 && age25(i) <= 17; }
static int a_unemp(uint32_t i) { return (P[i].flags & PF_UNEMP) != 0; }
static int a_workage(uint32_t i) { return age25(i) >= 20 && age25(i) <= 59 && !P[i].school; }
static int a_disabled(uint32_t i) { return P[i].dis > 0; }
static int a_head(uint32_t i) { return is_head(i); }
static int a_head_housing(uint32_t i) { return is_head(i) && (P[i].flags & PF_HOUSING); }
static int a_nonhead_nodis(uint32_t i) { return !is_head(i) && P[i].dis == 0; }
static int a_nonhead_adult(uint32_t i) { return !is_head(i) && age25(i) >= 18; }
static int a_nonhead_adult_nodis(uint32_t i) { return a_nonhead_adult(i) && P[i].dis == 0; }

/* A member of a dibao household paid all year, with attribute `attr`. */
static pred_fn g_attr;
static int dibao_host(uint32_t i) { return free_p(i) && dibao_full(P[i].hh) && g_attr(i); }

static int pick(pred_fn pred, uint64_t salt, uint32_t *out)
{
    walk wk;
    walk_init(&wk, g_n, salt);
    uint32_t i;
    while (walk_next(&wk, &i))
        if (pred(i)) {
            *out = i;
            return 1;
        }
    return 0;
}

/* Makes a household with a member satisfying `attr` a dibao household,
 * when the natural 3 % holds too few hosts (small N). */
static int promote_dibao(pred_fn attr, uint64_t salt, uint32_t *member)
{
    walk wk;
    walk_init(&wk, g_nh_nat, salt);
    uint32_t h;
    while (walk_next(&wk, &h)) {
        if (H[h].flags & (HF_DIBAO | HF_LOCKED | HF_SPLIT | HF_MULTI))
            continue;
        if (!alive_all(H[h].first) || hh_has_tekun(h) || hh_has_plant(h) || hh_has_child_status(h))
            continue;
        FOR_MEMBERS(m, h)
        if (alive_all(m) && attr(m)) {
            H[h].flags |= HF_DIBAO;
            H[h].dibao_from = 1;
            *member = m;
            return 1;
        }
    }
    return 0;
}

static int dibao_pick(pred_fn attr, uint64_t salt, uint32_t *out)
{
    g_attr = attr;
    if (pick(dibao_host, salt, out))
        return 1;
    return promote_dibao(attr, salt + 1, out);
}

/* A single adult outside dibao becomes 特困 (small N only). */
static int promote_tekun(uint64_t salt, uint32_t *out)
{
    walk wk;
    walk_init(&wk, g_nh_nat, salt);
    uint32_t h;
    while (walk_next(&wk, &h)) {
        const uint32_t i = H[h].first;
        if (H[h].size != 1 || (H[h].flags & (HF_DIBAO | HF_LOCKED | HF_SPLIT | HF_MULTI)) ||
            !free_p(i) || tekun_any(i) || age25(i) < 18 || (P[i].flags & (PF_HOUSING | PF_UNEMP)))
            continue;
        P[i].flags |= PF_TK_HOME;
        *out = i;
        return 1;
    }
    return 0;
}

static int p_tekun_home(uint32_t i) { return free_p(i) && (P[i].flags & PF_TK_HOME); }
static int p_tekun(uint32_t i) { return free_p(i) && tekun_nat(i); }
static int p_tekun_dis(uint32_t i) { return free_p(i) && tekun_nat(i) && P[i].dis > 0; }
static int p_tekun_nodis(uint32_t i) { return free_p(i) && tekun_nat(i) && P[i].dis == 0; }
static int p_elder_any(uint32_t i) { return free_p(i) && age25(i) >= 80 && !lowinc(i); }
static int p_elder_other(uint32_t i) { return p_elder_any(i) && !is_head(i); }
static int p_vet(uint32_t i) { return free_p(i) && (P[i].flags & PF_VET) && !lowinc(i) && !is_head(i); }
static int p_vet_maybe(uint32_t i)
{
    return free_p(i) && is_male(i) && age25(i) >= 45 && age25(i) <= 90 && !lowinc(i) && !is_head(i);
}
static int p_nursing(uint32_t i)
{
    return free_p(i) && P[i].dis >= 1 && P[i].dis <= 2 && !lowinc(i) && !is_head(i);
}
static int p_disabled_other(uint32_t i) { return free_p(i) && P[i].dis > 0 && !lowinc(i); }
static int p_adult_other(uint32_t i)
{
    return free_p(i) && age25(i) >= 18 && !lowinc(i) && !is_head(i) && P[i].dis == 0;
}
static int p_orphan(uint32_t i)
{
    return free_p(i) && (P[i].flags & (PF_ORPHAN | PF_FUC)) && P[i].dis == 0 && !dibao_member(i);
}
static int p_child_other(uint32_t i)
{
    return free_p(i) && age25(i) >= 6 && age25(i) <= 15 && !is_head(i) && !dibao_member(i) &&
           P[i].dis == 0 && !(H[P[i].hh].flags & HF_ANTI);
}
static int festival_hh(uint32_t h)
{
    const uint32_t head = H[h].first;
    return dibao_full(h) || (H[h].size == 1 && tekun_nat(head) && !(H[h].flags & (HF_LOCKED | HF_SPLIT)));
}
static int p_festival_head(uint32_t i) { return free_p(i) && is_head(i) && festival_hh(P[i].hh); }

static void set_plant(uint32_t i, int code)
{
    P[i].plant = (uint8_t)code;
    g_planted[code]++;
}

static uint32_t want_count(unsigned per_million, unsigned min)
{
    const uint64_t k = ((uint64_t)g_n * per_million + 500000) / 1000000;
    return k < min ? min : (uint32_t)k;
}

static uint32_t g_shortfall;

static void short_of(const char *what, uint32_t got, uint32_t want)
{
    if (got < want) {
        fprintf(stderr, "gen_county: only %u of %u hosts for %s at this size\n", got, want, what);
        g_shortfall += want - got;
    }
}

static int32_t r17_plant_day(uint32_t h) { return m25(2, 1) + (int32_t)hr(h, 71, 200); }

static void plant_households(void)
{
    walk wk;
    uint32_t h, got;
    /* R16 (a): a second member paid dibao for the same household. */
    uint32_t want = want_count(100, 3);
    got = 0;
    for (int pass = 0; pass < 2 && got < want; pass++) {
        walk_init(&wk, g_nh_nat, 201 + (uint64_t)pass);
        while (got < want && walk_next(&wk, &h)) {
            if (pass == 0 ? !dibao_full(h)
                          : (H[h].flags & (HF_DIBAO | HF_LOCKED | HF_SPLIT | HF_MULTI)) ||
                                !alive_all(H[h].first) || hh_has_tekun(h) || hh_has_child_status(h))
                continue;
            if (H[h].size < 2 || hh_has_plant(h) || (H[h].flags & HF_MULTI))
                continue;
            uint32_t second = UINT32_MAX;
            FOR_MEMBERS(m, h)
            if (m != H[h].first && alive_all(m) && age25(m) >= 18) {
                second = m;
                break;
            }
            if (second == UINT32_MAX)
                continue;
            H[h].flags |= HF_DIBAO | HF_LOCKED;
            H[h].dibao_from = 1;
            H[h].plant = HP_R16A;
            kv_put(&g_haux, h, second);
            g_hplanted[HP_R16A]++;
            truth_add("HOUSEHOLD_DUPLICATE", "R16", 1, h, dibao_code(h));
            got++;
        }
    }
    short_of("R16 two payees", got, want);
    /* R17: TEMP_EXPEND and UNION_AID to one household 10 days apart; and
     * the near-miss, exactly 30 days apart. */
    for (int code = HP_R17; code <= HN_R17_30; code++) {
        want = want_count(code == HP_R17 ? 100 : 50, code == HP_R17 ? 3 : 2);
        got = 0;
        walk_init(&wk, g_nh_nat, 210 + (uint64_t)code);
        while (got < want && walk_next(&wk, &h)) {
            if ((H[h].flags & (HF_LOCKED | HF_SPLIT | HF_MULTI)) || !alive_all(H[h].first) ||
                hh_has_plant(h))
                continue;
            H[h].flags |= HF_LOCKED;
            H[h].plant = (uint8_t)code;
            g_hplanted[code]++;
            if (code == HP_R17)
                truth_add("HOUSEHOLD_DUPLICATE", "R17", 1, h, "TEMP_EXPEND;UNION_AID");
            got++;
        }
        short_of(HPLANT_NAMES[code], got, want);
    }
    /* Dibao approved in April; MED_PREM follows 19 days later. */
    want = want_count(50, 2);
    got = 0;
    walk_init(&wk, g_nh_nat, 220);
    while (got < want && walk_next(&wk, &h)) {
        if ((H[h].flags & (HF_DIBAO | HF_LOCKED | HF_SPLIT | HF_MULTI)) || H[h].size > 4 ||
            hh_has_tekun(h) || hh_has_plant(h) || hh_has_child_status(h))
            continue;
        int ok = 1;
        FOR_MEMBERS(m, h)
        if (!alive_all(m))
            ok = 0;
        if (!ok)
            continue;
        H[h].flags |= HF_DIBAO | HF_LOCKED;
        H[h].dibao_from = 4;
        H[h].plant = HN_MIDYEAR;
        g_hplanted[HN_MIDYEAR]++;
        got++;
    }
    short_of("dibao mid-year", got, want);
}

/* One plant kind: find hosts, apply, record truth. */
static void plant_people(int code, uint32_t want)
{
    uint32_t got = 0;
    char items[96];
    for (uint32_t attempt = 0; got < want && attempt < want * 4 + 8; attempt++) {
        const uint64_t salt = 1000ULL * (uint64_t)code + attempt;
        uint32_t i = 0;
        int ok = 0;
        switch (code) {
        case PL_DUP_ELDER_MONTH:
        case NM_DEATH_MONTH:
        case PL_AD_LOW_MONTH:
            ok = pick(p_elder_any, salt, &i);
            break;
        case PL_AD_HIGH_PRIOR: /* preferably not a head, who pays household items */
            ok = pick(p_elder_other, salt, &i) || pick(p_elder_any, salt + 7, &i);
            break;
        case PL_DUP_MEDPREM:
        case PL_R05_NONE:
        case PL_R05_HALF:
            ok = dibao_pick(a_nonhead_nodis, salt, &i) || dibao_pick(a_any, salt + 7, &i);
            break;
        case PL_DUP_VET:
        case NM_DEATH_HALF:
            ok = pick(p_vet, salt, &i);
            if (!ok && (ok = pick(p_vet_maybe, salt + 7, &i)))
                P[i].flags |= PF_VET;
            break;
        case PL_DUP_NURSING_DPF:
        case PL_R12_NONE:
        case PL_R12_LATE:
        case NM_NURSING_TOUCH:
        case PL_AD_HIGH_RANGE:
            ok = pick(p_nursing, salt, &i);
            if (!ok && (ok = pick(p_adult_other, salt + 7, &i)))
                P[i].dis = 2;
            break;
        case PL_DUP_FESTIVAL:
        case NM_FESTIVAL_300:
            ok = pick(p_festival_head, salt, &i) || dibao_pick(a_head, salt + 7, &i);
            break;
        case PL_DUP_DEVICE:
            ok = pick(p_disabled_other, salt, &i);
            if (!ok && (ok = pick(p_adult_other, salt + 7, &i)))
                P[i].dis = 4;
            break;
        case PL_R01:
            ok = pick(p_orphan, salt, &i);
            if (!ok && (ok = pick(p_child_other, salt + 7, &i)))
                P[i].flags |= PF_ORPHAN;
            break;
        case PL_R02:
            ok = dibao_pick(a_nonhead_nodis, salt, &i);
            break;
        case PL_R03:
        case NM_TK_SWITCH:
            ok = pick(p_tekun_home, salt, &i) || promote_tekun(salt + 7, &i);
            break;
        case PL_R13:
            ok = pick(p_tekun_dis, salt, &i);
            if (!ok && (ok = (pick(p_tekun_nodis, salt + 7, &i) || promote_tekun(salt + 9, &i))))
                P[i].dis = 3;
            break;
        case PL_R05_TK:
        case PL_AD_HIGH_MONTH:
            ok = pick(p_tekun, salt, &i) || promote_tekun(salt + 7, &i);
            break;
        case PL_R06_NONE:
        case PL_R06_SPRING:
            ok = dibao_pick(a_pupil, salt, &i);
            break;
        case PL_R06H:
            ok = dibao_pick(a_high, salt, &i);
            if (!ok && (ok = dibao_pick(a_teen, salt + 7, &i)))
                P[i].school = 3;
            break;
        case PL_R07_NONE:
        case PL_R07_Q1:
            ok = dibao_pick(a_head_housing, salt, &i);
            if (!ok && (ok = dibao_pick(a_head, salt + 7, &i)))
                P[i].flags |= PF_HOUSING;
            break;
        case PL_R08_NONE:
        case PL_R08_LATE:
            ok = dibao_pick(a_unemp, salt, &i);
            if (!ok && (ok = dibao_pick(a_workage, salt + 7, &i)))
                P[i].flags |= PF_UNEMP;
            break;
        case PL_R11:
            ok = dibao_pick(a_disabled, salt, &i);
            if (!ok && (ok = dibao_pick(a_adult, salt + 7, &i)))
                P[i].dis = 4;
            break;
        case PL_AD_LOW_RANGE:
            ok = dibao_pick(a_nonhead_nodis, salt, &i);
            break;
        case PL_AD_LOW_ONEOFF:
        case NM_DIS_MID31:
        case NM_DIS_MID20:
            ok = pick(p_adult_other, salt, &i);
            break;
        case PL_R15V:
        case PL_R15V_MID:
        case PL_R15B:
        case PL_R15P:
        case NM_VEHICLE_ENDED:
            ok = dibao_pick(a_adult, salt, &i);
            break;
        case PL_R16B:
        case NM_MOVER:
            ok = dibao_pick(a_nonhead_adult_nodis, salt, &i) || dibao_pick(a_nonhead_adult, salt + 7, &i);
            break;
        default:
            die("internal: plant %d", code);
        }
        if (!ok)
            continue;
        const uint32_t hh = P[i].hh;
        switch (code) {
        case PL_DUP_ELDER_MONTH:
            truth_add("DUPLICATE", "DUP", 0, i, "ELDER_AGE");
            break;
        case PL_DUP_MEDPREM:
            truth_add("DUPLICATE", "DUP", 0, i, "MED_PREM");
            break;
        case PL_DUP_VET:
            truth_add("DUPLICATE", "DUP", 0, i, "VET_PENSION");
            break;
        case PL_DUP_NURSING_DPF:
            truth_add("DUPLICATE", "DUP", 0, i, "DIS_NURSING");
            break;
        case PL_DUP_FESTIVAL:
            truth_add("DUPLICATE", "DUP", 0, i, "FESTIVAL");
            break;
        case PL_DUP_DEVICE:
            truth_add("DUPLICATE", "DUP", 0, i, "DPF_DEVICE");
            break;
        case PL_R01:
            P[i].flags |= PF_TK_PLANTED;
            truth_add("CONFLICT", "R01", 0, i,
                      items2((P[i].flags & PF_ORPHAN) ? "ORPHAN" : "FUC_CHILD", "TEKUN_HOME", items,
                             sizeof items));
            break;
        case PL_R02:
            P[i].flags |= PF_TK_PLANTED;
            truth_add("CONFLICT", "R02", 0, i, items2(dibao_code(hh), "TEKUN_HOME", items, sizeof items));
            break;
        case PL_R03:
            P[i].flags &= ~(uint32_t)PF_TK_CARE;
            truth_add("CONFLICT", "R03", 0, i, "TEKUN_HOME;TEKUN_INST");
            break;
        case PL_R13:
            truth_add("CONFLICT", "R13", 0, i, items2("DIS_LIVING", tekun_code(i), items, sizeof items));
            break;
        case PL_R05_NONE:
        case PL_R05_HALF:
        case PL_R05_TK:
            truth_add("MISSING", "R05", 0, i, "MED_PREM");
            break;
        case PL_R06_NONE:
        case PL_R06_SPRING:
            truth_add("MISSING", "R06", 0, i, "EDU_COMP");
            break;
        case PL_R06H:
            truth_add("MISSING", "R06H", 0, i, "EDU_HIGH");
            break;
        case PL_R07_NONE:
        case PL_R07_Q1:
            truth_add("MISSING", "R07", 0, i, "HOUSE_RENT");
            break;
        case PL_R08_NONE:
        case PL_R08_LATE:
            truth_add("MISSING", "R08", 0, i, "EMP_SOCINS");
            break;
        case PL_R11:
            truth_add("MISSING", "R11", 0, i, "DIS_LIVING");
            break;
        case PL_R12_NONE:
        case PL_R12_LATE:
            truth_add("MISSING", "R12", 0, i, "DIS_NURSING");
            break;
        case PL_AD_LOW_MONTH: /* death mid-month, that month's row still paid */
            P[i].death = m25(3 + (int)hr(i, 301, 8), 5 + (int)hr(i, 302, 20));
            truth_add("AFTER_DEATH", "R14", 0, i, "ELDER_AGE");
            break;
        case PL_AD_LOW_RANGE: /* death in December, the annual row runs on */
            P[i].death = m25(12, 5 + (int)hr(i, 303, 15));
            truth_add("AFTER_DEATH", "R14", 0, i, "MED_PREM");
            break;
        case PL_AD_LOW_ONEOFF: /* MED_AID settled 10 days after death */
            P[i].death = m25(6, 10 + (int)hr(i, 304, 10));
            truth_add("AFTER_DEATH", "R14", 0, i, "MED_AID");
            break;
        case PL_AD_HIGH_MONTH: /* 特困 paid for the whole year after dying in spring */
            P[i].flags &= ~(uint32_t)PF_TK_CARE;
            P[i].death = m25(2 + (int)hr(i, 305, 3), 3 + (int)hr(i, 306, 20));
            truth_add("AFTER_DEATH", "R14", 0, i, tekun_code(i));
            break;
        case PL_AD_HIGH_PRIOR: /* died in autumn 2024, still paid all 2025 */
            P[i].death = day_of(2024, 9 + (int)hr(i, 307, 3), 1 + (int)hr(i, 308, 28));
            truth_add("AFTER_DEATH", "R14", 0, i, "ELDER_AGE");
            break;
        case PL_AD_HIGH_RANGE: /* died in February, nursing paid to June */
            P[i].death = m25(2, 5 + (int)hr(i, 309, 20));
            truth_add("AFTER_DEATH", "R14", 0, i, "DIS_NURSING");
            break;
        case PL_R15V:
        case PL_R15V_MID:
            truth_add("DISQUALIFIED", "R15V", 0, i, dibao_code(hh));
            break;
        case PL_R15B:
            truth_add("DISQUALIFIED", "R15B", 0, i, dibao_code(hh));
            break;
        case PL_R15P:
            truth_add("DISQUALIFIED", "R15P", 0, i, dibao_code(hh));
            break;
        case PL_R16B: {
            /* Also registered in a second dibao household. */
            walk wk;
            walk_init(&wk, g_nh_nat, salt + 11);
            uint32_t h2, found = UINT32_MAX;
            while (walk_next(&wk, &h2))
                if (h2 != hh && dibao_full(h2)) {
                    found = h2;
                    break;
                }
            uint32_t m;
            if (found == UINT32_MAX && promote_dibao(a_any, salt + 13, &m) && P[m].hh != hh)
                found = P[m].hh;
            if (found == UINT32_MAX) {
                ok = 0;
                break;
            }
            P[i].flags |= PF_MULTI;
            H[hh].flags |= HF_MULTI;
            H[found].flags |= HF_MULTI;
            kv_put(&g_paux, i, found);
            truth_add("HOUSEHOLD_DUPLICATE", "R16", 0, i,
                      items2(dibao_code(hh), dibao_code(found), items, sizeof items));
            break;
        }
        case NM_MOVER: {
            /* Splits off into a household of their own; its dibao starts
             * the day after the old membership ends. */
            grow_households();
            const uint32_t h2 = g_nh++;
            memset(&H[h2], 0, sizeof H[h2]);
            H[h2].first = i;
            H[h2].size = 0;
            H[h2].town = H[hh].town;
            H[h2].flags = (uint8_t)(HF_SPLIT | HF_DIBAO | HF_MULTI | (H[hh].flags & HF_RURAL));
            H[h2].dibao_from = (uint8_t)(4 + hr(i, 310, 7));
            H[hh].flags |= HF_MULTI;
            P[i].flags |= PF_MULTI;
            kv_put(&g_paux, i, h2);
            kv_put(&g_haux, h2, i);
            break;
        }
        case NM_TK_SWITCH:
            P[i].flags &= ~(uint32_t)PF_TK_CARE;
            break;
        case NM_DIS_MID31: /* certificate issued 2025-03-01, nursing paid from 04-01 */
            P[i].dis = 2;
            break;
        case NM_DIS_MID20: /* certificate issued 2025-05-12, nursing paid from 06-01 */
            P[i].dis = 1;
            break;
        case NM_DEATH_HALF:
            P[i].death = m25(6, 30);
            break;
        case NM_DEATH_MONTH:
            P[i].death = mend(3 + (int)hr(i, 311, 8));
            break;
        default:
            break;
        }
        if (!ok)
            continue;
        set_plant(i, code);
        got++;
    }
    short_of(PLANT_NAMES[code], got, want);
}

static void plant_all(void)
{
    plant_households();
    static const struct {
        int code;
        unsigned per_million, min;
    } V[] = {
        {NM_MOVER, 50, 2},          {PL_R16B, 100, 3},         {PL_R02, 100, 3},
        {PL_R01, 100, 3},           {PL_R03, 100, 3},          {PL_R13, 100, 3},
        {PL_R05_NONE, 60, 2},       {PL_R05_HALF, 40, 1},      {PL_R05_TK, 40, 1},
        {PL_R06_NONE, 70, 2},       {PL_R06_SPRING, 30, 1},    {PL_R06H, 100, 3},
        {PL_R07_NONE, 70, 2},       {PL_R07_Q1, 30, 1},        {PL_R08_NONE, 70, 2},
        {PL_R08_LATE, 30, 1},       {PL_R11, 100, 3},          {PL_R12_NONE, 70, 2},
        {PL_R12_LATE, 30, 1},       {PL_DUP_ELDER_MONTH, 40, 1}, {PL_DUP_MEDPREM, 30, 1},
        {PL_DUP_VET, 20, 1},        {PL_DUP_NURSING_DPF, 30, 1}, {PL_DUP_FESTIVAL, 20, 1},
        {PL_DUP_DEVICE, 20, 1},     {PL_AD_LOW_MONTH, 40, 1},  {PL_AD_LOW_RANGE, 30, 1},
        {PL_AD_LOW_ONEOFF, 30, 1},  {PL_AD_HIGH_MONTH, 30, 1}, {PL_AD_HIGH_PRIOR, 40, 1},
        {PL_AD_HIGH_RANGE, 30, 1},  {PL_R15V, 70, 2},          {PL_R15V_MID, 30, 1},
        {PL_R15B, 100, 3},          {PL_R15P, 100, 3},         {NM_TK_SWITCH, 50, 2},
        {NM_NURSING_TOUCH, 50, 2},  {NM_DIS_MID31, 30, 1},     {NM_DIS_MID20, 30, 1},
        {NM_DEATH_HALF, 30, 1},     {NM_DEATH_MONTH, 30, 1},   {NM_VEHICLE_ENDED, 50, 2},
        {NM_FESTIVAL_300, 50, 2},
    };
    for (size_t v = 0; v < sizeof V / sizeof V[0]; v++)
        plant_people(V[v].code, want_count(V[v].per_million, V[v].min));
    kv_sort(&g_paux);
    kv_sort(&g_haux);
}

/* Assets that disqualify dibao go only to people outside dibao and 特困,
 * so that natural data never trips R15. */
static void gen_assets(void)
{
    for (uint32_t i = 0; i < g_n; i++) {
        if (lowinc(i) || P[i].death < D0)
            continue;
        const int age = age25(i);
        if (age >= 18 && age <= 75 && hr(i, 401, 10000) < 3000)
            P[i].flags |= PF_VEHICLE;
        if (age >= 22 && age <= 70 && hr(i, 402, 10000) < 600)
            P[i].flags |= PF_BUSINESS;
        if (age >= 30 && hr(i, 403, 10000) < 600)
            P[i].flags |= PF_PROPERTY;
    }
}

static int32_t dis_start(uint32_t i)
{
    if (P[i].plant == NM_DIS_MID31)
        return m25(3, 1);
    if (P[i].plant == NM_DIS_MID20)
        return m25(5, 12);
    int32_t lo = P[i].birth + 200;
    const int32_t hi = day_of(2024, 12, 31), floor_ = day_of(2008, 1, 1);
    if (lo < floor_)
        lo = floor_;
    if (lo > hi)
        lo = hi;
    return lo + (int32_t)hr(i, 41, (uint32_t)(hi - lo + 1));
}

/* Natural R17-group events of a household (TEMP_EXPEND, UNION_AID,
 * CHARITY_AID): at most two, 60+ days apart, never two UNION_AID, so
 * that no natural pair falls within R17's 30-day window. */
typedef struct r17ev {
    int item; /* 0 TEMP_EXPEND, 1 UNION_AID, 2 CHARITY_AID */
    uint32_t payee;
    int32_t day;
} r17ev;

static int r17_events(uint32_t h, r17ev ev[2])
{
    if (h >= g_nh_nat || (H[h].flags & (HF_LOCKED | HF_SPLIT | HF_MULTI)))
        return 0;
    const unsigned p = (H[h].flags & HF_DIBAO) ? 2000 : 50;
    if (hr(h, 501, 10000) >= p)
        return 0;
    const int n = 1 + (hr(h, 502, 100) < 20);
    int count = 0;
    int32_t day = m25(1, 5) + (int32_t)hr(h, 503, 170);
    for (int k = 0; k < n; k++) {
        if (k)
            day += 60 + (int32_t)hr(h, 504, 100);
        if (day > m25(12, 20))
            break;
        const unsigned x = hr(h, 505 + (uint64_t)k, 100);
        int item = x < 45 ? 0 : x < 70 ? 1 : 2;
        if (item == 1 && count && ev[0].item == 1)
            item = 0;
        uint32_t payee = H[h].first;
        if (item == 2)
            payee = H[h].first + hr(h, 507 + (uint64_t)k, H[h].size);
        if (!alive_on(payee, day))
            continue;
        ev[count].item = item;
        ev[count].payee = payee;
        ev[count].day = day;
        count++;
    }
    return count;
}

/* ------------------------------------------------------------------ */
/* Centre file, periods, amounts, rejectable rows                      */
/* ------------------------------------------------------------------ */

static char *g_ini;
static size_t g_ini_len, g_ini_cap;

static void ini(const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        const int n = vsnprintf(g_ini + g_ini_len, g_ini_cap - g_ini_len, fmt, ap);
        va_end(ap);
        if (n < 0)
            die("internal: ini format");
        if (g_ini_len + (size_t)n < g_ini_cap) {
            g_ini_len += (size_t)n;
            return;
        }
        g_ini_cap = g_ini_cap * 2 + (size_t)n + 4096;
        g_ini = xrealloc(g_ini, g_ini_cap);
    }
}

typedef struct feed_info {
    char name[40];
    char agency[12];
    char kind[12];
    char notes[160];
    uint64_t rows, bad;
} feed_info;

static feed_info g_feeds[48];
static int g_nfeeds;
static int g_bad_rows;
static int g_plain_registry; /* --plain-registry: the hukou register as plain CRLF text */

static void feed_begin(writer *w, const char *name, const char *file, int flags, char delim,
                       const char *agency, const char *kind, const char *notes)
{
    w_open(w, file, flags, delim);
    feed_info *f = &g_feeds[g_nfeeds++];
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->agency, sizeof f->agency, "%s", agency);
    snprintf(f->kind, sizeof f->kind, "%s", kind);
    snprintf(f->notes, sizeof f->notes, "%s", notes);
    ini("\n[feed %s]\nfile = %s\nagency = %s\nkind = %s\n", name, file, agency, kind);
    /* Past 50M persons a feed may pass the default 100M rows, as a
     * province's would. */
    if (g_n > 50000000)
        ini("max_rows = 4000000000\n");
}

static void feed_end(writer *w)
{
    w_close(w);
    g_feeds[g_nfeeds - 1].rows = w->rows;
    g_feeds[g_nfeeds - 1].bad = w->bad;
}

enum { SP_YEAR, SP_HALF, SP_QUARTER };

/* Cuts [s,e] at half-year or quarter boundaries, as agencies pay. */
static int split_period(int32_t s, int32_t e, int how, int32_t out[4][2])
{
    int32_t b[5];
    int nb;
    if (how == SP_YEAR) {
        b[0] = D0;
        b[1] = D1 + 1;
        nb = 2;
    } else if (how == SP_HALF) {
        b[0] = D0;
        b[1] = m25(7, 1);
        b[2] = D1 + 1;
        nb = 3;
    } else {
        b[0] = D0;
        b[1] = m25(4, 1);
        b[2] = m25(7, 1);
        b[3] = m25(10, 1);
        b[4] = D1 + 1;
        nb = 5;
    }
    int n = 0;
    for (int k = 0; k + 1 < nb; k++) {
        const int32_t lo = s > b[k] ? s : b[k];
        const int32_t hi = e < b[k + 1] - 1 ? e : b[k + 1] - 1;
        if (lo <= hi) {
            out[n][0] = lo;
            out[n][1] = hi;
            n++;
        }
    }
    return n;
}

/* The amount for [s,e] at a monthly rate: whole months exactly, else
 * pro rata by day. */
static int64_t amount_range(int64_t monthly, int32_t s, int32_t e)
{
    if (s > e)
        return 0;
    if (is_month_start(s) && is_month_end(e)) {
        int ys, ms, ds, ye, me, de;
        ymd_of(s, &ys, &ms, &ds);
        ymd_of(e, &ye, &me, &de);
        return monthly * ((ye * 12 + me) - (ys * 12 + ms) + 1);
    }
    return (monthly * 12 * (int64_t)(e - s + 1) + 182) / 365;
}

static int32_t day_in_2025(uint32_t entity, uint64_t purpose)
{
    return D0 + (int32_t)hr(entity, purpose, 365);
}

/* Rejectable rows for --bad-rows.  Each carries one defect the engine
 * must reject on ingest; none may reach truth. */
static void bad_id_excel(writer *w) { w_s(w, "3.20281E+17"); }

static void bad_id_check(writer *w, uint32_t i)
{
    char id[18];
    id18(i, id);
    const char *cc = "10X98765432";
    const char *at = strchr(cc, id[17]);
    id[17] = cc[((at ? at - cc : 0) + 3) % 11];
    w_n(w, id, 18);
}

/* An ID that lost its last digits in a numeric cell: 15 significant digits
 * then 000, whose check character fails. */
static void bad_id_000(writer *w, uint32_t i)
{
    for (uint32_t j = i; j < g_n; j++) {
        char id[18];
        id18(j, id);
        id[15] = '0';
        id[16] = '0';
        if (check_char(id) != '0') {
            id[17] = '0';
            w_n(w, id, 18);
            return;
        }
    }
    w_s(w, "320281199001010000");
}

static uint32_t bad_host(uint64_t k) { return (uint32_t)(hv(k, 601) % g_n); }

/* ------------------------------------------------------------------ */
/* MCA                                                                 */
/* ------------------------------------------------------------------ */

static int64_t dibao_monthly(uint32_t h)
{
    const unsigned size = H[h].size ? H[h].size : 1;
    return 60000 + 25000 * (int64_t)size + 1000 * (int64_t)hr(h, 701, 20);
}

static void mca_row(writer *w, uint64_t *no, uint32_t h, uint32_t payee, const char *type,
                    unsigned persons, int month, int64_t fen, const char *remark, const id_style *st)
{
    w_u(w, ++*no);
    w_sep(w);
    w_s(w, TOWNS[H[h].town]);
    w_sep(w);
    w_hh(w, h);
    w_sep(w);
    w_name(w, payee);
    w_sep(w);
    w_id(w, payee, st);
    w_sep(w);
    w_s(w, type);
    w_sep(w);
    w_u(w, persons);
    w_sep(w);
    w_month(w, month);
    w_sep(w);
    w_amt(w, fen);
    w_sep(w);
    w_s(w, remark);
    w_end(w);
}

static void tekun_rows(writer *w, uint64_t *no, uint32_t i, const char *type, int m0, int m1,
                       int64_t fen, const id_style *st)
{
    for (int m = m0; m <= m1; m++)
        mca_row(w, no, P[i].hh, i, type, 1, m, fen, "", st);
}

static void feed_mca_dibao(void)
{
    writer w;
    feed_begin(&w, "mca_dibao_tekun", "mca_dibao_tekun.csv", W_BOM | W_CRLF, ',', "MCA", "payments",
               "UTF-8 BOM, CRLF, monthly YYYYMM rows, 救助类型 mapped, lowercase x");
    ini("person_id = 身份证号码\nname = 姓名\nhousehold_id = 户编号\nitem_column = 救助类型\n"
        "item_map = 城市低保:DIBAO_URBAN | 农村低保:DIBAO_RURAL | 分散特困:TEKUN_HOME\n"
        "  集中特困:TEKUN_INST | 特困照料护理:TEKUN_CARE\n"
        "month = 发放月份\namount = 发放金额\n");
    w_header(&w, "序号,乡镇（街道）,户编号,姓名,身份证号码,救助类型,保障人数,发放月份,发放金额,备注");
    const id_style st = {1, 30, 0, 0, 101};
    uint64_t no = 0;
    for (uint32_t h = 0; h < g_nh; h++) {
        if (H[h].flags & HF_DIBAO) {
            const int split = (H[h].flags & HF_SPLIT) != 0;
            const uint32_t payee = split ? kv_get(&g_haux, h) : H[h].first;
            const char *type = (H[h].flags & HF_RURAL) ? "农村低保" : "城市低保";
            const int64_t fen = dibao_monthly(h);
            const unsigned persons = split ? 1 : H[h].size;
            const int last = last_full_month(pend(payee));
            for (int m = H[h].dibao_from; m <= last; m++)
                mca_row(&w, &no, h, payee, type, persons, m, fen, "", &st);
            if (H[h].plant == HP_R16A) {
                const uint32_t second = kv_get(&g_haux, h);
                for (int m = 3; m <= 8; m++)
                    mca_row(&w, &no, h, second, type, persons, m, fen, "", &st);
            }
        }
        if (H[h].flags & HF_SPLIT)
            continue;
        FOR_MEMBERS(i, h)
        {
            const int code = P[i].plant;
            const int last = last_full_month(pend(i));
            const char *type = (P[i].flags & PF_TK_INST) ? "集中特困" : "分散特困";
            const int64_t fen = (P[i].flags & PF_TK_INST) ? 210000 : 160000;
            if (code == NM_TK_SWITCH) { /* home care to June, institution from July */
                tekun_rows(&w, &no, i, "分散特困", 1, 6, 160000, &st);
                tekun_rows(&w, &no, i, "集中特困", 7, last, 210000, &st);
            } else if (code == PL_AD_HIGH_MONTH) {
                tekun_rows(&w, &no, i, type, 1, 12, fen, &st);
            } else if (tekun_nat(i)) {
                tekun_rows(&w, &no, i, type, 1, last, fen, &st);
                if (code == PL_R03)
                    tekun_rows(&w, &no, i, "集中特困", 4, 9, 210000, &st);
            } else if (P[i].flags & PF_TK_PLANTED) {
                tekun_rows(&w, &no, i, "分散特困", 1, last, 160000, &st);
            }
            if ((P[i].flags & PF_TK_CARE) && tekun_nat(i))
                tekun_rows(&w, &no, i, "特困照料护理", 1, last, 40000 + 20000 * (int64_t)hr(i, 702, 4),
                           &st);
        }
    }
    if (g_bad_rows) {
        const uint32_t a = bad_host(1), b = bad_host(2), c = bad_host(3);
        mca_row(&w, &no, P[a].hh, a, "城镇低保", 2, 5, 110000, "", &st); /* unmapped value */
        w.bad++;
        w_u(&w, ++no); /* bad check character */
        w_s(&w, ",");
        w_s(&w, TOWNS[H[P[b].hh].town]);
        w_c(&w, ',');
        w_hh(&w, P[b].hh);
        w_c(&w, ',');
        w_name(&w, b);
        w_c(&w, ',');
        bad_id_check(&w, b);
        w_s(&w, ",城市低保,1,202506,980.00,");
        w_end(&w);
        w.bad++;
        w_u(&w, ++no); /* ragged: the export lost its last columns */
        w_c(&w, ',');
        w_s(&w, TOWNS[H[P[c].hh].town]);
        w_c(&w, ',');
        w_hh(&w, P[c].hh);
        w_c(&w, ',');
        w_name(&w, c);
        w_c(&w, ',');
        w_id(&w, c, &ID_PLAIN);
        w_s(&w, ",农村低保");
        w_end(&w);
        w.bad++;
    }
    feed_end(&w);
}

static void allowance_rows(writer *w, uint64_t *no, uint32_t i, const char *label, int32_t s,
                           int32_t e, int how, int64_t monthly, const id_style *st)
{
    int32_t seg[4][2];
    const int n = split_period(s, e, how, seg);
    for (int k = 0; k < n; k++) {
        w_u(w, ++*no);
        w_sep(w);
        w_id(w, i, st);
        w_sep(w);
        w_name(w, i);
        w_sep(w);
        w_s(w, label);
        w_sep(w);
        w_day(w, seg[k][0], DF_COMPACT);
        w_sep(w);
        w_day(w, seg[k][1], DF_COMPACT);
        w_sep(w);
        w_amt(w, amount_range(monthly, seg[k][0], seg[k][1]));
        w_sep(w);
        w_s(w, TOWNS[H[P[i].hh].town]);
        w_end(w);
    }
}

static void feed_mca_allowances(void)
{
    writer w;
    feed_begin(&w, "mca_allowances", "mca_allowances.csv", 0, ',', "MCA", "payments",
               "English headers, half-year ranges YYYYMMDD, item map, legacy 15-digit IDs");
    ini("person_id = IDNumber\nname = Name\nitem_column = Allowance\n"
        "item_map = Disabled living:DIS_LIVING | Disabled nursing:DIS_NURSING\n"
        "  Elderly service:ELDER_SVC | Orphan:ORPHAN | Unsupported child:FUC_CHILD\n"
        "  Price subsidy:PRICE_SUB\n"
        "start = PeriodFrom\nend = PeriodTo\namount = Amount\n");
    w_header(&w, "No,IDNumber,Name,Allowance,PeriodFrom,PeriodTo,Amount,Town");
    const id_style st = {0, 0, 40, 0, 102};
    uint64_t no = 0;
    for (uint32_t i = 0; i < g_n; i++) {
        const int code = P[i].plant;
        const int32_t e = pend(i);
        if (e < D0)
            continue;
        if ((dibao_member(i) && P[i].dis > 0 && code != PL_R11) || code == PL_R13)
            allowance_rows(&w, &no, i, "Disabled living", D0, e, SP_HALF, 15000, &st);
        if (P[i].dis >= 1 && P[i].dis <= 2) {
            const int64_t rate = P[i].dis == 1 ? 26000 : 20000;
            int32_t s = D0, stop = e;
            switch (code) {
            case PL_R12_NONE:
                s = D1 + 1;
                break;
            case PL_R12_LATE:
                s = m25(7, 1);
                break;
            case NM_NURSING_TOUCH:
                stop = m25(6, 30);
                break;
            case NM_DIS_MID31:
                s = m25(4, 1);
                break;
            case NM_DIS_MID20:
                s = m25(6, 1);
                break;
            case PL_AD_HIGH_RANGE:
                stop = m25(6, 30);
                break;
            default:
                break;
            }
            allowance_rows(&w, &no, i, "Disabled nursing", s, stop, SP_HALF, rate, &st);
        }
        if (dibao_member(i) && age25(i) >= 60)
            allowance_rows(&w, &no, i, "Elderly service", D0, e, SP_HALF, 20000, &st);
        if (P[i].flags & PF_ORPHAN)
            allowance_rows(&w, &no, i, "Orphan", D0, e, SP_YEAR, 220000, &st);
        if (P[i].flags & PF_FUC)
            allowance_rows(&w, &no, i, "Unsupported child", D0, e, SP_YEAR, 220000, &st);
        if ((is_head(i) && dibao_member(i)) || tekun_nat(i))
            allowance_rows(&w, &no, i, "Price subsidy", m25(3, 1), e < m25(5, 31) ? e : m25(5, 31),
                           SP_YEAR, 5000, &st);
    }
    feed_end(&w);
}

static void elder_row(writer *w, uint32_t i, int m, int64_t fen, const char *band, const id_style *st)
{
    w_name(w, i);
    w_sep(w);
    w_id(w, i, st);
    w_sep(w);
    w_s(w, band);
    w_sep(w);
    w_month(w, m);
    w_sep(w);
    w_amt(w, fen);
    w_end(w);
}

static void feed_mca_elder(void)
{
    writer w;
    feed_begin(&w, "mca_elder_age", "mca_elder_age.csv.gz", W_GZ, ',', "MCA", "payments",
               "gzip, monthly YYYYMM rows, constant item");
    ini("person_id = 公民身份号码\nname = 姓名\nitem = ELDER_AGE\nmonth = 发放年月\namount = 金额（元）\n");
    w_header(&w, "姓名,公民身份号码,年龄段,发放年月,金额（元）");
    const id_style st = {0, 5, 0, 0, 103};
    for (uint32_t i = 0; i < g_n; i++) {
        int by, bm, bd;
        ymd_of(P[i].birth, &by, &bm, &bd);
        if (by > 1945)
            continue;
        const int32_t b80 = day_of(by + 80, bm, bm == 2 && bd == 29 ? 28 : bd);
        if (b80 > D1)
            continue;
        const int first = b80 <= D0 ? 1 : month_of(b80) + 1;
        const int code = P[i].plant;
        int last = last_full_month(pend(i));
        if (code == PL_AD_HIGH_PRIOR)
            last = 12;
        else if (code == PL_AD_LOW_MONTH)
            last = month_of(P[i].death);
        const int age = age25(i);
        const int64_t fen = age >= 100 ? 30000 : age >= 90 ? 10000 : 5000;
        const char *band = age >= 100 ? "100周岁以上" : age >= 90 ? "90-99周岁" : "80-89周岁";
        for (int m = first; m <= last; m++) {
            elder_row(&w, i, m, fen, band, &st);
            if (code == PL_DUP_ELDER_MONTH && m == 7)
                elder_row(&w, i, m, fen, band, &st);
        }
    }
    feed_end(&w);
}

static void oneoff_row(writer *w, int32_t day, uint32_t i, int64_t h, const char *item, int64_t fen,
                       const id_style *st)
{
    w_day(w, day, DF_SLASH);
    w_sep(w);
    w_name(w, i);
    w_sep(w);
    w_id(w, i, st);
    w_sep(w);
    if (h >= 0)
        w_hh(w, (uint32_t)h);
    w_sep(w);
    w_s(w, item);
    w_sep(w);
    w_amt(w, fen);
    w_sep(w);
    w_s(w, hr(i, 801, 2) ? "张红" : "李建平");
    w_end(w);
}

static void feed_mca_oneoff(void)
{
    writer w;
    feed_begin(&w, "mca_oneoff", "mca_oneoff.csv", 0, ',', "MCA", "payments",
               "one-off, YYYY/M/D dates, 救助事项 mapped, household column for household items, "
               "full-width and spaced IDs");
    ini("person_id = 证件号码\nname = 救助对象姓名\nhousehold_id = 户号\nitem_column = 救助事项\n"
        "item_map = 急难型临时救助:TEMP_EMERG | 支出型临时救助:TEMP_EXPEND\n"
        "  节日慰问金:FESTIVAL | 基本殡葬服务费减免:FUNERAL | 流浪乞讨人员救助:VAGRANT\n"
        "date = 发放日期\namount = 救助金额\n");
    w_header(&w, "发放日期,救助对象姓名,证件号码,户号,救助事项,救助金额,经办人");
    const id_style st = {0, 50, 0, 30, 104};
    for (uint32_t h = 0; h < g_nh_nat; h++) {
        const uint32_t head = H[h].first;
        const int64_t hfen = 50000 + 10000 * (int64_t)hr(h, 802, 6);
        if (festival_hh(h) || (H[h].plant == HP_R16A)) {
            int32_t days[2] = {m25(1, 20), 0};
            int nd = 1;
            if (P[head].plant == PL_DUP_FESTIVAL) {
                days[1] = m25(9, 28);
                nd = 2;
            } else if (P[head].plant == NM_FESTIVAL_300) {
                days[0] = m25(1, 10);
                days[1] = m25(11, 6); /* 300 days later: just outside the window */
                nd = 2;
            }
            for (int k = 0; k < nd; k++)
                if (alive_on(head, days[k]))
                    oneoff_row(&w, days[k], head, h, "节日慰问金", hfen, &st);
        }
        if (hr(h, 803, 10000) < 30) {
            const int32_t d = day_in_2025(h, 804);
            if (alive_on(head, d))
                oneoff_row(&w, d, head, h, "急难型临时救助", 100000 + 50000 * (int64_t)hr(h, 805, 8), &st);
        }
        r17ev ev[2];
        const int nev = r17_events(h, ev);
        for (int k = 0; k < nev; k++)
            if (ev[k].item == 0)
                oneoff_row(&w, ev[k].day, ev[k].payee, h, "支出型临时救助",
                           200000 + 100000 * (int64_t)hr(h, 806 + (uint64_t)k, 9), &st);
        if (H[h].plant == HP_R17 || H[h].plant == HN_R17_30)
            oneoff_row(&w, r17_plant_day(h), head, h, "支出型临时救助", 300000, &st);
        FOR_MEMBERS(m, h)
        {
            if (lowinc(m) && P[m].death >= D0 && P[m].death <= D1) {
                int32_t d = P[m].death + 3 + (int32_t)hr(m, 807, 15);
                if (d > D1)
                    d = D1;
                oneoff_row(&w, d, m, -1, "基本殡葬服务费减免", 150000 + 10000 * (int64_t)hr(m, 808, 13), &st);
            }
            if (hr(m, 809, 100000) < 10) {
                const int32_t d = day_in_2025(m, 810);
                if (alive_on(m, d))
                    oneoff_row(&w, d, m, -1, "流浪乞讨人员救助", 20000, &st);
            }
        }
    }
    if (g_bad_rows) {
        const uint32_t a = bad_host(11);
        oneoff_row(&w, m25(3, 3), a, P[a].hh, "急难型临时救助", -150000, &st); /* negative amount */
        w.bad++;
    }
    feed_end(&w);
}

/* ------------------------------------------------------------------ */
/* HSA, NHC                                                            */
/* ------------------------------------------------------------------ */

static void premium_row(writer *w, uint32_t i, int32_t s, int32_t e, const id_style *st)
{
    w_id(w, i, st);
    w_sep(w);
    w_name(w, i);
    w_sep(w);
    w_s(w, "城乡居民基本医疗保险");
    w_sep(w);
    w_day(w, s, DF_ISO);
    w_sep(w);
    w_day(w, e, DF_ISO);
    w_sep(w);
    w_amt(w, (38000 * (int64_t)(e - s + 1) + 182) / 365);
    w_end(w);
}

static void feed_hsa_premium(void)
{
    writer w;
    feed_begin(&w, "hsa_premium", "hsa_premium.csv.gz", W_GZ | W_BOM, ',', "HSA", "payments",
               "gzip + UTF-8 BOM, English headers, annual ranges YYYY-MM-DD, legacy IDs");
    ini("person_id = person_id\nname = name\nitem = MED_PREM\nstart = start_date\nend = end_date\n"
        "amount = subsidy_amount\n");
    w_header(&w, "person_id,name,insured_type,start_date,end_date,subsidy_amount");
    const id_style st = {0, 0, 20, 0, 105};
    for (uint32_t i = 0; i < g_n; i++) {
        if (!lowinc(i) || P[i].death < D0)
            continue;
        const int code = P[i].plant;
        int32_t s = D0, e = pend(i);
        if (H[P[i].hh].plant == HN_MIDYEAR)
            s = m25(4, 20); /* dibao from April 1: 19 days inside the grace */
        if (code == PL_R05_NONE || code == PL_R05_TK)
            continue;
        if (code == PL_R05_HALF)
            e = m25(6, 30);
        if (code == PL_AD_LOW_RANGE)
            e = D1;
        premium_row(&w, i, s, e, &st);
        if (code == PL_DUP_MEDPREM)
            premium_row(&w, i, m25(7, 1), D1, &st);
    }
    if (g_bad_rows) {
        const uint32_t a = bad_host(21);
        bad_id_excel(&w); /* the ID went through a numeric cell */
        w_c(&w, ',');
        w_name(&w, a);
        w_s(&w, ",城乡居民基本医疗保险,2025-01-01,2025-12-31,380.00");
        w_end(&w);
        w.bad++;
    }
    feed_end(&w);
}

static const char *const HOSPITALS[] = {"江阴市人民医院", "江阴市中医院", "江阴市第三人民医院",
                                        "江阴市青阳医院", "江阴市华士医院"};

static void medaid_row(writer *w, int32_t d, uint32_t i, const char *kind, int64_t fen,
                       const id_style *st)
{
    w_day(w, d, DF_COMPACT);
    w_sep(w);
    w_id(w, i, st);
    w_sep(w);
    w_name(w, i);
    w_sep(w);
    w_s(w, kind);
    w_sep(w);
    w_amt(w, fen);
    w_sep(w);
    w_s(w, HOSPITALS[hr(i, 901, 5)]);
    w_end(w);
}

static void feed_hsa_medaid(void)
{
    writer w;
    feed_begin(&w, "hsa_medical_aid", "hsa_medical_aid.csv", 0, ',', "HSA", "payments",
               "one-off YYYYMMDD settlement dates, 救助类别 mapped");
    ini("person_id = 身份证号\nname = 姓名\nitem_column = 救助类别\n"
        "item_map = 医疗救助:MED_AID | 重病倾斜救助:MED_HEAVY\ndate = 结算日期\namount = 医疗救助金额\n");
    w_header(&w, "结算日期,身份证号,姓名,救助类别,医疗救助金额,医疗机构");
    const id_style st = {0, 0, 0, 0, 106};
    for (uint32_t i = 0; i < g_n; i++) {
        const int32_t e = pend(i);
        if (e < D0)
            continue;
        const unsigned n = lowinc(i) ? (hr(i, 902, 100) < 30 ? 1 + hr(i, 903, 2) : 0)
                                     : (hr(i, 902, 10000) < 20 ? 1 : 0);
        for (unsigned k = 0; k < n; k++) {
            const int32_t d = day_in_2025(i, 904 + k);
            if (d <= e)
                medaid_row(&w, d, i, "医疗救助", 20000 + 10000 * (int64_t)hr(i, 906 + k, 200), &st);
        }
        if (P[i].plant == PL_AD_LOW_ONEOFF)
            medaid_row(&w, P[i].death + 10, i, "医疗救助", 356000, &st);
        if (hr(i, 908, 100000) < 30) {
            const int32_t d = day_in_2025(i, 909);
            if (d <= e)
                medaid_row(&w, d, i, "重病倾斜救助", 500000 + 100000 * (int64_t)hr(i, 910, 40), &st);
        }
    }
    feed_end(&w);
}

static void feed_nhc(void)
{
    writer w;
    feed_begin(&w, "nhc_payments", "nhc_payments.csv", 0, ',', "NHC", "payments",
               "quarterly ranges YYYY-MM-DD, one-offs as start=end, item map");
    ini("person_id = 身份证号码\nname = 姓名\nitem_column = 项目\n"
        "item_map = 计生特别扶助金:FP_SPECIAL | 疾病应急救助:DISEASE_EMERG\n"
        "start = 开始日期\nend = 结束日期\namount = 金额\n");
    w_header(&w, "项目,姓名,身份证号码,开始日期,结束日期,金额,备注");
    for (uint32_t i = 0; i < g_n; i++) {
        const int32_t e = pend(i);
        if (e < D0)
            continue;
        if (P[i].flags & PF_FP) {
            int32_t seg[4][2];
            const int n = split_period(D0, e, SP_QUARTER, seg);
            for (int k = 0; k < n; k++) {
                w_s(&w, "计生特别扶助金,");
                w_name(&w, i);
                w_c(&w, ',');
                w_id(&w, i, &ID_PLAIN);
                w_c(&w, ',');
                w_day(&w, seg[k][0], DF_ISO);
                w_c(&w, ',');
                w_day(&w, seg[k][1], DF_ISO);
                w_c(&w, ',');
                w_amt(&w, amount_range(72000, seg[k][0], seg[k][1]));
                w_s(&w, ",\"独生子女死亡,按季发放\"");
                w_end(&w);
            }
        }
        if (hr(i, 911, 100000) < 20) {
            const int32_t d = day_in_2025(i, 912);
            if (d <= e) {
                w_s(&w, "疾病应急救助,");
                w_name(&w, i);
                w_c(&w, ',');
                w_id(&w, i, &ID_PLAIN);
                w_c(&w, ',');
                w_day(&w, d, DF_ISO);
                w_c(&w, ',');
                w_day(&w, d, DF_ISO);
                w_c(&w, ',');
                w_amt(&w, 200000 + 100000 * (int64_t)hr(i, 913, 28));
                w_c(&w, ',');
                w_end(&w);
            }
        }
    }
    feed_end(&w);
}

/* ------------------------------------------------------------------ */
/* EDU                                                                 */
/* ------------------------------------------------------------------ */

static const char *const SCHOOLS[6][3] = {
    {"", "", ""},
    {"江阴市实验幼儿园", "江阴市华士中心幼儿园", "江阴市青阳中心幼儿园"},
    {"江阴市实验小学", "江阴市南菁实验学校", "江阴市华士实验学校"},
    {"江苏省南菁高级中学", "江苏省江阴高级中学", "江阴市第一中学"},
    {"江阴中等专业学校", "江阴市华姿中等专业学校", "江苏省江阴中等专业学校"},
    {"江南大学", "南京大学", "苏州大学"},
};

static void feed_edu_aid(void)
{
    writer w;
    feed_begin(&w, "edu_aid", "edu_aid.csv", W_GBK | W_CRLF, ',', "EDU", "payments",
               "GB18030 (GBK) without BOM, CRLF, semester ranges YYYY/M/D, 资助项目 mapped");
    ini("person_id = 身份证件号\nname = 学生姓名\nitem_column = 资助项目\n"
        "item_map = 学前教育幼儿资助:EDU_PRE | 义务教育生活补助:EDU_COMP\n"
        "  普通高中国家助学金:EDU_HIGH | 中职国家助学金:EDU_VOC | 高校国家助学金:EDU_UNIV\n"
        "  生源地信用助学贷款:EDU_LOAN\n"
        "start = 起始日期\nend = 截止日期\namount = 资助金额\n");
    w_header(&w, "学年学期,学校名称,学生姓名,身份证件号,资助项目,资助金额,起始日期,截止日期");
    static const char *const ITEM[6] = {"", "学前教育幼儿资助", "义务教育生活补助", "普通高中国家助学金",
                                        "中职国家助学金", "高校国家助学金"};
    static const int64_t SEM[6] = {0, 50000, 62500, 125000, 100000, 165000};
    const id_style st = {0, 40, 0, 0, 108};
    for (uint32_t i = 0; i < g_n; i++) {
        const int stage = P[i].school;
        const int32_t e = pend(i);
        if (!stage || e < D0)
            continue;
        const int code = P[i].plant;
        const int eligible = lowinc(i) || hr(i, 1001, 100) < (stage == 5 ? 8u : 3u);
        if (eligible && code != PL_R06_NONE && code != PL_R06H) {
            const int32_t sem[2][2] = {{D0, m25(6, 30)}, {m25(7, 1), D1}};
            const int nsem = code == PL_R06_SPRING ? 1 : 2;
            for (int k = 0; k < nsem; k++) {
                const int32_t s = sem[k][0], stop = e < sem[k][1] ? e : sem[k][1];
                if (s > stop)
                    break;
                w_s(&w, k == 0 ? "2024-2025学年第二学期," : "2025-2026学年第一学期,");
                w_s(&w, SCHOOLS[stage][hr(i, 1002, 3)]);
                w_c(&w, ',');
                w_name(&w, i);
                w_c(&w, ',');
                w_id(&w, i, &st);
                w_c(&w, ',');
                w_s(&w, ITEM[stage]);
                w_c(&w, ',');
                w_amt(&w, SEM[stage] * (stop - s + 1) / (sem[k][1] - sem[k][0] + 1));
                w_c(&w, ',');
                w_day(&w, s, DF_SLASH);
                w_c(&w, ',');
                w_day(&w, stop, DF_SLASH);
                w_end(&w);
            }
        }
        if (stage == 5 && hr(i, 1003, 100) < 10 && e >= m25(9, 1)) {
            w_s(&w, "2025-2026学年第一学期,");
            w_s(&w, SCHOOLS[5][hr(i, 1002, 3)]);
            w_c(&w, ',');
            w_name(&w, i);
            w_c(&w, ',');
            w_id(&w, i, &st);
            w_s(&w, ",生源地信用助学贷款,12000.00,");
            w_day(&w, m25(9, 1), DF_SLASH);
            w_c(&w, ',');
            w_day(&w, e, DF_SLASH);
            w_end(&w);
        }
    }
    if (g_bad_rows) {
        const uint32_t a = bad_host(31);
        w_s(&w, "2024-2025学年第二学期,江阴市实验小学,");
        w_name(&w, a);
        w_c(&w, ',');
        w_id(&w, a, &ID_PLAIN);
        w_s(&w, ",义务教育生活补助,625.00,2025/2/30,2025/6/30"); /* no 30 February */
        w_end(&w);
        w.bad++;
    }
    feed_end(&w);
}

static void feed_edu_enrolment(void)
{
    writer w;
    feed_begin(&w, "edu_enrolment", "edu_enrolment.csv", 0, ',', "EDU", "registry",
               "SCHOOL_ENROLMENT with stage value 1-5, YYYYMMDD, open end");
    ini("person_id = 身份证件号\nname = 姓名\nfact = SCHOOL_ENROLMENT\nvalue = 学段\n"
        "start = 入学日期\nend = 离校日期\n");
    w_header(&w, "学籍号,姓名,身份证件号,学段,入学日期,离校日期");
    static const int ENTRY_AGE[6] = {0, 3, 6, 15, 15, 18};
    for (uint32_t i = 0; i < g_n; i++) {
        const int stage = P[i].school;
        if (!stage || P[i].death < D0)
            continue;
        int y = year_of(P[i].birth) + ENTRY_AGE[stage];
        if (y > 2024)
            y = 2024;
        int32_t start = day_of(y, 9, 1);
        if (start <= P[i].birth)
            start = P[i].birth + 1;
        w_c(&w, 'L');
        w_u0(&w, 3202810000000ULL + i, 13);
        w_c(&w, ',');
        w_name(&w, i);
        w_c(&w, ',');
        w_id(&w, i, &ID_PLAIN);
        w_c(&w, ',');
        w_u(&w, (uint64_t)stage);
        w_c(&w, ',');
        w_day(&w, start, DF_COMPACT);
        w_c(&w, ',');
        w_end(&w);
    }
    feed_end(&w);
}

/* ------------------------------------------------------------------ */
/* HRSS                                                                */
/* ------------------------------------------------------------------ */

static void hrss_rows(writer *w, uint32_t i, const char *type, int m0, int m1, int64_t fen,
                      const id_style *st)
{
    for (int m = m0; m <= m1; m++) {
        w_name(w, i);
        w_sep(w);
        w_id(w, i, st);
        w_sep(w);
        w_s(w, type);
        w_sep(w);
        w_month(w, m);
        w_sep(w);
        w_amt(w, fen);
        w_end(w);
    }
}

static void feed_hrss(void)
{
    writer w;
    feed_begin(&w, "hrss_payments", "hrss_payments.csv", W_BOM, ',', "HRSS", "payments",
               "UTF-8 BOM, monthly YYYYMM, 补贴类型 mapped, IDs with grouping spaces");
    ini("person_id = 身份证号码\nname = 姓名\nitem_column = 补贴类型\n"
        "item_map = 社会保险补贴:EMP_SOCINS | 公益性岗位补贴:EMP_POST\n"
        "  城乡居民养老保险代缴:PENSION_PAY\nmonth = 所属期\namount = 金额\n");
    w_header(&w, "姓名,身份证号码,补贴类型,所属期,金额");
    const id_style st = {0, 0, 0, 60, 110};
    for (uint32_t i = 0; i < g_n; i++) {
        const int32_t e = pend(i);
        if (e < D0)
            continue;
        const int last = last_full_month(e), code = P[i].plant;
        if (dibao_member(i) && (P[i].flags & PF_UNEMP) && code != PL_R08_NONE)
            hrss_rows(&w, i, "社会保险补贴", code == PL_R08_LATE ? 5 : 1, last, 80000, &st);
        if (!dibao_member(i) && (P[i].flags & PF_UNEMP) && hr(i, 1101, 100) < 5)
            hrss_rows(&w, i, "公益性岗位补贴", 1, last, 200000, &st);
        const int age = age25(i);
        if (lowinc(i) && age >= 16 && age <= 59 && !P[i].school)
            hrss_rows(&w, i, "城乡居民养老保险代缴", 1, last, 2000, &st);
    }
    feed_end(&w);
}

static void feed_hrss_unemployed(void)
{
    writer w;
    feed_begin(&w, "hrss_unemployed", "hrss_unemployed.csv", 0, ',', "HRSS", "registry",
               "UNEMPLOYED, YYYY-MM-DD, open end");
    ini("person_id = 身份证号码\nname = 姓名\nsex = 性别\nfact = UNEMPLOYED\n"
        "start = 失业登记日期\nend = 失业登记注销日期\n");
    w_header(&w, "身份证号码,姓名,性别,失业登记日期,失业登记注销日期,就业困难人员");
    for (uint32_t i = 0; i < g_n; i++) {
        if (!(P[i].flags & PF_UNEMP) || P[i].death < D0)
            continue;
        w_id(&w, i, &ID_PLAIN);
        w_c(&w, ',');
        w_name(&w, i);
        w_s(&w, is_male(i) ? ",男," : ",女,");
        w_day(&w, day_of(2022, 1, 1) + (int32_t)hr(i, 1102, 1000), DF_ISO);
        w_s(&w, dibao_member(i) ? ",,是" : ",,否");
        w_end(&w);
    }
    feed_end(&w);
}

static void feed_hrss_grad(void)
{
    writer w;
    feed_begin(&w, "hrss_grad", "hrss_grad.csv", 0, ',', "HRSS", "payments",
               "one-off EMP_GRAD, YYYY-MM-DD");
    ini("person_id = 身份证号码\nname = 姓名\nitem = EMP_GRAD\ndate = 发放日期\namount = 补贴金额\n");
    w_header(&w, "姓名,身份证号码,发放日期,补贴金额,毕业院校");
    for (uint32_t i = 0; i < g_n; i++) {
        if (P[i].school != 5 || age25(i) != 21 || !lowinc(i) || !alive_on(i, m25(6, 15)))
            continue;
        w_name(&w, i);
        w_c(&w, ',');
        w_id(&w, i, &ID_PLAIN);
        w_c(&w, ',');
        w_day(&w, m25(6, 15), DF_ISO);
        w_s(&w, ",1500.00,");
        w_s(&w, SCHOOLS[5][hr(i, 1002, 3)]);
        w_end(&w);
    }
    feed_end(&w);
}

/* ------------------------------------------------------------------ */
/* HOUSING (one feed tokenised at the agency)                          */
/* ------------------------------------------------------------------ */

static void housing_row(writer *w, uint32_t i, uint32_t h, const char *item, int32_t s, int32_t e,
                        int64_t fen)
{
    char t[33];
    person_token(i, t);
    w_n(w, t, 32);
    w_sep(w);
    household_token(h, t);
    w_n(w, t, 32);
    w_sep(w);
    w_s(w, item);
    w_sep(w);
    w_day(w, s, DF_ISO);
    w_sep(w);
    w_day(w, e, DF_ISO);
    w_sep(w);
    w_amt(w, fen);
    w_end(w);
}

static void feed_housing(void)
{
    writer w;
    feed_begin(&w, "housing_payments", "housing_payments_tokens.csv", 0, ',', "HOUSING", "payments",
               "tokenised at the agency (ids = token): person and household tokens, no names; "
               "quarterly ranges; one-offs as start=end");
    ini("ids = token\nkey_fingerprint = %s\nperson_id = person_token\nhousehold_id = household_token\n"
        "item_column = item\nitem_map = HOUSE_RENT:HOUSE_RENT | HOUSE_PRR:HOUSE_PRR | HOUSE_RURAL:HOUSE_RURAL\n"
        "start = from\nend = to\namount = amount\n",
        g_fingerprint);
    w_header(&w, "person_token,household_token,item,from,to,amount");
    for (uint32_t h = 0; h < g_nh_nat; h++) {
        const uint32_t head = H[h].first;
        const int32_t e = pend(head);
        if (e < D0)
            continue;
        int32_t seg[4][2];
        if ((H[h].flags & HF_DIBAO) && (P[head].flags & PF_HOUSING) && P[head].plant != PL_R07_NONE) {
            const int32_t stop = P[head].plant == PL_R07_Q1 ? m25(3, 31) : e;
            const int n = split_period(D0, stop < e ? stop : e, SP_QUARTER, seg);
            for (int k = 0; k < n; k++)
                housing_row(&w, head, h, "HOUSE_RENT", seg[k][0], seg[k][1],
                            amount_range(60000, seg[k][0], seg[k][1]));
        }
        if (H[h].flags & HF_PRR) {
            const int n = split_period(D0, e, SP_QUARTER, seg);
            for (int k = 0; k < n; k++)
                housing_row(&w, head, h, "HOUSE_PRR", seg[k][0], seg[k][1],
                            amount_range(30000, seg[k][0], seg[k][1]));
        }
        if ((H[h].flags & HF_DIBAO) && (H[h].flags & HF_RURAL) && hr(h, 1201, 100) < 3) {
            const int32_t d = day_in_2025(h, 1202);
            if (d <= e)
                housing_row(&w, head, h, "HOUSE_RURAL", d, d, 2000000 + 100000 * (int64_t)hr(h, 1203, 30));
        }
    }
    feed_end(&w);
}

static void feed_housing_difficulty(void)
{
    writer w;
    feed_begin(&w, "housing_difficulty", "housing_difficulty.csv", 0, ',', "HOUSING", "registry",
               "HOUSING_DIFFICULTY on the household head, YYYY-MM-DD");
    ini("person_id = 证件号码\nname = 申请人\nfact = HOUSING_DIFFICULTY\nstart = 认定日期\nend = 有效期至\n");
    w_header(&w, "证件号码,申请人,认定类型,认定日期,有效期至");
    for (uint32_t i = 0; i < g_n; i++) {
        if (!(P[i].flags & PF_HOUSING) || P[i].death < D0)
            continue;
        w_id(&w, i, &ID_PLAIN);
        w_c(&w, ',');
        w_name(&w, i);
        w_s(&w, hr(i, 1204, 2) ? ",住房困难,"  : ",无房户,");
        w_day(&w, day_of(2021, 1, 1) + (int32_t)hr(i, 1205, 1400), DF_ISO);
        w_c(&w, ',');
        w_end(&w);
    }
    feed_end(&w);
}

/* ------------------------------------------------------------------ */
/* DPF                                                                 */
/* ------------------------------------------------------------------ */

static void feed_dpf_certificates(void)
{
    writer w;
    feed_begin(&w, "dpf_certificates", "dpf_certificates.csv", W_GBK, ',', "DPF", "registry",
               "GB18030 without BOM, DISABILITY grade as 一级/1级/1, YYYY-MM-DD, legacy IDs");
    ini("person_id = 身份证号\nname = 姓名\nfact = DISABILITY\nvalue = 残疾等级\nstart = 发证日期\n"
        "end = 有效期至\n");
    w_header(&w, "残疾人证号,姓名,身份证号,残疾类别,残疾等级,发证日期,有效期至");
    static const char *const KIND[7] = {"视力", "听力", "言语", "肢体", "智力", "精神", "多重"};
    static const char *const GRADE_CN[5] = {"", "一级", "二级", "三级", "四级"};
    const id_style st = {0, 0, 50, 0, 114};
    for (uint32_t i = 0; i < g_n; i++) {
        if (!P[i].dis)
            continue;
        char id[18];
        id18(i, id);
        const unsigned kind = hr(i, 1301, 7);
        w_n(&w, id, 18);
        w_c(&w, (char)('1' + kind));
        w_c(&w, (char)('0' + P[i].dis));
        w_c(&w, ',');
        w_name(&w, i);
        w_c(&w, ',');
        w_id(&w, i, &st);
        w_c(&w, ',');
        w_s(&w, KIND[kind]);
        w_c(&w, ',');
        const unsigned style = hr(i, 1302, 3);
        if (style == 0)
            w_s(&w, GRADE_CN[P[i].dis]);
        else {
            w_c(&w, (char)('0' + P[i].dis));
            if (style == 1)
                w_s(&w, "级");
        }
        w_c(&w, ',');
        w_day(&w, dis_start(i), DF_ISO);
        w_c(&w, ',');
        if (hr(i, 1303, 10) < 3)
            w_day(&w, day_of(2026 + (int)hr(i, 1304, 8), 1 + (int)hr(i, 1305, 12), 15), DF_ISO);
        w_end(&w);
    }
    if (g_bad_rows) {
        const uint32_t a = bad_host(41), b = bad_host(42);
        w_s(&w, "3202810000000000041,");
        w_name(&w, a);
        w_c(&w, ',');
        bad_id_000(&w, a); /* Excel zero-filled the last three digits */
        w_s(&w, ",肢体,二级,2019-05-06,");
        w_end(&w);
        w.bad++;
        w_s(&w, "3202810000000000042,");
        w_name(&w, b);
        w_c(&w, ',');
        w_id(&w, b, &ID_PLAIN);
        w_s(&w, ",视力,五级,2020-03-02,"); /* grade outside 1-4 */
        w_end(&w);
        w.bad++;
    }
    feed_end(&w);
}

static void dpf_row(writer *w, int64_t h, uint32_t i, const char *item, int32_t s, int32_t e,
                    int64_t fen)
{
    if (h >= 0)
        w_hh(w, (uint32_t)h);
    w_sep(w);
    w_id(w, i, &ID_PLAIN);
    w_sep(w);
    w_name(w, i);
    w_sep(w);
    w_s(w, item);
    w_sep(w);
    w_day(w, s, DF_COMPACT);
    w_sep(w);
    w_day(w, e, DF_COMPACT);
    w_sep(w);
    w_amt(w, fen);
    w_end(w);
}

static void dpf_ranges(writer *w, uint32_t i, const char *item, int32_t s, int32_t e, int64_t monthly)
{
    int32_t seg[4][2];
    const int n = split_period(s, e, SP_HALF, seg);
    for (int k = 0; k < n; k++)
        dpf_row(w, -1, i, item, seg[k][0], seg[k][1], amount_range(monthly, seg[k][0], seg[k][1]));
}

static void feed_dpf_payments(void)
{
    writer w;
    feed_begin(&w, "dpf_payments", "dpf_payments.csv", 0, ',', "DPF", "payments",
               "ranges YYYYMMDD, one-offs as start=end, 项目名称 mapped, household column for DPF_ACCESS");
    ini("person_id = 证件号码\nname = 姓名\nhousehold_id = 户号\nitem_column = 项目名称\n"
        "item_map = 残疾儿童康复救助:DPF_REHAB | 辅助器具适配补贴:DPF_DEVICE\n"
        "  困难重度残疾人家庭无障碍改造:DPF_ACCESS | 重度残疾人护理补贴:DIS_NURSING\n"
        "start = 开始日期\nend = 结束日期\namount = 金额\n");
    w_header(&w, "户号,证件号码,姓名,项目名称,开始日期,结束日期,金额");
    for (uint32_t h = 0; h < g_nh_nat; h++) {
        const uint32_t head = H[h].first;
        int severe = 0;
        FOR_MEMBERS(m, h)
        if (P[m].dis >= 1 && P[m].dis <= 2)
            severe = 1;
        if ((H[h].flags & HF_DIBAO) && severe && hr(h, 1401, 100) < 10) {
            const int32_t d = day_in_2025(h, 1402);
            if (d <= pend(head))
                dpf_row(&w, h, head, "困难重度残疾人家庭无障碍改造", d, d, 500000);
        }
        FOR_MEMBERS(i, h)
        {
            const int32_t e = pend(i);
            if (e < D0 || !P[i].dis)
                continue;
            const int code = P[i].plant;
            if (age25(i) < 7)
                dpf_ranges(&w, i, "残疾儿童康复救助", D0, e, 200000);
            if (code == PL_DUP_DEVICE) {
                dpf_row(&w, -1, i, "辅助器具适配补贴", m25(3, 5), m25(3, 5), 120000);
                dpf_row(&w, -1, i, "辅助器具适配补贴", m25(10, 20), m25(10, 20), 80000);
            } else if (hr(i, 1403, 100) < 2) {
                const int32_t d = day_in_2025(i, 1404);
                if (d <= e)
                    dpf_row(&w, -1, i, "辅助器具适配补贴", d, d, 50000 + 10000 * (int64_t)hr(i, 1405, 25));
            }
            const int64_t rate = P[i].dis == 1 ? 26000 : 20000;
            if (code == PL_DUP_NURSING_DPF)
                dpf_ranges(&w, i, "重度残疾人护理补贴", D0, D1, rate);
            else if (code == NM_NURSING_TOUCH) /* MCA paid to June 30 */
                dpf_ranges(&w, i, "重度残疾人护理补贴", m25(7, 1), D1, rate);
        }
    }
    feed_end(&w);
}

/* ------------------------------------------------------------------ */
/* Mass organisations, VETS, AGRI, JUSTICE, COURT, EMB, UTIL            */
/* ------------------------------------------------------------------ */

static void feed_acftu(void)
{
    writer w;
    feed_begin(&w, "acftu_aid", "acftu_aid.csv", 0, ',', "ACFTU", "payments",
               "one-off YYYYMMDD, 帮扶类型 mapped, household column for UNION_AID");
    ini("person_id = 身份证号码\nname = 职工姓名\nhousehold_id = 家庭户号\nitem_column = 帮扶类型\n"
        "item_map = 困难职工帮扶:UNION_AID | 金秋助学:UNION_EDU\ndate = 帮扶日期\namount = 帮扶金额\n");
    w_header(&w, "帮扶日期,职工姓名,身份证号码,家庭户号,帮扶类型,帮扶金额,所在单位");
    static const char *const UNITS[] = {"江阴兴澄特种钢铁有限公司", "海澜集团有限公司", "江苏阳光集团有限公司",
                                        "江阴市环卫处", "无"};
    for (uint32_t h = 0; h < g_nh_nat; h++) {
        r17ev ev[2];
        const int nev = r17_events(h, ev);
        int32_t days[3];
        uint32_t payee[3];
        int n = 0;
        for (int k = 0; k < nev; k++)
            if (ev[k].item == 1) {
                days[n] = ev[k].day;
                payee[n++] = ev[k].payee;
            }
        if (H[h].plant == HP_R17 || H[h].plant == HN_R17_30) {
            days[n] = r17_plant_day(h) + (H[h].plant == HP_R17 ? 10 : 30);
            payee[n++] = H[h].first;
        }
        for (int k = 0; k < n; k++) {
            w_day(&w, days[k], DF_COMPACT);
            w_c(&w, ',');
            w_name(&w, payee[k]);
            w_c(&w, ',');
            w_id(&w, payee[k], &ID_PLAIN);
            w_c(&w, ',');
            w_hh(&w, h);
            w_s(&w, ",困难职工帮扶,");
            w_amt(&w, 100000 + 50000 * (int64_t)hr(h, 1501 + (uint64_t)k, 5));
            w_c(&w, ',');
            w_s(&w, UNITS[hr(payee[k], 1503, 5)]);
            w_end(&w);
        }
        FOR_MEMBERS(i, h)
        if (P[i].school == 5 && hr(i, 1504, 100) < 2 && alive_on(i, m25(8, 20))) {
            w_day(&w, m25(8, 20), DF_COMPACT);
            w_c(&w, ',');
            w_name(&w, i);
            w_c(&w, ',');
            w_id(&w, i, &ID_PLAIN);
            w_s(&w, ",,金秋助学,2000.00,");
            w_s(&w, UNITS[hr(i, 1503, 5)]);
            w_end(&w);
        }
    }
    feed_end(&w);
}

static void feed_women(void)
{
    writer w;
    feed_begin(&w, "women_cancer", "women_cancer.csv", 0, ',', "WOMEN", "payments",
               "one-off YYYY-MM-DD, constant item");
    ini("person_id = 身份证号\nname = 姓名\nitem = WOMEN_CANCER\ndate = 救助日期\namount = 救助金额\n");
    w_header(&w, "救助日期,姓名,身份证号,救助金额,病种");
    for (uint32_t i = 0; i < g_n; i++) {
        const int age = age25(i);
        if (is_male(i) || age < 35 || age > 64 || hr(i, 1601, 100000) >= 60)
            continue;
        const int32_t d = day_in_2025(i, 1602);
        if (!alive_on(i, d))
            continue;
        w_day(&w, d, DF_ISO);
        w_c(&w, ',');
        w_name(&w, i);
        w_c(&w, ',');
        w_id(&w, i, &ID_PLAIN);
        w_c(&w, ',');
        w_amt(&w, 1000000);
        w_s(&w, hr(i, 1603, 2) ? ",宫颈癌" : ",乳腺癌");
        w_end(&w);
    }
    feed_end(&w);
}

static void feed_cyl(void)
{
    writer w;
    feed_begin(&w, "cyl_hope", "cyl_hope.csv", 0, ',', "CYL", "payments",
               "one-off YYYYMMDD, constant item");
    ini("person_id = 身份证号码\nname = 受助学生\nitem = CYL_HOPE\ndate = 资助日期\namount = 资助金额\n");
    w_header(&w, "资助日期,受助学生,身份证号码,录取院校,资助金额");
    for (uint32_t i = 0; i < g_n; i++) {
        if (P[i].school != 5 || age25(i) != 18 || !lowinc(i) || !alive_on(i, m25(8, 15)))
            continue;
        w_day(&w, m25(8, 15), DF_COMPACT);
        w_c(&w, ',');
        w_name(&w, i);
        w_c(&w, ',');
        w_id(&w, i, &ID_PLAIN);
        w_c(&w, ',');
        w_s(&w, SCHOOLS[5][hr(i, 1002, 3)]);
        w_s(&w, ",5000.00");
        w_end(&w);
    }
    feed_end(&w);
}

static void feed_rc(void)
{
    writer w;
    feed_begin(&w, "rc_aid", "rc_aid.csv", 0, ',', "RC", "payments",
               "English headers, one-off, household item without household column (from hukou)");
    ini("person_id = id_no\nname = name\nitem = RC_AID\ndate = date\namount = amount\n");
    w_header(&w, "date,name,id_no,amount,reason");
    for (uint32_t h = 0; h < g_nh_nat; h++) {
        if ((H[h].flags & (HF_MULTI | HF_SPLIT)) || hr(h, 1701, 10000) >= 15)
            continue;
        const uint32_t head = H[h].first;
        const int32_t d = day_in_2025(h, 1702);
        if (!alive_on(head, d))
            continue;
        w_day(&w, d, DF_ISO);
        w_c(&w, ',');
        w_name(&w, head);
        w_c(&w, ',');
        w_id(&w, head, &ID_PLAIN);
        w_c(&w, ',');
        w_amt(&w, 100000 + 50000 * (int64_t)hr(h, 1703, 5));
        w_s(&w, hr(h, 1704, 2) ? ",fire" : ",illness");
        w_end(&w);
    }
    feed_end(&w);
}

static void feed_charity(void)
{
    writer w;
    feed_begin(&w, "charity_aid", "charity_aid.csv", 0, ',', "CHARITY", "payments",
               "one-off YYYY/M/D, constant item, no household column");
    ini("person_id = 身份证号码\nname = 受助人\nitem = CHARITY_AID\ndate = 救助日期\namount = 救助金额\n");
    w_header(&w, "受助人,身份证号码,救助日期,救助金额,救助类别");
    for (uint32_t h = 0; h < g_nh_nat; h++) {
        r17ev ev[2];
        const int nev = r17_events(h, ev);
        for (int k = 0; k < nev; k++) {
            if (ev[k].item != 2)
                continue;
            w_name(&w, ev[k].payee);
            w_c(&w, ',');
            w_id(&w, ev[k].payee, &ID_PLAIN);
            w_c(&w, ',');
            w_day(&w, ev[k].day, DF_SLASH);
            w_c(&w, ',');
            w_amt(&w, 100000 + 100000 * (int64_t)hr(h, 1801 + (uint64_t)k, 10));
            w_s(&w, hr(h, 1803, 3) ? ",助医" : ",助学");
            w_end(&w);
        }
    }
    feed_end(&w);
}

static void vets_row(writer *w, uint32_t i, const char *item, int32_t s, int32_t e, int64_t fen)
{
    w_s(w, hr(i, 1901, 3) ? "退役士兵," : "伤残军人,");
    w_name(w, i);
    w_c(w, ',');
    w_id(w, i, &ID_PLAIN);
    w_c(w, ',');
    w_s(w, item);
    w_c(w, ',');
    w_day(w, s, DF_ISO);
    w_c(w, ',');
    w_day(w, e, DF_ISO);
    w_c(w, ',');
    w_amt(w, fen);
    w_end(w);
}

static void feed_vets(void)
{
    writer w;
    feed_begin(&w, "vets_payments", "vets_payments.csv", 0, ',', "VETS", "payments",
               "half-year ranges YYYY-MM-DD, one-offs as start=end, 项目 mapped");
    ini("person_id = 身份证号码\nname = 姓名\nitem_column = 项目\n"
        "item_map = 定期抚恤补助:VET_PENSION | 困难帮扶援助:VET_HARD\n"
        "start = 起始日期\nend = 终止日期\namount = 金额\n");
    w_header(&w, "优抚类别,姓名,身份证号码,项目,起始日期,终止日期,金额");
    for (uint32_t i = 0; i < g_n; i++) {
        const int32_t e = pend(i);
        if (!(P[i].flags & PF_VET) || e < D0)
            continue;
        if (P[i].plant == PL_DUP_VET) { /* the second half starts before the first ends */
            vets_row(&w, i, "定期抚恤补助", D0, m25(7, 31), 180000 * 7);
            vets_row(&w, i, "定期抚恤补助", m25(7, 1), D1, 180000 * 6);
        } else {
            int32_t seg[4][2];
            const int n = split_period(D0, e, SP_HALF, seg);
            for (int k = 0; k < n; k++)
                vets_row(&w, i, "定期抚恤补助", seg[k][0], seg[k][1], amount_range(180000, seg[k][0], seg[k][1]));
        }
        if (hr(i, 1902, 100) < 10) {
            const int32_t d = day_in_2025(i, 1903);
            if (d <= e)
                vets_row(&w, i, "困难帮扶援助", d, d, 200000);
        }
    }
    feed_end(&w);
}

static void feed_agri(void)
{
    writer w;
    feed_begin(&w, "agri_payments", "agri_payments.csv", 0, ',', "AGRI", "payments",
               "English headers, quarterly/semester ranges YYYYMMDD, household column for ANTI_RELAPSE");
    ini("person_id = id_card\nname = name\nhousehold_id = hh_id\nitem_column = programme\n"
        "item_map = anti-relapse:ANTI_RELAPSE | rain-dew:YULU\nstart = from\nend = to\namount = amount\n");
    w_header(&w, "hh_id,id_card,name,programme,from,to,amount");
    for (uint32_t h = 0; h < g_nh_nat; h++) {
        if (!(H[h].flags & HF_ANTI))
            continue;
        const uint32_t head = H[h].first;
        int32_t seg[4][2];
        int n = split_period(D0, pend(head), SP_QUARTER, seg);
        for (int k = 0; k < n; k++) {
            w_hh(&w, h);
            w_c(&w, ',');
            w_id(&w, head, &ID_PLAIN);
            w_c(&w, ',');
            w_name(&w, head);
            w_s(&w, ",anti-relapse,");
            w_day(&w, seg[k][0], DF_COMPACT);
            w_c(&w, ',');
            w_day(&w, seg[k][1], DF_COMPACT);
            w_c(&w, ',');
            w_amt(&w, amount_range(50000, seg[k][0], seg[k][1]));
            w_end(&w);
        }
        FOR_MEMBERS(i, h)
        {
            if (P[i].school != 4 || pend(i) < D0)
                continue;
            n = split_period(D0, pend(i), SP_HALF, seg);
            for (int k = 0; k < n; k++) {
                w_c(&w, ',');
                w_id(&w, i, &ID_PLAIN);
                w_c(&w, ',');
                w_name(&w, i);
                w_s(&w, ",rain-dew,");
                w_day(&w, seg[k][0], DF_COMPACT);
                w_c(&w, ',');
                w_day(&w, seg[k][1], DF_COMPACT);
                w_c(&w, ',');
                w_amt(&w, amount_range(25000, seg[k][0], seg[k][1]));
                w_end(&w);
            }
        }
    }
    feed_end(&w);
}

static void feed_justice(void)
{
    writer w;
    feed_begin(&w, "justice_legal_aid", "justice_legal_aid.csv", 0, ',', "JUSTICE", "payments",
               "one-off YYYY-MM-DD, constant item");
    ini("person_id = 身份证号码\nname = 受援人姓名\nitem = LEGAL_AID\ndate = 援助日期\namount = 补贴金额\n");
    w_header(&w, "受援人姓名,身份证号码,援助日期,案件类型,补贴金额");
    static const char *const CASES[] = {"劳动争议", "婚姻家庭", "人身损害", "刑事辩护"};
    for (uint32_t i = 0; i < g_n; i++) {
        if (age25(i) < 18 || hr(i, 2001, 100000) >= 60)
            continue;
        const int32_t d = day_in_2025(i, 2002);
        if (!alive_on(i, d))
            continue;
        w_name(&w, i);
        w_c(&w, ',');
        w_id(&w, i, &ID_PLAIN);
        w_c(&w, ',');
        w_day(&w, d, DF_ISO);
        w_c(&w, ',');
        w_s(&w, CASES[hr(i, 2003, 4)]);
        w_c(&w, ',');
        w_amt(&w, 80000 + 20000 * (int64_t)hr(i, 2004, 10));
        w_end(&w);
    }
    feed_end(&w);
}

static void feed_court(void)
{
    writer w;
    feed_begin(&w, "court_judicial_aid", "court_judicial_aid.csv", 0, ',', "COURT", "payments",
               "one-off YYYYMMDD, constant item");
    ini("person_id = 身份证号码\nname = 申请人\nitem = JUDICIAL_AID\ndate = 决定日期\namount = 救助金额\n");
    w_header(&w, "案号,申请人,身份证号码,决定日期,救助金额");
    uint64_t no = 0;
    for (uint32_t i = 0; i < g_n; i++) {
        if (age25(i) < 18 || hr(i, 2101, 100000) >= 12)
            continue;
        const int32_t d = day_in_2025(i, 2102);
        if (!alive_on(i, d))
            continue;
        w_s(&w, "（2025）苏0281司救");
        w_u(&w, ++no);
        w_s(&w, "号,");
        w_name(&w, i);
        w_c(&w, ',');
        w_id(&w, i, &ID_PLAIN);
        w_c(&w, ',');
        w_day(&w, d, DF_COMPACT);
        w_c(&w, ',');
        w_amt(&w, 500000 + 100000 * (int64_t)hr(i, 2103, 40));
        w_end(&w);
    }
    feed_end(&w);
}

static void emb_row(writer *w, int64_t h, uint32_t i, const char *item, int32_t s, int32_t e,
                    int64_t fen)
{
    w_s(w, s >= m25(7, 1) && s <= m25(10, 31) ? "2025年第8号台风," : "冬春救助,");
    if (h >= 0)
        w_hh(w, (uint32_t)h);
    w_c(w, ',');
    w_name(w, i);
    w_c(w, ',');
    w_id(w, i, &ID_PLAIN);
    w_c(w, ',');
    w_s(w, item);
    w_c(w, ',');
    w_day(w, s, DF_SLASH);
    w_c(w, ',');
    w_day(w, e, DF_SLASH);
    w_c(w, ',');
    w_amt(w, fen);
    w_end(w);
}

static void feed_emb(void)
{
    writer w;
    feed_begin(&w, "emb_disaster", "emb_disaster.csv", 0, ',', "EMB", "payments",
               "ranges YYYY/M/D, one-offs as start=end, 救助项目 mapped, household column for DSTR_HOUSE");
    ini("person_id = 身份证号码\nname = 姓名\nhousehold_id = 户主户号\nitem_column = 救助项目\n"
        "item_map = 应急救助:DSTR_EMERG | 过渡期生活救助:DSTR_TRANS | 冬春生活救助:DSTR_WINTER\n"
        "  倒损住房恢复重建:DSTR_HOUSE\nstart = 开始日期\nend = 结束日期\namount = 金额\n");
    w_header(&w, "灾害名称,户主户号,姓名,身份证号码,救助项目,开始日期,结束日期,金额");
    const int32_t storm = m25(7, 28);
    for (uint32_t h = 0; h < g_nh_nat; h++) {
        const uint32_t head = H[h].first;
        if ((lowinc(head) || (H[h].flags & HF_DIBAO)) && hr(h, 2201, 100) < 30) {
            if (alive_on(head, m25(1, 15)))
                emb_row(&w, -1, head, "冬春生活救助", m25(1, 15), m25(1, 15), 50000);
            if (hr(h, 2202, 100) < 30 && alive_on(head, m25(12, 12)))
                emb_row(&w, -1, head, "冬春生活救助", m25(12, 12), m25(12, 12), 60000);
        }
        if (hr(h, 2203, 10000) >= 30)
            continue;
        FOR_MEMBERS(i, h)
        if (alive_on(i, storm))
            emb_row(&w, -1, i, "应急救助", storm, storm, 80000);
        if (hr(h, 2204, 100) < 20 && alive_on(head, m25(9, 10))) {
            emb_row(&w, h, head, "倒损住房恢复重建", m25(9, 10), m25(9, 10), 3000000);
            const int32_t e = pend(head) < m25(10, 31) ? pend(head) : m25(10, 31);
            if (e >= m25(8, 1))
                emb_row(&w, -1, head, "过渡期生活救助", m25(8, 1), e, amount_range(60000, m25(8, 1), e));
        }
    }
    feed_end(&w);
}

static void feed_util(void)
{
    writer w;
    feed_begin(&w, "util_waivers", "util_waivers.tsv", 0, '\t', "UTIL", "payments",
               "tab-delimited, monthly YYYYMM, household item without household column");
    ini("delimiter = tab\nperson_id = 证件号码\nname = 户主姓名\nitem = UTIL_WAIVER\nmonth = 减免月份\n"
        "amount = 减免金额\n");
    w_header(&w, "用户编号,户主姓名,证件号码,减免月份,减免金额,减免类型");
    for (uint32_t h = 0; h < g_nh_nat; h++) {
        const uint32_t head = H[h].first;
        const int dibao = (H[h].flags & HF_DIBAO) != 0;
        if (!dibao && !(H[h].size == 1 && tekun_nat(head)))
            continue;
        const int first = dibao ? H[h].dibao_from : 1, last = last_full_month(pend(head));
        for (int m = first; m <= last; m++) {
            w_s(&w, "0510");
            w_u0(&w, 86000000ULL + h, 8);
            w_c(&w, '\t');
            w_name(&w, head);
            w_c(&w, '\t');
            w_id(&w, head, &ID_PLAIN);
            w_c(&w, '\t');
            w_month(&w, m);
            w_c(&w, '\t');
            w_amt(&w, 3000);
            w_s(&w, hr(h, 2301, 2) ? "\t水费" : "\t燃气费");
            w_end(&w);
        }
    }
    feed_end(&w);
}

/* ------------------------------------------------------------------ */
/* Damaged IDs (--damaged-ids N)                                       */
/* ------------------------------------------------------------------ */

/* N one-off medical-aid rows of a feed of their own, each with its
 * person's ID damaged as hand typing and Excel damage it, for the linking
 * of damaged IDs to the hukou registry.  MED_AID may repeat and no rule
 * names it, and every host lives all year in the registry: whether a row
 * is linked, rightly or wrongly, or stays a reject, truth.csv holds.  What
 * linking should find is in links_truth.csv.  Some rows get a decoy: a
 * registry person (added to the hukou feed, in a household of its own)
 * whose ID is another repair of the damaged one, named differently or
 * the same. */
enum { DMG_SUBST, DMG_SWAP, DMG_CHECK, DMG_BIRTH, DMG_EXCEL, DMG_SHORT, DMG_LONG, DMG__COUNT };
static const char *const DMG_NAMES[] = {"substitution", "swap", "check", "birth_date",
                                        "excel_tail", "short", "long"};
enum { DECOY_NONE, DECOY_OTHER_NAME, DECOY_SAME_NAME };
static const char *const DECOY_NAMES[] = {"none", "other_name", "same_name"};

typedef struct damage {
    uint32_t host;
    uint8_t kind, named, household, birth, sex, decoy;
    char id[20]; /* the damaged ID as written, NUL-terminated */
    char decoy_id[19];
    uint32_t decoy_name; /* the person whose name the decoy carries */
} damage;

static damage *g_damage;
static uint32_t g_ndamage;
/* --intact-ids: the damaged feed's rows (and the registry's decoys) as
 * they are, but each with its person's ID undamaged: the same run without
 * the damage, against which linking's cost is measured (bench/). */
static int g_intact_ids;

static void write_text(const char *name, const char *text, size_t len, mode_t mode);
static uint64_t *g_real_ids; /* every person's first 17 digits, sorted */

static uint64_t id17_value(const char *id)
{
    uint64_t v = 0;
    for (int k = 0; k < 17; k++)
        v = v * 10 + (uint64_t)(id[k] - '0');
    return v;
}

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int is_real_id(const char *id)
{
    const uint64_t v = id17_value(id);
    return bsearch(&v, g_real_ids, g_n, sizeof v, cmp_u64) != NULL;
}

/* A valid 18-character ID: digits, its check character, a real birth
 * date from 1900 to 2025. */
static int id_valid(const char *id)
{
    for (int k = 0; k < 17; k++)
        if (id[k] < '0' || id[k] > '9')
            return 0;
    if (check_char(id) != id[17])
        return 0;
    const int y = (id[6] - '0') * 1000 + (id[7] - '0') * 100 + (id[8] - '0') * 10 + (id[9] - '0');
    const int m = (id[10] - '0') * 10 + (id[11] - '0'), d = (id[12] - '0') * 10 + (id[13] - '0');
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2025 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    return m != 2 || d < 29 || is_leap(y);
}

/* A decoy for a damaged ID: a valid ID one repair away that is no one's
 * yet and not the host's.  The repairs tried are those the damage calls
 * for (the tail filled for Excel's, a digit inserted or deleted for a
 * wrong length, else a character substituted or two swapped).  Returns 1
 * with out set, or 0. */
static int find_decoy(const damage *dm, const char *host_id, char out[19])
{
    const size_t len = strlen(dm->id);
    char c[20];
    /* Tried from a hash-chosen start, so that decoys fall anywhere. */
    const unsigned start = hr(dm->host, 3110, 400);
    for (unsigned t = 0; t < 400; t++) {
        const unsigned x = (start + t) % 400;
        if (dm->kind == DMG_EXCEL) {
            if (x >= 100)
                continue;
            memcpy(c, dm->id, 18);
            c[15] = (char)('0' + x / 10);
            c[16] = (char)('0' + x % 10);
            c[17] = check_char(c);
        } else if (len == 17) { /* insert digit x % 10 at x / 10 */
            const unsigned at = x / 10;
            if (at > 17)
                continue;
            memcpy(c, dm->id, at);
            c[at] = (char)('0' + x % 10);
            memcpy(c + at + 1, dm->id + at, 17 - at);
        } else if (len == 19) { /* delete the character at x */
            if (x > 18)
                continue;
            memcpy(c, dm->id, x);
            memcpy(c + x, dm->id + x + 1, 18 - x);
        } else if (x < 18 * 11) { /* substitute */
            const unsigned at = x / 11, v = x % 11;
            if (v == 10 && at != 17)
                continue;
            memcpy(c, dm->id, 18);
            c[at] = v == 10 ? 'X' : (char)('0' + v);
        } else if (x < 18 * 11 + 17) { /* swap at and at + 1 */
            const unsigned at = x - 18 * 11;
            memcpy(c, dm->id, 18);
            const char k = c[at];
            c[at] = c[at + 1];
            c[at + 1] = k;
        } else {
            continue;
        }
        c[18] = '\0';
        if (id_valid(c) && memcmp(c, host_id, 18) != 0 && !is_real_id(c)) {
            memcpy(out, c, 19);
            return 1;
        }
    }
    return 0;
}

/* Damages host's ID as kind says; returns 0 when that damage cannot be
 * told from a valid ID, or would be read as another kind of damage. */
static int damage_id(damage *dm, const char *id)
{
    char *o = dm->id;
    const uint32_t i = dm->host;
    memcpy(o, id, 18);
    o[18] = '\0';
    switch (dm->kind) {
    case DMG_SUBST: { /* one digit of 0..16 typed wrong */
        const unsigned at = hr(i, 3111, 17);
        o[at] = (char)('0' + (o[at] - '0' + 1 + hr(i, 3112, 9)) % 10);
        break;
    }
    case DMG_SWAP: {
        const unsigned at = hr(i, 3111, 17);
        if (o[at] == o[at + 1])
            return 0;
        const char k = o[at];
        o[at] = o[at + 1];
        o[at + 1] = k;
        break;
    }
    case DMG_CHECK: {
        const char *cc = "10X98765432";
        o[17] = cc[(strchr(cc, o[17]) - cc + 1 + hr(i, 3112, 10)) % 11];
        break;
    }
    case DMG_BIRTH: /* a day of the month that no month has */
        o[12] = (char)('4' + hr(i, 3112, 6));
        break;
    case DMG_EXCEL: /* a numeric cell kept 15 significant digits */
        o[15] = o[16] = o[17] = '0';
        break;
    case DMG_SHORT: {
        const unsigned at = hr(i, 3111, 18);
        memmove(o + at, o + at + 1, 18 - at);
        break;
    }
    case DMG_LONG: {
        const unsigned at = hr(i, 3111, 18);
        memmove(o + at + 1, o + at, 19 - at);
        o[at] = (char)('0' + hr(i, 3112, 10));
        break;
    }
    }
    const size_t len = strlen(o);
    if (len == 18 && id_valid(o))
        return 0;
    /* Zeros at the end read as Excel's damage whatever caused them. */
    const int zero_tail = len == 18 && memcmp(o + 15, "000", 3) == 0;
    return zero_tail == (dm->kind == DMG_EXCEL);
}

static void plan_damage(uint32_t n)
{
    if (!n)
        return;
    g_real_ids = xmalloc((size_t)g_n * sizeof *g_real_ids);
    for (uint32_t i = 0; i < g_n; i++) {
        char id[18];
        id18(i, id);
        g_real_ids[i] = id17_value(id);
    }
    qsort(g_real_ids, g_n, sizeof *g_real_ids, cmp_u64);
    g_damage = xcalloc(n, sizeof *g_damage);
    uint8_t *used = xcalloc(g_n, 1);
    uint32_t i = (uint32_t)(hv(0, 3100) % g_n), looked = 0;
    for (uint32_t k = 0; k < n && looked < g_n; k++) {
        damage *dm = &g_damage[g_ndamage];
        for (; looked < g_n; looked++, i = (i + 1) % g_n) {
            if (used[i] || P[i].hh >= g_nh_nat || P[i].plant || !alive_all(i))
                continue;
            memset(dm, 0, sizeof *dm);
            dm->host = i;
            dm->kind = (uint8_t)(k % DMG__COUNT);
            dm->named = hr(i, 3101, 4) != 0;
            dm->household = hr(i, 3102, 2) != 0;
            dm->birth = hr(i, 3106, 2) != 0;
            dm->sex = hr(i, 3107, 2) != 0;
            dm->decoy = (uint8_t)hr(i, 3103, 3);
            char id[18];
            id18(i, id);
            if (!damage_id(dm, id))
                continue;
            if (dm->decoy != DECOY_NONE) {
                if (!find_decoy(dm, id, dm->decoy_id))
                    dm->decoy = DECOY_NONE;
                char a[64], b[64];
                name_of(i, a);
                dm->decoy_name = i;
                for (uint32_t j = i + 1; dm->decoy == DECOY_OTHER_NAME; j++) {
                    name_of(j % g_n, b);
                    if (strcmp(a, b) != 0) {
                        dm->decoy_name = j % g_n;
                        break;
                    }
                }
            }
            used[i] = 1;
            g_ndamage++;
            break;
        }
    }
    free(used);
}

static const char *const DAMAGED_FEED = "hsa_medical_aid_typed";

/* Valid rows after the damaged ones, so that the feed's own rows show
 * linking how often a stated birth date and sex agree with an ID. */
#define TYPED_VALID_MAX 2000

/* One row of the typed feed for person i, its ID as written in id and
 * the evidence stated as the flags say. */
static void typed_row(writer *w, uint32_t i, const char *id, int named, int household,
                      int birth, int sex)
{
    char real[18];
    id18(i, real);
    w_day(w, day_in_2025(i, 3104), DF_ISO);
    w_c(w, ',');
    w_s(w, id);
    w_c(w, ',');
    if (named)
        w_name(w, i);
    w_c(w, ',');
    if (sex)
        w_s(w, is_male(i) ? "男" : "女");
    w_c(w, ',');
    if (birth)
        w_n(w, real + 6, 8);
    w_c(w, ',');
    if (household)
        w_hh(w, P[i].hh);
    w_c(w, ',');
    w_amt(w, 20000 + 100 * (int64_t)hr(i, 3105, 3000));
    w_end(w);
}

static void feed_damaged_ids(void)
{
    if (!g_ndamage)
        return;
    writer w;
    feed_begin(&w, DAMAGED_FEED, "hsa_medical_aid_typed.csv", 0, ',', "HSA", "payments",
               "one-off medical aid, IDs typed by hand: damaged, then a few valid rows "
               "(--damaged-ids)");
    ini("person_id = 身份证号\nname = 姓名\nsex = 性别\nbirth_date = 出生日期\n"
        "household_id = 户号\nitem = MED_AID\ndate = 结算日期\namount = 救助金额\n");
    w_header(&w, "结算日期,身份证号,姓名,性别,出生日期,户号,救助金额");
    for (uint32_t k = 0; k < g_ndamage; k++) {
        const damage *dm = &g_damage[k];
        char intact[19];
        id18(dm->host, intact);
        intact[18] = '\0';
        typed_row(&w, dm->host, g_intact_ids ? intact : dm->id, dm->named, dm->household,
                  dm->birth, dm->sex);
    }
    const uint32_t valid = g_ndamage < TYPED_VALID_MAX ? g_ndamage : TYPED_VALID_MAX;
    uint32_t i = (uint32_t)(hv(0, 3120) % g_n);
    for (uint32_t k = 0, looked = 0; k < valid && looked < g_n; looked++, i = (i + 1) % g_n) {
        if (P[i].hh >= g_nh_nat || !alive_all(i))
            continue;
        char id[19];
        id18(i, id);
        id[18] = '\0';
        typed_row(&w, i, id, hr(i, 3101, 4) != 0, hr(i, 3102, 2) != 0, hr(i, 3106, 2) != 0,
                  hr(i, 3107, 2) != 0);
        k++;
    }
    feed_end(&w);
}

/* The decoys, as registry rows, each the head of a household of its own
 * ("320281999" and seven digits: no town has the number 99). */
static void hukou_decoys(writer *w)
{
    for (uint32_t k = 0; k < g_ndamage; k++) {
        const damage *dm = &g_damage[k];
        if (dm->decoy == DECOY_NONE)
            continue;
        char hh[24];
        snprintf(hh, sizeof hh, "320281999%07u", k % 10000000u);
        w_s(w, hh);
        w_s(w, ",城镇家庭户,户主,");
        w_name(w, dm->decoy_name);
        w_c(w, ',');
        w_n(w, dm->decoy_id, 18);
        w_s(w, (dm->decoy_id[16] - '0') % 2 ? ",男," : ",女,");
        w_n(w, dm->decoy_id + 6, 8);
        w_s(w, ",,,江苏省江阴市澄江街道1号");
        w_end(w);
    }
}

/* What tells a damaged row's person from its decoy among the evidence
 * the row states, as a links.csv `agreeing` list: the name when the decoy
 * has another, the household (a decoy heads one of its own), the birth
 * date and the sex where the decoy's ID gives others. */
static void told_by(const damage *dm, char *out, size_t cap)
{
    out[0] = '\0';
    if (dm->decoy == DECOY_NONE)
        return;
    char host[18];
    id18(dm->host, host);
    const int told[] = {dm->named && dm->decoy == DECOY_OTHER_NAME, dm->household,
                        dm->birth && memcmp(host + 6, dm->decoy_id + 6, 8) != 0,
                        dm->sex && (host[16] - '0') % 2 != (dm->decoy_id[16] - '0') % 2};
    static const char *const names[] = {"name", "household", "birth_date", "sex"};
    size_t at = 0;
    for (size_t e = 0; e < sizeof told / sizeof *told; e++)
        if (told[e])
            at += (size_t)snprintf(out + at, cap - at, "%s%s", at ? ";" : "", names[e]);
}

/* links_truth.csv: each damaged row's line, damage, the evidence it
 * states, its decoy and what tells the decoy apart, and the token of the
 * person it is. */
static void write_links_truth(void)
{
    if (!g_ndamage || g_intact_ids)
        return;
    const size_t cap = 128 + (size_t)g_ndamage * 192;
    char *text = xmalloc(cap);
    size_t at = (size_t)snprintf(text, cap,
                                 "feed,line,damage,named,household,birth_date,sex,decoy,told_by,"
                                 "person\n");
    for (uint32_t k = 0; k < g_ndamage; k++) {
        const damage *dm = &g_damage[k];
        char token[33], told[64];
        person_token(dm->host, token);
        told_by(dm, told, sizeof told);
        at += (size_t)snprintf(text + at, cap - at, "%s,%u,%s,%d,%d,%d,%d,%s,%s,%s\n",
                               DAMAGED_FEED, k + 2, DMG_NAMES[dm->kind], dm->named,
                               dm->household, dm->birth, dm->sex, DECOY_NAMES[dm->decoy], told,
                               token);
    }
    write_text("links_truth.csv", text, at, 0644);
    free(text);
}

/* ------------------------------------------------------------------ */
/* PSB, SAMR, NRA registries                                           */
/* ------------------------------------------------------------------ */

static void hukou_row(writer *w, uint32_t h, uint32_t i, int rel, int32_t start, int32_t end,
                      const id_style *st)
{
    w_hh(w, h);
    w_s(w, (H[h].flags & HF_RURAL) ? ",农村家庭户," : ",城镇家庭户,");
    w_s(w, REL_NAMES[rel]);
    w_c(w, ',');
    w_name(w, i);
    w_c(w, ',');
    w_id(w, i, st);
    w_s(w, is_male(i) ? ",男," : ",女,");
    w_day(w, P[i].birth, DF_COMPACT);
    w_c(w, ',');
    if (start)
        w_day(w, start, DF_COMPACT);
    w_c(w, ',');
    if (end)
        w_day(w, end, DF_COMPACT);
    w_s(w, ",江苏省江阴市");
    w_s(w, TOWNS[H[h].town]);
    w_u(w, 1 + hr(h, 2401, 300));
    w_s(w, "号");
    w_end(w);
}

static void feed_psb_hukou(void)
{
    writer w;
    if (g_plain_registry)
        feed_begin(&w, "psb_hukou", "psb_hukou.csv", W_CRLF, ',', "PSB", "registry",
                   "plain CRLF (--plain-registry), HUKOU membership with household column, "
                   "YYYYMMDD, empty start = since ever");
    else
        feed_begin(&w, "psb_hukou", "psb_hukou.csv.gz", W_GZ, ',', "PSB", "registry",
                   "gzip, HUKOU membership with household column, YYYYMMDD, empty start = since "
                   "ever");
    ini("person_id = 公民身份号码\nname = 姓名\nhousehold_id = 户号\nfact = HUKOU\nstart = 迁入日期\n"
        "end = 迁出日期\n");
    w_header(&w, "户号,户别,与户主关系,姓名,公民身份号码,性别,出生日期,迁入日期,迁出日期,住址");
    const id_style st = {0, 5, 10, 0, 127};
    const int32_t floor_ = day_of(1985, 1, 1), ceil_ = day_of(2024, 6, 30);
    for (uint32_t h = 0; h < g_nh_nat; h++) {
        FOR_MEMBERS(i, h)
        {
            const int rel = P[i].rel;
            int32_t start = 0, end = 0;
            const int child = rel == R_SON || rel == R_DAUGHTER || rel == R_GRANDSON ||
                              rel == R_GRANDDAUGHTER;
            if (child && year_of(P[i].birth) >= 1990)
                start = P[i].birth;
            else if (hr(i, 2402, 100) >= 35) {
                const int32_t lo = P[i].birth > floor_ ? P[i].birth : floor_;
                start = lo >= ceil_ ? ceil_ : lo + (int32_t)hr(i, 2403, (uint32_t)(ceil_ - lo + 1));
                if (start < P[i].birth)
                    start = P[i].birth;
            }
            if (P[i].death < D0) {
                end = P[i].death + 10 + (int32_t)hr(i, 2404, 40);
                if (start > P[i].death)
                    start = P[i].birth; /* nobody moves in after dying */
            }
            if (P[i].plant == NM_MOVER)
                end = mstart(H[kv_get(&g_paux, i)].dibao_from) - 1;
            hukou_row(&w, h, i, rel, start, end, &st);
            if (P[i].plant == NM_MOVER) {
                const uint32_t h2 = kv_get(&g_paux, i);
                hukou_row(&w, h2, i, R_HEAD, mstart(H[h2].dibao_from), 0, &st);
            } else if (P[i].plant == PL_R16B) {
                const uint32_t h2 = kv_get(&g_paux, i);
                hukou_row(&w, h2, i, R_OTHER, day_of(2023, 3, 1) + (int32_t)hr(i, 2405, 300), 0, &st);
            }
        }
    }
    hukou_decoys(&w);
    feed_end(&w);
}

static void feed_psb_deaths(void)
{
    writer w;
    feed_begin(&w, "psb_deaths", "psb_deaths.csv", W_BOM, ',', "PSB", "registry",
               "UTF-8 BOM, DEATH as a single date YYYY-MM-DD (2024 and 2025)");
    ini("person_id = 身份证号码\nname = 姓名\nfact = DEATH\ndate = 死亡日期\n");
    w_header(&w, "序号,姓名,身份证号码,性别,死亡日期,注销户口日期,死亡原因");
    static const char *const CAUSE[] = {"疾病", "疾病", "疾病", "意外", "其他"};
    uint64_t no = 0;
    for (uint32_t i = 0; i < g_n; i++) {
        if (P[i].death > D1)
            continue;
        w_u(&w, ++no);
        w_c(&w, ',');
        w_name(&w, i);
        w_c(&w, ',');
        w_id(&w, i, &ID_PLAIN);
        w_s(&w, is_male(i) ? ",男," : ",女,");
        w_day(&w, P[i].death, DF_ISO);
        w_c(&w, ',');
        w_day(&w, P[i].death + 10 + (int32_t)hr(i, 2404, 40), DF_ISO);
        w_c(&w, ',');
        w_s(&w, CAUSE[hr(i, 2501, 5)]);
        w_end(&w);
    }
    if (g_bad_rows) {
        const uint32_t a = bad_host(51);
        w_u(&w, ++no);
        w_c(&w, ',');
        w_name(&w, a);
        w_c(&w, ',');
        w_id(&w, a, &ID_PLAIN);
        w_s(&w, is_male(a) ? ",男," : ",女,");
        w_s(&w, "2025-02-30,2025-03-15,疾病"); /* no 30 February */
        w_end(&w);
        w.bad++;
    }
    feed_end(&w);
}

static void feed_psb_vehicles(void)
{
    writer w;
    feed_begin(&w, "psb_vehicles", "psb_vehicles.csv", 0, ',', "PSB", "registry",
               "VEHICLE ranges YYYY/M/D, open end");
    ini("person_id = 身份证明号码\nname = 所有人\nfact = VEHICLE\nstart = 初次登记日期\nend = 注销日期\n");
    w_header(&w, "号牌号码,号牌种类,所有人,身份证明号码,初次登记日期,注销日期,车辆类型");
    static const char PL[] = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    for (uint32_t i = 0; i < g_n; i++) {
        const int code = P[i].plant;
        int32_t s, e = 0;
        if (code == PL_R15V)
            s = day_of(2019, 1, 1) + (int32_t)hr(i, 2601, 1800);
        else if (code == PL_R15V_MID)
            s = m25(6, 15);
        else if (code == NM_VEHICLE_ENDED) { /* sold before the year began */
            s = day_of(2018, 4, 1) + (int32_t)hr(i, 2601, 500);
            e = day_of(2024, 11, 30);
        } else if (P[i].flags & PF_VEHICLE) {
            s = day_of(2010, 1, 1) + (int32_t)hr(i, 2601, 5400);
            if (hr(i, 2602, 100) < 8)
                e = day_in_2025(i, 2603);
        } else
            continue;
        w_s(&w, "苏B");
        w_c(&w, PL[hr(i, 2604, 24)]);
        w_u0(&w, hr(i, 2605, 10000), 4);
        w_s(&w, ",小型汽车,");
        w_name(&w, i);
        w_c(&w, ',');
        w_id(&w, i, &ID_PLAIN);
        w_c(&w, ',');
        w_day(&w, s, DF_SLASH);
        w_c(&w, ',');
        if (e)
            w_day(&w, e, DF_SLASH);
        w_s(&w, hr(i, 2606, 3) ? ",小型轿车" : ",小型普通客车");
        w_end(&w);
    }
    feed_end(&w);
}

static void feed_samr(void)
{
    writer w;
    feed_begin(&w, "samr_roles", "samr_roles.csv", 0, ',', "SAMR", "registry",
               "English headers, BUSINESS_ROLE ranges YYYY-MM-DD");
    ini("person_id = person_id\nname = person_name\nfact = BUSINESS_ROLE\nstart = from_date\nend = to_date\n");
    w_header(&w, "credit_code,enterprise_name,role,person_id,person_name,from_date,to_date");
    static const char AL[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const char *const TRADE[] = {"纺织", "机械", "五金", "贸易", "餐饮", "物流", "建材", "服装"};
    for (uint32_t i = 0; i < g_n; i++) {
        if (!(P[i].flags & PF_BUSINESS) && P[i].plant != PL_R15B)
            continue;
        w_s(&w, "91320281");
        for (int k = 0; k < 10; k++)
            w_c(&w, AL[hr(i, 2700 + (uint64_t)k, 31)]);
        w_s(&w, ",江阴市");
        w_s(&w, SURNAMES[hr(i, 2711, NSURNAMES)]);
        w_s(&w, "氏");
        w_s(&w, TRADE[hr(i, 2712, 8)]);
        w_s(&w, "有限公司,");
        w_s(&w, hr(i, 2713, 2) ? "legal representative" : "shareholder");
        w_c(&w, ',');
        w_id(&w, i, &ID_PLAIN);
        w_c(&w, ',');
        w_name(&w, i);
        w_c(&w, ',');
        w_day(&w, day_of(2012, 1, 1) + (int32_t)hr(i, 2714, 4500), DF_ISO);
        w_c(&w, ',');
        w_end(&w);
    }
    feed_end(&w);
}

static void feed_nra(void)
{
    writer w;
    feed_begin(&w, "nra_property", "nra_property.csv", 0, ',', "NRA", "registry",
               "PROPERTY ranges YYYYMMDD, open end");
    ini("person_id = 证件号码\nname = 权利人\nfact = PROPERTY\nstart = 登记日期\nend = 注销日期\n");
    w_header(&w, "不动产权证号,权利人,证件号码,坐落,登记日期,注销日期");
    for (uint32_t i = 0; i < g_n; i++) {
        if (!(P[i].flags & PF_PROPERTY) && P[i].plant != PL_R15P)
            continue;
        const int32_t s = day_of(2008, 1, 1) + (int32_t)hr(i, 2801, 6000);
        w_s(&w, "苏（");
        w_u(&w, (uint64_t)year_of(s));
        w_s(&w, "）江阴市不动产权第");
        w_u0(&w, hr(i, 2802, 10000000), 7);
        w_s(&w, "号,");
        w_name(&w, i);
        w_c(&w, ',');
        w_id(&w, i, &ID_PLAIN);
        w_s(&w, ",江阴市");
        w_s(&w, TOWNS[hr(i, 2803, NTOWNS)]);
        w_u(&w, 1 + hr(i, 2804, 500));
        w_s(&w, "号,");
        w_day(&w, s, DF_COMPACT);
        w_c(&w, ',');
        w_end(&w);
    }
    feed_end(&w);
}

/* ------------------------------------------------------------------ */
/* Catalogue and rules cross-check                                     */
/* ------------------------------------------------------------------ */

/* What the plants and the natural data assume of each item.  A centre
 * that edits its catalogue may change these; then truth would be wrong,
 * so say so loudly. */
static const struct {
    const char *code;
    int household, periodic;
    int window; /* -1 none, 0 periodic */
} ASSUMED[] = {
    {"DIBAO_URBAN", 1, 1, 0},   {"DIBAO_RURAL", 1, 1, 0},  {"TEKUN_HOME", 0, 1, 0},
    {"TEKUN_INST", 0, 1, 0},    {"TEKUN_CARE", 0, 1, 0},   {"TEMP_EMERG", 1, 0, -1},
    {"TEMP_EXPEND", 1, 0, -1},  {"VAGRANT", 0, 0, -1},     {"ORPHAN", 0, 1, 0},
    {"FUC_CHILD", 0, 1, 0},     {"DIS_LIVING", 0, 1, 0},   {"DIS_NURSING", 0, 1, 0},
    {"ELDER_SVC", 0, 1, 0},     {"ELDER_AGE", 0, 1, 0},    {"FUNERAL", 0, 0, 36600},
    {"PRICE_SUB", 0, 1, 0},     {"FESTIVAL", 1, 0, 300},   {"DSTR_EMERG", 0, 0, -1},
    {"DSTR_TRANS", 0, 1, 0},    {"DSTR_WINTER", 0, 0, 180}, {"DSTR_HOUSE", 1, 0, 3650},
    {"MED_PREM", 0, 1, 0},      {"MED_AID", 0, 0, -1},     {"MED_HEAVY", 0, 0, -1},
    {"DISEASE_EMERG", 0, 0, -1}, {"FP_SPECIAL", 0, 1, 0},  {"EDU_PRE", 0, 1, 0},
    {"EDU_COMP", 0, 1, 0},      {"EDU_HIGH", 0, 1, 0},     {"EDU_VOC", 0, 1, 0},
    {"EDU_UNIV", 0, 1, 0},      {"EDU_LOAN", 0, 1, 0},     {"EMP_POST", 0, 1, 0},
    {"EMP_SOCINS", 0, 1, 0},    {"EMP_GRAD", 0, 0, 36600}, {"PENSION_PAY", 0, 1, 0},
    {"HOUSE_PRR", 1, 1, 0},     {"HOUSE_RENT", 1, 1, 0},   {"HOUSE_RURAL", 1, 0, 3650},
    {"UTIL_WAIVER", 1, 1, 0},   {"DPF_REHAB", 0, 1, 0},    {"DPF_DEVICE", 0, 0, 365},
    {"DPF_ACCESS", 1, 0, 3650}, {"UNION_AID", 1, 0, 300},  {"UNION_EDU", 0, 0, 300},
    {"WOMEN_CANCER", 0, 0, 365}, {"CYL_HOPE", 0, 0, 36600}, {"RC_AID", 1, 0, -1},
    {"CHARITY_AID", 0, 0, -1},  {"VET_PENSION", 0, 1, 0},  {"VET_HARD", 0, 0, 300},
    {"ANTI_RELAPSE", 1, 1, 0},  {"YULU", 0, 1, 0},         {"LEGAL_AID", 0, 0, -1},
    {"JUDICIAL_AID", 0, 0, -1},
};

static int check_catalogue(const char *catalogue_rel)
{
    char path[8400];
    if (catalogue_rel[0] == '/')
        snprintf(path, sizeof path, "%s/items.csv", catalogue_rel);
    else
        snprintf(path, sizeof path, "%s/%s/items.csv", g_dir, catalogue_rel);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "gen_county: note: %s not found; catalogue assumptions unchecked\n", path);
        return 0;
    }
    int problems = 0;
    size_t seen = 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *col[8] = {0};
        int n = 0;
        char *p = line;
        while (n < 8) {
            col[n++] = p;
            char *c = strchr(p, ',');
            if (!c)
                break;
            *c = '\0';
            p = c + 1;
        }
        if (n < 7)
            continue;
        col[6][strcspn(col[6], "\r\n")] = '\0';
        for (size_t k = 0; k < sizeof ASSUMED / sizeof ASSUMED[0]; k++) {
            if (strcmp(col[0], ASSUMED[k].code) != 0)
                continue;
            seen++;
            const int household = strcmp(col[4], "household") == 0;
            const int periodic = strcmp(col[5], "periodic") == 0;
            const int window = periodic ? 0 : strcmp(col[6], "none") == 0 ? -1 : atoi(col[6]);
            if (household != ASSUMED[k].household || periodic != ASSUMED[k].periodic ||
                window != ASSUMED[k].window) {
                fprintf(stderr, "gen_county: warning: catalogue item %s differs from what truth assumes\n",
                        col[0]);
                problems++;
            }
        }
    }
    fclose(f);
    if (seen != sizeof ASSUMED / sizeof ASSUMED[0]) {
        fprintf(stderr, "gen_county: warning: catalogue lacks %zu item(s) the feeds use\n",
                sizeof ASSUMED / sizeof ASSUMED[0] - seen);
        problems++;
    }
    return problems;
}

static int check_rules(const char *rules_rel)
{
    static const char *const NEED[] = {"R01", "R02", "R03", "R13", "R05", "R06", "R06H", "R07", "R08",
                                       "R11", "R12", "R14", "R15V", "R15B", "R15P", "R16", "R17"};
    char path[8400];
    if (rules_rel[0] == '/')
        snprintf(path, sizeof path, "%s", rules_rel);
    else
        snprintf(path, sizeof path, "%s/%s", g_dir, rules_rel);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "gen_county: note: %s not found; rule ids unchecked\n", path);
        return 0;
    }
    int found[sizeof NEED / sizeof NEED[0]] = {0};
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char id[32];
        if (sscanf(line, "rule %31s", id) != 1)
            continue;
        for (size_t k = 0; k < sizeof NEED / sizeof NEED[0]; k++)
            if (strcmp(id, NEED[k]) == 0)
                found[k] = 1;
    }
    fclose(f);
    int problems = 0;
    for (size_t k = 0; k < sizeof NEED / sizeof NEED[0]; k++)
        if (!found[k]) {
            fprintf(stderr, "gen_county: warning: rules file has no rule %s that truth expects\n", NEED[k]);
            problems++;
        }
    return problems;
}

/* ------------------------------------------------------------------ */
/* Main                                                                */
/* ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void write_text(const char *name, const char *text, size_t len, mode_t mode)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        die("%s: cannot create: %s", path, strerror(errno));
    if (fchmod(fd, mode) != 0)
        die("%s: chmod: %s", path, strerror(errno));
    size_t off = 0;
    while (off < len) {
        const ssize_t k = write(fd, text + off, len - off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            die("%s: write: %s", path, strerror(errno));
        }
        off += (size_t)k;
    }
    if (close(fd) != 0)
        die("%s: close: %s", path, strerror(errno));
}

static void write_truth(void)
{
    qsort(g_truth, g_ntruth, sizeof *g_truth, cmp_str);
    size_t len = 40;
    for (size_t k = 0; k < g_ntruth; k++)
        len += strlen(g_truth[k]) + 1;
    char *text = xmalloc(len + 1);
    size_t at = 0;
    at += (size_t)sprintf(text, "kind,rule_id,unit,subject,items\n");
    for (size_t k = 0; k < g_ntruth; k++)
        at += (size_t)sprintf(text + at, "%s\n", g_truth[k]);
    write_text("truth.csv", text, at, 0644);
    free(text);
}

static void usage(void)
{
    fputs("usage: gen_county --persons N --seed S --out DIR [--key KEYFILE] [--bad-rows]\n"
          "                  [--damaged-ids N [--intact-ids]] [--plain-registry]\n"
          "                  [--catalogue PATH_FROM_DIR] [--rules PATH_FROM_DIR]\n"
          "Writes a synthetic county into DIR: agency feeds, centre.ini, county.key\n"
          "(unless --key) and truth.csv, the findings the planted anomalies must produce;\n"
          "with --damaged-ids, a feed of N rows whose IDs are damaged and links_truth.csv;\n"
          "with --intact-ids too, the same feeds with those IDs undamaged (no links_truth.csv):\n"
          "the run the damage adds to.\n"
          "With --plain-registry, the hukou register uncompressed, as a county's is:\n"
          "by far its biggest feed.\n",
          stderr);
    exit(2);
}

static uint64_t parse_u64(const char *s, const char *what)
{
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s || *s == '-')
        die("%s: expected a non-negative integer, got '%s'", what, s);
    return (uint64_t)v;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    uint64_t n = 0, seed = 0, damaged = 0;
    int have_n = 0, have_seed = 0;
    const char *out = NULL, *keyfile = NULL, *catalogue = "../catalogue", *rules = NULL;
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        const int more = a + 1 < argc;
        if (strcmp(arg, "--persons") == 0 && more) {
            n = parse_u64(argv[++a], "--persons");
            have_n = 1;
        } else if (strcmp(arg, "--seed") == 0 && more) {
            seed = parse_u64(argv[++a], "--seed");
            have_seed = 1;
        } else if (strcmp(arg, "--out") == 0 && more) {
            out = argv[++a];
        } else if (strcmp(arg, "--key") == 0 && more) {
            keyfile = argv[++a];
        } else if (strcmp(arg, "--catalogue") == 0 && more) {
            catalogue = argv[++a];
        } else if (strcmp(arg, "--rules") == 0 && more) {
            rules = argv[++a];
        } else if (strcmp(arg, "--plain-registry") == 0) {
            g_plain_registry = 1;
        } else if (strcmp(arg, "--bad-rows") == 0) {
            g_bad_rows = 1;
        } else if (strcmp(arg, "--damaged-ids") == 0 && more) {
            damaged = parse_u64(argv[++a], "--damaged-ids");
        } else if (strcmp(arg, "--intact-ids") == 0) {
            g_intact_ids = 1;
        } else {
            usage();
        }
    }
    if (!have_n || !have_seed || !out || (g_intact_ids && !damaged))
        usage();
    if (n < 100 || n > 200000000)
        die("--persons: expected 100 to 200000000");
    if (strlen(out) >= sizeof g_dir - 64)
        die("--out: path too long");
    const double t0 = now_s();
    g_n = (uint32_t)n;
    g_seed = mix64(seed ^ 0x6169646D61746368ULL);
    snprintf(g_dir, sizeof g_dir, "%s", out);
    if (mkdir(g_dir, 0755) != 0 && errno != EEXIST)
        die("%s: cannot create: %s", g_dir, strerror(errno));
    if (sodium_init() < 0)
        die("libsodium failed to initialise");

    if (keyfile) {
        FILE *f = fopen(keyfile, "r");
        char text[80] = {0};
        size_t bin = 0;
        if (!f || !fgets(text, sizeof text, f))
            die("%s: cannot read key file", keyfile);
        fclose(f);
        text[strcspn(text, "\r\n ")] = '\0';
        if (strlen(text) != 32 || sodium_hex2bin(g_key, 16, text, 32, NULL, &bin, NULL) != 0 || bin != 16)
            die("%s: expected 32 hex digits", keyfile);
    } else {
        /* Derived from the seed so that the whole output, tokens included,
         * is reproducible. */
        char msg[64];
        const int len = snprintf(msg, sizeof msg, "aidmatch-gen%llu", (unsigned long long)seed);
        crypto_generichash(g_key, 16, (const unsigned char *)msg, (unsigned long long)len, NULL, 0);
        char hexkey[34];
        hex(g_key, 16, hexkey);
        hexkey[32] = '\n';
        write_text("county.key", hexkey, 33, 0600);
    }
    {
        static const char label[] = "aidmatch key fingerprint v1";
        unsigned char fp[8];
        crypto_generichash(fp, 8, (const unsigned char *)label, sizeof label - 1, g_key, 16);
        hex(fp, 8, g_fingerprint);
    }

    D0 = day_of(2025, 1, 1);
    D1 = day_of(2025, 12, 31);
    g_day1900 = day_of(1900, 1, 1);
    g_birth_min = day_of(1930, 1, 1);
    g_birth_max = day_of(2024, 12, 31);
    P = xcalloc((size_t)g_n, sizeof *P); /* person flags start cleared */
    g_seqcount = xcalloc(NAREAS * SEQ_DAYS * 2, sizeof *g_seqcount);
    rng r;
    rng_seed(&r, g_seed);
    gen_households(&r);
    free(g_seqcount);
    g_seqcount = NULL;
    gen_attributes();
    gen_programmes();
    plant_all();
    gen_assets();
    if (damaged > n / 4)
        die("--damaged-ids: expected at most a quarter of --persons");
    plan_damage((uint32_t)damaged);

    feed_mca_dibao();
    feed_mca_allowances();
    feed_mca_elder();
    feed_mca_oneoff();
    feed_hsa_premium();
    feed_hsa_medaid();
    feed_nhc();
    feed_edu_aid();
    feed_edu_enrolment();
    feed_hrss();
    feed_hrss_unemployed();
    feed_hrss_grad();
    feed_housing();
    feed_housing_difficulty();
    feed_dpf_certificates();
    feed_dpf_payments();
    feed_acftu();
    feed_women();
    feed_cyl();
    feed_rc();
    feed_charity();
    feed_vets();
    feed_agri();
    feed_justice();
    feed_court();
    feed_emb();
    feed_util();
    feed_damaged_ids();
    feed_psb_hukou();
    feed_psb_deaths();
    feed_psb_vehicles();
    feed_samr();
    feed_nra();

    /* The centre file: [centre] first, then the feed sections gathered
     * while the feeds were written. */
    char head[2048];
    const int hl = snprintf(head, sizeof head,
                            "; Synthetic county written by gen_county --persons %llu --seed %llu%s\n"
                            "; Reconciliation window 2025-01-01..2025-12-31 (from the periodic payments).\n"
                            "; truth.csv lists every finding the rules must produce on these feeds.\n"
                            "[centre]\nname = Synthetic county (seed %llu, %llu persons)\n"
                            "catalogue = %s\nkey = %s\ndeath_lag_days = 30\n%s%s%s",
                            (unsigned long long)n, (unsigned long long)seed,
                            g_bad_rows ? " --bad-rows" : "", (unsigned long long)seed,
                            (unsigned long long)n, catalogue, keyfile ? keyfile : "county.key",
                            rules ? "rules = " : "", rules ? rules : "", rules ? "\n" : "");
    char *centre = xmalloc((size_t)hl + g_ini_len + 1);
    memcpy(centre, head, (size_t)hl);
    memcpy(centre + hl, g_ini, g_ini_len);
    write_text("centre.ini", centre, (size_t)hl + g_ini_len, 0644);
    free(centre);
    write_truth();
    write_links_truth();
    const double t1 = now_s();

    check_catalogue(catalogue);
    if (rules)
        check_rules(rules);

    /* Report: feeds, truth by kind, near-misses. */
    static const char *const KINDS[] = {"DUPLICATE", "CONFLICT", "MISSING", "AFTER_DEATH",
                                        "DISQUALIFIED", "HOUSEHOLD_DUPLICATE"};
    printf("gen_county: %u persons, %u households, %d feeds, %llu rows, %.2f s (%.0f rows/s)\n", g_n,
           g_nh, g_nfeeds, (unsigned long long)g_rows_total, t1 - t0, (double)g_rows_total / (t1 - t0));
    printf("truth: %zu findings:", g_ntruth);
    for (size_t k = 0; k < sizeof KINDS / sizeof KINDS[0]; k++) {
        size_t c = 0;
        for (size_t t = 0; t < g_ntruth; t++)
            if (strncmp(g_truth[t], KINDS[k], strlen(KINDS[k])) == 0 && g_truth[t][strlen(KINDS[k])] == ',')
                c++;
        printf(" %s %zu%s", KINDS[k], c, k + 1 < sizeof KINDS / sizeof KINDS[0] ? "," : "\n");
    }
    unsigned near = 0;
    for (int c = NM_TK_SWITCH; c < PL__COUNT; c++)
        near += g_planted[c];
    near += g_hplanted[HN_R17_30] + g_hplanted[HN_MIDYEAR];
    printf("near-misses planted (not in truth): %u\n", near);
    if (g_bad_rows) {
        printf("rejectable rows appended (--bad-rows):\n");
        for (int f = 0; f < g_nfeeds; f++)
            if (g_feeds[f].bad)
                printf("  %-20s %llu\n", g_feeds[f].name, (unsigned long long)g_feeds[f].bad);
    }
    if (getenv("GEN_COUNTY_VERBOSE")) {
        for (int f = 0; f < g_nfeeds; f++)
            fprintf(stderr, "  %-20s %-8s %-9s %9llu  %s\n", g_feeds[f].name, g_feeds[f].agency,
                    g_feeds[f].kind, (unsigned long long)g_feeds[f].rows, g_feeds[f].notes);
        for (int c = 1; c < PL__COUNT; c++)
            fprintf(stderr, "  plant %-40s %u\n", PLANT_NAMES[c], g_planted[c]);
        for (int c = 1; c < HP__COUNT; c++)
            fprintf(stderr, "  plant %-40s %u\n", HPLANT_NAMES[c], g_hplanted[c]);
    }
    if (g_shortfall)
        fprintf(stderr, "gen_county: %u plants short of target (population too small)\n", g_shortfall);
    free(P);
    free(H);
    return 0;
}
