/* The descriptor limit: rootwalkd needs one descriptor per upstream query in flight
 * (outgoing-range) and per client TCP connection (incoming-num-tcp), plus its listeners, control
 * connections and files. A soft limit of 1,024, common by default, would turn a flood into
 * EMFILE on accept and on every upstream send; so the soft limit is raised at start, up to the
 * hard limit (and the hard limit too when the process may). */
#include <errno.h>
#include <string.h>

#include <sys/resource.h>

#include "daemon.h"
#include "log.h"

/* Descriptors beside the caps: two per listen address, the control socket's 16 connections,
 * the trace file, the loop's own, and room for the unexpected; with worker threads, a loop,
 * a mailbox and two per listen address more for each. */
#define FD_MARGIN     (2 * RW_CONFIG_MAX_ADDRS + 16 + 64)
#define FD_PER_THREAD (2 * RW_CONFIG_MAX_ADDRS + 4)

/* Each thread has its own outgoing-range (the main loop's resolver too, with threads); the
 * workers share incoming-num-tcp. */
static rlim_t fd_need(const struct rw_config *cfg, unsigned nthreads)
{
	rlim_t loops = nthreads > 1 ? nthreads + 1 : 1;

	return loops * cfg->outgoing_range + cfg->incoming_num_tcp + 1 + FD_MARGIN +
	       (loops - 1) * FD_PER_THREAD;
}

void rw_daemon_raise_fd_limit(const struct rw_config *cfg, unsigned nthreads)
{
	struct rlimit rl;
	rlim_t need = fd_need(cfg, nthreads);

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		struct rlimit want = {need, need};

		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return;
		rw_daemon_log(RW_LOG_WARNING,
			      "descriptor limit %llu is below the %llu that outgoing-range and "
			      "incoming-num-tcp need: raising it failed (%s), using %llu",
			      (unsigned long long)rl.rlim_cur, (unsigned long long)need,
			      strerror(errno), (unsigned long long)rl.rlim_max);
		need = rl.rlim_max;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		rw_daemon_log(RW_LOG_WARNING, "raising the descriptor limit to %llu failed: %s",
			      (unsigned long long)need, strerror(errno));
}
