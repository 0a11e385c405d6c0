/*
 * serve.c — `aidmatch serve`: the window check as JSON over HTTP, for
 * window systems written in other languages, on libmicrohttpd.
 *
 * Requests are read whole into memory up to --max-body bytes, then handed
 * to am_window_check_json / am_window_grant_json; the answer is the JSON of
 * precheck --format json.  A slow client is dropped after --timeout seconds
 * of silence by the server library, whose own threads keep serving the
 * others.  The snapshot's file is looked at (stat) at most once a second;
 * when the nightly run has replaced it, a new window is opened beside the
 * old one, new requests go to the new one, and the old one is closed when
 * the last request using it has answered: none is dropped.  The access log
 * (stderr) holds the time, method, endpoint, status, size and duration —
 * never a body, a query string or an unknown path, where an ID could be.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "common/json.h"
#include "window_json.h"

static const char serve_help[] =
    "Usage: aidmatch serve --snapshot FILE [--key FILE | --centre CENTRE.ini]\n"
    "                      [--journal FILE] [--listen ADDRESS:PORT] [--token-file FILE]\n"
    "                      [--max-body BYTES] [--timeout SECONDS] [--threads N]\n"
    "                      [--per-ip N] [--rate N]\n"
    "\n"
    "Answers the window's questions as JSON over HTTP (docs/openapi.yaml):\n"
    "  POST /v1/check   holdings, the findings proposed grants would raise, the menu\n"
    "  POST /v1/grant   records a grant made at the window in the journal\n"
    "  GET  /v1/health  whether the server answers\n"
    "\n"
    "  --listen ADDRESS:PORT  IPv4 address and port (default 127.0.0.1:8080; port 0\n"
    "                         picks a free one, printed on stderr)\n"
    "  --token-file FILE      requests must carry 'Authorization: Bearer TOKEN', TOKEN\n"
    "                         the file's first line; required off loopback\n"
    "  --max-body BYTES       largest request body (default 65536); larger: 413\n"
    "  --timeout SECONDS      a connection silent this long is closed (default 10)\n"
    "  --threads N            threads answering (default 2)\n"
    "  --per-ip N             connections at once from one address (default 64)\n"
    "  --rate N               checks and grants answered a second, in bursts of N at\n"
    "                         most (default: no limit); past it: 429\n"
    "TLS is left to a reverse proxy in front.  Stops on SIGINT or SIGTERM.\n";

/* A snapshot opened, shared by the requests answered from it. */
typedef struct opened {
    am_ctx *ctx;
    am_window *window;
    struct stat file; /* the snapshot's file when opened */
    unsigned users;
    int retired; /* a newer snapshot has replaced it */
} opened;

typedef struct server {
    const char *snapshot, *key, *centre, *journal;
    char *token;
    size_t max_body;
    pthread_mutex_t lock; /* current, its users, looked_at, reopening */
    opened *current;
    double looked_at;
    int reopening;
    pthread_mutex_t log_lock;
    unsigned long rate;        /* checks and grants a second; 0: no limit */
    double allowance, refilled; /* the token bucket, under rate_lock */
    pthread_mutex_t rate_lock;
} server;

/* One request's body, gathered as it arrives. */
typedef struct request {
    char *body;
    size_t len, cap;
    int too_big;
    double started;
    const char *method, *endpoint; /* for the log: known names only */
} request;

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void close_opened(opened *o)
{
    if (!o)
        return;
    am_window_close(o->window);
    am_ctx_free(o->ctx);
    free(o);
}

/* Opens the snapshot and a window on it; NULL after logging why not. */
static opened *open_snapshot(server *s)
{
    opened *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    am_status st = stat(s->snapshot, &o->file) == 0 ? new_context(&o->ctx) : AM_ERR_IO;
    if (st == AM_OK && s->key)
        st = am_load_key_file(o->ctx, s->key);
    if (st == AM_OK && s->centre && !s->key) {
        if (load_centre_arg(o->ctx, s->centre) != EXIT_OK) {
            free(o); /* load_centre_arg has freed the context and said why */
            return NULL;
        }
    }
    if (st == AM_OK)
        st = am_snapshot_open(o->ctx, s->snapshot);
    if (st == AM_OK)
        st = am_window_open(o->ctx, s->journal, &o->window);
    if (st != AM_OK) {
        fprintf(stderr, "%s: serve: %s\n", program,
                o->ctx ? am_errmsg(o->ctx) : "the snapshot cannot be read");
        close_opened(o);
        return NULL;
    }
    return o;
}

/* The window to answer from, the newest snapshot's once it is replaced;
 * release() it after answering. */
static opened *acquire(server *s)
{
    const double now = now_seconds();
    pthread_mutex_lock(&s->lock);
    int look = !s->reopening && now - s->looked_at >= 1.0;
    if (look) {
        s->looked_at = now;
        struct stat file;
        look = stat(s->snapshot, &file) == 0 && !same_file(&file, &s->current->file);
        s->reopening = look;
    }
    pthread_mutex_unlock(&s->lock);
    /* Opened outside the lock: other requests go on meanwhile. */
    opened *fresh = look ? open_snapshot(s) : NULL;
    pthread_mutex_lock(&s->lock);
    opened *old = NULL;
    if (look) {
        s->reopening = 0;
        if (fresh) {
            old = s->current;
            old->retired = 1;
            s->current = fresh;
            if (old->users)
                old = NULL; /* its last user closes it */
        }
    }
    opened *o = s->current;
    o->users++;
    pthread_mutex_unlock(&s->lock);
    close_opened(old);
    if (fresh) {
        pthread_mutex_lock(&s->log_lock);
        fprintf(stderr, "%s: serve: the snapshot was replaced; answering from the new one\n",
                program);
        pthread_mutex_unlock(&s->log_lock);
    }
    return o;
}

static void release(server *s, opened *o)
{
    pthread_mutex_lock(&s->lock);
    const int last = --o->users == 0 && o->retired;
    pthread_mutex_unlock(&s->lock);
    if (last)
        close_opened(o);
}

/* ------------------------------------------------------------------ */

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, char *body,
                                 size_t len)
{
    struct MHD_Response *r =
        body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    const enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

/* {"error": message}, with the HTTP status. */
static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status,
                                  const char *message)
{
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    if (!f)
        return MHD_NO;
    fputs("{\"error\": ", f);
    am_json_write_string(f, message);
    fputs("}\n", f);
    if (fclose(f) != 0) {
        free(body);
        return MHD_NO;
    }
    return send_json(conn, status, body, len);
}

static unsigned status_for(am_status st)
{
    switch (st) {
    case AM_ERR_FORMAT:
    case AM_ERR_INVALID:
    case AM_ERR_LIMIT:
    case AM_ERR_KEY:
        return MHD_HTTP_BAD_REQUEST;
    default:
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

static enum MHD_Result answer_check(struct MHD_Connection *conn, am_window *w,
                                    const request *q)
{
    am_check *c = NULL;
    const am_status st = am_window_check_json(w, q->body, q->len, &c);
    enum MHD_Result ok;
    if (st != AM_OK) {
        ok = send_error(conn, status_for(st), c ? am_check_errmsg(c) : am_strerror(st));
    } else {
        char *body = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&body, &len);
        if (f) {
            check_json(f, c);
            fputc('\n', f);
        }
        if (f && fclose(f) == 0)
            ok = send_json(conn, MHD_HTTP_OK, body, len);
        else
            ok = send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    am_check_free(c);
    return ok;
}

static enum MHD_Result answer_grant(struct MHD_Connection *conn, am_window *w,
                                    const request *q)
{
    char message[512] = "";
    const am_status st = am_window_grant_json(w, q->body, q->len, message, sizeof message);
    if (st != AM_OK)
        return send_error(conn, status_for(st), *message ? message : am_strerror(st));
    char *body = strdup("{\"recorded\": true}\n");
    return body ? send_json(conn, MHD_HTTP_OK, body, strlen(body))
                : send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
}

/* Whether the request carries the access token (compared in constant time). */
static int authorised(const server *s, struct MHD_Connection *conn)
{
    if (!s->token)
        return 1;
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0)
        return 0;
    h += 7;
    const size_t n = strlen(s->token);
    if (strlen(h) != n)
        return 0;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(h[i] ^ s->token[i]);
    return diff == 0;
}

/* A token bucket shared by all clients: it refills at rate a second and
 * holds at most rate, so a burst gets rate answers and then one per
 * 1/rate seconds.  Health checks are not counted: a monitor must still
 * see a busy server answer. */
static int within_rate(server *s)
{
    if (!s->rate)
        return 1;
    pthread_mutex_lock(&s->rate_lock);
    const double now = now_seconds();
    s->allowance += (now - s->refilled) * (double)s->rate;
    s->refilled = now;
    if (s->allowance > (double)s->rate)
        s->allowance = (double)s->rate;
    const int within = s->allowance >= 1.0;
    if (within)
        s->allowance -= 1.0;
    pthread_mutex_unlock(&s->rate_lock);
    return within;
}

static const char *const endpoints[] = {"/v1/check", "/v1/grant", "/v1/health", NULL};

static enum MHD_Result route(server *s, struct MHD_Connection *conn, const char *url,
                             const char *method, const request *q)
{
    if (!authorised(s, conn))
        return send_error(conn, MHD_HTTP_UNAUTHORIZED,
                          "this server needs 'Authorization: Bearer TOKEN'");
    const int post = strcmp(method, "POST") == 0;
    if (strcmp(url, "/v1/health") == 0) {
        if (strcmp(method, "GET") != 0)
            return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "/v1/health takes GET");
        char *body = strdup("{\"status\": \"ok\"}\n");
        return body ? send_json(conn, MHD_HTTP_OK, body, strlen(body)) : MHD_NO;
    }
    const int check = strcmp(url, "/v1/check") == 0, grant = strcmp(url, "/v1/grant") == 0;
    if (!check && !grant)
        return send_error(conn, MHD_HTTP_NOT_FOUND,
                          "no such endpoint: POST /v1/check, POST /v1/grant or GET /v1/health");
    if (!post)
        return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "this endpoint takes POST");
    if (!within_rate(s)) {
        char message[96];
        snprintf(message, sizeof message, "more than %lu requests a second; try again shortly",
                 s->rate);
        return send_error(conn, MHD_HTTP_TOO_MANY_REQUESTS, message);
    }
    if (q->too_big) {
        char message[96];
        snprintf(message, sizeof message, "the request body is larger than %zu bytes",
                 s->max_body);
        return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, message);
    }
    opened *o = acquire(s);
    const enum MHD_Result ok = check ? answer_check(conn, o->window, q)
                                     : answer_grant(conn, o->window, q);
    release(s, o);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **state)
{
    (void)version;
    server *s = cls;
    request *q = *state;
    if (!q) {
        if (!(q = calloc(1, sizeof *q)))
            return MHD_NO;
        q->started = now_seconds();
        q->method = strcmp(method, "POST") == 0  ? "POST"
                    : strcmp(method, "GET") == 0 ? "GET"
                                                 : "other";
        q->endpoint = "(other)";
        for (size_t i = 0; endpoints[i]; i++)
            if (strcmp(url, endpoints[i]) == 0)
                q->endpoint = endpoints[i];
        *state = q;
        return MHD_YES;
    }
    if (*upload_size) {
        /* Past the limit the rest is read and dropped, so that the client
         * gets its 413 rather than a broken connection. */
        if (!q->too_big && q->len + *upload_size > s->max_body) {
            q->too_big = 1;
            free(q->body);
            q->body = NULL;
            q->len = q->cap = 0;
        }
        if (!q->too_big) {
            if (q->len + *upload_size + 1 > q->cap) {
                const size_t cap = (q->len + *upload_size + 1) * 2;
                char *grown = realloc(q->body, cap);
                if (!grown)
                    return MHD_NO;
                q->body = grown;
                q->cap = cap;
            }
            memcpy(q->body + q->len, upload, *upload_size);
            q->len += *upload_size;
            q->body[q->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return route(s, conn, url, method, q);
}

/* When a request is done: the access log line, and its memory freed. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode why)
{
    server *s = cls;
    request *q = *state;
    if (!q)
        return;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
    char when[32];
    const time_t t = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    pthread_mutex_lock(&s->log_lock);
    fprintf(stderr, "%s %s %s %u %zu bytes %.2f ms%s\n", when, q->method, q->endpoint,
            info ? info->http_status : 0, q->len,
            (now_seconds() - q->started) * 1000.0,
            why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? ""
            : why == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? " (timed out)"
                                                             : " (closed early)");
    pthread_mutex_unlock(&s->log_lock);
    free(q->body);
    free(q);
    *state = NULL;
}

/* ------------------------------------------------------------------ */

/* A count from an option: 1 and *out, or 0 after saying why not. */
static int count_of(const char *text, const char *what, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    const unsigned long v = text ? strtoul(text, &end, 10) : 0;
    if (!text)
        return 1;
    if (errno || end == text || *end || *text < '0' || *text > '9' || v == 0 || v > max) {
        fprintf(stderr, "%s: %s takes a whole number from 1 to %lu, got '%.40s'\n", program, what,
                max, text);
        return 0;
    }
    *out = v;
    return 1;
}

/* ADDRESS:PORT into *addr: 1, or 0 after saying why not. */
static int listen_address(const char *text, struct sockaddr_in *addr)
{
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    const char *colon = strrchr(text, ':');
    char host[64];
    unsigned long port = 0;
    char *end = NULL;
    if (colon && (size_t)(colon - text) < sizeof host) {
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
        errno = 0;
        port = strtoul(colon + 1, &end, 10);
    }
    if (!colon || !end || *end || end == colon + 1 || colon[1] < '0' || colon[1] > '9' || errno ||
        port > 65535 ||
        inet_pton(AF_INET, host, &addr->sin_addr) != 1) {
        fprintf(stderr, "%s: --listen takes an IPv4 ADDRESS:PORT such as 127.0.0.1:8080, got "
                        "'%.60s'\n", program, text);
        return 0;
    }
    addr->sin_port = htons((uint16_t)port);
    return 1;
}

/* The access token: the file's first line, at least 16 characters. */
static int read_token(const char *path, char **token)
{
    char *text;
    size_t len;
    if (!read_text_file(path, "token file", &text, &len))
        return 0;
    text[strcspn(text, "\r\n")] = '\0';
    if (strlen(text) < 16) {
        fprintf(stderr, "%s: %s: the access token must be at least 16 characters\n", program,
                path);
        free(text);
        return 0;
    }
    *token = text;
    return 1;
}

int cmd_serve(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(serve_help, stdout);
        return EXIT_OK;
    }
    server s;
    memset(&s, 0, sizeof s);
    const char *listen = "127.0.0.1:8080", *token_file = NULL, *max_body = NULL,
               *timeout = NULL, *threads = NULL, *per_ip = NULL, *rate = NULL,
               *positional = NULL;
    const value_option options[] = {
        {"--snapshot", &s.snapshot}, {"--key", &s.key},           {"--centre", &s.centre},
        {"--journal", &s.journal},   {"--listen", &listen},       {"--token-file", &token_file},
        {"--max-body", &max_body},   {"--timeout", &timeout},     {"--threads", &threads},
        {"--per-ip", &per_ip},       {"--rate", &rate},           {NULL, NULL},
    };
    int rc = parse_args(argc, argv, options, NULL, NULL, &positional);
    if (rc != EXIT_OK)
        return rc;
    if (positional)
        return usage_error("serve takes no operand, got", positional);
    if (!s.snapshot && !(s.snapshot = getenv("AIDMATCH_SNAPSHOT")))
        return usage_error("give --snapshot FILE (or set AIDMATCH_SNAPSHOT)", NULL);
    unsigned long body_limit = 65536, seconds = 10, nthreads = 2, ip_limit = 64;
    struct sockaddr_in addr;
    if (!count_of(max_body, "--max-body", 16ul << 20, &body_limit) ||
        !count_of(timeout, "--timeout", 3600, &seconds) ||
        !count_of(threads, "--threads", 64, &nthreads) ||
        !count_of(per_ip, "--per-ip", 4096, &ip_limit) ||
        !count_of(rate, "--rate", 1000000, &s.rate) || !listen_address(listen, &addr))
        return EXIT_USAGE;
    if (!token_file && ntohl(addr.sin_addr.s_addr) >> 24 != 127)
        return usage_error("off loopback, give --token-file FILE: requests must then carry "
                           "its token; listening on",
                           listen);
    if (token_file && !read_token(token_file, &s.token))
        return EXIT_USAGE;
    s.max_body = body_limit;
    pthread_mutex_init(&s.lock, NULL);
    pthread_mutex_init(&s.log_lock, NULL);
    pthread_mutex_init(&s.rate_lock, NULL);
    s.looked_at = now_seconds();
    s.refilled = s.looked_at;
    s.allowance = (double)s.rate;
    if (!(s.current = open_snapshot(&s))) {
        free(s.token);
        return EXIT_RUN_FAILED;
    }
    /* The server's threads inherit the mask: only this one takes signals. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        on_request, &s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)nthreads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)seconds, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)ip_limit,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(ip_limit * 4),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "%s: serve: cannot listen on %s: %s\n", program, listen,
                strerror(errno ? errno : EADDRINUSE));
        rc = EXIT_RUN_FAILED;
    } else {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        char host[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &addr.sin_addr, host, sizeof host);
        fprintf(stderr, "%s: serve: listening on %s:%u\n", program, host,
                info ? (unsigned)info->port : (unsigned)ntohs(addr.sin_port));
        int sig;
        sigwait(&stop, &sig);
        MHD_stop_daemon(d); /* answers what it has begun, then returns */
        fprintf(stderr, "%s: serve: stopped\n", program);
    }
    close_opened(s.current);
    pthread_mutex_destroy(&s.lock);
    pthread_mutex_destroy(&s.log_lock);
    pthread_mutex_destroy(&s.rate_lock);
    free(s.token);
    return rc;
}
