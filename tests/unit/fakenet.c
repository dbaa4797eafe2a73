/* A scripted network and a fake clock for the resolver: see fakenet.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "fakenet.h"
#include "fakenet_impl.h"

static uint64_t fn_mono(void *ctx)
{
	return ((struct fakenet *)ctx)->mono_ms;
}

static int64_t fn_wall(void *ctx)
{
	return ((struct fakenet *)ctx)->wall_us;
}

/* Deterministic, not secure: tests only. */
static void fn_random(void *ctx, void *buf, size_t len)
{
	struct fakenet *fn = ctx;
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++) {
		fn->rng = fn->rng * 6364136223846793005ULL + 1442695040888963407ULL;
		p[i] = (uint8_t)(fn->rng >> 56);
	}
}

static int find_server(const struct fakenet *fn, const struct sockaddr *sa)
{
	char buf[64];
	if (sa->sa_family != AF_INET)
		return -1;
	inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
		  sizeof(buf));
	for (int i = 0; i < fn->n_servers; i++)
		if (strcmp(fn->servers[i].addr, buf) == 0)
			return i;
	return -1;
}

static int fn_send(void *ctx, const struct rw_upstream_query *q)
{
	struct fakenet *fn = ctx;
	if (fn->n_queue == FN_MAX_QUEUE || q->len > sizeof(fn->queue[0].wire))
		return -ENOBUFS;
	int srv = find_server(fn, q->addr);
	if (srv >= 0 && fn->servers[srv].unreachable) {
		fn->servers[srv].queries++;
		return -ENETUNREACH;
	}
	struct fn_sent *s = &fn->queue[fn->n_queue++];
	memset(s, 0, sizeof(*s));
	s->id = q->id;
	s->server = find_server(fn, q->addr);
	if (s->server < 0)
		fn->unknown++;
	s->tcp = q->tcp;
	memcpy(s->wire, q->wire, q->len);
	s->len = q->len;
	s->timeout_ms = q->timeout_ms;
	s->sent_ms = fn->mono_ms;
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, q->wire, q->len) == LDNS_STATUS_OK && ldns_pkt_question(p) &&
	    ldns_rr_list_rr_count(ldns_pkt_question(p)) == 1) {
		ldns_rr *qr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
		char *n = ldns_rdf2str(ldns_rr_owner(qr));
		snprintf(s->qname, sizeof(s->qname), "%s", n ? n : "");
		free(n);
		s->qtype = ldns_rr_get_type(qr);
	}
	ldns_pkt_free(p);
	fn->sent_total++;
	return 0;
}

static void fn_cancel(void *ctx, uint64_t id)
{
	struct fakenet *fn = ctx;
	for (int i = 0; i < fn->n_queue; i++) {
		if (fn->queue[i].id == id) {
			memmove(&fn->queue[i], &fn->queue[i + 1],
				(size_t)(fn->n_queue - i - 1) * sizeof(fn->queue[0]));
			fn->n_queue--;
			fn->cancelled++;
			return;
		}
	}
}

static void fn_trace(void *ctx, const char *text, size_t len)
{
	struct fakenet *fn = ctx;
	if (fn->trace_len + len + 1 > sizeof(fn->trace))
		fn->trace_len = 0; /* keep the most recent traces */
	if (len + 1 > sizeof(fn->trace))
		return;
	memcpy(fn->trace + fn->trace_len, text, len);
	fn->trace_len += len;
	fn->trace[fn->trace_len] = '\0';
}

static void fn_set_timer(void *ctx, uint32_t ms)
{
	struct fakenet *fn = ctx;
	fn->timer_set = true;
	fn->timer_at = fn->mono_ms + ms;
	fn->timer_ms = ms;
}

static void fn_log(void *ctx, int level, const char *text)
{
	struct fakenet *fn = ctx;
	(void)level;
	fn->logs++;
	snprintf(fn->last_log, sizeof(fn->last_log), "%s", text);
}

bool fn_fire_timer(struct fakenet *fn)
{
	if (!fn->timer_set)
		return false;
	fn->timer_set = false;
	if (fn->timer_at > fn->mono_ms) {
		fn->wall_us += (int64_t)(fn->timer_at - fn->mono_ms) * 1000;
		fn->mono_ms = fn->timer_at;
	}
	rw_resolver_on_timer(fn->r);
	fn_run(fn, 1000);
	return true;
}

void fn_init(struct fakenet *fn, bool tracing)
{
	memset(fn, 0, sizeof(*fn));
	fn->env.ctx = fn;
	fn->env.now_mono_ms = fn_mono;
	fn->env.now_wall_us = fn_wall;
	fn->env.random_buf = fn_random;
	fn->env.send = fn_send;
	fn->env.cancel = fn_cancel;
	fn->env.set_timer = fn_set_timer;
	fn->env.log = fn_log;
	fn->env.trace_write = tracing ? fn_trace : NULL;
	fn->mono_ms = 1000;
	fn->wall_us = 1795600800LL * 1000000; /* 2026-11-25T10:00:00Z */
	fn->rng = 42;
}

static ldns_rr_list *parse_records(const char *records)
{
	ldns_rr_list *l = ldns_rr_list_new();
	char *text = strdup(records);
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == ';')
			continue;
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, line, 3600, NULL, NULL) != LDNS_STATUS_OK) {
			fprintf(stderr, "fakenet: bad record: %s\n", line);
			abort();
		}
		ldns_rr_list_push_rr(l, rr);
	}
	free(text);
	return l;
}

void fn_server_records(struct fakenet *fn, int server, const char *records)
{
	ldns_rr_list_deep_free(fn->servers[server].rrs);
	fn->servers[server].rrs = parse_records(records);
}

int fn_server(struct fakenet *fn, const char *addr, const char *zones, const char *records)
{
	struct fn_server *s = &fn->servers[fn->n_servers];
	memset(s, 0, sizeof(*s));
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", zones);
	for (char *save = NULL, *z = strtok_r(buf, " ", &save); z && s->n_zones < 8;
	     z = strtok_r(NULL, " ", &save))
		snprintf(s->zones[s->n_zones++], sizeof(s->zones[0]), "%s", z);
	s->rrs = parse_records(records);
	s->rtt_ms = 1;
	return fn->n_servers++;
}

static bool under(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_dname_compare(a, b) == 0 || ldns_dname_is_subdomain(a, b);
}

/* Push clones of records at owner of type (0: every type) from the server's data. */
static int push(ldns_pkt *p, ldns_pkt_section sec, const ldns_rr_list *rrs, const ldns_rdf *owner,
		uint16_t type)
{
	int n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		if (ldns_dname_compare(ldns_rr_owner(rr), owner) == 0 &&
		    (type == 0 || ldns_rr_get_type(rr) == type)) {
			ldns_pkt_push_rr(p, sec, ldns_rr_clone(rr));
			n++;
		}
	}
	return n;
}

/* With DO: the RRSIGs at owner over type (0: over every type pushed). */
static void push_sigs(ldns_pkt *p, ldns_pkt_section sec, const ldns_rr_list *rrs,
		      const ldns_rdf *owner, uint16_t type, bool dnssec)
{
	for (size_t i = 0; dnssec && i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0 &&
		    (type == 0 || ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == type))
			ldns_pkt_push_rr(p, sec, ldns_rr_clone(rr));
	}
}

/* An RRset and (with DO) its RRSIGs. */
static int push_signed(ldns_pkt *p, ldns_pkt_section sec, const ldns_rr_list *rrs,
		       const ldns_rdf *owner, uint16_t type, bool dnssec)
{
	int n = push(p, sec, rrs, owner, type);
	if (n > 0)
		push_sigs(p, sec, rrs, owner, type, dnssec);
	return n;
}

/* The NSEC at name, or the one whose span covers it (owner < name < next, the last one wrapping
 * to the apex), with its RRSIG. */
static void push_nsec_for(ldns_pkt *p, const ldns_rr_list *rrs, const ldns_rdf *name)
{
	const ldns_rr *best = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC)
			continue;
		const ldns_rdf *o = ldns_rr_owner(rr), *next = ldns_rr_rdf(rr, 0);
		int c = ldns_dname_compare(o, name);
		if (c == 0) {
			best = rr;
			break;
		}
		bool wraps = ldns_dname_compare(next, o) <= 0;
		if (c < 0 && (wraps || ldns_dname_compare(name, next) < 0))
			best = rr;
	}
	if (!best)
		return;
	const ldns_rr_list *auth = ldns_pkt_authority(p);
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++)
		if (ldns_rr_compare(ldns_rr_list_rr(auth, i), best) == 0)
			return; /* already there */
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, ldns_rr_clone(best));
	push_sigs(p, LDNS_SECTION_AUTHORITY, rrs, ldns_rr_owner(best), LDNS_RR_TYPE_NSEC, true);
}

static bool name_exists(const ldns_rr_list *rrs, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++)
		if (under(ldns_rr_owner(ldns_rr_list_rr(rrs, i)), name))
			return true;
	return false;
}

/* The NSEC proof of a negative answer (RFC 4035 3.1.3): the name's NSEC, or the one covering it
 * and the one covering the wildcard at its closest encloser. */
static void push_denial(ldns_pkt *p, const ldns_rr_list *rrs, const ldns_rdf *name, bool nx)
{
	push_nsec_for(p, rrs, name);
	if (!nx)
		return;
	ldns_rdf *ce = ldns_dname_left_chop(name);
	while (ce && ldns_dname_label_count(ce) > 0 && !name_exists(rrs, ce)) {
		ldns_rdf *up = ldns_dname_left_chop(ce);
		ldns_rdf_deep_free(ce);
		ce = up;
	}
	ldns_rdf *star = ldns_dname_new_frm_str("*");
	if (ce && star && ldns_dname_cat(star, ce) == LDNS_STATUS_OK)
		push_nsec_for(p, rrs, star);
	ldns_rdf_deep_free(star);
	ldns_rdf_deep_free(ce);
}

/* Answer like an authoritative server. */
static ldns_pkt *authoritative(const struct fn_server *s, const ldns_pkt *q)
{
	bool dnssec = ldns_pkt_edns_do(q);
	const ldns_rr_list *rrs = s->rrs;
	ldns_rr *qr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	const ldns_rdf *qname = ldns_rr_owner(qr);
	uint16_t qtype = ldns_rr_get_type(qr);
	ldns_pkt *p = ldns_pkt_new();

	ldns_pkt_set_id(p, ldns_pkt_id(q));
	ldns_pkt_set_qr(p, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, ldns_rr_clone(qr));

	/* the closest zone served */
	ldns_rdf *apex = NULL;
	for (int i = 0; i < s->n_zones; i++) {
		ldns_rdf *z = ldns_dname_new_frm_str(s->zones[i]);
		if (under(qname, z) && (!apex || ldns_dname_is_subdomain(z, apex))) {
			ldns_rdf_deep_free(apex);
			apex = z;
		} else {
			ldns_rdf_deep_free(z);
		}
	}
	if (!apex) {
		ldns_pkt_set_rcode(p, LDNS_RCODE_REFUSED);
		return p;
	}
	/* a delegation below the apex on the way to qname */
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		const ldns_rdf *o = ldns_rr_owner(rr);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || !ldns_dname_is_subdomain(o, apex) ||
		    !under(qname, o))
			continue;
		if (qtype == LDNS_RR_TYPE_DS && ldns_dname_compare(o, qname) == 0)
			continue;
		push(p, LDNS_SECTION_AUTHORITY, rrs, o, LDNS_RR_TYPE_NS);
		if (dnssec &&
		    !push_signed(p, LDNS_SECTION_AUTHORITY, rrs, o, LDNS_RR_TYPE_DS, true))
			push_nsec_for(p, rrs, o); /* the proof that the delegation has no DS */
		for (size_t j = 0; j < ldns_rr_list_rr_count(rrs); j++) {
			ldns_rr *ns = ldns_rr_list_rr(rrs, j);
			if (ldns_rr_get_type(ns) != LDNS_RR_TYPE_NS ||
			    ldns_dname_compare(ldns_rr_owner(ns), o) != 0)
				continue;
			push(p, LDNS_SECTION_ADDITIONAL, rrs, ldns_rr_rdf(ns, 0), LDNS_RR_TYPE_A);
		}
		ldns_rdf_deep_free(apex);
		return p;
	}
	ldns_pkt_set_aa(p, true);
	const ldns_rdf *name = qname;
	for (int hops = 0; hops < 8; hops++) {
		if (push_signed(p, LDNS_SECTION_ANSWER, rrs, name, qtype, dnssec) > 0) {
			/* addresses of the name servers of an NS answer, as servers add them */
			const ldns_rr_list *an = ldns_pkt_answer(p);
			for (size_t i = 0;
			     qtype == LDNS_RR_TYPE_NS && i < ldns_rr_list_rr_count(an); i++)
				push(p, LDNS_SECTION_ADDITIONAL, rrs,
				     ldns_rr_rdf(ldns_rr_list_rr(an, i), 0), LDNS_RR_TYPE_A);
			break;
		}
		bool cname = false;
		for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
			ldns_rr *rr = ldns_rr_list_rr(rrs, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    ldns_dname_compare(ldns_rr_owner(rr), name) == 0 &&
			    qtype != LDNS_RR_TYPE_CNAME) {
				ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_clone(rr));
				push_sigs(p, LDNS_SECTION_ANSWER, rrs, name, LDNS_RR_TYPE_CNAME,
					  dnssec);
				name = ldns_rr_rdf(rr, 0);
				cname = true;
				break;
			}
		}
		if (cname && under(name, apex))
			continue;
		if (cname)
			break;
		/* no data: does the name exist (records at or below it)? */
		bool exists = false;
		for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++)
			if (under(ldns_rr_owner(ldns_rr_list_rr(rrs, i)), name))
				exists = true;
		if (!exists)
			ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
		push_signed(p, LDNS_SECTION_AUTHORITY, rrs, apex, LDNS_RR_TYPE_SOA, dnssec);
		if (dnssec)
			push_denial(p, rrs, name, !exists);
		break;
	}
	ldns_rdf_deep_free(apex);
	return p;
}

/* The query s is not answered: the clock moves on by its timeout, and the timeout comes. */
static void time_out(struct fakenet *fn, const struct fn_sent *s)
{
	uint64_t wait = s->timeout_ms;
	if (fn->concurrent) /* waited meanwhile for the queries before it */
		wait = s->sent_ms + s->timeout_ms > fn->mono_ms
			       ? s->sent_ms + s->timeout_ms - fn->mono_ms
			       : 0;
	fn->mono_ms += wait;
	fn->wall_us += (int64_t)wait * 1000;
	rw_resolver_on_timeout(fn->r, s->id, -ETIMEDOUT);
}

static void deliver(struct fakenet *fn, struct fn_sent *s)
{
	struct sockaddr_in from;
	memset(&from, 0, sizeof(from));
	from.sin_family = AF_INET;
	from.sin_port = htons(53);
	if (s->server >= 0)
		inet_pton(AF_INET, fn->servers[s->server].addr, &from.sin_addr);

	struct fn_server *srv = s->server >= 0 ? &fn->servers[s->server] : NULL;
	if (srv) {
		srv->queries++;
		if (s->tcp)
			srv->tcp_queries++;
	}
	if (!srv || srv->drop) {
		time_out(fn, s);
		return;
	}
	fn->mono_ms += srv->rtt_ms;
	fn->wall_us += (int64_t)srv->rtt_ms * 1000;
	ldns_pkt *q = NULL;
	if (ldns_wire2pkt(&q, s->wire, s->len) != LDNS_STATUS_OK) {
		rw_resolver_on_timeout(fn->r, s->id, -EPROTO);
		return;
	}
	ldns_pkt *a = authoritative(srv, q);
	if (srv->no_edns && ldns_pkt_edns(q)) {
		ldns_pkt_free(a);
		a = ldns_pkt_new();
		ldns_pkt_set_id(a, ldns_pkt_id(q));
		ldns_pkt_set_qr(a, true);
		ldns_pkt_set_rcode(a, LDNS_RCODE_FORMERR);
		ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION,
				 ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0)));
	}
	if (srv->refuse)
		ldns_pkt_set_rcode(a, LDNS_RCODE_REFUSED);
	if (srv->mangle)
		srv->mangle(srv, q, a);
	if (srv->ent_nxdomain && ldns_pkt_get_rcode(a) == LDNS_RCODE_NOERROR &&
	    ldns_rr_list_rr_count(ldns_pkt_answer(a)) == 0 && ldns_pkt_aa(a)) {
		/* a name with no records of its own: pretend it does not exist */
		const ldns_rdf *qn = ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(q), 0));
		bool own = false;
		for (size_t i = 0; i < ldns_rr_list_rr_count(srv->rrs); i++)
			if (ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(srv->rrs, i)), qn) ==
			    0)
				own = true;
		if (!own)
			ldns_pkt_set_rcode(a, LDNS_RCODE_NXDOMAIN);
	}
	if (srv->lower_case) {
		ldns_rr *qr = ldns_rr_list_rr(ldns_pkt_question(a), 0);
		ldns_dname2canonical(ldns_rr_owner(qr));
	}
	if ((srv->tc_udp && !s->tcp) || srv->tc_always) {
		ldns_pkt *t = ldns_pkt_new();
		ldns_pkt_set_id(t, ldns_pkt_id(q));
		ldns_pkt_set_qr(t, true);
		ldns_pkt_set_aa(t, true);
		ldns_pkt_set_tc(t, true);
		ldns_pkt_push_rr(t, LDNS_SECTION_QUESTION,
				 ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0)));
		ldns_pkt_free(a);
		a = t;
	}
	if (srv->spoof_nocookie && !s->tcp)
		fn_forge_nocookie(fn, s, &from, a);
	fn_cookie_reply(srv, s, a);
	uint8_t *wire = NULL;
	size_t len = 0;
	ldns_pkt2wire(&wire, a, &len);
	if (srv->spoof_case && !s->tcp)
		fn_forge_case(fn, s, &from, wire, len);
	if (srv->udp_silent && !s->tcp) {
		time_out(fn, s);
		free(wire);
		ldns_pkt_free(a);
		ldns_pkt_free(q);
		return;
	}
	if (srv->spoof_first) {
		/* a wrong ID, then the right ID from a wrong port: both must be ignored */
		wire[0] ^= 0x5a;
		int rc1 = rw_resolver_on_reply(fn->r, s->id, (struct sockaddr *)&from, sizeof(from),
					       wire, len);
		wire[0] ^= 0x5a;
		struct sockaddr_in other = from;
		other.sin_port = htons(5353);
		int rc2 = rw_resolver_on_reply(fn->r, s->id, (struct sockaddr *)&other,
					       sizeof(other), wire, len);
		if (rc1 != 0 || rc2 != 0) {
			fprintf(stderr, "fakenet: a spoofed reply was accepted\n");
			fn->forged_accepted++;
		}
	}
	int rc = rw_resolver_on_reply(fn->r, s->id, (struct sockaddr *)&from, sizeof(from), wire,
				      len);
	if (rc != 1) {
		/* rejected (0x20 case, say): the resolver waits on until its timeout */
		fn->rejected++;
		time_out(fn, s);
	}
	free(wire);
	ldns_pkt_free(a);
	ldns_pkt_free(q);
}

void fn_run(struct fakenet *fn, int max_steps)
{
	for (int i = 0; i < max_steps && fn->n_queue > 0; i++) {
		struct fn_sent s = fn->queue[0];
		memmove(&fn->queue[0], &fn->queue[1], (size_t)(fn->n_queue - 1) * sizeof(s));
		fn->n_queue--;
		deliver(fn, &s);
	}
}

static ldns_pkt *last(const struct fakenet *fn);

static void on_response(void *arg, const uint8_t *resp, size_t len)
{
	struct fakenet *fn = arg;
	fn->responses++;
	fn->resp_len = len < sizeof(fn->resp) ? len : 0;
	if (fn->resp_len)
		memcpy(fn->resp, resp, len);
	if (fn->after_response)
		fn->after_response(fn);
}

void fn_submit(struct fakenet *fn, const char *qname, uint16_t qtype, bool edns, uint16_t port)
{
	ldns_pkt *q = NULL;
	ldns_pkt_query_new_frm_str(&q, qname, qtype, LDNS_RR_CLASS_IN, LDNS_RD);
	ldns_pkt_set_id(q, port);
	if (edns || fn->client_do)
		ldns_pkt_set_edns_udp_size(q, fn->client_do ? 4096 : 1232);
	if (fn->client_do)
		ldns_pkt_set_edns_do(q, true);
	ldns_pkt_set_cd(q, fn->client_cd);
	uint8_t *wire = NULL;
	size_t len = 0;
	ldns_pkt2wire(&wire, q, &len);
	ldns_pkt_free(q);
	struct sockaddr_in client;
	memset(&client, 0, sizeof(client));
	client.sin_family = AF_INET;
	client.sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &client.sin_addr);
	rw_resolver_query(fn->r, wire, len, (struct sockaddr *)&client, sizeof(client),
			  RW_PROTO_UDP, on_response, fn);
	free(wire);
}

int fn_ede(const struct fakenet *fn)
{
	ldns_pkt *p = last(fn);
	int code = -1;
	const ldns_rdf *d = p ? ldns_pkt_edns_data(p) : NULL;
	if (d) {
		const uint8_t *o = ldns_rdf_data(d);
		size_t n = ldns_rdf_size(d), off = 0;
		while (off + 4 <= n) {
			uint16_t opt = (uint16_t)(o[off] << 8 | o[off + 1]);
			uint16_t olen = (uint16_t)(o[off + 2] << 8 | o[off + 3]);
			if (opt == 15 && olen >= 2 && off + 4 + olen <= n)
				code = o[off + 4] << 8 | o[off + 5];
			off += 4u + olen;
		}
	}
	ldns_pkt_free(p);
	return code;
}

int fn_ask(struct fakenet *fn, const char *qname, uint16_t qtype, bool edns)
{
	int before = fn->responses;
	fn->resp_len = 0;
	fn_submit(fn, qname, qtype, edns, 40000);
	fn_run(fn, 200);
	if (fn->responses == before || fn->resp_len < 4)
		return -1;
	return fn->resp[3] & 0xf;
}

static ldns_pkt *last(const struct fakenet *fn)
{
	ldns_pkt *p = NULL;
	if (!fn->resp_len || ldns_wire2pkt(&p, fn->resp, fn->resp_len) != LDNS_STATUS_OK)
		return NULL;
	return p;
}

int fn_count(const struct fakenet *fn, int section)
{
	ldns_pkt *p = last(fn);
	if (!p)
		return -1;
	int n = (int)ldns_rr_list_rr_count(section == 0 ? ldns_pkt_answer(p)
							: ldns_pkt_authority(p));
	ldns_pkt_free(p);
	return n;
}

long fn_ttl(const struct fakenet *fn, uint16_t type)
{
	ldns_pkt *p = last(fn);
	long ttl = -1;
	for (size_t i = 0; p && i < ldns_rr_list_rr_count(ldns_pkt_answer(p)); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), i);
		if (ldns_rr_get_type(rr) == type) {
			ttl = (long)ldns_rr_ttl(rr);
			break;
		}
	}
	ldns_pkt_free(p);
	return ttl;
}

bool fn_has(const struct fakenet *fn, const char *text)
{
	ldns_pkt *p = last(fn);
	if (!p)
		return false;
	char *s = ldns_pkt2str(p);
	bool found = s && strstr(s, text);
	free(s);
	ldns_pkt_free(p);
	return found;
}

void fn_free(struct fakenet *fn)
{
	rw_resolver_free(fn->r);
	fn->r = NULL;
	for (int i = 0; i < fn->n_servers; i++)
		ldns_rr_list_deep_free(fn->servers[i].rrs);
	fn->n_servers = 0;
}

struct rw_config *fn_config(const char *hints_path)
{
	struct rw_config *cfg = rw_config_default();
	if (!cfg)
		abort();
	cfg->do_not_query_localhost = false;
	cfg->root_hints = strdup(hints_path);
	cfg->dnssec = false; /* the fake worlds are unsigned; test_validate signs its own */
	/* traces are checked by name, so the tests ask in lower case; the 0x20 tests turn it on */
	cfg->use_caps_for_id = false;
	return cfg;
}

int fn_hints_file(char *path, size_t len)
{
	static const char hints[] = ". 3600000 NS a.root-servers.net.\n"
				    "a.root-servers.net. 3600000 A 192.0.2.1\n";
	snprintf(path, len, "/tmp/rw-test-hints-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, hints, sizeof(hints) - 1);
	close(fd);
	return n == (ssize_t)(sizeof(hints) - 1) ? 0 : -1;
}

void fn_start(struct fakenet *fn, const struct rw_config *cfg)
{
	char err[256];
	fn->r = rw_resolver_new(&fn->env, cfg, err, sizeof(err));
	if (!fn->r) {
		fprintf(stderr, "resolver: %s\n", err);
		abort();
	}
}

bool fn_trace_has(const struct fakenet *fn, const char *text)
{
	bool found = strstr(fn->trace, text) != NULL;
	if (!found && getenv("RW_TEST_VERBOSE"))
		fprintf(stderr, "--- trace without \"%s\":\n%s\n", text, fn->trace);
	return found;
}

void fn_clear_trace(struct fakenet *fn)
{
	fn->trace_len = 0;
	fn->trace[0] = '\0';
}

void fn_advance(struct fakenet *fn, int secs)
{
	fn->wall_us += (int64_t)secs * 1000000;
	fn->mono_ms += (uint64_t)secs * 1000;
}

void fn_example_world(struct fakenet *fn)
{
	fn_server(
		fn, "192.0.2.1", ".",
		". 86400 IN SOA a.root-servers.net. host.root-servers.net. 1 1800 900 604800 300\n"
		". 518400 IN NS a.root-servers.net.\n"
		"a.root-servers.net. 518400 IN A 192.0.2.1\n"
		"example. 172800 IN NS ns.example.\n"
		"ns.example. 172800 IN A 192.0.2.2\n");
	fn_server(fn, "192.0.2.2", "example.",
		  "example. 3600 IN SOA ns.example. host.example. 1 1800 900 604800 300\n"
		  "example. 3600 IN NS ns.example.\n"
		  "ns.example. 3600 IN A 192.0.2.2\n"
		  "key.example. 300 IN TXT \"fetched by the second stage\"\n"
		  "www.example. 300 IN A 203.0.113.7\n");
}
