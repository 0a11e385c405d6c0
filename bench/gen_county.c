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
 * Everything derives from --seed: a person's secondary attributes are
 * hashes of (seed, index, purpose) rather than stored, which keeps memory
 * at about 40 bytes a person and makes every feed writer an independent
 * pass over the same arrays.
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

/* First month of 2025 that starts on or after s. */
static int first_full_month(int32_t s)
{
    if (s <= D0)
        return 1;
    int y, m, d;
    ymd_of(s, &y, &m, &d);
    return d == 1 ? m : m + 1;
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
                                         "托合提", "艾买提",   "依明",   "多吉"};

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
    PF_DIS2025 = 1u << 14,    /* disability certificate issued in 2025 */
    PF_MALE = 1u << 15,
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

typedef struct household {
    uint32_t first;
    uint8_t size;
    uint8_t town;
    uint8_t flags;
    uint8_t plant;
    uint8_t dibao_from; /* first month of dibao in 2025 */
    uint8_t pad[3];
} household;

static person *P;
static household *H;
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
static uint32_t head_of(uint32_t h) { return H[h].first; }
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
