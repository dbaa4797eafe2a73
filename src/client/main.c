/* rootwalk: the command-line client. This file reads the options and the command word and runs
 * the command from the table below.
 *
 *   rootwalk [-s SOCKET] [-c FILE] [-t SECONDS] COMMAND [ARGS]
 *
 * The control commands (trace, lookup, flush, flush-all, stats, dump-cache, load-cache, status,
 * reload, nta) go to rootwalkd's control socket (ctlclient.h; load-cache: loadcache.h). `query` asks one DNS question (query.h). `check-conf`
 * checks a configuration file; `version` and `help` need nothing else.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rootwalk/config.h"
#include "rootwalk/hints.h"

#include "ctlclient.h"
#include "deadline.h"
#include "exitcode.h"
#include "loadcache.h"
#include "query.h"

/* RW_VERSION and RW_DEFAULT_CONFIG come from meson.build (the latter, else from config.h). */

#define DEFAULT_CTL_TIMEOUT_MS 30000
#define MAX_CTL_TIMEOUT_MS     86400000

/* A command: its word, and the function that runs it with the options and the words after it.
 * Returns the exit status. */
struct command {
	const char *name;
	int (*run)(const struct rw_ctlclient_opts *o, const char *cmd, int argc, char **argv);
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rootwalk [-s SOCKET] [-c FILE] [-t SECONDS] COMMAND [ARGS]\n"
		"commands for a running rootwalkd (over its control socket):\n"
		"  trace NAME [TYPE] [--fresh] [--json]\n"
		"                          resolve NAME now and print the trace of that "
		"resolution\n"
		"  lookup NAME [--json]    what the cache holds at NAME, and until when\n"
		"  flush NAME [--subtree] [--negative] [--bogus]\n"
		"                          remove cached entries at (or below) NAME\n"
		"  flush --bogus           remove every bogus entry and DNSSEC verdict\n"
		"  flush-all               empty the cache\n"
		"  stats [--json | --prometheus]  counters since start (or as Prometheus text)\n"
		"  stats --per-thread [--json]    each worker thread's counters\n"
		"  dump-cache [--json]     every cached entry, one per line\n"
		"  load-cache < FILE       cache again the entries of a dump-cache FILE that\n"
		"                          have not expired (after a restart)\n"
		"  status                  the daemon's state\n"
		"  reload                  re-read the configuration, keeping the cache\n"
		"  nta add NAME [--ttl SECONDS]\n"
		"                          do not validate at and below NAME for SECONDS "
		"(default 3600)\n"
		"  nta remove NAME         remove that negative trust anchor\n"
		"  nta list [--json]       the negative trust anchors and when they expire\n"
		"other commands:\n"
		"  query [@SERVER[#PORT]] NAME [TYPE] [+tcp] [+timeout=SEC]\n"
		"                          ask SERVER (default 127.0.0.1#53) one question\n"
		"  check-conf FILE         check a rootwalkd configuration and its root hints\n"
		"  version                 print the version\n"
		"  --help                  this help\n"
		"options:\n"
		"  -s SOCKET   the control socket (default: the configuration's control-socket\n"
		"              line, else " RW_DEFAULT_CONTROL_SOCKET ")\n"
		"  -c FILE     rootwalkd's configuration file (default %s)\n"
		"  -t SECONDS  how long to wait for the daemon's answer (default %d)\n",
		RW_DEFAULT_CONFIG, DEFAULT_CTL_TIMEOUT_MS / 1000);
}

static int print_version(void)
{
	printf("rootwalk %s\n", RW_VERSION);
	return RW_EXIT_OK;
}

static int cmd_help(const struct rw_ctlclient_opts *o, const char *cmd, int argc, char **argv)
{
	usage(stdout);
	return RW_EXIT_OK;
}

static int cmd_version(const struct rw_ctlclient_opts *o, const char *cmd, int argc, char **argv)
{
	return print_version();
}

static int cmd_check_conf(const struct rw_ctlclient_opts *o, const char *cmd, int argc, char **argv)
{
	struct rw_config *cfg = NULL;
	const char *path;
	char err[16384];

	if (argc != 1) {
		usage(stderr);
		return RW_EXIT_USAGE;
	}
	path = argv[0];
	if (rw_config_load(path, &cfg, err, sizeof(err)) < 0) {
		/* every error of the file, one a line */
		rw_config_errors_lines(err, path);
		fprintf(stderr, "%s\n", err);
		return RW_EXIT_REFUSED;
	}
	int rc = rw_hints_check(cfg->root_hints, err, sizeof(err));
	rw_config_free(cfg);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return RW_EXIT_REFUSED;
	}
	printf("%s: ok\n", path);
	return RW_EXIT_OK;
}

static int cmd_query(const struct rw_ctlclient_opts *o, const char *cmd, int argc, char **argv)
{
	int rc = rw_query_run(argc, argv);

	if (rc == RW_EXIT_USAGE)
		usage(stderr);
	return rc;
}

/* nta add|remove|list: the protocol's nta-add, nta-remove and nta-list; --ttl S becomes ttl=S. */
static int cmd_nta(const struct rw_ctlclient_opts *o, const char *cmd, int argc, char **argv)
{
	static const char *const subs[][2] = {
		{"add", "nta-add"}, {"remove", "nta-remove"}, {"list", "nta-list"}};
	char ttl[40], *words[4];
	int n = 0;
	size_t i;

	for (i = 0; argc > 0 && i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[0], subs[i][0]) == 0)
			break;
	if (argc == 0 || i == sizeof(subs) / sizeof(subs[0])) {
		fprintf(stderr, "rootwalk: nta: expected add, remove or list\n");
		usage(stderr);
		return RW_EXIT_USAGE;
	}
	for (int a = 1; a < argc; a++) {
		const char *v = NULL;
		if (strcmp(argv[a], "--ttl") == 0 && a + 1 < argc)
			v = argv[++a];
		else if (strncmp(argv[a], "--ttl=", 6) == 0)
			v = argv[a] + 6;
		else if (strcmp(argv[a], "--ttl") == 0) {
			fprintf(stderr, "rootwalk: nta add: --ttl needs SECONDS\n");
			return RW_EXIT_USAGE;
		}
		if (v && i != 0) {
			fprintf(stderr, "rootwalk: nta %s: unknown option '--ttl'\n", subs[i][0]);
			return RW_EXIT_USAGE;
		}
		if (n == 3) {
			fprintf(stderr, "rootwalk: nta %s: too many words\n", subs[i][0]);
			return RW_EXIT_USAGE;
		}
		if (v) {
			snprintf(ttl, sizeof(ttl), "ttl=%.30s", v);
			words[n++] = ttl;
		} else {
			words[n++] = argv[a];
		}
	}
	words[n] = NULL;
	return rw_ctlclient_run(o, subs[i][1], n, words);
}

static const struct command commands[] = {
	{"help", cmd_help},
	{"--help", cmd_help},
	{"version", cmd_version},
	{"--version", cmd_version},
	{"check-conf", cmd_check_conf},
	{"query", cmd_query},
	{"trace", rw_ctlclient_run},
	{"lookup", rw_ctlclient_run},
	{"flush", rw_ctlclient_run},
	{"flush-all", rw_ctlclient_run},
	{"stats", rw_ctlclient_run},
	{"dump-cache", rw_ctlclient_run},
	{"load-cache", rw_loadcache_run},
	{"status", rw_ctlclient_run},
	{"reload", rw_ctlclient_run},
	{"nta", cmd_nta},
};

/* The options before the command (rootwalk(1), OPTIONS) into *o. Returns -1 to go on with the
 * command at argv[optind], or the exit status when they were all there is to do (--help,
 * --version) or were wrong. */
static int parse_options(int argc, char **argv, struct rw_ctlclient_opts *o)
{
	int c;

	/* The long forms people type first, before getopt() takes them for bundled options. */
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "-t") == 0) {
			i++; /* its argument */
			continue;
		}
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return RW_EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0)
			return print_version();
	}
	/* Options come before the command ("+": stop at the first word that is not one). */
	while ((c = getopt(argc, argv, "+s:c:t:hV")) != -1) {
		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 't':
			if (rw_deadline_parse_seconds(optarg, MAX_CTL_TIMEOUT_MS, &o->timeout_ms) <
			    0) {
				fprintf(stderr, "rootwalk: bad timeout '%s' (seconds)\n", optarg);
				return RW_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return RW_EXIT_OK;
		case 'V':
			return print_version();
		default:
			usage(stderr);
			return RW_EXIT_USAGE;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct rw_ctlclient_opts o = {.config = RW_DEFAULT_CONFIG,
				      .timeout_ms = DEFAULT_CTL_TIMEOUT_MS};
	const char *cmd;
	int rc = parse_options(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (optind >= argc) {
		usage(stderr);
		return RW_EXIT_USAGE;
	}
	cmd = argv[optind];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(&o, cmd, argc - optind - 1, argv + optind + 1);
	fprintf(stderr, "rootwalk: unknown command '%s'\n", cmd);
	usage(stderr);
	return RW_EXIT_USAGE;
}
