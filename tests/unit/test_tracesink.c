/* The trace sink (src/daemon/tracesink.c) called from several threads at once: every trace
 * lands in the file whole (its lines together) and exactly once, packed cache-hit records
 * formatted by the sink exactly as rw_trace_hit_format formats them at once, also when the file is reopened
 * (rotated) meanwhile; closing writes what is still queued; a FIFO without a reader drops and
 * counts traces, and a reader that comes later gets them. Run under ASan (and TSan, where
 * built): the sink's shared state is all under its mutex or atomic. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include <uv.h>

#include <arpa/inet.h>

#include "../../src/core/sbuf.h"
#include "../../src/daemon/daemon.h"
#include "check.h"
#include "rootwalk/trace.h"

#define THREADS	   4
#define PER_THREAD 2000 /* ~250 bytes each: 2 MB in all, under the sink's 4 MiB bound */

struct writer {
	struct rw_tracesink *ts;
	int id;
	int count;
};

/* "a.example. A" answered with 192.0.2.1 from the cache, for the packed records. */
static const uint8_t hit_resp[] = {0x12, 0x34, 0x81, 0x80, 0,	1,    0,   1,	0,   0,	  0,
				   0,	 1,    'a',  7,	   'e', 'x',  'a', 'm', 'p', 'l', 'e',
				   0,	 0,    1,    0,	   1,	0xc0, 12,  0,	1,   0,	  1,
				   0,	 0,    1,    44,   0,	4,    192, 0,	2,   1};

/* Hit i (odd i of the last thread): its id says which. */
static void make_hit(struct rw_trace_hit *h, struct rw_cache_used *used, struct sockaddr_in *sin,
		     int i)
{
	memset(used, 0, sizeof(*used));
	used->n = 1;
	used->set[0] = (struct rw_cache_used_set){.kind = RW_ENTRY_RRSET,
						  .type = 1,
						  .n_rrs = 1,
						  .orig_ttl = 300,
						  .ttl_left = 300,
						  .stored_us = 1795600800LL * 1000000,
						  .expires_us = 1795601100LL * 1000000};
	strcpy(used->set[0].server, "ns1.example.");
	strcpy(used->set[0].zone, "example.");
	*sin = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(53)};
	inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
	*h = (struct rw_trace_hit){.id = 0xabc00000u + (uint64_t)i,
				   .format = i % 4 == 1 ? RW_TRACE_TEXT : RW_TRACE_JSON,
				   .start_us = 1795600900LL * 1000000,
				   .end_us = 1795600900LL * 1000000 + 12,
				   .client = (const struct sockaddr *)sin,
				   .clientlen = sizeof(*sin),
				   .resp = hit_resp,
				   .len = sizeof(hit_resp),
				   .used = used};
}

/* The text of hit i, formatted at once. */
static size_t hit_text(char *buf, size_t cap, int i)
{
	struct rw_trace_hit h;
	struct rw_cache_used used;
	struct sockaddr_in sin;
	struct rw_sbuf b = {0};
	size_t len = 0;

	make_hit(&h, &used, &sin, i);
	if (rw_trace_hit_format(&b, &h) == 0 && b.len < cap) {
		memcpy(buf, b.p, b.len);
		len = b.len;
	}
	free(b.p);
	return len;
}

/* Trace i of thread id: a first line, 0..6 lines between, a last line. */
static size_t make_trace(char *buf, size_t cap, int id, int i)
{
	size_t len = (size_t)snprintf(buf, cap, "trace %d.%d begin\n", id, i);

	for (int k = 0; k < i % 7; k++)
		len += (size_t)snprintf(buf + len, cap - len, "  %d.%d line %d of the trace\n", id,
					i, k);
	len += (size_t)snprintf(buf + len, cap - len, "trace %d.%d end\n", id, i);
	return len;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char buf[512];
	struct rw_sbuf rec = {0};

	for (int i = 0; i < w->count; i++) {
		if (w->id == THREADS - 1 && i % 2) { /* the last thread packs every other one */
			struct rw_trace_hit h;
			struct rw_cache_used used;
			struct sockaddr_in sin;

			make_hit(&h, &used, &sin, i);
			rec.len = 0;
			if (rw_trace_hit_pack(&rec, &h) == 0)
				rw_tracesink_write_hit(w->ts, rec.p, rec.len);
			continue;
		}
		rw_tracesink_write(w->ts, buf, make_trace(buf, sizeof(buf), w->id, i));
	}
	free(rec.p);
	return NULL;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (!f)
		return calloc(1, 1);
	do {
		if (*len + 65536 + 1 > cap) {
			cap = (*len + 65536 + 1) * 2;
			p = realloc(p, cap);
		}
		n = fread(p + *len, 1, 65536, f);
		*len += n;
	} while (n > 0);
	fclose(f);
	p[*len] = '\0';
	return p;
}

/* Check that text is whole traces of THREADS threads, each seen[] once. Returns how many. */
static int check_traces(const char *text, unsigned char *seen, int per)
{
	char want[2048];
	int n = 0, id, i;
	unsigned long long hid;

	while (*text) {
		if (sscanf(text, ";; trace %llx ", &hid) == 1 ||
		    sscanf(text, "{\"trace\":\"%llx\"", &hid) == 1) {
			id = THREADS - 1;
			i = (int)(hid - 0xabc00000u);
			size_t len = i >= 0 && i < per ? hit_text(want, sizeof(want), i) : 0;
			if (len == 0 || strncmp(text, want, len) != 0) {
				CHECK(!"a packed hit not formatted as at once, or cut");
				return n;
			}
			CHECK(seen[id * per + i] == 0);
			seen[id * per + i] = 1;
			text += len;
			n++;
			continue;
		}
		if (sscanf(text, "trace %d.%d begin\n", &id, &i) != 2 || id < 0 || id >= THREADS ||
		    i < 0 || i >= per) {
			CHECK(!"a trace that does not start where the last one ended");
			return n;
		}
		size_t len = make_trace(want, sizeof(want), id, i);
		if (strncmp(text, want, len) != 0) {
			CHECK(!"a trace cut or mixed with another");
			return n;
		}
		CHECK(seen[id * per + i] == 0);
		seen[id * per + i] = 1;
		text += len;
		n++;
	}
	return n;
}

static void run_writers(struct rw_tracesink *ts, int per, void (*meanwhile)(void *), void *arg)
{
	pthread_t th[THREADS];
	struct writer w[THREADS];

	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct writer){ts, i, per};
		CHECK(pthread_create(&th[i], NULL, writer_main, &w[i]) == 0);
	}
	if (meanwhile)
		meanwhile(arg);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
}

static void close_sink(uv_loop_t *loop, struct rw_tracesink *ts)
{
	rw_tracesink_close(ts);
	uv_run(loop, UV_RUN_DEFAULT); /* the close callback frees it */
}

/* Several threads at once; closed right after the last write, before the flush delay. */
static void test_threads(uv_loop_t *loop, const char *dir)
{
	char path[512], err[256];
	unsigned char *seen = calloc(THREADS * PER_THREAD, 1);
	size_t len;

	snprintf(path, sizeof(path), "%s/threads.log", dir);
	struct rw_tracesink *ts = rw_tracesink_open(loop, path, err, sizeof(err));
	CHECK(ts != NULL);
	if (!ts)
		return;
	run_writers(ts, PER_THREAD, NULL, NULL);
	CHECK_EQ(rw_tracesink_dropped(ts), 0);
	close_sink(loop, ts);
	char *text = slurp(path, &len);
	CHECK_EQ(check_traces(text, seen, PER_THREAD), THREADS * PER_THREAD);
	free(text);
	free(seen);
}

struct rotate {
	struct rw_tracesink *ts;
	const char *path, *old;
};

/* Rotate the file three times while the threads write. */
static void rotate_meanwhile(void *arg)
{
	struct rotate *r = arg;
	char err[256], old[600];

	for (int i = 0; i < 3; i++) {
		struct timespec pause = {0, 2000000};

		nanosleep(&pause, NULL);
		snprintf(old, sizeof(old), "%s.%d", r->old, i);
		CHECK(rename(r->path, old) == 0);
		CHECK(rw_tracesink_reopen(r->ts, err, sizeof(err)) == 0);
	}
}

static void test_reopen(uv_loop_t *loop, const char *dir)
{
	char path[512], old[512], part[600], err[256];
	unsigned char *seen = calloc(THREADS * PER_THREAD, 1);
	int n = 0;
	size_t len;

	snprintf(path, sizeof(path), "%s/rotated.log", dir);
	snprintf(old, sizeof(old), "%s/rotated.old", dir);
	struct rw_tracesink *ts = rw_tracesink_open(loop, path, err, sizeof(err));
	CHECK(ts != NULL);
	if (!ts)
		return;
	struct rotate r = {ts, path, old};
	run_writers(ts, PER_THREAD, rotate_meanwhile, &r);
	CHECK_EQ(rw_tracesink_dropped(ts), 0);
	close_sink(loop, ts);
	for (int i = 0; i <= 3; i++) {
		if (i < 3)
			snprintf(part, sizeof(part), "%s.%d", old, i);
		else
			snprintf(part, sizeof(part), "%s", path);
		char *text = slurp(part, &len);
		n += check_traces(text, seen, PER_THREAD);
		free(text);
	}
	CHECK_EQ(n, THREADS * PER_THREAD);
	free(seen);
}

/* Read what the FIFO holds now. */
static size_t read_fifo(int fd, char *buf, size_t cap)
{
	ssize_t n = read(fd, buf, cap);

	return n > 0 ? (size_t)n : 0;
}

/* A FIFO without a reader: traces dropped and counted; a reader that comes gets the later ones
 * (the sink tries the FIFO again at most every 100 ms while traces come). */
static void test_fifo(uv_loop_t *loop, const char *dir)
{
	char path[512], err[256], buf[65536], one[512];
	size_t got = 0, len;
	int fd;

	snprintf(path, sizeof(path), "%s/traces.fifo", dir);
	CHECK(mkfifo(path, 0600) == 0);
	struct rw_tracesink *ts = rw_tracesink_open(loop, path, err, sizeof(err));
	CHECK(ts != NULL);
	if (!ts)
		return;
	len = make_trace(one, sizeof(one), 0, 3);
	for (int i = 0; i < 10; i++)
		rw_tracesink_write(ts, one, len);
	CHECK_EQ(rw_tracesink_dropped(ts), 10);
	fd = open(path, O_RDONLY | O_NONBLOCK);
	CHECK(fd >= 0);
	/* At most 3 s: 150 tries 20 ms apart. */
	for (int i = 0; i < 150 && got == 0; i++) {
		struct timespec pause = {0, 20000000};

		rw_tracesink_write(ts, one, len);
		nanosleep(&pause, NULL);
		got = read_fifo(fd, buf, sizeof(buf) - 1);
	}
	CHECK(got > 0);
	CHECK(got % len == 0 && got >= len && memcmp(buf, one, len) == 0);
	close(fd);
	close_sink(loop, ts);
	unlink(path);
}

int main(void)
{
	char dir[] = "/tmp/rw-test-tracesink-XXXXXX";
	uv_loop_t loop;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(uv_loop_init(&loop) == 0);
	test_threads(&loop, dir);
	test_reopen(&loop, dir);
	test_fifo(&loop, dir);
	CHECK(uv_loop_close(&loop) == 0);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	return rw_check_report("tracesink");
}
