/* The control protocol's responses: a status line, the body with dot-stuffing, and a line holding
 * "." (rootwalk(1), PROTOCOL). Used by control.c and control_cache.c; calls neither. */
#include "control_impl.h"

void control_stuff(struct rw_sbuf *out, const char *body, size_t bodylen)
{
	size_t i = 0;

	while (i < bodylen) {
		const char *nl = memchr(body + i, '\n', bodylen - i);
		size_t n = nl ? (size_t)(nl - (body + i)) : bodylen - i;

		if (body[i] == '.')
			rw_sbuf_add(out, ".", 1);
		rw_sbuf_add(out, body + i, n);
		rw_sbuf_add(out, "\n", 1);
		i += n + (nl ? 1 : 0);
	}
}

/* Frame a response: status line, body with dot-stuffing, end marker. Returns a malloc'd buffer or
 * NULL on allocation failure. */
char *control_frame(const char *status, const char *body, size_t bodylen, size_t *outlen)
{
	struct rw_sbuf out = {0};

	/* The status line is one line whatever the reason contains. */
	for (const char *s = status; *s; s++) {
		char c = (*s == '\n' || *s == '\r' || *s == '\t') ? ' ' : *s;
		if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e)
			c = '?';
		rw_sbuf_add(&out, &c, 1);
	}
	rw_sbuf_add(&out, "\n", 1);
	control_stuff(&out, body, bodylen);
	rw_sbuf_add(&out, ".\n", 2);
	if (out.oom) {
		free(out.p);
		return NULL;
	}
	*outlen = out.len;
	return out.p;
}

void control_respond(rw_control_done_cb cb, void *arg, const char *status, const char *body,
		     size_t bodylen)
{
	size_t len = 0;
	char *resp = control_frame(status, body, bodylen, &len);

	if (!resp) {
		static const char oom[] = "error: out of memory\n.\n";
		cb(arg, oom, sizeof(oom) - 1);
		return;
	}
	cb(arg, resp, len);
	free(resp);
}

void control_respond_error(rw_control_done_cb cb, void *arg, const char *reason)
{
	char status[600];

	snprintf(status, sizeof(status), "error: %s", reason);
	control_respond(cb, arg, status, NULL, 0);
}

void control_respond_body(rw_control_done_cb cb, void *arg, struct rw_sbuf *b)
{
	if (b->oom)
		control_respond_error(cb, arg, "out of memory");
	else
		control_respond(cb, arg, "ok", b->p ? b->p : "", b->len);
	free(b->p);
}
