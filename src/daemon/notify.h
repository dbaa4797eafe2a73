/* The systemd notification protocol (sd_notify(3)), written by hand: one datagram of
 * "KEY=VALUE" lines to the Unix socket named by $NOTIFY_SOCKET. No libsystemd.
 *
 * The socket is connected once at startup, before the change of root and of user, so that the
 * daemon can still reach it afterwards (a path outside the chroot, a directory closed to the
 * service user).
 */
#ifndef RW_DAEMON_NOTIFY_H
#define RW_DAEMON_NOTIFY_H

/* Connect to $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace) and unset the
 * variable. Returns the socket, -1 when the variable is not set, or a negative errno code
 * (below -1) after logging why it could not be reached. */
int rw_notify_open(void);
/* Send one message ("READY=1\nSTATUS=..."), formatted as printf; nothing when fd < 0. Returns 0
 * or a negative errno code. Each line is a KEY=VALUE pair; the caller keeps VALUE to one line. */
int rw_notify(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "MONOTONIC_USEC=N": the CLOCK_MONOTONIC time systemd asks to go with RELOADING=1. */
unsigned long long rw_notify_monotonic_usec(void);
/* Close the socket (fd < 0 does nothing). */
void rw_notify_close(int fd);

#endif
