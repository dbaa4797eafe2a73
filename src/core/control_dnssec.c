/* The control protocol, DNSSEC side: negative trust anchors (RFC 7646) added, removed and
 * listed at run time. See control.c and rootwalk/control.h. */
#include "control_impl.h"

struct nta_out {
	struct rw_sbuf *b;
	int64_t now_us;
	bool json, first;
};

static void nta_line(void *arg, const char *name, int64_t expires_us)
{
	struct nta_out *o = arg;
	char iso[48];
	int64_t left = (expires_us - o->now_us + 999999) / 1000000;

	rw_present_iso_time(expires_us, iso, sizeof(iso));
	if (o->json) {
		rw_sbuf_puts(o->b, o->first ? "{\"name\":" : ",{\"name\":");
		rw_present_json_str(o->b, name);
		rw_sbuf_printf(
			o->b, ",\"expires\":%" PRId64 ",\"expires_iso\":\"%s\",\"in\":%" PRId64 "}",
			(expires_us + 999999) / 1000000, iso, left);
	} else {
		rw_sbuf_printf(o->b, "%s %s in %" PRId64 "s\n", name, iso, left);
	}
	o->first = false;
}

static void nta_list(struct rw_anchors *a, int64_t now, bool json, rw_control_done_cb cb, void *arg)
{
	struct rw_sbuf b = {0};
	struct nta_out o = {.b = &b, .now_us = now, .json = json, .first = true};
	size_t n;

	if (json)
		rw_sbuf_puts(&b, "[");
	n = rw_anchors_nta_list(a, now, nta_line, &o);
	if (json)
		rw_sbuf_puts(&b, "]\n");
	else
		rw_sbuf_printf(&b, ";; %zu negative trust anchor%s\n", n, n == 1 ? "" : "s");
	control_respond_body(cb, arg, &b);
}

/* nta-add: the anchor, then what the validator concluded at and below the name is forgotten,
 * so the next query is answered without validation at once. */
static void nta_add(struct rw_control *ctl, struct rw_shared *sh, const ldns_rdf *name,
		    const char *nstr, uint32_t ttl, int64_t now, struct rw_sbuf *b)
{
	char iso[48], in[32];
	size_t k;

	if (rw_anchors_nta_add(sh->anchors, name, ttl, now) < 0) {
		b->oom = true;
		return;
	}
	k = rw_keycache_flush(sh->keys, name, false);
	(void)rw_nseccache_flush(sh->nsec, name); /* no synthesised answers under it */
	rw_present_iso_time(now + (int64_t)ttl * 1000000, iso, sizeof(iso));
	rw_present_duration(in, sizeof(in), ttl);
	rw_sbuf_printf(b, "negative trust anchor %s until %s (in %s)\n", nstr, iso, in);
	rw_sbuf_printf(b, "removed %zu key cache entr%s at and below %s\n", k, k == 1 ? "y" : "ies",
		       nstr);
#ifdef RW_FLUSH_BOGUS
	size_t c =
		rw_cache_flush(rw_resolver_cache(ctl->r), name, RW_FLUSH_SUBTREE | RW_FLUSH_BOGUS);
	rw_sbuf_printf(b, "removed %zu bogus cache entr%s at and below %s\n", c,
		       c == 1 ? "y" : "ies", nstr);
#else
	(void)ctl;
#endif
}

void control_nta(struct rw_control *ctl, const struct rw_control_request *req,
		 rw_control_done_cb cb, void *arg)
{
	struct rw_shared *sh = rw_resolver_shared(ctl->r);
	int64_t now = ctl->ops.now_wall_us(ctl->ops.ctx);
	struct rw_sbuf b = {0};
	ldns_rdf *name = NULL;
	char *nstr = NULL;

	if (req->cmd == RW_CTL_NTA_LIST) {
		nta_list(sh->anchors, now, req->json, cb, arg);
		return;
	}
	name = ldns_dname_new_frm_data((uint16_t)req->name_len, req->name);
	if (name)
		ldns_dname2canonical(name); /* shown as the set keeps it */
	nstr = name ? rw_present_name(name) : NULL;
	if (!name || !nstr) {
		ldns_rdf_deep_free(name);
		free(nstr);
		control_respond_error(cb, arg, "out of memory");
		return;
	}
	if (req->cmd == RW_CTL_NTA_ADD) {
		nta_add(ctl, sh, name, nstr, req->ttl, now, &b);
	} else if (rw_anchors_nta_remove(sh->anchors, name)) {
		/* what was answered without validation below it is validated afresh */
		size_t k = rw_keycache_flush(sh->keys, name, false);
		size_t c = rw_cache_flush(rw_resolver_cache(ctl->r), name, RW_FLUSH_SUBTREE);
		rw_sbuf_printf(&b, "removed negative trust anchor %s\n", nstr);
		rw_sbuf_printf(&b, "removed %zu key cache and %zu cache entr%s at and below %s\n",
			       k, c, c == 1 ? "y" : "ies", nstr);
	} else {
		char msg[300];
		snprintf(msg, sizeof(msg), "%s is not a negative trust anchor", nstr);
		free(nstr);
		ldns_rdf_deep_free(name);
		free(b.p);
		control_respond_error(cb, arg, msg);
		return;
	}
	free(nstr);
	ldns_rdf_deep_free(name);
	control_respond_body(cb, arg, &b);
}
