/* The iterator, part 4: is a reply the answer to the query in flight? Address, port, ID and
 * question; the 0x20 case; the DNS cookies (RFC 7873 5.3), and BADCOOKIE; then timeouts.
 *
 * 0x20 and spoofing: a UDP reply whose question differs only in letter case is what an off-path
 * attacker who guessed the ID and port sends. It is dropped, counted and logged (rate-limited),
 * and the query keeps waiting for the real reply. It never turns 0x20 off: if the query then
 * times out, the question is asked again over TCP, and only a TCP reply (or a UDP reply that
 * echoes our client cookie) whose case still differs shows that the server does not preserve
 * case; that is remembered for a while (RW_INFRA_NO0X20_S), and not renewed by replies. */
#include "iter_impl.h"

static bool same_addr(const struct sockaddr *a, socklen_t alen, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return false;
	if (a->sa_family == AF_INET && alen >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)(const void *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)(const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6 && alen >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)(const void *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)(const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

/* Header and question checks on the raw reply: is it the answer to what we sent? Sets
 * *case_wrong when everything matches but the 0x20 case of the question. */
static const char *mismatch(struct rw_iter *it, const uint8_t *pkt, size_t len, bool *case_wrong)
{
	*case_wrong = false;
	if (len < 12)
		return "shorter than a DNS header";
	if (((pkt[0] << 8) | pkt[1]) != it->qid)
		return "wrong ID";
	if (!(pkt[2] & 0x80))
		return "not a response";
	if (((pkt[2] >> 3) & 0xf) != 0)
		return "wrong opcode";
	if (((pkt[4] << 8) | pkt[5]) != 1)
		return "question count is not 1";
	size_t off = 12;
	uint8_t name[256];
	int n = rw_wire_read_name(pkt, len, &off, name);
	if (n <= 0 || off + 4 > len)
		return "malformed question";
	const uint8_t *sent = it->qbuf + 12; /* the name as sent, 0x20 case included */
	size_t slen = ldns_rdf_size(it->sname);
	if (!rw_wire_name_equal(name, (size_t)n, sent, slen))
		return "question name differs";
	if (((pkt[off] << 8) | pkt[off + 1]) != it->stype ||
	    ((pkt[off + 2] << 8) | pkt[off + 3]) != it->qclass)
		return "question type or class differs";
	if (it->cur_0x20 && memcmp(name, sent, slen) != 0)
		*case_wrong = true;
	return NULL;
}

static const struct sockaddr *cur_sa(const struct rw_iter *it)
{
	return (const struct sockaddr *)&it->ns[it->cur_ns].addr[it->cur_addr].ss;
}

/* A UDP reply with the wrong case and nothing to vouch for it: counted, and logged at most once
 * per RW_INFRA_CASE_LOG_S as possible spoofing. */
static void note_case_mismatch(struct rw_iter *it)
{
	const struct rw_env *env = it->sh->env;
	it->case_mismatch = true;
	if (it->sh->stats)
		it->sh->stats->upstream_case_mismatch++;
	uint64_t n = it->sh->infra ? rw_infra_case_mismatch(it->sh->infra, now_us(it)) : 1;
	if (!n || !env->log)
		return;
	char addr[INET6_ADDRSTRLEN] = "?", text[512];
	const struct sockaddr *sa = cur_sa(it);
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr,
			  sizeof(addr));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  addr, sizeof(addr));
	char *q = dstr(it->sname);
	snprintf(text, sizeof(text),
		 "possible spoofing: %llu upstream repl%s with the wrong 0x20 case dropped since "
		 "the last such message (latest: %s from %s)",
		 (unsigned long long)n, n == 1 ? "y" : "ies", q ? q : "?", addr);
	free(q);
	env->log(env->ctx, 4, text);
}

/* The COOKIE option of a reply against the client cookie we sent: NULL when it matches or
 * there is none from a server that never gave us a cookie (servers without cookies keep
 * working), else why the reply is dropped. A server that gave us a server cookie answers with
 * one: a UDP reply without it may be forged (as BIND does, TCP then decides); over TCP the
 * server has stopped doing cookies, and its cookie is forgotten. */
static const char *cookie_mismatch(struct rw_iter *it, const struct rw_cookie_seen *ck)
{
	if (it->cur_cookie && it->cur_sc && !ck->cookie) {
		if (it->cur_tcp) {
			if (it->sh->infra)
				rw_infra_set_cookie(it->sh->infra, cur_sa(it), NULL, 0, now_us(it));
			return NULL;
		}
		it->cookie_missing = true;
		if (it->sh->stats)
			it->sh->stats->upstream_cookie_missing++;
		return "no COOKIE from a server that gave us one (possible spoofing)";
	}
	if (!it->cur_cookie || !ck->cookie)
		return NULL;
	if (!ck->malformed && memcmp(ck->client, it->cc, sizeof(it->cc)) == 0)
		return NULL;
	if (it->sh->stats)
		it->sh->stats->upstream_cookie_mismatch++;
	return ck->malformed ? "malformed COOKIE option"
			     : "client cookie differs from the one sent (RFC 7873 5.3)";
}

/* The case differs: with proof the reply came from the server (TCP, or our client cookie
 * echoed), the server does not preserve case: remembered, and the reply is taken. Otherwise it
 * is dropped. Returns why it is dropped, or NULL. */
static const char *case_differs(struct rw_iter *it, const struct rw_cookie_seen *ck)
{
	bool proven = it->cur_tcp || (it->cur_cookie && ck->cookie && !ck->malformed);
	if (!proven) {
		note_case_mismatch(it);
		return "question case differs from the 0x20 case sent (possible spoofing)";
	}
	uint32_t secs = 0;
	it->cur_0x20 = false; /* this question's further tries go without it */
	if (it->sh->infra)
		secs = rw_infra_set_no_0x20(it->sh->infra, cur_sa(it), now_us(it));
	if (it->sh->stats)
		it->sh->stats->upstream_no_0x20++;
	struct rw_trace_event *e = iter_trace_ev(it, RW_EV_NO_0X20);
	if (e) {
		e->addr = it->ns[it->cur_ns].addr[it->cur_addr].ss;
		e->addrlen = it->ns[it->cur_ns].addr[it->cur_addr].len;
		e->ttl = secs;
		char text[200];
		snprintf(text, sizeof(text),
			 "the server does not echo the 0x20 case (a %s reply): asked without 0x20 "
			 "for %u s",
			 it->cur_tcp ? "TCP" : "cookie-checked UDP", secs);
		e->text = strdup(text);
	}
	return NULL;
}

/* BADCOOKIE (RFC 7873 5.3): the new server cookie is kept (by the caller); ask again once over
 * UDP, then over TCP, then give up on this server. */
static void badcookie(struct rw_iter *it, size_t len, struct rw_iter_out *out)
{
	const char *what;
	if (it->sh->stats)
		it->sh->stats->upstream_badcookie++;
	it->badcookies++;
	bool tcp = it->badcookies > 1 || it->cur_tcp;
	bool give_up = it->badcookies > 2 || (it->cur_tcp && it->badcookies > 1) ||
		       it->sh->upstream >= it->sh->cfg->max_upstream_queries;
	if (give_up)
		what = "BADCOOKIE again: trying the next server";
	else if (!tcp)
		what = "BADCOOKIE: the new server cookie is kept, asking again";
	else
		what = "BADCOOKIE again: asking over TCP";
	struct rw_trace_event *e = iter_trace_reply(it, NULL, len, RW_REPLY_ERROR);
	if (e) {
		e->rcode = RW_RCODE_BADCOOKIE;
		e->text = strdup(what);
	}
	if (give_up) {
		it->ns[it->cur_ns].addr[it->cur_addr].dead = true;
		iter_next_server(it, out);
		return;
	}
	iter_send_query(it, tcp, false, out);
}

bool rw_iter_reply(struct rw_iter *it, const struct sockaddr *from, socklen_t fromlen,
		   const uint8_t *pkt, size_t len, struct rw_iter_out *out)
{
	if (!it->waiting || it->done)
		return false;
	const struct sockaddr_storage *ss = &it->ns[it->cur_ns].addr[it->cur_addr].ss;
	struct rw_cookie_seen ck;
	const char *why = NULL;
	bool case_wrong = false;
	memset(&ck, 0, sizeof(ck));
	if (!from || !same_addr(from, fromlen, ss))
		why = "from an address or port the query was not sent to";
	else
		why = mismatch(it, pkt, len, &case_wrong);
	if (!why) {
		rw_cookie_reply_parse(pkt, len, &ck);
		why = cookie_mismatch(it, &ck);
	}
	if (!why && case_wrong)
		why = case_differs(it, &ck);
	if (why) {
		/* dropped and counted; the query keeps waiting for the real reply. The trace lists
		 * the first few and counts the rest (a flood of junk must not grow it). */
		struct rw_trace_event *e =
			rw_trace_keep_rejected(it->sh->trace)
				? iter_trace_reply(it, NULL, len, RW_REPLY_REJECTED)
				: NULL;
		if (e)
			e->text = strdup(why);
		return false;
	}
	it->waiting = false;
	uint32_t rtt_us = (uint32_t)(now_mono_us(it) - it->sent_us);
	if (it->sh->infra) {
		rw_infra_rtt(it->sh->infra, (const struct sockaddr *)ss, rtt_us, now_us(it));
		if (it->cur_cookie && ck.cookie && ck.server_len)
			rw_infra_set_cookie(it->sh->infra, (const struct sockaddr *)ss, ck.server,
					    ck.server_len, now_us(it));
	}
	if (it->sh->rtt_hist) {
		int b = 0;
		while (b < RW_RTT_BUCKETS - 1 && rtt_us >= rw_rtt_bucket_ms[b] * 1000u)
			b++;
		it->sh->rtt_hist[b]++;
	}
	if (ck.rcode == RW_RCODE_BADCOOKIE && it->cur_cookie) {
		badcookie(it, len, out);
		return true;
	}
	/* The server compresses names against the question, so our random case would spread to
	 * zone cuts, CNAME targets and owners: write the name back as asked before reading on. */
	uint8_t name[256];
	size_t qend = 12, slen = ldns_rdf_size(it->sname);
	bool literal = rw_wire_read_name(pkt, len, &qend, name) > 0 && qend == 12 + slen;
	uint8_t *copy = it->cur_0x20 && literal ? malloc(len) : NULL;
	if (copy) {
		memcpy(copy, pkt, len);
		memcpy(copy + 12, ldns_rdf_data(it->sname), slen);
	}
	iter_handle_reply(it, copy ? copy : pkt, len, out);
	free(copy);
	return true;
}

void rw_iter_timeout(struct rw_iter *it, int err, struct rw_iter_out *out)
{
	if (it->done)
		return;
	it->waiting = false;
	struct ns_addr *a = &it->ns[it->cur_ns].addr[it->cur_addr];
	const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
	/* only replies with the wrong case came, over UDP: forged, or a server that does not
	 * preserve case; TCP tells which */
	bool case_trouble = (it->case_mismatch || it->cookie_missing) && err == -ETIMEDOUT &&
			    !it->cur_tcp && it->sh->upstream < it->sh->cfg->max_upstream_queries;
	struct rw_trace_event *e = iter_trace_ev(it, RW_EV_TIMEOUT);
	if (e) {
		e->server = dstr(it->ns[it->cur_ns].name);
		e->addr = a->ss;
		e->addrlen = a->len;
		e->after_ms = (uint32_t)(now_ms(it) - it->sent_ms);
		e->text = strdup(
			case_trouble && it->case_mismatch
				? "timeout; the only replies did not echo the 0x20 case: "
				  "asking over TCP"
			: case_trouble ? "timeout; the only replies had no COOKIE: asking over TCP"
			: err == -ETIMEDOUT ? "timeout"
					    : strerror(-err));
	}
	if (it->sh->infra && err == -ETIMEDOUT)
		rw_infra_timeout(it->sh->infra, sa, now_us(it));
	if (err != -ETIMEDOUT) {
		a->dead = true; /* unreachable (no route, refused): do not retry this address */
		it->net_errors++;
	} else {
		it->timeouts++;
		it->sh->timeouts++;
	}
	if (case_trouble) {
		iter_send_query(it, true, false, out);
		return;
	}
	iter_next_server(it, out);
}
