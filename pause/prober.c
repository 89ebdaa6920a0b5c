/*
 * nspod-prober: runs the Kubernetes probes of one pod, with no Node resident.
 *
 *   nspod-prober CONFIG                         daemonize, print the daemon's pid
 *   nspod-prober --check tcp NETNS PORT [SECS]  one connect from inside NETNS
 *   nspod-prober --check http NETNS PORT PATH [SECS]
 *   nspod-prober --connect NETNS PORT           relay stdin/stdout to a connection to 127.0.0.1:PORT in NETNS
 *
 * CONFIG has one record a line, fields separated by one space, each field
 * %XX-escaped (space, %, control bytes):
 *   pod DIR                         status files go to DIR/probes, events to DIR/events.jsonl
 *   runtime BINARY ROOT             `BINARY --root ROOT exec|kill ...`
 *   netns PATH                      where httpGet and tcpSocket connect from
 *   pause PID                       the daemon exits when the pause is gone
 *   container NAME ID PIDFILE EXITFILE
 *   probe C KIND DELAY PERIOD TIMEOUT SUCCESS FAILURE exec ARG...
 *   probe C KIND DELAY PERIOD TIMEOUT SUCCESS FAILURE http PORT PATH [NAME VALUE]...
 *   probe C KIND DELAY PERIOD TIMEOUT SUCCESS FAILURE tcp PORT
 * C is the container's index (0-based, in order of the container lines),
 * KIND startup|readiness|liveness.
 *
 * Every probe runs in a child of its own (exec: the runtime's exec in its own
 * process group, killed as a group at the timeout; http/tcp: setns into the
 * pod's netns, then connect to 127.0.0.1), so one slow probe delays no other.
 * All state is static: the daemon never allocates.
 *
 * Exit codes: the foreground half 0 (the daemon runs), 1 (it could not be
 * started), 2 (usage or a bad config, said on stderr); the daemon 0 when the
 * pause is gone, the pod dir removed or it was told to stop (SIGTERM,
 * SIGINT), 1 when a system call failed; --check 0 success, 1 failure, 2
 * when it could not try, killed by SIGALRM when it hung for SECS (default 1);
 * --connect 0 when the peer closed, 1 when it could not connect (said on
 * stderr) or the relay failed, 2 when it could not enter NETNS.
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
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "netcheck.h"
#include "probe_config.h"
#include "records.h"

static char scratch[8192]; /* event messages */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The length of what snprintf put in scratch, given what it meant to. */
static size_t in_scratch(int n) {
  return (size_t)(n < (int)sizeof scratch ? n : (int)sizeof scratch - 1);
}

/* ------------------------------------------------------------ probing */

static void reset_probes(struct container *c, long long now) {
  for (int i = 0; i < n_probes; i++) {
    struct probe *p = &probes[i];
    if (&containers[p->c] != c) continue;
    p->successes = p->failures = 0;
    p->ran = 0;
    p->due_ms = now + p->delay * 1000;
  }
}

/* Follows the container's runs: a new pid is a new run, whose probes start over. */
static void refresh_container(struct container *c, long long now) {
  pid_t pid = read_pid_file(c->pid_file);
  int running = pid > 0 && access(c->exit_file, F_OK) != 0 && kill(pid, 0) == 0;
  if (running && pid != c->pid) {
    c->pid = pid;
    c->started = !c->has_startup;
    c->ready = c->started && !c->has_readiness;
    reset_probes(c, now);
    c->dirty = 1;
  }
  if (running != c->running) {
    c->running = running;
    if (!running) c->ready = 0, c->started = 0;
    c->dirty = 1;
  }
}

/* The runtime's exec, in a child of ours: the container's runtime names the process it starts in the container. */
static void exec_in_container(struct probe *p, struct container *c) {
  char *argv[MAX_ARGS + 8];
  int a = 0;
  argv[a++] = runtime_bin, argv[a++] = "--root", argv[a++] = runtime_root, argv[a++] = "exec";
  argv[a++] = "--pid-file", argv[a++] = p->exec_pid_file, argv[a++] = c->id;
  for (int k = 0; k < p->n_args; k++) argv[a++] = p->args[k];
  argv[a] = NULL;
  execvp(runtime_bin, argv);
  dprintf(STDOUT_FILENO, "exec %s: %s\n", runtime_bin, strerror(errno));
  _exit(127);
}

/* Starts one run of the probe in a child (a process group of its own) whose output comes back on a pipe. */
static void spawn(struct probe *p, long long now) {
  struct container *c = &containers[p->c];
  int out[2];
  if (p->type == EXEC) {
    snprintf(p->exec_pid_file, sizeof p->exec_pid_file, "%s/probes/%s.%s.pid", pod_dir, c->name, kind_names[p->kind]);
    unlink(p->exec_pid_file);
  }
  if (pipe2(out, O_CLOEXEC) < 0) return;
  pid_t child = fork();
  if (child < 0) {
    close(out[0]);
    close(out[1]);
    return;
  }
  if (child == 0) {
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    if (p->type == EXEC) exec_in_container(p, c);
    _exit(network_check(netns_path, p->port, p->type == HTTP ? p->path : NULL, p->args, p->n_args));
  }
  close(out[1]);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  p->child = child;
  p->out_fd = out[0];
  p->out_len = 0;
  p->timed_out = 0;
  p->deadline_ms = now + p->timeout * 1000;
  p->due_ms = now + p->period * 1000;
  rfc3339_now(p->last_at, sizeof p->last_at, 0);
}

/* Keeps the first OUTPUT_MAX bytes of what the probe's run printed. */
static void collect_output(struct probe *p) {
  char buf[4096];
  for (;;) {
    ssize_t r = read(p->out_fd, buf, sizeof buf);
    if (r <= 0) return;
    size_t room = OUTPUT_MAX - p->out_len;
    size_t n = (size_t)r < room ? (size_t)r : room;
    memcpy(p->output + p->out_len, buf, n);
    p->out_len += n;
  }
}

/* The runtime starts an exec probe's process in a session of its own inside the container: it is killed by pid. */
static void kill_run(struct probe *p) {
  pid_t in_container = p->type == EXEC ? read_pid_file(p->exec_pid_file) : 0;
  if (in_container > 0) kill(in_container, SIGKILL);
  kill(-p->child, SIGKILL);
}

static void kill_container(struct container *c, const char *why, size_t why_len) {
  if (c->killed_pid == c->pid) return;
  c->killed_pid = c->pid;
  append_event("Normal", "Killing", c->name, why, why_len);
  pid_t child = fork();
  if (child == 0) {
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
    execlp(runtime_bin, runtime_bin, "--root", runtime_root, "kill", c->id, "KILL", (char *)NULL);
    _exit(127);
  }
}

/* A run has exited with status: count it, and act as Kubernetes does on the thresholds. */
static void record_result(struct probe *p, int status) {
  struct container *c = &containers[p->c];
  collect_output(p);
  close(p->out_fd);
  p->out_fd = -1;
  p->child = 0;
  if (p->timed_out) p->out_len = (size_t)snprintf(p->output, sizeof p->output, "timed out after %lds", p->timeout);
  while (p->out_len > 0 && (p->output[p->out_len - 1] == '\n' || p->output[p->out_len - 1] == '\r')) p->out_len--;
  p->output[p->out_len] = 0;
  int ok = !p->timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  p->ran = 1;
  p->last_ok = ok;
  if (ok) p->successes++, p->failures = 0;
  else p->failures++, p->successes = 0;
  /* The container may have died while the probe ran: its result says nothing then. */
  if (!c->running) {
    c->dirty = 1;
    return;
  }
  if (!ok && p->failures <= p->failure_threshold) {
    size_t n = in_scratch(snprintf(scratch, sizeof scratch, "%s probe failed: %s", kind_titles[p->kind], p->output));
    append_event("Warning", "ProbeFailed", c->name, scratch, n);
  }
  if (p->kind == STARTUP) {
    if (ok && p->successes >= p->success_threshold && !c->started) {
      c->started = 1;
      c->ready = !c->has_readiness;
      /* Readiness and liveness start once the container has started. */
      for (int i = 0; i < n_probes; i++)
        if (probes[i].c == p->c && probes[i].kind != STARTUP) probes[i].due_ms = now_ms() + probes[i].delay * 1000;
    }
    if (!ok && p->failures >= p->failure_threshold)
      kill_container(c, scratch, in_scratch(snprintf(scratch, sizeof scratch, "Container %s failed startup probe %ld times, will be restarted: %s", c->name, p->failures, p->output)));
  } else if (p->kind == READINESS) {
    if (ok && p->successes >= p->success_threshold) c->ready = 1;
    if (!ok && p->failures >= p->failure_threshold) c->ready = 0;
  } else if (!ok && p->failures >= p->failure_threshold) {
    kill_container(c, scratch, in_scratch(snprintf(scratch, sizeof scratch, "Container %s failed liveness probe %ld times, will be restarted: %s", c->name, p->failures, p->output)));
  }
  c->dirty = 1;
}

static int probe_may_run(struct probe *p) {
  struct container *c = &containers[p->c];
  if (!c->running || c->killed_pid == c->pid) return 0;
  if (p->kind == STARTUP) return !c->started;
  return c->started;
}

/* ------------------------------------------------------------ loop */

/* Kills runs past their timeout, starts the probes that are due; adds every run's output pipe to fds (owner: its probe).
 * Returns when something is next due. */
static long long tend_probes(long long now, struct pollfd *fds, int *owner, int *n_fds) {
  long long wake = now + 1000; /* containers are looked at once a second */
  for (int i = 0; i < n_probes; i++) {
    struct probe *p = &probes[i];
    if (p->child > 0) {
      if (!p->timed_out && now >= p->deadline_ms) {
        p->timed_out = 1;
        kill_run(p);
      }
      if (!p->timed_out && p->deadline_ms < wake) wake = p->deadline_ms;
    } else if (probe_may_run(p)) {
      if (now >= p->due_ms) spawn(p, now);
      else if (p->due_ms < wake) wake = p->due_ms;
    }
    if (p->out_fd >= 0) {
      fds[*n_fds] = (struct pollfd){.fd = p->out_fd, .events = POLLIN};
      owner[(*n_fds)++] = i;
    }
  }
  return wake;
}

/* Reads the pending signals: 1 when told to stop, else reaps and records every run that has exited. */
static int on_signals(int sig_fd) {
  struct signalfd_siginfo info;
  int stop = 0;
  while (read(sig_fd, &info, sizeof info) > 0)
    if (info.ssi_signo != SIGCHLD) stop = 1;
  if (stop) return 1;
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    for (int i = 0; i < n_probes; i++)
      if (probes[i].child == pid) record_result(&probes[i], st);
  }
  return 0;
}

/* The daemon: probes until the pause is gone, the pod dir is removed or it is told to stop. */
static int probe_until_pod_gone(void) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  int sig_fd = signal_fd(&mask);
  if (sig_fd < 0) return 1;
  for (int i = 0; i < n_probes; i++) probes[i].out_fd = -1;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/probes", pod_dir);
  mkdir(dir, 0700);
  for (;;) {
    long long now = now_ms();
    if (kill(pause_pid, 0) < 0 && errno == ESRCH) break;
    if (access(pod_dir, F_OK) != 0) break;
    for (int k = 0; k < n_containers; k++) refresh_container(&containers[k], now);
    struct pollfd fds[1 + MAX_PROBES];
    int owner[1 + MAX_PROBES], n_fds = 1;
    fds[0] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
    long long wake = tend_probes(now, fds, owner, &n_fds);
    for (int k = 0; k < n_containers; k++)
      if (containers[k].dirty) write_status(&containers[k]);
    long long wait = wake - now_ms();
    if (poll(fds, (nfds_t)n_fds, wait < 0 ? 0 : (int)wait) < 0 && errno != EINTR) return 1;
    for (int k = 1; k < n_fds; k++)
      if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) collect_output(&probes[owner[k]]);
    if ((fds[0].revents & POLLIN) && on_signals(sig_fd)) break;
  }
  for (int i = 0; i < n_probes; i++)
    if (probes[i].child > 0) kill_run(&probes[i]);
  return 0;
}

static void usage(void) {
  dprintf(STDERR_FILENO,
          "usage: nspod-prober CONFIG\n"
          "       nspod-prober --check tcp NETNS PORT [SECONDS]\n"
          "       nspod-prober --check http NETNS PORT PATH [SECONDS]\n"
          "       nspod-prober --connect NETNS PORT\n");
  _exit(2);
}

/* --check tcp NETNS PORT [SECS] | --check http NETNS PORT PATH [SECS] */
static int check_once(int argc, char **argv) {
  if (argc < 5) usage();
  int http = strcmp(argv[2], "http") == 0;
  if (!http && strcmp(argv[2], "tcp") != 0) usage();
  if (http && argc < 6) usage();
  int ok = 1;
  long port = number(argv[4], 1, &ok);
  const char *secs = argc > (http ? 6 : 5) ? argv[http ? 6 : 5] : NULL;
  long timeout = secs ? number(secs, 1, &ok) : 1;
  if (!ok || port > 65535) usage();
  alarm((unsigned)timeout); /* SIGALRM's default action ends a check that hangs */
  return network_check(argv[3], (int)port, http ? argv[5] : NULL, NULL, 0);
}

/* --connect NETNS PORT */
static int connect_once(int argc, char **argv) {
  if (argc != 4) usage();
  int ok = 1;
  long port = number(argv[3], 1, &ok);
  if (!ok || port > 65535) usage();
  signal(SIGPIPE, SIG_IGN);
  int code = 0;
  int s = connect_in_netns(argv[2], (int)port, STDERR_FILENO, &code);
  return s < 0 ? code : relay(s);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--check") == 0) return check_once(argc, argv);
  if (argc > 1 && strcmp(argv[1], "--connect") == 0) return connect_once(argc, argv);
  if (argc != 2 || argv[1][0] == '-') usage();
  if (parse_config(argv[1]) < 0) return 2;
  pid_t daemon_pid = fork();
  if (daemon_pid < 0) return 1;
  if (daemon_pid > 0) {
    dprintf(STDOUT_FILENO, "%d\n", (int)daemon_pid);
    return 0;
  }
  /* Orphans of probe execs come to us, and are reaped at once. */
  const char *what;
  if (daemonize_as_subreaper(&what) < 0) return 1;
  return probe_until_pod_gone();
}
