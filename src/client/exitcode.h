/* exitcode.h: the exit statuses of the rootwalk command (rootwalk(1), EXIT STATUS). Every part of
 * the client returns one of these, so that main() can pass it on unchanged. */
#ifndef RW_CLIENT_EXITCODE_H
#define RW_CLIENT_EXITCODE_H

#define RW_EXIT_OK	    0
#define RW_EXIT_REFUSED	    1 /* the daemon answered "error:", or no usable DNS reply */
#define RW_EXIT_USAGE	    2
#define RW_EXIT_NOT_RUNNING 3 /* no socket, or nobody listening on it */
#define RW_EXIT_NO_ACCESS   4 /* the socket exists but we may not connect */
#define RW_EXIT_PROTOCOL    5 /* the connection failed or timed out mid-way */
#define RW_EXIT_WARNINGS    6 /* check: the worst finding is a warning */
#define RW_EXIT_ERRORS	    7 /* check: the worst finding is an error */

#endif
