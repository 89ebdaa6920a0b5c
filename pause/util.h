/* Small helpers shared by nspod's C programs (header-only: each program stays one static binary; inline: a program
 * need not use them all). */
#ifndef NSPOD_UTIL_H
#define NSPOD_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* Writes all of p, retrying on EINTR; -1 on any other error (a full disk must not kill a supervisor: callers decide). */
static inline int write_all(int fd, const char *p, size_t n) {
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

/* Reads until end of file, an error or a full buf (size - 1 bytes); always terminates buf and returns its length. */
static inline size_t read_all(int fd, char *buf, size_t size) {
  size_t len = 0;
  while (len < size - 1) {
    ssize_t r = read(fd, buf + len, size - 1 - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += (size_t)r;
  }
  buf[len] = 0;
  return len;
}

/* The pid a runtime wrote to file, or 0 when there is none (yet). */
static inline pid_t read_pid_file(const char *file) {
  char buf[32];
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  read_all(fd, buf, sizeof buf);
  close(fd);
  pid_t pid = (pid_t)atoi(buf);
  return pid > 0 ? pid : 0;
}

/* Puts body at path by way of path.tmp: only a file written whole (and synced) is renamed into place, else the tmp goes.
 * A reader sees the old file or the new one, never a torn one. 0 when it is in place, -1 when not. */
static inline int write_file_atomic(const char *path, const char *body, size_t len) {
  char tmp[4096 + 8];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return -1;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  int ok = write_all(fd, body, len) == 0 && fsync(fd) == 0;
  if (close(fd) != 0) ok = 0;
  if (ok && rename(tmp, path) == 0) return 0;
  unlink(tmp);
  return -1;
}

/* Blocks the signals of mask and returns a descriptor to read them from instead (-1 on failure). */
static inline int signal_fd(const sigset_t *mask) {
  if (sigprocmask(SIG_BLOCK, mask, NULL) < 0) return -1;
  return signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Lets go of the caller (its terminal, session, stdio pipes and working directory) and adopts every orphan below.
 * A write to a closed pipe must not kill the daemon: SIGPIPE is ignored. On failure -1, *what naming the step. */
static inline int daemonize_as_subreaper(const char **what) {
  setsid();
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) {
    *what = "/dev/null";
    return -1;
  }
  dup2(null_fd, STDIN_FILENO);
  dup2(null_fd, STDOUT_FILENO);
  dup2(null_fd, STDERR_FILENO);
  if (null_fd > STDERR_FILENO) close(null_fd);
  *what = "chdir";
  if (chdir("/") < 0) return -1;
  *what = "prctl";
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) return -1;
  signal(SIGPIPE, SIG_IGN);
  return 0;
}

/* The current time in RFC 3339, UTC, with nanoseconds (nanos != 0) or milliseconds. */
static inline void rfc3339_now(char *buf, size_t size, int nanos) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  if (nanos) snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
  else snprintf(buf + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

#endif
