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
	c->chandle = rw_resolver_check(ctl->r, req->name, req->name_len, req->qtype, req->json,
				       check_done, c);
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
