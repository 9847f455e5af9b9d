/* Private to the POSIX backend. */
#ifndef PS_POSIX_H
#define PS_POSIX_H

#include "internal.h"

#include <sys/socket.h>

/* Maps an errno value to a PS_E* code and records it. */
int ps__posix_error(int err);

/* Makes a freshly created or accepted descriptor close-on-exec and, where
 * the system has it, SIGPIPE-free (macOS SO_NOSIGPIPE). */
int ps__posix_prepare_fd(int fd, int set_cloexec);

struct pollfd;
/* After poll(): where poll() cannot handle an open fd (macOS terminals and
 * some devices report POLLNVAL), waits again with select() and rewrites
 * revents. Returns 0 or a PS_E* code; a no-op elsewhere. */
int ps__select_fixup(struct pollfd *fds, size_t n, int timeout_ms);

#ifdef MSG_NOSIGNAL
#  define PS__SEND_FLAGS MSG_NOSIGNAL
#else
#  define PS__SEND_FLAGS 0 /* SO_NOSIGPIPE is set on the socket instead */
#endif

#endif
