/*
 * nspod-shim: the parent that stays with one detached container.
 *
 *   nspod-shim -l LOG -e EXITFILE -p PIDFILE [-x PROG [-a ARG]... [-s SKIPFILE]] -- RUNTIME ARGS...
 *
 * RUNTIME ARGS is a detached start (`runc ... run -d --pid-file PIDFILE ID`).
 * The shim daemonizes, becomes a child subreaper and runs it, so that the
 * container's first process is handed to the shim when the runtime exits.
 * Then it:
 *   - copies the container's stdout and stderr (pipes it owns) to LOG in the
 *     Kubernetes CRI format: "<RFC 3339 time> <stream> <F|P> <text>";
 *   - reaps the container (and any other orphan) at once, so a killed
 *     container is gone the moment it dies;
 *   - writes the exit status to EXITFILE (JSON, by rename), with
 *     "oomKilled":true when the kernel's OOM killer struck in the container's
 *     memory cgroup, and execs PROG, the exit command, if one was given and
 *     SKIPFILE does not exist (the pod is being stopped: nobody needs to wake
 *     up for this exit).
 * The foreground process exits once the runtime has: with 0 and the
 * container's pid on stdout, or with the runtime's exit code and its output
 * on stderr. Nothing it leaves behind holds the caller's pipes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define CAPTURE_MAX 16384
#define LINE_MAX_BYTES 16384
#define MAX_EXIT_ARGS 64
#define MAX_EARLY 64

struct stream {
  int fd;
  const char *name;
  char line[LINE_MAX_BYTES];
  size_t len;
};

static const char *log_path, *exit_path, *pid_path, *exit_prog, *skip_path;
static char *exit_args[MAX_EXIT_ARGS + 2];
static int n_exit_args;
static int log_fd = -1;
static char capture[CAPTURE_MAX];
static size_t capture_len;

static void die(const char *what) {
  dprintf(STDERR_FILENO, "nspod-shim: %s: %s\n", what, strerror(errno));
  _exit(125);
}

static void usage(void) {
  dprintf(STDERR_FILENO,
          "usage: nspod-shim -l LOG -e EXITFILE -p PIDFILE [-x PROG [-a ARG]... [-s SKIPFILE]] -- RUNTIME ARGS...\n");
  _exit(2);
}

static void log_line(struct stream *s, int partial) {
  char head[64];
  rfc3339_now(head, sizeof head, 1);
  char prefix[96];
  int n = snprintf(prefix, sizeof prefix, "%s %s %c ", head, s->name, partial ? 'P' : 'F');
  if (log_fd >= 0) {
    write_all(log_fd, prefix, (size_t)n);
    write_all(log_fd, s->line, s->len);
    write_all(log_fd, "\n", 1);
  }
  s->len = 0;
}

/* Returns 0 at end of file, 1 when data was read, -1 when nothing is ready. */
static int pump(struct stream *s, int runtime_running) {
  char buf[8192];
  ssize_t r = read(s->fd, buf, sizeof buf);
  if (r < 0) return (errno == EAGAIN || errno == EINTR) ? -1 : 0;
  if (r == 0) {
    if (s->len > 0) log_line(s, 0);
    return 0;
  }
  if (runtime_running) {
    size_t room = CAPTURE_MAX - capture_len;
    size_t n = (size_t)r < room ? (size_t)r : room;
    memcpy(capture + capture_len, buf, n);
    capture_len += n;
  }
  for (ssize_t i = 0; i < r; i++) {
    if (buf[i] == '\n') {
      log_line(s, 0);
    } else {
      s->line[s->len++] = buf[i];
      if (s->len == LINE_MAX_BYTES) log_line(s, 1);
    }
  }
  return 1;
}

/* The container's OOM kill counter: memory.oom_control (v1) or memory.events (v2). */
static char oom_file[4096];
static long oom_baseline = -1;

static long read_oom_kills(void) {
  char buf[1024];
  int fd = open(oom_file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0) return -1;
  buf[r] = 0;
  for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (strncmp(line, "oom_kill ", 9) == 0) return atol(line + 9);
  }
  return -1;
}

/* Finds the container's memory cgroup while it lives (its /proc entry goes with it) and counts its OOM kills so far. */
static void watch_oom(pid_t pid) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0) return;
  buf[r] = 0;
  char v2[2048] = "";
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c2 = 0;
    const char *controllers = c1 + 1, *cg = c2 + 1;
    if (*controllers == 0) {
      snprintf(v2, sizeof v2, "%s", cg);
      continue;
    }
    char list[256];
    snprintf(list, sizeof list, ",%s,", controllers);
    if (strstr(list, ",memory,")) {
      snprintf(oom_file, sizeof oom_file, "/sys/fs/cgroup/memory%s/memory.oom_control", cg);
      if ((oom_baseline = read_oom_kills()) >= 0) return;
    }
  }
  if (*v2) {
    snprintf(oom_file, sizeof oom_file, "/sys/fs/cgroup%s/memory.events", v2);
    if ((oom_baseline = read_oom_kills()) >= 0) return;
    snprintf(oom_file, sizeof oom_file, "/sys/fs/cgroup/unified%s/memory.events", v2);
    oom_baseline = read_oom_kills();
  }
}

static int status_code(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 255;
}

static void write_exit_file(pid_t pid, int st) {
  char tmp[4096], ts[64], body[256];
  snprintf(tmp, sizeof tmp, "%s.tmp", exit_path);
  rfc3339_now(ts, sizeof ts, 1);
  long oom_kills = oom_baseline >= 0 ? read_oom_kills() : -1;
  int oom_killed = oom_kills > oom_baseline;
  int n = snprintf(body, sizeof body, "{\"pid\":%d,\"exitCode\":%d,\"signal\":%d,%s\"finishedAt\":\"%s\"}\n",
                   (int)pid, status_code(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0, oom_killed ? "\"oomKilled\":true," : "", ts);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  /* Only a record written whole is put in place: a torn one would read as garbage. */
  int ok = write_all(fd, body, (size_t)n) == 0 && fsync(fd) == 0;
  if (close(fd) != 0) ok = 0;
  if (ok) rename(tmp, exit_path);
  else unlink(tmp);
}

static pid_t read_pid_file(void) {
  char buf[32] = {0};
  int fd = open(pid_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0) return -1;
  return (pid_t)atoi(buf);
}

/* The foreground half: wait for the report of the daemon half and relay it. */
static int relay(int sync_fd) {
  char buf[CAPTURE_MAX + 64];
  size_t len = 0;
  for (;;) {
    ssize_t r = read(sync_fd, buf + len, sizeof buf - 1 - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += (size_t)r;
    if (len == sizeof buf - 1) break;
  }
  buf[len] = 0;
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

int main(int argc, char **argv) {
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) break;
    if (i + 1 >= argc) usage();
    if (strcmp(argv[i], "-l") == 0) log_path = argv[++i];
    else if (strcmp(argv[i], "-e") == 0) exit_path = argv[++i];
    else if (strcmp(argv[i], "-p") == 0) pid_path = argv[++i];
    else if (strcmp(argv[i], "-x") == 0) exit_prog = argv[++i];
    else if (strcmp(argv[i], "-s") == 0) skip_path = argv[++i];
    else if (strcmp(argv[i], "-a") == 0) {
      if (n_exit_args >= MAX_EXIT_ARGS) usage();
      exit_args[1 + n_exit_args++] = argv[++i];
    } else usage();
  }
  if (i >= argc - 1 || !log_path || !exit_path || !pid_path) usage();
  char **runtime_argv = argv + i + 1;

  int sync_pipe[2];
  if (pipe2(sync_pipe, O_CLOEXEC) < 0) die("pipe");
  pid_t daemon_pid = fork();
  if (daemon_pid < 0) die("fork");
  if (daemon_pid > 0) {
    close(sync_pipe[1]);
    return relay(sync_pipe[0]);
  }
  close(sync_pipe[0]);
  int sync_fd = sync_pipe[1];

  /* Let go of the caller: its terminal, its session and its pipes. */
  setsid();
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) die("/dev/null");
  dup2(null_fd, STDIN_FILENO);
  dup2(null_fd, STDOUT_FILENO);
  dup2(null_fd, STDERR_FILENO);
  if (chdir("/") < 0) die("chdir");
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) die("prctl");
  signal(SIGPIPE, SIG_IGN);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sig_fd < 0) die("signalfd");

  log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) die("pipe");

  pid_t runtime_pid = fork();
  if (runtime_pid < 0) die("fork");
  if (runtime_pid == 0) {
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

  static struct stream out = {.name = "stdout"}, err = {.name = "stderr"};
  out.fd = out_pipe[0];
  err.fd = err_pipe[0];
  int runtime_running = 1;
  pid_t container = 0;
  int container_status = 0, container_done = 0;
  /* Orphans reaped before we knew the container's pid. */
  pid_t early_pid[MAX_EARLY];
  int early_status[MAX_EARLY], n_early = 0;

  while (!container_done) {
    struct pollfd fds[3] = {
        {.fd = sig_fd, .events = POLLIN},
        {.fd = out.fd, .events = POLLIN},
        {.fd = err.fd, .events = POLLIN},
    };
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    for (int k = 1; k < 3; k++) {
      struct stream *s = k == 1 ? &out : &err;
      if (s->fd >= 0 && (fds[k].revents & (POLLIN | POLLHUP | POLLERR))) {
        if (pump(s, runtime_running) == 0) {
          close(s->fd);
          s->fd = -1;
        }
      }
    }
    if (!(fds[0].revents & POLLIN)) continue;
    struct signalfd_siginfo info;
    while (read(sig_fd, &info, sizeof info) > 0) {
    }
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
      if (p == runtime_pid) {
        runtime_running = 0;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || (container = read_pid_file()) <= 0) {
          /* Collect what the runtime said before it died, then report it. */
          while (out.fd >= 0 && pump(&out, 1) > 0) {
          }
          while (err.fd >= 0 && pump(&err, 1) > 0) {
          }
          dprintf(sync_fd, "fail %d\n", status_code(st));
          write_all(sync_fd, capture, capture_len);
          if (container <= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            dprintf(sync_fd, "nspod-shim: the runtime wrote no pid to %s\n", pid_path);
          _exit(1);
        }
        watch_oom(container);
        dprintf(sync_fd, "ok %d\n", (int)container);
        close(sync_fd);
        for (int k = 0; k < n_early; k++) {
          if (early_pid[k] == container) {
            container_status = early_status[k];
            container_done = 1;
          }
        }
      } else if (container > 0 && p == container) {
        container_status = st;
        container_done = 1;
      } else if (container <= 0 && n_early < MAX_EARLY) {
        early_pid[n_early] = p;
        early_status[n_early++] = st;
      }
    }
  }

  /* What the container wrote just before it died is still in the pipes. */
  while (out.fd >= 0 && pump(&out, 0) > 0) {
  }
  while (err.fd >= 0 && pump(&err, 0) > 0) {
  }
  if (out.len > 0) log_line(&out, 0);
  if (err.len > 0) log_line(&err, 0);
  write_exit_file(container, container_status);
  if (exit_prog && !(skip_path && access(skip_path, F_OK) == 0)) {
    exit_args[0] = (char *)exit_prog;
    exit_args[1 + n_exit_args] = NULL;
    execv(exit_prog, exit_args);
  }
  return 0;
}
