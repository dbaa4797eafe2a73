/* Control-socket responses collected by unit tests: the last one's text and the number of
 * calls (on_reply is an rw_control response callback). */
#ifndef RW_TESTREPLY_H
#define RW_TESTREPLY_H

#include <stdlib.h>
#include <string.h>

struct reply {
	char *text;
	int calls;
};

static inline void on_reply(void *arg, const char *resp, size_t len)
{
	struct reply *r = arg;

	r->calls++;
	free(r->text);
	r->text = strndup(resp, len);
	if (!r->text)
		abort();
}

#endif
