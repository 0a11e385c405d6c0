/*
 * inflate_ahead.c — a gzip file inflated ahead of its parser (see
 * inflate_ahead.h).
 *
 * A ring of SLOTS pieces of text: the thread fills the piece at head, the
 * parser reads the piece at tail, and each waits on the other only when
 * the ring is full or empty.  A piece is handed over whole, under the
 * lock, so nothing else is shared while both run.  The text is feed text
 * (raw IDs and names), so the pieces and the stored bytes' buffer are
 * secret memory, wiped when freed.
 */
#include "read/inflate_ahead.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "common/alloc.h"
#include "common/text_file.h"
#include "common/thread_pair.h"

/* Four pieces of a megabyte: enough that neither thread waits on the
 * other's every call, few enough to stay in the cache the parser reads
 * them from. */
#define SLOTS 4u
#define SLOT_BYTES (1024u * 1024u)

/* A piece of text, all of it inflated from one read of stored bytes, so
 * that the parser knows the stored bytes read so far as the reader on one
 * thread would: a failure in the piece is told with that count. */
typedef struct slot {
    unsigned char *text;
    size_t len;
    uint64_t bytes; /* stored bytes read when the piece was inflated */
} slot;

struct am_inflate_ahead {
    am_ahead_source src;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a piece was handed over, or the end came */
    slot ring[SLOTS];
    size_t head, tail; /* pieces handed to the parser, and taken back */
    int taking;        /* the parser holds the piece at tail */
    int ended;         /* the thread is done: status says how */
    int stop;          /* the parser wants no more */
    am_status status;
    int read_errno;
    unsigned char *stored; /* src.read_size bytes as read from the file */
};

/* The thread's: hands the piece at head to the parser, if it holds text,
 * and waits for the next to be free.  0 once the parser has stopped. */
static int hand_over(am_inflate_ahead *a)
{
    slot *s = &a->ring[a->head % SLOTS];
    if (s->len == 0)
        return 1;
    s->bytes = a->src.bytes;
    pthread_mutex_lock(&a->lock);
    a->head++;
    pthread_cond_broadcast(&a->changed);
    while (!a->stop && a->head - a->tail == SLOTS)
        pthread_cond_wait(&a->changed, &a->lock);
    const int go = !a->stop;
    pthread_mutex_unlock(&a->lock);
    a->ring[a->head % SLOTS].len = 0;
    return go;
}

/* am_inflate_sink: text into the piece at head, handed over when full. */
static am_status take_text(void *user, const unsigned char *out, size_t len)
{
    am_inflate_ahead *a = user;
    am_ahead_source *src = &a->src;
    src->inflated += len;
    if (am_inflate_ratio_exceeded(src->inflated, src->bytes, src->max_ratio))
        return AM_ERR_LIMIT;
    while (len > 0) {
        slot *s = &a->ring[a->head % SLOTS];
        if (s->len == SLOT_BYTES) {
            if (!hand_over(a))
                return AM_ERR_ABORTED;
            s = &a->ring[a->head % SLOTS];
        }
        const size_t room = SLOT_BYTES - s->len;
        const size_t k = len < room ? len : room;
        memcpy(s->text + s->len, out, k);
        s->len += k;
        out += k;
        len -= k;
    }
    return AM_OK;
}

static void *inflate_thread(void *arg)
{
    am_inflate_ahead *a = arg;
    am_ahead_source *src = &a->src;
    am_status st = AM_OK;
    for (;;) {
        const ssize_t n = am_read_full(src->fd, a->stored, src->read_size);
        if (n < 0) {
            a->read_errno = errno;
            st = AM_ERR_IO;
            break;
        }
        if (n > 0) {
            XXH3_128bits_update(src->hash, a->stored, (size_t)n);
            src->bytes += (uint64_t)n;
            st = am_inflater_feed(src->inflater, a->stored, (size_t)n, take_text, a);
            /* The text of this read, even when a failure came after it:
             * the parser reads every byte inflated before the failure, as
             * on one thread. */
            if (st != AM_ERR_ABORTED && !hand_over(a))
                st = AM_ERR_ABORTED;
            if (st != AM_OK)
                break;
        }
        if ((size_t)n < src->read_size)
            break;
    }
    pthread_mutex_lock(&a->lock);
    a->status = st;
    a->ended = 1;
    pthread_cond_broadcast(&a->changed);
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

static void free_ahead(am_inflate_ahead *a)
{
    for (size_t i = 0; i < SLOTS; i++)
        am_secret_free(a->ring[i].text);
    am_secret_free(a->stored);
    am_free(a);
}

am_inflate_ahead *am_inflate_ahead_start(const am_ahead_source *src)
{
    am_inflate_ahead *a = am_calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->src = *src;
    int ok = (a->stored = am_secret_malloc(src->read_size)) != NULL;
    for (size_t i = 0; ok && i < SLOTS; i++)
        ok = (a->ring[i].text = am_secret_malloc(SLOT_BYTES)) != NULL;
    if (!ok || pthread_mutex_init(&a->lock, NULL) != 0) {
        free_ahead(a);
        return NULL;
    }
    if (pthread_cond_init(&a->changed, NULL) != 0) {
        pthread_mutex_destroy(&a->lock);
        free_ahead(a);
        return NULL;
    }
    if (am_thread_start(&a->thread, inflate_thread, a) != 0) {
        pthread_cond_destroy(&a->changed);
        pthread_mutex_destroy(&a->lock);
        free_ahead(a);
        return NULL;
    }
    return a;
}

am_status am_inflate_ahead_next(am_inflate_ahead *a, const unsigned char **p, size_t *n,
                                uint64_t *bytes)
{
    pthread_mutex_lock(&a->lock);
    if (a->taking) {
        a->taking = 0;
        a->tail++;
        pthread_cond_broadcast(&a->changed);
    }
    while (a->head == a->tail && !a->ended)
        pthread_cond_wait(&a->changed, &a->lock);
    am_status st = AM_OK;
    *p = NULL;
    *n = 0;
    if (a->head != a->tail) {
        const slot *s = &a->ring[a->tail % SLOTS];
        a->taking = 1;
        *p = s->text;
        *n = s->len;
        *bytes = s->bytes;
    } else {
        st = a->status;
    }
    pthread_mutex_unlock(&a->lock);
    return st;
}

void am_inflate_ahead_stop(am_inflate_ahead *a, am_ahead_tally *tally)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->lock);
    a->stop = 1;
    pthread_cond_broadcast(&a->changed);
    pthread_mutex_unlock(&a->lock);
    pthread_join(a->thread, NULL);
    if (tally)
        *tally = (am_ahead_tally){.bytes = a->src.bytes, .read_errno = a->read_errno};
    pthread_cond_destroy(&a->changed);
    pthread_mutex_destroy(&a->lock);
    free_ahead(a);
}
