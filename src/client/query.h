/* query.h: `rootwalk query`, one DNS question to one server, the reply printed like dig(1).
 *
 *   rootwalk query [@SERVER[#PORT]] NAME [TYPE] [+tcp] [+timeout=SECONDS]
 *
 * The question has RD set and EDNS0 with a 1232-byte buffer. Over UDP it is sent at most twice;
 * a truncated reply is retried over TCP. Every wait is bounded by the timeout (default 3 s). A
 * reply counts only if it matches the question's ID and question section. SERVER is numeric
 * (default 127.0.0.1#53): no name is resolved behind the user's back. Needs neither the daemon
 * nor its control socket.
 */
#ifndef RW_CLIENT_QUERY_H
#define RW_CLIENT_QUERY_H

/* Run the query tool on the words after "query" (borrowed). Prints the reply on standard output,
 * or one "rootwalk: " line on standard error. Returns RW_EXIT_OK when a reply was printed,
 * RW_EXIT_USAGE for bad arguments (the caller prints the usage), RW_EXIT_REFUSED when no usable
 * reply came (exitcode.h). */
int rw_query_run(int argc, char **argv);

#endif
