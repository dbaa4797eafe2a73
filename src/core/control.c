/* The control protocol: parse one request line, answer it from the resolver and its cache.
 *
 * Everything here is synchronous except `trace`, which waits for a resolution. The response is
 * built as one buffer (status line, dot-stuffed body, end marker) and handed to the caller's
 * callback; see rootwalk/control.h for the framing and rootwalk(1) for the formats.
 */
#include "control_impl.h"

/* ---------------------------------------------------------------------------------------------
 * Parsing
 */

static const struct {
	const char *word;
	enum rw_control_cmd cmd;
	bool name; /* takes a NAME */
} commands[] = {
	{"lookup", RW_CTL_LOOKUP, true},
	{"trace", RW_CTL_TRACE, true},
	{"flush", RW_CTL_FLUSH, true},
	{"flush-all", RW_CTL_FLUSH_ALL, false},
	{"stats", RW_CTL_STATS, false},
	{"dump-cache", RW_CTL_DUMP_CACHE, false},
	{"status", RW_CTL_STATUS, false},
	{"reload", RW_CTL_RELOAD, false},
	{"help", RW_CTL_HELP, false},
	{"nta-add", RW_CTL_NTA_ADD, true},
	{"nta-remove", RW_CTL_NTA_REMOVE, true},
	{"nta-list", RW_CTL_NTA_LIST, false},
	{"load-cache", RW_CTL_LOAD_CACHE, false},
};

/* Set one option flag; duplicates are refused so a mistyped request is never half-understood. */
static int set_flag(bool *flag, const char *word, char *err, size_t errlen)
{
	if (*flag) {
		snprintf(err, errlen, "option '%s' given twice", word);
		return -EINVAL;
	}
	*flag = true;
	return 0;
}

static int parse_option(struct rw_control_request *req, const char *w, bool *have_type, char *err,
			size_t errlen)
{
	const char *cmd = commands[req->cmd].word;

	if ((strcmp(w, "json") == 0 && req->prometheus) ||
	    (strcmp(w, "prometheus") == 0 && req->json)) {
		snprintf(err, errlen, "stats: 'json' and 'prometheus' exclude each other");
		return -EINVAL;
	}
	if (strcmp(w, "json") == 0 && req->cmd != RW_CTL_FLUSH && req->cmd != RW_CTL_LOAD_CACHE)
		return set_flag(&req->json, w, err, errlen);
	if (strcmp(w, "prometheus") == 0 && req->cmd == RW_CTL_STATS)
		return set_flag(&req->prometheus, w, err, errlen);
	if (strcmp(w, "per-thread") == 0 && req->cmd == RW_CTL_STATS && !req->prometheus)
		return set_flag(&req->per_thread, w, err, errlen);
	if (strcmp(w, "bogus") == 0 && req->cmd == RW_CTL_FLUSH)
		return set_flag(&req->bogus, w, err, errlen);
	if (strncmp(w, "ttl=", 4) == 0 && req->cmd == RW_CTL_NTA_ADD) {
		char *end = NULL;
		unsigned long v = w[4] >= '0' && w[4] <= '9' ? strtoul(w + 4, &end, 10) : 0;
		if (!end || *end || v < 1 || v > RW_CONTROL_NTA_MAX_TTL) {
			snprintf(err, errlen, "%s: ttl must be 1..%d seconds, got '%.40s'", cmd,
				 RW_CONTROL_NTA_MAX_TTL, w + 4);
			return -EINVAL;
		}
		if (req->ttl != 0) {
			snprintf(err, errlen, "option 'ttl=' given twice");
			return -EINVAL;
		}
		req->ttl = (uint32_t)v;
		return 0;
	}
	if (strcmp(w, "fresh") == 0 && req->cmd == RW_CTL_TRACE)
		return set_flag(&req->fresh, w, err, errlen);
	if (strcmp(w, "subtree") == 0 && req->cmd == RW_CTL_FLUSH)
		return set_flag(&req->subtree, w, err, errlen);
	if (strcmp(w, "negative") == 0 && req->cmd == RW_CTL_FLUSH)
		return set_flag(&req->negative, w, err, errlen);
	if (req->cmd == RW_CTL_TRACE && !*have_type) {
		ldns_rr_type t = ldns_get_rr_type_by_name(w);

		if (t == 0) {
			snprintf(err, errlen, "trace: unknown type or option '%.40s'", w);
			return -EINVAL;
		}
		/* OPT and the query meta-types (RFC 6895 3.1: 128-255, AXFR, ANY...) are not
		 * questions a resolver walks for. */
		if (t == LDNS_RR_TYPE_OPT || (t >= 128 && t <= 255)) {
			snprintf(err, errlen, "trace: type '%.40s' cannot be traced", w);
			return -EINVAL;
		}
		req->qtype = (uint16_t)t;
		*have_type = true;
		return 0;
	}
	snprintf(err, errlen, "%s: unexpected word '%.40s'", cmd, w);
	return -EINVAL;
}

int rw_control_parse(const char *line, size_t len, struct rw_control_request *req, char *err,
		     size_t errlen)
{
	char buf[RW_CONTROL_MAX_REQUEST];
	char *words[MAX_WORDS];
	size_t n = 0, i, w;
	bool have_type = false;

	memset(req, 0, sizeof(*req));
	req->qtype = LDNS_RR_TYPE_A;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len >= RW_CONTROL_MAX_REQUEST) {
		snprintf(err, errlen, "request longer than %d bytes", RW_CONTROL_MAX_REQUEST);
		return -EMSGSIZE;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c > 0x7e) {
			snprintf(err, errlen,
				 "byte 0x%02x at offset %zu: requests are printable ASCII", c, i);
			return -EINVAL;
		}
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (char *p = buf; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == MAX_WORDS) {
			snprintf(err, errlen, "too many words (at most %d)", MAX_WORDS);
			return -EINVAL;
		}
		words[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	if (n == 0) {
		snprintf(err, errlen, "empty request (try 'help')");
		return -EINVAL;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(words[0], commands[i].word) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		snprintf(err, errlen, "unknown request '%.40s' (try 'help')", words[0]);
		return -EINVAL;
	}
	req->cmd = commands[i].cmd;
	w = 1;
	/* "flush bogus": every bogus entry, no NAME (a name "bogus" is written "bogus.") */
	if (req->cmd == RW_CTL_FLUSH && n >= 2 && strcmp(words[1], "bogus") == 0) {
		/* no NAME: the option loop below reads the word */
	} else if (commands[i].name) {
		ldns_rdf *name = NULL;

		if (n < 2) {
			snprintf(err, errlen, "%s needs a NAME", commands[i].word);
			return -EINVAL;
		}
		if (ldns_str2rdf_dname(&name, words[1]) != LDNS_STATUS_OK || !name ||
		    ldns_rdf_size(name) > sizeof(req->name)) {
			ldns_rdf_deep_free(name);
			snprintf(err, errlen, "%s: '%.80s' is not a domain name", commands[i].word,
				 words[1]);
			return -EINVAL;
		}
		req->name_len = ldns_rdf_size(name);
		memcpy(req->name, ldns_rdf_data(name), req->name_len);
		ldns_rdf_deep_free(name);
		w = 2;
	}
	for (; w < n; w++) {
		int rc = parse_option(req, words[w], &have_type, err, errlen);

		if (rc < 0)
			return rc;
	}
	if (req->json && (req->cmd == RW_CTL_FLUSH_ALL || req->cmd == RW_CTL_STATUS ||
			  req->cmd == RW_CTL_RELOAD || req->cmd == RW_CTL_HELP ||
			  req->cmd == RW_CTL_NTA_ADD || req->cmd == RW_CTL_NTA_REMOVE)) {
		snprintf(err, errlen, "%s: unexpected word 'json'", commands[i].word);
		return -EINVAL;
	}
	if (req->cmd == RW_CTL_FLUSH && req->name_len == 0 && (req->subtree || req->negative)) {
		snprintf(err, errlen, "flush bogus: 'subtree' and 'negative' need a NAME");
		return -EINVAL;
	}
	if (req->cmd == RW_CTL_NTA_ADD && req->ttl == 0)
		req->ttl = RW_NTA_DEFAULT_TTL;
	return 0;
}

/* Where the stats lines go: text "key: value" lines or one flat JSON object, each key after
 * prefix ("" or "thread.N."). */
struct stat_out {
	struct rw_sbuf *b;
	bool json, first;
	const char *prefix;
};

static void stat_line(struct stat_out *o, const char *key, uint64_t v)
{
	if (o->json) {
		rw_sbuf_printf(o->b, "%s\"%s%s\":%" PRIu64, o->first ? "{" : ",", o->prefix, key,
			       v);
		o->first = false;
	} else {
		rw_sbuf_printf(o->b, "%s%s: %" PRIu64 "\n", o->prefix, key, v);
	}
}

/* The counters of all threads summed (thread -1), or of one: from the daemon when it has
 * threads, else the resolver's. Returns the number of threads, negative when thread is not
 * one. */
static int get_stats(struct rw_control *ctl, int thread, struct rw_stats *st, size_t *pending,
		     char *name, size_t namelen)
{
	if (ctl->ops.stats)
		return ctl->ops.stats(ctl->ops.ctx, thread, st, pending, name, namelen);
	if (thread > 0)
		return -1;
	*st = *rw_resolver_stats(ctl->r);
	*pending = rw_resolver_pending(ctl->r);
	if (name && namelen)
		snprintf(name, namelen, "0");
	return 1;
}

/* stats prometheus: the text of the metrics endpoint (metrics.c). */
static void do_prometheus(struct rw_control *ctl, rw_control_done_cb cb, void *arg)
{
	struct rw_metrics_edge edge = {0};
	struct rw_stats st;
	size_t len = 0, pending;
	char *text;

	struct rw_metrics_thread *threads = NULL;
	int n = get_stats(ctl, -1, &st, &pending, NULL, 0);

	if (ctl->ops.trace_dropped)
		edge.trace_dropped = ctl->ops.trace_dropped(ctl->ops.ctx);
	edge.in_progress = pending;
	/* each thread's part, when the daemon has more than one */
	if (n > 1 && (threads = calloc((size_t)n, sizeof(*threads)))) {
		for (int i = 0; i < n; i++) {
			size_t p = 0;

			if (get_stats(ctl, i, &threads[i].st, &p, threads[i].name,
				      sizeof(threads[i].name)) < 0)
				break;
			threads[i].in_progress = p;
			edge.n_threads = (size_t)i + 1;
		}
		edge.threads = threads;
	}
	text = rw_metrics_text(&st, rw_resolver_cache(ctl->r), &edge, &len);
	free(threads);
	if (!text) {
		control_respond_error(cb, arg, "out of memory");
		return;
	}
	control_respond(cb, arg, "ok", text, len);
	free(text);
}

/* The counters of one thread, or of all (then with the shared cache's and the control
 * socket's). */
static void stats_lines(struct rw_control *ctl, struct stat_out *o, const struct rw_stats *st,
			size_t pending, bool all)
{
	char key[64];

	stat_line(o, "client.queries.udp", st->client_queries[RW_PROTO_UDP]);
	stat_line(o, "client.queries.tcp", st->client_queries[RW_PROTO_TCP]);
	stat_line(o, "client.malformed", st->client_malformed);
	stat_line(o, "client.joined", st->joined);
	stat_line(o, "client.local", st->local_answers);
	stat_line(o, "dnssec.secure", st->dnssec[RW_VSTATE_SECURE]);
	stat_line(o, "dnssec.insecure", st->dnssec[RW_VSTATE_INSECURE]);
	stat_line(o, "dnssec.bogus", st->dnssec[RW_VSTATE_BOGUS]);
	for (int i = 0; i < 16; i++) {
		const char *name = rw_present_rcode(i);

		if (strcmp(name, "RCODE?") == 0)
			snprintf(key, sizeof(key), "client.rcode.RCODE%d", i);
		else
			snprintf(key, sizeof(key), "client.rcode.%s", name);
		stat_line(o, key, st->client_rcode[i]);
	}
	stat_line(o, "client.rcode.BADVERS", st->client_badvers);
	stat_line(o, "client.servfail", st->servfail);
	for (int i = 0; i < RW_SERVFAIL_REASONS; i++) {
		snprintf(key, sizeof(key), "client.servfail.%s", rw_servfail_reason_name[i]);
		stat_line(o, key, st->servfail_reason[i]);
	}
	stat_line(o, "cache.hits", st->cache_hits);
	stat_line(o, "cache.misses", st->cache_misses);
	stat_line(o, "cache.fast_path", st->fast_path);
	if (all) {
		struct rw_cache *cache = rw_resolver_cache(ctl->r);

		stat_line(o, "cache.entries", rw_cache_count(cache));
		stat_line(o, "cache.bytes", rw_cache_bytes(cache));
		stat_line(o, "cache.evictions", rw_cache_evictions(cache));
	}
	stat_line(o, "upstream.queries", st->upstream_queries);
	stat_line(o, "upstream.timeouts", st->upstream_timeouts);
	stat_line(o, "upstream.tcp_retries", st->upstream_tcp_retries);
	stat_line(o, "upstream.shared", st->upstream_shared);
	stat_line(o, "upstream.replies_rejected", st->replies_rejected);
	for (int i = 0; i < RW_RTT_BUCKETS; i++) {
		if (i == 0)
			snprintf(key, sizeof(key), "upstream.rtt.0-%ums", rw_rtt_bucket_ms[0]);
		else if (i == RW_RTT_BUCKETS - 1)
			snprintf(key, sizeof(key), "upstream.rtt.%ums+",
				 rw_rtt_bucket_ms[RW_RTT_BUCKETS - 2]);
		else
			snprintf(key, sizeof(key), "upstream.rtt.%u-%ums", rw_rtt_bucket_ms[i - 1],
				 rw_rtt_bucket_ms[i]);
		stat_line(o, key, st->rtt_hist[i]);
	}
	stat_line(o, "requests.in_progress", pending);
	if (all)
		stat_line(o, "control.pending", ctl->n_pending);
	/* upstream DNS cookies and 0x20 (issue 13) */
	stat_line(o, "upstream.case_mismatch", st->upstream_case_mismatch);
	stat_line(o, "upstream.no_0x20", st->upstream_no_0x20);
	stat_line(o, "upstream.cookie_mismatch", st->upstream_cookie_mismatch);
	stat_line(o, "upstream.badcookie", st->upstream_badcookie);
	stat_line(o, "upstream.cookie_missing", st->upstream_cookie_missing);
	/* the client gate (gate.c): access control, rate limit, cookies */
	stat_line(o, "client.acl.refused", st->acl_refused);
	stat_line(o, "client.acl.denied", st->acl_denied);
	stat_line(o, "client.ratelimit.dropped", st->ratelimit_dropped);
	stat_line(o, "client.ratelimit.slipped", st->ratelimit_slipped);
	stat_line(o, "client.cookies.client_only", st->cookies[1]);
	stat_line(o, "client.cookies.valid", st->cookies[2]);
	stat_line(o, "client.cookies.invalid", st->cookies[3]);
	/* Load (issue 13). */
	stat_line(o, "requests.jostled", st->jostled);
	stat_line(o, "requests.dropped", st->dropped);
	stat_line(o, "requests.stale", st->stale);
	stat_line(o, "upstream.range_full", st->upstream_range_full);
	stat_line(o, "tcp.evicted", st->tcp_evicted);
	stat_line(o, "tcp.per_client_refused", st->tcp_per_client);
	/* Serve-stale and prefetch (issue 14). */
	stat_line(o, "answers.stale", st->stale_answers);
	stat_line(o, "prefetch.started", st->prefetches);
	stat_line(o, "dnstap.sent", st->dnstap_sent);
	stat_line(o, "dnstap.dropped", st->dnstap_dropped);
}

static void do_stats(struct rw_control *ctl, const struct rw_control_request *req,
		     rw_control_done_cb cb, void *arg)
{
	struct rw_sbuf b = {0};
	struct stat_out o = {.b = &b, .json = req->json, .first = true, .prefix = ""};
	struct rw_stats st;
	size_t pending;
	char name[32], prefix[48];

	if (req->prometheus) {
		do_prometheus(ctl, cb, arg);
		return;
	}
	if (!req->per_thread) {
		get_stats(ctl, -1, &st, &pending, NULL, 0);
		stats_lines(ctl, &o, &st, pending, true);
	} else {
		int n = 1;

		for (int i = 0; i < n; i++) {
			n = get_stats(ctl, i, &st, &pending, name, sizeof(name));
			if (n < 0)
				break;
			snprintf(prefix, sizeof(prefix), "thread.%s.", name);
			o.prefix = prefix;
			stats_lines(ctl, &o, &st, pending, false);
		}
	}
	if (req->json)
		rw_sbuf_puts(&b, o.first ? "{}\n" : "}\n");
	control_respond_body(cb, arg, &b);
}

static void do_status(struct rw_control *ctl, rw_control_done_cb cb, void *arg)
{
	struct rw_cache *cache = rw_resolver_cache(ctl->r);
	struct rw_sbuf b = {0};
	char *extra = ctl->ops.status ? ctl->ops.status(ctl->ops.ctx) : NULL;

	if (extra) {
		rw_sbuf_puts(&b, extra);
		if (b.len && b.p[b.len - 1] != '\n')
			rw_sbuf_puts(&b, "\n");
		free(extra);
	}
	struct rw_stats st;
	size_t pending = 0;
	get_stats(ctl, -1, &st, &pending, NULL, 0); /* every thread's */
	rw_sbuf_printf(&b, "requests-in-progress: %zu\n", pending);
	rw_sbuf_printf(&b, "cache-entries: %zu\n", rw_cache_count(cache));
	rw_sbuf_printf(&b, "cache-bytes: %zu\n", rw_cache_bytes(cache));
	control_respond_body(cb, arg, &b);
}

static void do_reload(struct rw_control *ctl, rw_control_done_cb cb, void *arg)
{
	char msg[1024] = "";

	if (!ctl->ops.reload) {
		control_respond_error(cb, arg, "reload is not available");
		return;
	}
	if (ctl->ops.reload(ctl->ops.ctx, msg, sizeof(msg)) < 0) {
		control_respond_error(cb, arg, msg[0] ? msg : "reload failed");
		return;
	}
	control_respond(cb, arg, "ok", msg, strlen(msg));
}

static const char help_text[] =
	"lookup NAME [json]                everything cached at NAME, with expiry and source\n"
	"trace NAME [TYPE] [fresh] [json]  resolve NAME now and show the trace\n"
	"flush NAME [subtree] [negative]   remove cached entries at (or below) NAME\n"
	"flush-all                         remove every cached entry\n"
	"stats [json | prometheus]         counters since start\n"
	"stats per-thread [json]           each worker thread's counters\n"
	"dump-cache [json]                 every cached entry, one per line\n"
	"load-cache                        then dump-cache lines, then \".\": cache them again\n"
	"status                            the daemon's state\n"
	"reload                            re-read the configuration, keeping the cache\n"
	"flush [NAME] bogus                remove bogus entries and key cache verdicts\n"
	"nta-add NAME [ttl=SECONDS]        do not validate at and below NAME for a while\n"
	"nta-remove NAME                   remove a negative trust anchor\n"
	"nta-list [json]                   the negative trust anchors\n"
	"help                              this list\n";

/* trace: the resolver calls back when the resolution is done. */

static void pending_unlink(struct pending *p)
{
	if (!p->pprev)
		return;
	*p->pprev = p->next;
	if (p->next)
		p->next->pprev = p->pprev;
	p->pprev = NULL;
	p->ctl->n_pending--;
}

static void trace_done(void *arg, int rcode, const char *trace, size_t len)
{
	struct pending *p = arg;

	(void)rcode; /* the trace's last lines carry it */
	if (p->starting) {
		p->finished = true;
		p->resp = control_frame("ok", trace, len, &p->resplen);
		return;
	}
	pending_unlink(p);
	control_respond(p->cb, p->arg, "ok", trace, len);
	free(p);
}

static uint64_t do_trace(struct rw_control *ctl, const struct rw_control_request *req,
			 rw_control_done_cb cb, void *arg)
{
	ldns_rdf *name = ldns_dname_new_frm_data((uint16_t)req->name_len, req->name);
	char *nstr = name ? rw_present_name(name) : NULL;
	struct pending *p = calloc(1, sizeof(*p));
	uint64_t rh;

	ldns_rdf_deep_free(name);
	if (!nstr || !p) {
		free(nstr);
		free(p);
		control_respond_error(cb, arg, "out of memory");
		return 0;
	}
	p->ctl = ctl;
	p->cb = cb;
	p->arg = arg;
	p->starting = true;
	rh = rw_resolver_trace(ctl->r, nstr, req->qtype, req->fresh,
			       req->json ? RW_TRACE_JSON : RW_TRACE_TEXT, trace_done, p);
	free(nstr);
	p->starting = false;
	if (rh == 0) {
		free(p->resp);
		free(p);
		control_respond_error(cb, arg, "the resolution could not be started");
		return 0;
	}
	if (p->finished) {
		/* Answered at once (from the cache). */
		if (p->resp)
			cb(arg, p->resp, p->resplen);
		else
			control_respond_error(cb, arg, "out of memory");
		free(p->resp);
		free(p);
		return 0;
	}
	p->rhandle = rh;
	p->handle = ++ctl->next_handle;
	p->next = ctl->pending;
	if (ctl->pending)
		ctl->pending->pprev = &p->next;
	ctl->pending = p;
	p->pprev = &ctl->pending;
	ctl->n_pending++;
	return p->handle;
}

uint64_t rw_control_request(struct rw_control *ctl, const char *line, size_t len,
			    rw_control_done_cb cb, void *arg)
{
	struct rw_control_request req;
	char err[256];

	if (rw_control_parse(line, len, &req, err, sizeof(err)) < 0) {
		control_respond_error(cb, arg, err);
		return 0;
	}
	switch (req.cmd) {
	case RW_CTL_LOOKUP:
		control_lookup(ctl, &req, cb, arg);
		break;
	case RW_CTL_TRACE:
		return do_trace(ctl, &req, cb, arg);
	case RW_CTL_FLUSH:
	case RW_CTL_FLUSH_ALL:
		control_flush(ctl, &req, cb, arg);
		break;
	case RW_CTL_STATS:
		do_stats(ctl, &req, cb, arg);
		break;
	case RW_CTL_DUMP_CACHE:
		return control_dump(ctl, &req, cb, arg);
	case RW_CTL_LOAD_CACHE:
		return control_load(ctl, &req, cb, arg);
	case RW_CTL_STATUS:
		do_status(ctl, cb, arg);
		break;
	case RW_CTL_RELOAD:
		do_reload(ctl, cb, arg);
		break;
	case RW_CTL_HELP:
		control_respond(cb, arg, "ok", help_text, sizeof(help_text) - 1);
		break;
	case RW_CTL_NTA_ADD:
	case RW_CTL_NTA_REMOVE:
	case RW_CTL_NTA_LIST:
		control_nta(ctl, &req, cb, arg);
		break;
	}
	return 0;
}

void rw_control_continue(struct rw_control *ctl, uint64_t handle)
{
	(void)control_dump_continue(ctl, handle);
}

void rw_control_cancel(struct rw_control *ctl, uint64_t handle)
{
	if (control_dump_cancel(ctl, handle) || control_load_cancel(ctl, handle))
		return;
	for (struct pending *p = ctl->pending; p; p = p->next) {
		if (p->handle != handle)
			continue;
		rw_resolver_trace_cancel(ctl->r, p->rhandle);
		pending_unlink(p);
		free(p);
		return;
	}
}

size_t rw_control_pending(const struct rw_control *ctl)
{
	return ctl->n_pending;
}

struct rw_control *rw_control_new(struct rw_resolver *r, const struct rw_control_ops *ops)
{
	struct rw_control *ctl;

	if (!r || !ops || !ops->now_wall_us)
		return NULL;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return NULL;
	ctl->r = r;
	ctl->ops = *ops;
	tzset(); /* local times in lookups follow the daemon's TZ */
	return ctl;
}

void rw_control_free(struct rw_control *ctl)
{
	if (!ctl)
		return;
	while (ctl->pending)
		rw_control_cancel(ctl, ctl->pending->handle);
	control_dump_free_all(ctl);
	control_load_free_all(ctl);
	free(ctl);
}
