/* The owner a pod dies with (`removeWhen: 'owner-exits'`): one process, named by its pid and start time, watched
 * through a pidfd. When it exits, or is found gone already (no such pid, or one with another start time: the pid
 * was reused), the owner command runs once, in a session of its own, and the caller goes on supervising. */
#ifndef NSPOD_OWNER_H
#define NSPOD_OWNER_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define MAX_OWNER_ARGS 64

static pid_t owner_pid;
static unsigned long long owner_start;
/* The pidfd (readable once the owner exited), or -1: poll skips it. */
static int owner_fd = -1;
/* 1 while the command is still to run; owner_gone: it is to run now; owner_polled: no pidfd here, /proc is read instead. */
static int owner_armed, owner_gone, owner_polled;
static char *owner_argv[MAX_OWNER_ARGS + 1];
static int n_owner_args;

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot), or 0 when there is no such process. */
static unsigned long long proc_start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0) return 0;
  buf[r] = 0;
  /* The command name (field 2) may hold spaces and parentheses: count from after its last ')'. */
  char *p = strrchr(buf, ')');
  for (int field = 2; p && field < 22; field++) p = strchr(p + 1, ' ');
  return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* "-w PID:START": the owner. 0, or -1 when the value is not one. */
static int owner_parse(const char *value) {
  char *end;
  long pid = strtol(value, &end, 10);
  if (pid <= 0 || *end != ':') return -1;
  owner_pid = (pid_t)pid;
  owner_start = strtoull(end + 1, &end, 10);
  return *end == 0 && owner_start > 0 ? 0 : -1;
}

/* "-W ARG": the next word of the owner command. */
static int owner_arg(char *arg) {
  if (n_owner_args >= MAX_OWNER_ARGS) return -1;
  owner_argv[n_owner_args++] = arg;
  return 0;
}

/* How long poll may wait: forever with a pidfd, a second without. */
static int owner_poll_timeout(void) {
  return owner_armed && owner_polled ? 1000 : -1;
}

/* After poll: is the owner gone now? (The pidfd is readable, or /proc says so.) The pidfd has said its word: closed. */
static void owner_check(short revents) {
  if (!owner_armed) return;
  if ((revents & (POLLIN | POLLHUP | POLLERR)) || (owner_polled && proc_start_time(owner_pid) != owner_start)) owner_gone = 1;
  if (owner_gone && owner_fd >= 0) {
    close(owner_fd);
    owner_fd = -1;
  }
}

/* Starts watching: the pidfd first, then the start time, so the pidfd is known to be the owner's and not a reuser's. */
static void owner_watch(void) {
  if (owner_pid == 0 || n_owner_args == 0) return;
  owner_armed = 1;
  owner_fd = (int)syscall(SYS_pidfd_open, owner_pid, 0);
  if (owner_fd < 0 && errno != ESRCH) owner_polled = 1; /* a kernel before 5.3: /proc, once a second */
  if (proc_start_time(owner_pid) != owner_start) owner_check(POLLHUP);
}

/* Runs the owner command once, detached: its own session, no signal blocked, not waited for (the subreaper reaps it). */
static void owner_fire(void) {
  owner_armed = 0;
  if (owner_fd >= 0) close(owner_fd);
  owner_fd = -1;
  if (fork() != 0) return;
  setsid();
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  owner_argv[n_owner_args] = NULL;
  execv(owner_argv[0], owner_argv);
  _exit(127);
}

#endif
