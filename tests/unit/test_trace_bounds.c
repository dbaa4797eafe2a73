/* A trace stays small whatever upstream servers send: the first 16 rejected replies are listed
 * and the rest counted (text and JSON say how many), and a trace holds at most 4,096 events,
 * after which only the ones that end a resolution are kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rootwalk/trace.h"

static void add_rejected(struct rw_trace *t, int n)
{
	for (int i = 0; i < n; i++) {
		if (!rw_trace_keep_rejected(t))
			continue;
		struct rw_trace_event *e = rw_trace_add(t, RW_EV_REPLY, "3", 0);
		CHECK(e != NULL);
		if (!e)
			continue;
		e->kind = RW_REPLY_REJECTED;
		e->bytes = 12;
		e->text = strdup("reply ID differs");
	}
}

/* The count is said once, after (or in) the 16th rejected reply listed. */
static void test_rejected(enum rw_trace_format format, const char *want)
{
	struct rw_trace *t = rw_trace_new(1, format);
	size_t len = 0;

	add_rejected(t, 12345 + 16);
	CHECK_EQ(t->n, 16);
	CHECK_EQ(t->rejected_more, 12345);
	rw_trace_add(t, RW_EV_DONE, "", 0);
	char *s = rw_trace_format(t, &len);
	CHECK(s && strstr(s, want) != NULL);
	/* said once, by the last one listed */
	const char *at = s ? strstr(s, "12345") : NULL;
	CHECK(at && !strstr(at + 1, "12345"));
	CHECK(len < 16 * 1024);
	free(s);
	rw_trace_free(t);
}

static void test_event_bound(void)
{
	struct rw_trace *t = rw_trace_new(2, RW_TRACE_TEXT);
	size_t len = 0;

	for (int i = 0; i < RW_TRACE_MAX_EVENTS + 500; i++)
		rw_trace_add(t, RW_EV_CNAME, "1", 0);
	CHECK_EQ(t->n, RW_TRACE_MAX_EVENTS);
	CHECK_EQ(t->events_dropped, 500);
	CHECK(rw_trace_add(t, RW_EV_ANSWER, "", 0) != NULL);
	CHECK(rw_trace_add(t, RW_EV_DONE, "", 0) != NULL);
	CHECK(rw_trace_add(t, RW_EV_SEND, "", 0) == NULL);
	CHECK(!rw_trace_keep_rejected(t)); /* a full trace only counts them */
	for (int i = 0; i < 2 * RW_TRACE_MAX_ENDING; i++)
		rw_trace_add(t, RW_EV_DONE, "", 0);
	CHECK_EQ(t->n, RW_TRACE_MAX_EVENTS + RW_TRACE_MAX_ENDING);
	char *s = rw_trace_format(t, &len);
	CHECK(s && strstr(s, "more events not recorded (a trace keeps 4096)") != NULL);
	free(s);
	rw_trace_free(t);
	CHECK(!rw_trace_keep_rejected(NULL));
}

int main(void)
{
	test_rejected(RW_TRACE_TEXT,
		      "<- and 12345 more rejected replies, not listed (a trace lists "
		      "the first 16)\n");
	test_rejected(RW_TRACE_JSON, "\"kind\":\"rejected\",\"reason\":\"reply ID differs\","
				     "\"rejected_not_listed\":12345}");
	test_event_bound();
	return rw_check_report("trace_bounds");
}
