// Linux's epoll, which Swift's Glibc module does not export. A header only: no library to link.
#include <sys/epoll.h>
