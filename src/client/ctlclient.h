/* ctlclient.h: the client side of rootwalkd's control socket.
 *
 * One control command is one connection: the command-line words become one request line
 * (protocol: rootwalk/control.h and rootwalk(1), THE CONTROL PROTOCOL), checked here the way the
 * daemon will check it, sent, and the body of the response printed on standard output with the
 * dot-stuffing undone. The socket is -s SOCKET, else the control-socket that rootwalkd's
 * configuration file names.
 */
#ifndef RW_CLIENT_CTLCLIENT_H
#define RW_CLIENT_CTLCLIENT_H

#include <stddef.h>
#include <stdint.h>

struct rw_ctlclient_opts {
	const char *socket; /* -s, or NULL: the config file's control-socket (borrowed) */
	const char *config; /* -c: rootwalkd's configuration file (borrowed) */
	int timeout_ms;	    /* -t: how long the whole exchange may take */
};

/* Run the control command cmd (trace, lookup, flush, flush-all, stats, dump-cache, status,
 * reload) with the words after it (borrowed). Ignores SIGPIPE from then on, so that a closed
 * standard output is an error rather than a signal. Every failure prints one "rootwalk: " line on
 * standard error. Returns an exit status (exitcode.h): RW_EXIT_OK, RW_EXIT_REFUSED (the daemon
 * answered "error:"), RW_EXIT_USAGE (a bad word, or no control socket configured),
 * RW_EXIT_NOT_RUNNING, RW_EXIT_NO_ACCESS or RW_EXIT_PROTOCOL. */
int rw_ctlclient_run(const struct rw_ctlclient_opts *o, const char *cmd, int argc, char **argv);

/* rw_ctlclient_run that also hands each body line (dot-stuffing undone, no newline, borrowed
 * for the call) to line_cb after printing it: for commands whose exit status depends on the
 * answer (check). */
int rw_ctlclient_run_lines(const struct rw_ctlclient_opts *o, const char *cmd, int argc,
			   char **argv, void (*line_cb)(void *arg, const char *line, size_t len),
			   void *arg);

/* For commands that write more than a request line (load-cache, loadcache.c). */

/* Connect to the control socket (as rw_ctlclient_run finds it); its path goes to *path (malloc'd,
 * the caller frees it). Returns the fd, or -RW_EXIT_* after printing why (*path is NULL then). */
int rw_ctlclient_open(const struct rw_ctlclient_opts *o, char **path);
/* Read one response from fd by deadline (monotonic ms; timeout_ms is for the message), printing
 * its body on standard output. Makes fd non-blocking. Returns the exit status. */
int rw_ctlclient_reply(int fd, const char *path, int64_t deadline, int timeout_ms);
/* rw_ctlclient_reply with each body line to line_cb (NULL: none), as rw_ctlclient_run_lines. */
int rw_ctlclient_reply_lines(int fd, const char *path, int64_t deadline, int timeout_ms,
			     void (*line_cb)(void *arg, const char *line, size_t len), void *arg);

#endif
