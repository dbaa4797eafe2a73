/* Worker threads' traces to the main loop: see relay.h. */
#include "relay.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct rw_relay {
	uv_async_t async; /* on the main loop */
	rw_relay_sink sink;
	void *ctx;
	pthread_mutex_t lock; /* guards the fields below */
	char *buf;
	size_t len, cap;
	uint64_t dropped;
};

/* Take the buffer gathered so far (the workers start a new one) and hand it to the sink. */
static void relay_drain(struct rw_relay *rl)
{
	char *buf;
	size_t len;

	pthread_mutex_lock(&rl->lock);
	buf = rl->buf;
	len = rl->len;
	rl->buf = NULL;
	rl->len = rl->cap = 0;
	pthread_mutex_unlock(&rl->lock);
	/* one at a time: the sink drops and counts whole traces */
	for (size_t off = 0; off + sizeof(size_t) <= len;) {
		size_t n;

		memcpy(&n, buf + off, sizeof(n));
		off += sizeof(n);
		rl->sink(rl->ctx, buf + off, n);
		off += n;
	}
	free(buf);
}

static void relay_async_cb(uv_async_t *a)
{
	relay_drain(a->data);
}

struct rw_relay *rw_relay_new(uv_loop_t *loop, rw_relay_sink sink, void *ctx)
{
	struct rw_relay *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return NULL;
	if (pthread_mutex_init(&rl->lock, NULL) != 0) {
		free(rl);
		return NULL;
	}
	if (uv_async_init(loop, &rl->async, relay_async_cb) < 0) {
		pthread_mutex_destroy(&rl->lock);
		free(rl);
		return NULL;
	}
	rl->async.data = rl;
	rl->sink = sink;
	rl->ctx = ctx;
	return rl;
}

void rw_relay_write(struct rw_relay *rl, const char *text, size_t len)
{
	bool wake;

	size_t need = sizeof(len) + len; /* each trace after its length */

	pthread_mutex_lock(&rl->lock);
	if (rl->len + need > RW_RELAY_MAX) {
		rl->dropped++;
		pthread_mutex_unlock(&rl->lock);
		return;
	}
	if (rl->len + need > rl->cap) {
		size_t cap = rl->cap ? rl->cap : 64 * 1024;
		char *p;

		while (cap < rl->len + need)
			cap *= 2;
		p = realloc(rl->buf, cap);
		if (!p) {
			rl->dropped++;
			pthread_mutex_unlock(&rl->lock);
			return;
		}
		rl->buf = p;
		rl->cap = cap;
	}
	wake = rl->len == 0; /* one wake-up per batch: the first trace of it */
	memcpy(rl->buf + rl->len, &len, sizeof(len));
	memcpy(rl->buf + rl->len + sizeof(len), text, len);
	rl->len += need;
	pthread_mutex_unlock(&rl->lock);
	if (wake)
		uv_async_send(&rl->async);
}

uint64_t rw_relay_dropped(struct rw_relay *rl)
{
	uint64_t n;

	if (!rl)
		return 0;
	pthread_mutex_lock(&rl->lock);
	n = rl->dropped;
	pthread_mutex_unlock(&rl->lock);
	return n;
}

static void relay_close_cb(uv_handle_t *h)
{
	struct rw_relay *rl = h->data;

	pthread_mutex_destroy(&rl->lock);
	free(rl->buf);
	free(rl);
}

void rw_relay_close(struct rw_relay *rl)
{
	if (!rl)
		return;
	relay_drain(rl);
	uv_close((uv_handle_t *)&rl->async, relay_close_cb);
}
