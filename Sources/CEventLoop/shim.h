// What Swift's Glibc module does not export for an event loop: epoll, eventfd, and pidfd_open
// (Linux 5.3), called through syscall() in a static inline function so that no feature macro is
// needed. A header only: no library to link.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int event_loop_pidfd_open(int pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    return -1;
#endif
}
