/* loadcache.h: `rootwalk load-cache < FILE`, the one control command that sends more than a line.
 *
 * It sends the load-cache request, then the lines of standard input (a dump-cache file) with a
 * "." in front of those that start with one (the protocol's dot-stuffing), then a line holding
 * ".", and prints the daemon's answer: the counts of lines, entries loaded, expired, already
 * cached, malformed, and the malformed lines by number. The daemon answers after the "." line,
 * or earlier when it refuses the request (an older daemon) or the load: so while sending, the
 * client watches for an answer and stops sending when one comes. -t bounds each wait (for the
 * socket to take more, for the answer), not the whole load, which lasts as long as the file is
 * big. A line longer than RW_CONTROL_MAX_LOAD_LINE is no dump-cache line: the load is ended
 * before it (what came before stays loaded) and the exit status is RW_EXIT_REFUSED.
 */
#ifndef RW_CLIENT_LOADCACHE_H
#define RW_CLIENT_LOADCACHE_H

#include "ctlclient.h"

/* Run load-cache (no words after it). Returns an exit status (exitcode.h). */
int rw_loadcache_run(const struct rw_ctlclient_opts *o, const char *cmd, int argc, char **argv);

#endif
