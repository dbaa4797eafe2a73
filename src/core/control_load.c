/* The control protocol, load-cache: the one request that goes on after its line. The lines that
 * follow it, up to a line holding a single ".", are cache file lines (rootwalk/cachefile.h,
 * dot-stuffed as response bodies are); each is stored as it arrives, so a load needs no more
 * memory than its longest line, and the answer, once the "." came, counts what happened to them.
 * See rootwalk/control.h.
 */
#include "control_impl.h"
#include "rootwalk/cachefile.h"

_Static_assert(RW_CONTROL_MAX_LOAD_LINE == RW_CACHEFILE_MAX_LINE,
	       "the control socket takes the cache file's longest line");

/* The malformed lines the answer names, the first ones; the rest are counted. */
#define LOAD_ERRORS_SHOWN 20

struct load {
	struct load *next, **pprev;
	uint64_t handle;
	rw_control_done_cb cb;
	void *arg;
	size_t lines, stored, expired, present, malformed, failed;
	uint64_t evictions0;
	struct rw_sbuf errors; /* "line N: reason" for the first LOAD_ERRORS_SHOWN */
};

static struct load *load_find(const struct rw_control *ctl, uint64_t handle)
{
	for (struct load *l = ctl->loads; l; l = l->next)
		if (l->handle == handle)
			return l;
	return NULL;
}

static void load_unlink(struct load *l)
{
	*l->pprev = l->next;
	if (l->next)
		l->next->pprev = l->pprev;
	free(l->errors.p);
	free(l);
}

uint64_t control_load(struct rw_control *ctl, const struct rw_control_request *req,
		      rw_control_done_cb cb, void *arg)
{
	struct load *l = calloc(1, sizeof(*l));

	(void)req;
	if (!l) {
		control_respond_error(cb, arg, "out of memory");
		return 0;
	}
	l->cb = cb;
	l->arg = arg;
	l->handle = ++ctl->next_handle;
	l->evictions0 = rw_cache_evictions(rw_resolver_cache(ctl->r));
	l->next = ctl->loads;
	if (l->next)
		l->next->pprev = &l->next;
	ctl->loads = l;
	l->pprev = &ctl->loads;
	return l->handle;
}

static void note_error(struct load *l, const char *reason)
{
	if (l->malformed + l->failed <= LOAD_ERRORS_SHOWN)
		rw_sbuf_printf(&l->errors, "line %zu: %s\n", l->lines, reason);
}

/* The answer: counts as "key: value" lines, then the lines that were not loaded and why. */
static void load_finish(struct rw_control *ctl, struct load *l)
{
	struct rw_sbuf b = {0};
	uint64_t ev = rw_cache_evictions(rw_resolver_cache(ctl->r)) - l->evictions0;
	size_t bad = l->malformed + l->failed;

	rw_sbuf_printf(&b,
		       "lines: %zu\nloaded: %zu\nexpired: %zu\nalready-cached: %zu\n"
		       "malformed: %zu\nfailed: %zu\nevicted: %" PRIu64 "\n",
		       l->lines, l->stored, l->expired, l->present, l->malformed, l->failed, ev);
	if (l->errors.p)
		rw_sbuf_add(&b, l->errors.p, l->errors.len);
	if (bad > LOAD_ERRORS_SHOWN)
		rw_sbuf_printf(&b, "and %zu more lines were not loaded\n", bad - LOAD_ERRORS_SHOWN);
	if (l->errors.oom)
		b.oom = true;
	rw_control_done_cb cb = l->cb;
	void *arg = l->arg;
	load_unlink(l);
	control_respond_body(cb, arg, &b);
}

/* One cache file line (dot-stuffing undone). */
static void load_one(struct rw_control *ctl, struct load *l, const char *line, size_t len)
{
	struct rw_cache_entry e;
	char err[256];
	int rc;

	l->lines++;
	if (len >= RW_CONTROL_MAX_LOAD_LINE) {
		l->malformed++;
		note_error(l, "longer than the longest line a load takes");
		return;
	}
	rc = rw_cachefile_parse(line, len, &e, err, sizeof(err));
	if (rc < 0) {
		l->malformed++;
		note_error(l, err);
		return;
	}
	if (rc == 0)
		return; /* blank, or a comment such as the dump's last line */
	rc = rw_cachefile_store(rw_resolver_cache(ctl->r), &e, ctl->ops.now_wall_us(ctl->ops.ctx));
	rw_cache_entry_clear(&e);
	if (rc == RW_CACHEFILE_STORED) {
		l->stored++;
	} else if (rc == RW_CACHEFILE_EXPIRED) {
		l->expired++;
	} else if (rc == RW_CACHEFILE_PRESENT) {
		l->present++;
	} else {
		l->failed++;
		note_error(l, "the cache could not store it (out of memory)");
	}
}

int rw_control_load_line(struct rw_control *ctl, uint64_t handle, const char *line, size_t len)
{
	struct load *l = load_find(ctl, handle);

	if (!l)
		return -ENOENT;
	if (!line) {
		char msg[200];
		snprintf(msg, sizeof(msg),
			 "load-cache: the input ended before the line \".\"; %zu of %zu lines were "
			 "loaded",
			 l->stored, l->lines);
		rw_control_done_cb cb = l->cb;
		void *arg = l->arg;
		load_unlink(l);
		control_respond_error(cb, arg, msg);
		return 0;
	}
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 1 && line[0] == '.') {
		load_finish(ctl, l);
		return 0;
	}
	if (len > 0 && line[0] == '.') {
		line++; /* dot-stuffing */
		len--;
	}
	load_one(ctl, l, line, len);
	return 1;
}

bool rw_control_takes_lines(const struct rw_control *ctl, uint64_t handle)
{
	return load_find(ctl, handle) != NULL;
}

bool control_load_cancel(struct rw_control *ctl, uint64_t handle)
{
	struct load *l = load_find(ctl, handle);

	if (!l)
		return false;
	load_unlink(l);
	return true;
}

void control_load_free_all(struct rw_control *ctl)
{
	while (ctl->loads)
		load_unlink(ctl->loads);
}
