/* check.h: `rootwalk check NAME [TYPE] [--json]`, what is wrong with a zone, asked by rootwalkd
 * of every server of it now (rootwalk(1), CHECK). */
#ifndef RW_CLIENT_CHECK_H
#define RW_CLIENT_CHECK_H

#include "ctlclient.h"

/* Run the check and print its report. Returns RW_EXIT_OK, RW_EXIT_WARNINGS or RW_EXIT_ERRORS
 * from the report's status, or the exit status of a failed exchange (exitcode.h). */
int rw_check_run(const struct rw_ctlclient_opts *o, const char *cmd, int argc, char **argv);

#endif
