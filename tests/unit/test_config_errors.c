/* Unit tests of the configuration's logging and CHAOS keys, of every error of a file found in one
 * pass (with lines and suggestions), of the errors laid out one a line, and of rw_config_peek:
 * the control-socket line read from a file that does not parse. */
#include "rootwalk/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static char err[4096];

static struct rw_config *parse(const char *text)
{
	struct rw_config *cfg = NULL;
	int rc = rw_config_parse(text, strlen(text), "t.conf", &cfg, err, sizeof(err));

	CHECK((rc == 0) == (cfg != NULL));
	if (cfg == NULL)
		fprintf(stderr, "  refused: %s\n", err);
	return cfg;
}

static int same(const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return 1;
	fprintf(stderr, "   got: '%s'\n  want: '%s'\n", got, want);
	return 0;
}

static void test_log_and_chaos_keys(void)
{
	struct rw_config *cfg = parse("");

	CHECK(cfg != NULL);
	if (cfg != NULL) {
		CHECK_EQ(cfg->verbosity, 1);
		CHECK(cfg->logfile != NULL && strcmp(cfg->logfile, "stderr") == 0);
		CHECK(!cfg->log_servfail && !cfg->hide_version && !cfg->hide_identity);
		CHECK(cfg->identity == NULL);
	}
	rw_config_free(cfg);
	cfg = parse("server:\n  verbosity: 4\n  logfile: \"/var/log/rootwalkd.log\"\n"
		    "  log-servfail: yes\n  hide-version: yes\n  hide-identity: yes\n"
		    "  identity: \"resolver 7\"\n");
	CHECK(cfg != NULL);
	if (cfg != NULL) {
		CHECK_EQ(cfg->verbosity, 4);
		CHECK(same(cfg->logfile, "/var/log/rootwalkd.log"));
		CHECK(cfg->log_servfail && cfg->hide_version && cfg->hide_identity);
		CHECK(same(cfg->identity, "resolver 7"));
	}
	rw_config_free(cfg);
	cfg = parse("logfile: syslog\nverbosity: 0\n");
	CHECK(cfg != NULL && same(cfg->logfile, "syslog") && cfg->verbosity == 0);
	rw_config_free(cfg);
}

/* Every error of a file in one pass, in file order, each with its line; near misses of the new
 * keys get a suggestion. */
static void test_all_errors_in_one_pass(void)
{
	const char *text = "server:\n"
			   "  verbosity: 5\n"
			   "  verbosty: 2\n"
			   "  cache-size: 100MB\n"
			   "  hide_version: yes\n"
			   "  log-servfail: maybe\n"
			   "  listen: 127.0.0.1\n"
			   "  logfile:\n"
			   "  hide-identitty: yes\n";
	struct rw_config *cfg = NULL;
	int rc = rw_config_parse(text, strlen(text), "t.conf", &cfg, err, sizeof(err));

	CHECK(rc == -EINVAL && cfg == NULL);
	CHECK(same(err, "t.conf:2: verbosity: 5 is out of range (0..4); "
			"t.conf:3: unknown key 'verbosty' (did you mean 'verbosity'?); "
			"t.conf:5: unknown key 'hide_version' (did you mean 'hide-version'?); "
			"t.conf:6: log-servfail: expected 'yes' or 'no', got 'maybe'; "
			"t.conf:8: logfile: missing value; "
			"t.conf:9: unknown key 'hide-identitty' (did you mean 'hide-identity'?)"));
	CHECK_EQ(rw_config_errors_lines(err, "t.conf"), 6);
	CHECK(same(err, "t.conf:2: verbosity: 5 is out of range (0..4)\n"
			"t.conf:3: unknown key 'verbosty' (did you mean 'verbosity'?)\n"
			"t.conf:5: unknown key 'hide_version' (did you mean 'hide-version'?)\n"
			"t.conf:6: log-servfail: expected 'yes' or 'no', got 'maybe'\n"
			"t.conf:8: logfile: missing value\n"
			"t.conf:9: unknown key 'hide-identitty' (did you mean 'hide-identity'?)"));
}

/* The count of messages that did not fit starts a line of its own too. */
static void test_lines_with_count(void)
{
	char small[120];
	const char *text = "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\n";
	struct rw_config *cfg = NULL;

	CHECK(rw_config_parse(text, strlen(text), "t.conf", &cfg, small, sizeof(small)) < 0);
	CHECK(strstr(small, "more errors") != NULL);
	size_t n = rw_config_errors_lines(small, "t.conf");
	const char *last = strrchr(small, '\n');

	CHECK(n >= 2 && last != NULL && strstr(last + 1, " more error") != NULL);
	CHECK(strstr(small, "; ") == NULL);
	CHECK_EQ(rw_config_errors_lines(NULL, "t.conf"), 0);
	/* "; " inside a message (a quoted value) is not a new line. */
	char joined[] = "t.conf:1: x: 'a; 3 more errors b'; t.conf:2: y; 3 more errors";
	CHECK_EQ(rw_config_errors_lines(joined, "t.conf"), 3);
	CHECK(same(joined, "t.conf:1: x: 'a; 3 more errors b'\nt.conf:2: y\n3 more errors"));
}

static char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/rw-test-peek-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return NULL;
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* The control socket of a file with errors everywhere else. */
static void test_peek(void)
{
	char val[256], perr[256];
	char *path = write_tmp("server:\n  frobnicate: yes\n  control-socket: \"/run/a.sock\"\n"
			       "listen 127.0.0.1\n  control-socket-mode: 0600\n"
			       "\tcontrol-socket: /run/b.sock   # the last one wins\n"
			       "forward-zone:\n  name: \n  cache-size: 10x\n");

	if (path == NULL)
		return;
	CHECK(rw_config_load(path, &(struct rw_config *){NULL}, perr, sizeof(perr)) < 0);
	CHECK_EQ(rw_config_peek(path, "control-socket", val, sizeof(val), perr, sizeof(perr)), 1);
	CHECK(same(val, "/run/b.sock"));
	/* a value too long for the buffer is not found rather than cut */
	CHECK_EQ(rw_config_peek(path, "control-socket", val, 5, perr, sizeof(perr)), 0);
	CHECK_EQ(rw_config_peek(path, "root-hints", val, sizeof(val), perr, sizeof(perr)), 0);
	unlink(path);
	path = write_tmp("control-socket:\ncontrol-socket: 'unterminated\ncontrol-socket: off\n");
	if (path == NULL)
		return;
	CHECK_EQ(rw_config_peek(path, "control-socket", val, sizeof(val), perr, sizeof(perr)), 1);
	CHECK(same(val, "off"));
	unlink(path);
	CHECK_EQ(rw_config_peek("/nonexistent/rw.conf", "control-socket", val, sizeof(val), perr,
				sizeof(perr)),
		 -ENOENT);
	CHECK(strstr(perr, "/nonexistent/rw.conf") != NULL);
}

int main(void)
{
	test_log_and_chaos_keys();
	test_all_errors_in_one_pass();
	test_lines_with_count();
	test_peek();
	return rw_check_report("test_config_errors");
}
