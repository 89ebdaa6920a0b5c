/* Small helpers shared by nspod's C programs (header-only: each program stays one static binary). */
#ifndef NSPOD_UTIL_H
#define NSPOD_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* Writes all of p, retrying on EINTR; -1 on any other error (a full disk must not kill a supervisor: callers decide). */
static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The current time in RFC 3339, UTC, with nanoseconds (nanos != 0) or milliseconds. */
static void rfc3339_now(char *buf, size_t size, int nanos) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  if (nanos) snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
  else snprintf(buf + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

#endif
