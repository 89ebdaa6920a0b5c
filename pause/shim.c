/*
 * nspod-shim: the parent that stays with one detached container.
 *
 *   nspod-shim -l LOG [-m MAXBYTES -n FILES] -e EXITFILE -p PIDFILE [-x PROG [-a ARG]... [-s SKIPFILE]] [-w PID:START -W ARG...] -- RUNTIME ARGS...
 *
 * RUNTIME ARGS is a detached start (`runc ... run -d --pid-file PIDFILE ID`).
 * The shim daemonizes, becomes a child subreaper and runs it, so that the
 * container's first process is handed to the shim when the runtime exits.
 * Then it:
 *   - copies the container's stdout and stderr (pipes it owns) to LOG in the
 *     Kubernetes CRI format: "<RFC 3339 time> <stream> <F|P> <text>", rotated
 *     at MAXBYTES into LOG.1 ... LOG.<FILES-1> (none without -m);
 *   - reaps the container (and any other orphan) at once, so a killed
 *     container is gone the moment it dies;
 *   - writes the exit status to EXITFILE (JSON, by rename), with
 *     "oomKilled":true when the kernel's OOM killer struck in the container's
 *     memory cgroup, and execs PROG, the exit command, if one was given and
 *     SKIPFILE does not exist (the pod is being stopped: nobody needs to wake
 *     up for this exit);
 *   - with -w, watches the pod's owner (a pidfd; see owner.h): when that
 *     process exits, or is gone already, runs the owner command (-W words)
 *     once, detached, and goes on supervising.
 * The foreground process exits once the runtime has: with 0 and the
 * container's pid on stdout, or with the runtime's exit code and its output
 * on stderr (2: usage; 125: the shim itself failed, said on stderr as
 * "nspod-shim: ..."). Nothing it leaves behind holds the caller's pipes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "crilog.h"
#include "exitfile.h"
#include "oom.h"
#include "owner.h"

#define MAX_EXIT_ARGS 64
#define MAX_EARLY 64

static const char *log_path, *exit_path, *pid_path, *exit_prog, *skip_path;
static char *exit_args[MAX_EXIT_ARGS + 2];
static int n_exit_args;

static long long log_max;
static int log_files = 1;
static struct logfile log_file;
static struct stream out, err;
static struct capture runtime_said;
static pid_t runtime_pid, container;
static int container_status, container_done;
/* Orphans reaped before the runtime named the container: one of them may be it. */
static struct {
  pid_t pid;
  int status;
} early[MAX_EARLY];
static int n_early;

static void die(const char *what) {
  dprintf(STDERR_FILENO, "nspod-shim: %s: %s\n", what, strerror(errno));
  _exit(125);
}

static void usage(void) {
  dprintf(STDERR_FILENO,
          "usage: nspod-shim -l LOG [-m MAXBYTES -n FILES] -e EXITFILE -p PIDFILE [-x PROG [-a ARG]... [-s SKIPFILE]] "
          "[-w PID:START -W ARG...] -- RUNTIME ARGS...\n");
  _exit(2);
}

/* Returns RUNTIME ARGS. */
static char **parse_args(int argc, char **argv) {
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) break;
    if (i + 1 >= argc) usage();
    if (strcmp(argv[i], "-l") == 0) log_path = argv[++i];
    else if (strcmp(argv[i], "-m") == 0) log_max = atoll(argv[++i]);
    else if (strcmp(argv[i], "-n") == 0) log_files = atoi(argv[++i]);
    else if (strcmp(argv[i], "-e") == 0) exit_path = argv[++i];
    else if (strcmp(argv[i], "-p") == 0) pid_path = argv[++i];
    else if (strcmp(argv[i], "-x") == 0) exit_prog = argv[++i];
    else if (strcmp(argv[i], "-s") == 0) skip_path = argv[++i];
    else if (strcmp(argv[i], "-a") == 0) {
      if (n_exit_args >= MAX_EXIT_ARGS) usage();
      exit_args[1 + n_exit_args++] = argv[++i];
    } else if (strcmp(argv[i], "-w") == 0) {
      if (owner_parse(argv[++i]) < 0) usage();
    } else if (strcmp(argv[i], "-W") == 0) {
      if (owner_arg(argv[++i]) < 0) usage();
    } else usage();
  }
  if (i >= argc - 1 || !log_path || !exit_path || !pid_path || log_max < 0 || log_files < 1) usage();
  return argv + i + 1;
}

/* The foreground half: wait for the report of the daemon half ("ok PID\n" or "fail CODE\n" + output) and relay it. */
static int relay(int sync_fd) {
  char buf[CAPTURE_MAX + 64];
  size_t len = read_all(sync_fd, buf, sizeof buf);
  char *nl = strchr(buf, '\n');
  if (!nl) {
    dprintf(STDERR_FILENO, "nspod-shim: the supervisor died before the runtime finished\n");
    return 125;
  }
  *nl = 0;
  int value = 0;
  if (sscanf(buf, "ok %d", &value) == 1) {
    dprintf(STDOUT_FILENO, "%d\n", value);
    return 0;
  }
  if (sscanf(buf, "fail %d", &value) == 1) {
    write_all(STDERR_FILENO, nl + 1, len - (size_t)(nl + 1 - buf));
    return value == 0 ? 1 : value;
  }
  dprintf(STDERR_FILENO, "nspod-shim: %s\n", buf);
  return 125;
}

static sigset_t sigchld_only(void) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  return mask;
}

/* Runs the runtime with its stdout and stderr on pipes of ours: what it (and then the container) prints is logged. */
static void start_runtime(char **runtime_argv) {
  log_open(&log_file, log_path, log_max, log_files);
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) die("pipe");
  runtime_pid = fork();
  if (runtime_pid < 0) die("fork");
  if (runtime_pid == 0) {
    sigset_t mask = sigchld_only();
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_DFL);
    execvp(runtime_argv[0], runtime_argv);
    dprintf(STDERR_FILENO, "nspod-shim: exec %s: %s\n", runtime_argv[0], strerror(errno));
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
  stream_open(&out, out_pipe[0], &log_file, "stdout");
  stream_open(&err, err_pipe[0], &log_file, "stderr");
}

static void container_exited(int st) {
  container_status = st;
  container_done = 1;
}

/* The runtime failed or named no container: pass on its exit code and what it printed, and go. */
static void report_failure(int sync_fd, int st) {
  drain(&out, &runtime_said);
  drain(&err, &runtime_said);
  dprintf(sync_fd, "fail %d\n", status_code(st));
  write_all(sync_fd, runtime_said.bytes, runtime_said.len);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) dprintf(sync_fd, "nspod-shim: the runtime wrote no pid to %s\n", pid_path);
  _exit(1);
}

/* The runtime is done: the container runs (the foreground half may go), unless it has already exited. */
static void runtime_exited(int sync_fd, int st) {
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || (container = read_pid_file(pid_path)) == 0) report_failure(sync_fd, st);
  watch_oom(container);
  dprintf(sync_fd, "ok %d\n", (int)container);
  close(sync_fd);
  for (int k = 0; k < n_early; k++)
    if (early[k].pid == container) container_exited(early[k].status);
}

static void reap_children(int sync_fd) {
  int st;
  pid_t p;
  while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
    if (p == runtime_pid) {
      runtime_pid = 0;
      runtime_exited(sync_fd, st);
    } else if (container > 0 && p == container) {
      container_exited(st);
    } else if (container == 0 && n_early < MAX_EARLY) {
      early[n_early].pid = p;
      early[n_early++].status = st;
    }
  }
}

/* SIGCHLD, blocked and read from a descriptor; made before the runtime starts, so that no exit goes unseen. */
static int sigchld_fd(void) {
  sigset_t mask = sigchld_only();
  int sig_fd = signal_fd(&mask);
  if (sig_fd < 0) die("signalfd");
  return sig_fd;
}

/* Until the container has exited: log its output, reap every child, report the runtime's outcome once. */
static void supervise(int sig_fd, int sync_fd) {
  while (!container_done) {
    /* The owner's end is acted on once the container runs (the runtime has reported): then there is a pod to remove. */
    if (owner_armed && owner_gone && container > 0) owner_fire();
    struct pollfd fds[4] = {
        {.fd = sig_fd, .events = POLLIN},
        {.fd = out.fd, .events = POLLIN},
        {.fd = err.fd, .events = POLLIN},
        {.fd = owner_fd, .events = POLLIN},
    };
    if (poll(fds, 4, owner_poll_timeout()) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    /* While the runtime runs, what it prints is kept to pass on if it fails. */
    struct capture *tee = runtime_pid > 0 ? &runtime_said : NULL;
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) pump(&out, tee);
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) pump(&err, tee);
    owner_check(fds[3].revents);
    if (!(fds[0].revents & POLLIN)) continue;
    struct signalfd_siginfo info;
    while (read(sig_fd, &info, sizeof info) > 0) {
    }
    reap_children(sync_fd);
  }
}

/* The container is gone: log what it wrote just before (still in the pipes), record its exit, run the exit command. */
static void finish(void) {
  drain(&out, NULL);
  drain(&err, NULL);
  end_line(&out);
  end_line(&err);
  write_exit_file(exit_path, container, container_status, oom_killed());
  if (exit_prog && !(skip_path && access(skip_path, F_OK) == 0)) {
    exit_args[0] = (char *)exit_prog;
    exit_args[1 + n_exit_args] = NULL;
    execv(exit_prog, exit_args);
  }
}

int main(int argc, char **argv) {
  char **runtime_argv = parse_args(argc, argv);
  int sync_pipe[2];
  if (pipe2(sync_pipe, O_CLOEXEC) < 0) die("pipe");
  pid_t supervisor = fork();
  if (supervisor < 0) die("fork");
  /* The caller waits for the foreground half only, which waits for the supervisor's word on the runtime. */
  if (supervisor > 0) {
    close(sync_pipe[1]);
    return relay(sync_pipe[0]);
  }
  close(sync_pipe[0]);
  const char *what;
  if (daemonize_as_subreaper(&what) < 0) die(what);
  /* A subreaper before the runtime runs: the container's first process is handed to us when the runtime exits. */
  int sig_fd = sigchld_fd();
  owner_watch();
  start_runtime(runtime_argv);
  supervise(sig_fd, sync_pipe[1]);
  finish();
  return 0;
}
