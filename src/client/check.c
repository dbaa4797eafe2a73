/* check.c: `rootwalk check NAME [TYPE] [--json]` (check.h): the control request `check`, its
 * report printed as it comes, and the exit status from the report's status: 0 ok, 6 warnings,
 * 7 errors. */
#include "check.h"

#include <stdio.h>
#include <string.h>

#include "exitcode.h"

/* The status in the report: the text's first line ends "status: WORD"; the JSON object has a
 * "status" key (its first one, before any text that could hold the same bytes). */
struct verdict {
	int lines;
	int status; /* -1 until found, else an RW_EXIT_* */
};

static int status_word(const char *w, size_t len)
{
	if (len >= 8 && strncmp(w, "warnings", 8) == 0)
		return RW_EXIT_WARNINGS;
	if (len >= 6 && strncmp(w, "errors", 6) == 0)
		return RW_EXIT_ERRORS;
	if (len >= 2 && strncmp(w, "ok", 2) == 0)
		return RW_EXIT_OK;
	return -1;
}

static void scan_line(void *arg, const char *line, size_t len)
{
	static const char json_key[] = "\"status\":\"";
	static const char text_key[] = "status: ";
	struct verdict *v = arg;
	char buf[4096];

	if (v->status >= 0 || v->lines++ > 0)
		return; /* the first line says it */
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	const char *p = strstr(buf, json_key);
	if (p) {
		p += sizeof(json_key) - 1;
	} else {
		/* the last "status: " of the line: a NAME cannot hold a space */
		for (const char *q = strstr(buf, text_key); q; q = strstr(q + 1, text_key))
			p = q + sizeof(text_key) - 1;
	}
	if (p)
		v->status = status_word(p, strlen(p));
}

int rw_check_run(const struct rw_ctlclient_opts *o, const char *cmd, int argc, char **argv)
{
	struct verdict v = {0, -1};
	int rc;

	(void)cmd;
	if (argc < 1 || argv[0][0] == '-') { /* "check --json" would check the name "json." */
		fprintf(stderr, "rootwalk: check needs a NAME (rootwalk check NAME [TYPE] "
				"[--json])\n");
		return RW_EXIT_USAGE;
	}
	rc = rw_ctlclient_run_lines(o, "check", argc, argv, scan_line, &v);
	if (rc != RW_EXIT_OK)
		return rc;
	if (v.status < 0) {
		fprintf(stderr, "rootwalk: check: the report has no status line\n");
		return RW_EXIT_PROTOCOL;
	}
	return v.status;
}
