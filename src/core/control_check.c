/* The control request `check NAME [TYPE] [json]` (rootwalk/check.h): started in the resolver,
 * answered when the check ends; a check whose asker went away (the connection closed, the daemon
 * stopping) is cancelled with its queries. */
#include "control_impl.h"
#include "rootwalk/check.h"

struct ccheck {
	struct ccheck *next;
	struct rw_control *ctl;
	uint64_t handle;  /* ours */
	uint64_t chandle; /* the resolver's */
	rw_control_done_cb cb;
	void *arg;
};

static void unlink_ccheck(struct ccheck *c)
{
	for (struct ccheck **pp = &c->ctl->checks; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			c->ctl->n_pending--;
			return;
		}
}

static void check_done(void *arg, enum rw_check_status status, const char *text, size_t len)
{
	struct ccheck *c = arg;
	(void)status; /* the report says it ("status: ..."), for the client's exit status */
	unlink_ccheck(c);
	if (text)
		control_respond(c->cb, c->arg, "ok", text, len);
	else
		control_respond_error(c->cb, c->arg, "out of memory");
	free(c);
}

uint64_t control_check(struct rw_control *ctl, const struct rw_control_request *req,
		       rw_control_done_cb cb, void *arg)
{
	struct ccheck *c = calloc(1, sizeof(*c));
	if (!c) {
		control_respond_error(cb, arg, "out of memory");
		return 0;
	}
	c->ctl = ctl;
	c->cb = cb;
	c->arg = arg;
	c->handle = ++ctl->next_handle;
	c->next = ctl->checks;
	ctl->checks = c;
	ctl->n_pending++;
	c->chandle = rw_resolver_check(ctl->r, req->name, req->name_len, req->qtype,
				       req->json ? RW_CHECK_JSON : 0, check_done, c);
	if (c->chandle == 0) {
		unlink_ccheck(c);
		free(c);
		control_respond_error(cb, arg, "the check could not be started");
		return 0;
	}
	return c->handle;
}

bool control_check_cancel(struct rw_control *ctl, uint64_t handle)
{
	for (struct ccheck *c = ctl->checks; c; c = c->next)
		if (c->handle == handle) {
			rw_check_cancel(ctl->r, c->chandle);
			unlink_ccheck(c);
			free(c);
			return true;
		}
	return false;
}

void control_check_free_all(struct rw_control *ctl)
{
	while (ctl->checks)
		control_check_cancel(ctl, ctl->checks->handle);
}

/* trace fresh: the SOA serials (rootwalk/check.h, RW_CHECK_SERIALS). */

void control_pending_unlink(struct pending *p)
{
	if (!p->pprev)
		return;
	*p->pprev = p->next;
	if (p->next)
		p->next->pprev = p->pprev;
	p->pprev = NULL;
	p->ctl->n_pending--;
}

static void serials_done(void *arg, enum rw_check_status status, const char *text, size_t len)
{
	struct pending *p = arg;
	struct rw_sbuf b = {0};
	(void)status;
	p->chandle = 0;
	rw_sbuf_add(&b, p->trace, p->tracelen);
	if (text && len > 0 && p->json && text[0] == '{') {
		/* the event joins the trace: its "trace" key from the trace's first event */
		const char *id = strstr(p->trace, "{\"trace\":\"");
		const char *end = id ? strchr(id + 10, '"') : NULL;
		if (end && end - id < 80)
			rw_sbuf_printf(&b, "%.*s,", (int)(end + 1 - id), id);
		else
			rw_sbuf_puts(&b, "{");
		rw_sbuf_add(&b, text + 1, len - 1);
	} else if (text) {
		rw_sbuf_add(&b, text, len);
	}
	control_pending_unlink(p);
	if (b.oom)
		control_respond_error(p->cb, p->arg, "out of memory");
	else
		control_respond(p->cb, p->arg, "ok", b.p ? b.p : "", b.len);
	free(b.p);
	free(p->trace);
	free(p);
}

bool control_trace_serials(struct pending *p, const char *trace, size_t len)
{
	p->trace = malloc(len + 1);
	if (!p->trace)
		return false;
	memcpy(p->trace, trace, len);
	p->trace[len] = '\0';
	p->tracelen = len;
	p->chandle = rw_resolver_check(p->ctl->r, p->name, p->name_len, LDNS_RR_TYPE_SOA,
				       RW_CHECK_SERIALS | (p->json ? RW_CHECK_JSON : 0),
				       serials_done, p);
	if (p->chandle == 0) {
		free(p->trace);
		p->trace = NULL;
		return false;
	}
	return true;
}

void control_trace_serials_cancel(struct pending *p)
{
	if (p->chandle)
		rw_check_cancel(p->ctl->r, p->chandle);
	p->chandle = 0;
	free(p->trace);
	p->trace = NULL;
}
