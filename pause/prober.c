/*
 * nspod-prober: runs the Kubernetes probes of one pod, with no Node resident.
 *
 *   nspod-prober CONFIG                         daemonize, print the daemon's pid
 *   nspod-prober --check tcp NETNS PORT [SECS]  one connect from inside NETNS
 *   nspod-prober --check http NETNS PORT PATH [SECS]
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
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define CONFIG_MAX 65536
#define MAX_FIELDS 4096
#define MAX_CONTAINERS 32
#define MAX_PROBES (3 * MAX_CONTAINERS)
#define MAX_ARGS 64
#define OUTPUT_MAX 1024

enum kind { STARTUP, READINESS, LIVENESS };
enum type { EXEC, HTTP, TCP };
static const char *kind_names[] = {"startup", "readiness", "liveness"};
static const char *kind_titles[] = {"Startup", "Readiness", "Liveness"};
static const char *type_names[] = {"exec", "httpGet", "tcpSocket"};

struct container {
  char *name, *id, *pid_file, *exit_file;
  pid_t pid;         /* the run being probed; 0 when none */
  pid_t killed_pid;  /* the run we already killed */
  int running, started, ready, has_startup, has_readiness, dirty;
};

struct probe {
  int c, kind, type;
  long delay, period, timeout, success_threshold, failure_threshold;
  char *args[MAX_ARGS + 1]; /* exec argv, or http headers as name/value pairs */
  int n_args;
  int port;
  char *path;
  long successes, failures;
  int last_ok, ran;
  long long due_ms, deadline_ms;
  pid_t child;
  int out_fd, timed_out;
  char output[OUTPUT_MAX + 1];
  size_t out_len;
  char last_at[40];
  char exec_pid_file[512]; /* where the runtime writes the pid of an exec probe's process */
};

static char config[CONFIG_MAX];
static char *pod_dir, *runtime_bin, *runtime_root, *netns_path;
static pid_t pause_pid;
static struct container containers[MAX_CONTAINERS];
static int n_containers;
static struct probe probes[MAX_PROBES];
static int n_probes;
static char scratch[8192];

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Appends s as the body of a JSON string to out (at most room bytes, always terminated). */
static size_t json_escape(char *out, size_t room, const char *s, size_t len) {
  size_t o = 0;
  for (size_t i = 0; i < len && o + 7 < room; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '\\') {
      out[o++] = '\\';
      out[o++] = (char)ch;
    } else if (ch == '\n') {
      out[o++] = '\\';
      out[o++] = 'n';
    } else if (ch < 0x20 || ch == 0x7f) {
      o += (size_t)snprintf(out + o, room - o, "\\u%04x", ch);
    } else {
      out[o++] = (char)ch;
    }
  }
  out[o] = 0;
  return o;
}

/* ------------------------------------------------------------ config */

static int unescape(char *s) {
  char *w = s;
  for (char *r = s; *r; r++) {
    if (*r == '%') {
      unsigned v;
      if (sscanf(r + 1, "%2x", &v) != 1 || !r[1] || !r[2]) return -1;
      *w++ = (char)v;
      r += 2;
    } else {
      *w++ = *r;
    }
  }
  *w = 0;
  return 0;
}

static int config_error(int line, const char *why) {
  dprintf(STDERR_FILENO, "nspod-prober: config line %d: %s\n", line, why);
  return -1;
}

static long number(const char *s, long min, int *ok) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == 0 || *end != 0 || v < min) *ok = 0;
  return v;
}

static int parse_config(const char *file) {
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    dprintf(STDERR_FILENO, "nspod-prober: %s: %s\n", file, strerror(errno));
    return -1;
  }
  ssize_t len = read(fd, config, CONFIG_MAX - 1);
  close(fd);
  if (len < 0 || len == CONFIG_MAX - 1) return config_error(0, "unreadable or too large");
  config[len] = 0;
  char *save_line, *line = strtok_r(config, "\n", &save_line);
  for (int ln = 1; line; line = strtok_r(NULL, "\n", &save_line), ln++) {
    char *f[MAX_ARGS + 16];
    int n = 0;
    char *save_field;
    for (char *t = strtok_r(line, " ", &save_field); t && n < (int)(sizeof f / sizeof *f); t = strtok_r(NULL, " ", &save_field)) {
      if (unescape(t) < 0) return config_error(ln, "bad %XX escape");
      f[n++] = t;
    }
    if (n == 0) continue;
    int ok = 1;
    if (strcmp(f[0], "pod") == 0 && n == 2) pod_dir = f[1];
    else if (strcmp(f[0], "runtime") == 0 && n == 3) runtime_bin = f[1], runtime_root = f[2];
    else if (strcmp(f[0], "netns") == 0 && n == 2) netns_path = f[1];
    else if (strcmp(f[0], "pause") == 0 && n == 2) pause_pid = (pid_t)number(f[1], 1, &ok);
    else if (strcmp(f[0], "container") == 0 && n == 5) {
      if (n_containers == MAX_CONTAINERS) return config_error(ln, "too many containers");
      struct container *c = &containers[n_containers++];
      c->name = f[1], c->id = f[2], c->pid_file = f[3], c->exit_file = f[4];
    } else if (strcmp(f[0], "probe") == 0 && n >= 10) {
      if (n_probes == MAX_PROBES) return config_error(ln, "too many probes");
      struct probe *p = &probes[n_probes++];
      p->c = (int)number(f[1], 0, &ok);
      if (!ok || p->c >= n_containers) return config_error(ln, "no such container index");
      if (strcmp(f[2], "startup") == 0) p->kind = STARTUP;
      else if (strcmp(f[2], "readiness") == 0) p->kind = READINESS;
      else if (strcmp(f[2], "liveness") == 0) p->kind = LIVENESS;
      else return config_error(ln, "kind must be startup, readiness or liveness");
      p->delay = number(f[3], 0, &ok);
      p->period = number(f[4], 1, &ok);
      p->timeout = number(f[5], 1, &ok);
      p->success_threshold = number(f[6], 1, &ok);
      p->failure_threshold = number(f[7], 1, &ok);
      if (!ok) return config_error(ln, "bad number");
      if (strcmp(f[8], "exec") == 0) {
        p->type = EXEC;
        for (int k = 9; k < n && p->n_args < MAX_ARGS; k++) p->args[p->n_args++] = f[k];
      } else if (strcmp(f[8], "http") == 0 && n >= 11 && (n - 11) % 2 == 0) {
        p->type = HTTP;
        p->port = (int)number(f[9], 1, &ok);
        p->path = f[10];
        for (int k = 11; k < n && p->n_args < MAX_ARGS; k++) p->args[p->n_args++] = f[k];
      } else if (strcmp(f[8], "tcp") == 0 && n == 10) {
        p->type = TCP;
        p->port = (int)number(f[9], 1, &ok);
      } else {
        return config_error(ln, "a probe is exec ARG..., http PORT PATH [NAME VALUE]... or tcp PORT");
      }
      if (!ok || p->port > 65535) return config_error(ln, "bad port");
      if (p->kind == STARTUP) containers[p->c].has_startup = 1;
      if (p->kind == READINESS) containers[p->c].has_readiness = 1;
    } else {
      return config_error(ln, "unknown record or wrong number of fields");
    }
  }
  if (!pod_dir || !runtime_bin || !netns_path || pause_pid <= 0) return config_error(0, "needs pod, runtime, netns and pause records");
  return 0;
}

/* ------------------------------------------------------------ network checks (in a child) */

/* Connects to 127.0.0.1:port inside the netns; for http, GETs path and prints the response head. Exit 0 = success. */
static int network_check(const char *netns, int type, int port, const char *path, char **headers, int n_headers) {
  int ns = open(netns, O_RDONLY | O_CLOEXEC);
  if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
    dprintf(STDOUT_FILENO, "cannot enter the pod's network namespace %s: %s\n", netns, strerror(errno));
    return 2;
  }
  close(ns);
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
    dprintf(STDOUT_FILENO, "dial tcp 127.0.0.1:%d: %s\n", port, strerror(errno));
    return 1;
  }
  if (type == TCP) {
    dprintf(STDOUT_FILENO, "connected to 127.0.0.1:%d\n", port);
    return 0;
  }
  int n = snprintf(scratch, sizeof scratch, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: nspod-probe/1.0\r\nAccept: */*\r\nConnection: close\r\n", path, port);
  for (int k = 0; k + 1 < n_headers && n < (int)sizeof scratch; k += 2) n += snprintf(scratch + n, sizeof scratch - (size_t)n, "%s: %s\r\n", headers[k], headers[k + 1]);
  if (n >= (int)sizeof scratch - 3) {
    dprintf(STDOUT_FILENO, "request too large\n");
    return 2;
  }
  n += snprintf(scratch + n, sizeof scratch - (size_t)n, "\r\n");
  write_all(s, scratch, (size_t)n);
  size_t got = 0;
  for (;;) {
    ssize_t r = read(s, scratch + got, sizeof scratch - 1 - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
    if (got >= OUTPUT_MAX || got == sizeof scratch - 1) break;
  }
  scratch[got] = 0;
  int status = 0;
  if (sscanf(scratch, "HTTP/%*d.%*d %d", &status) != 1) {
    dprintf(STDOUT_FILENO, "no HTTP response from 127.0.0.1:%d%s\n", port, path);
    return 1;
  }
  write_all(STDOUT_FILENO, scratch, got);
  return status >= 200 && status < 400 ? 0 : 1;
}

/* ------------------------------------------------------------ records */

static void append_event(const char *type, const char *reason, const char *container, const char *message, size_t message_len) {
  static char line[2 * OUTPUT_MAX + 512], esc[2 * OUTPUT_MAX];
  char ts[40], path[4096];
  rfc3339_now(ts, sizeof ts, 0);
  json_escape(esc, sizeof esc, message, message_len);
  int n = snprintf(line, sizeof line, "{\"time\":\"%s\",\"type\":\"%s\",\"reason\":\"%s\",\"container\":\"%s\",\"message\":\"%s\"}\n", ts, type, reason, container, esc);
  if (n >= (int)sizeof line) return;
  snprintf(path, sizeof path, "%s/events.jsonl", pod_dir);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write_all(fd, line, (size_t)n); /* one write: lines of concurrent writers never interleave */
  close(fd);
}

static void write_status(struct container *c) {
  static char body[MAX_PROBES * (2 * OUTPUT_MAX + 256) / MAX_CONTAINERS + 1024], esc[2 * OUTPUT_MAX];
  char ts[40], path[4096], tmp[4200];
  rfc3339_now(ts, sizeof ts, 0);
  int n = snprintf(body, sizeof body, "{\"container\":\"%s\",\"pid\":%d,\"running\":%s,\"started\":%s,\"ready\":%s,\"updatedAt\":\"%s\",\"probes\":[", c->name, (int)c->pid,
                   c->running ? "true" : "false", c->started ? "true" : "false", c->ready ? "true" : "false", ts);
  int first = 1;
  for (int i = 0; i < n_probes; i++) {
    struct probe *p = &probes[i];
    if (&containers[p->c] != c) continue;
    json_escape(esc, sizeof esc, p->output, p->out_len);
    n += snprintf(body + n, sizeof body - (size_t)n,
                  "%s{\"kind\":\"%s\",\"type\":\"%s\",\"successes\":%ld,\"failures\":%ld,\"lastResult\":\"%s\",\"lastProbeAt\":\"%s\",\"lastOutput\":\"%s\"}",
                  first ? "" : ",", kind_names[p->kind], type_names[p->type], p->successes, p->failures, !p->ran ? "none" : p->last_ok ? "success" : "failure",
                  p->last_at, esc);
    first = 0;
    if (n >= (int)sizeof body) return;
  }
  n += snprintf(body + n, sizeof body - (size_t)n, "]}\n");
  if (n >= (int)sizeof body) return;
  snprintf(path, sizeof path, "%s/probes/%s.json", pod_dir, c->name);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write_all(fd, body, (size_t)n);
  close(fd);
  rename(tmp, path);
  c->dirty = 0;
}

/* ------------------------------------------------------------ probing */

static pid_t read_pid(const char *file) {
  char buf[32] = {0};
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  return r > 0 ? (pid_t)atoi(buf) : 0;
}

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
  pid_t pid = read_pid(c->pid_file);
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
    if (p->type == EXEC) {
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
    _exit(network_check(netns_path, p->type, p->port, p->path, p->args, p->n_args));
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

static void drain(struct probe *p) {
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

static void finish(struct probe *p, int status) {
  struct container *c = &containers[p->c];
  drain(p);
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
    int n = snprintf(scratch, sizeof scratch, "%s probe failed: %s", kind_titles[p->kind], p->output);
    append_event("Warning", "ProbeFailed", c->name, scratch, (size_t)(n < (int)sizeof scratch ? n : (int)sizeof scratch - 1));
  }
  if (p->kind == STARTUP) {
    if (ok && p->successes >= p->success_threshold && !c->started) {
      c->started = 1;
      c->ready = !c->has_readiness;
      /* Readiness and liveness start once the container has started. */
      for (int i = 0; i < n_probes; i++)
        if (probes[i].c == p->c && probes[i].kind != STARTUP) probes[i].due_ms = now_ms() + probes[i].delay * 1000;
    }
    if (!ok && p->failures >= p->failure_threshold) {
      int n = snprintf(scratch, sizeof scratch, "Container %s failed startup probe %ld times, will be restarted: %s", c->name, p->failures, p->output);
      kill_container(c, scratch, (size_t)(n < (int)sizeof scratch ? n : (int)sizeof scratch - 1));
    }
  } else if (p->kind == READINESS) {
    if (ok && p->successes >= p->success_threshold) c->ready = 1;
    if (!ok && p->failures >= p->failure_threshold) c->ready = 0;
  } else if (!ok && p->failures >= p->failure_threshold) {
    int n = snprintf(scratch, sizeof scratch, "Container %s failed liveness probe %ld times, will be restarted: %s", c->name, p->failures, p->output);
    kill_container(c, scratch, (size_t)(n < (int)sizeof scratch ? n : (int)sizeof scratch - 1));
  }
  c->dirty = 1;
}

static int probe_may_run(struct probe *p) {
  struct container *c = &containers[p->c];
  if (!c->running || c->killed_pid == c->pid) return 0;
  if (p->kind == STARTUP) return !c->started;
  return c->started;
}

static void stop_children(void) {
  for (int i = 0; i < n_probes; i++) {
    if (probes[i].child <= 0) continue;
    pid_t in_container = probes[i].type == EXEC ? read_pid(probes[i].exec_pid_file) : 0;
    if (in_container > 0) kill(in_container, SIGKILL);
    kill(-probes[i].child, SIGKILL);
  }
}

static int daemon_loop(void) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sig_fd < 0) return 1;
  for (int i = 0; i < n_probes; i++) probes[i].out_fd = -1;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/probes", pod_dir);
  mkdir(dir, 0755);
  for (;;) {
    long long now = now_ms();
    if (kill(pause_pid, 0) < 0 && errno == ESRCH) break;
    if (access(pod_dir, F_OK) != 0) break;
    for (int k = 0; k < n_containers; k++) refresh_container(&containers[k], now);
    long long wake = now + 1000; /* containers are looked at once a second */
    struct pollfd fds[1 + MAX_PROBES];
    int owner[1 + MAX_PROBES], n_fds = 1;
    fds[0] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
    for (int i = 0; i < n_probes; i++) {
      struct probe *p = &probes[i];
      if (p->child > 0) {
        if (!p->timed_out && now >= p->deadline_ms) {
          p->timed_out = 1;
          /* The runtime starts the probe's process in a session of its own inside the container: kill it by pid. */
          pid_t in_container = p->type == EXEC ? read_pid(p->exec_pid_file) : 0;
          if (in_container > 0) kill(in_container, SIGKILL);
          kill(-p->child, SIGKILL);
        }
        if (!p->timed_out && p->deadline_ms < wake) wake = p->deadline_ms;
      } else if (probe_may_run(p)) {
        if (now >= p->due_ms) spawn(p, now);
        else if (p->due_ms < wake) wake = p->due_ms;
      }
      if (p->out_fd >= 0) {
        fds[n_fds] = (struct pollfd){.fd = p->out_fd, .events = POLLIN};
        owner[n_fds++] = i;
      }
    }
    for (int k = 0; k < n_containers; k++)
      if (containers[k].dirty) write_status(&containers[k]);
    long long wait = wake - now_ms();
    if (poll(fds, (nfds_t)n_fds, wait < 0 ? 0 : (int)wait) < 0 && errno != EINTR) return 1;
    for (int k = 1; k < n_fds; k++)
      if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) drain(&probes[owner[k]]);
    if (!(fds[0].revents & POLLIN)) continue;
    struct signalfd_siginfo info;
    int stop = 0;
    while (read(sig_fd, &info, sizeof info) > 0)
      if (info.ssi_signo != SIGCHLD) stop = 1;
    if (stop) break;
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
      for (int i = 0; i < n_probes; i++)
        if (probes[i].child == pid) finish(&probes[i], st);
    }
  }
  stop_children();
  return 0;
}

static void usage(void) {
  dprintf(STDERR_FILENO,
          "usage: nspod-prober CONFIG\n"
          "       nspod-prober --check tcp NETNS PORT [SECONDS]\n"
          "       nspod-prober --check http NETNS PORT PATH [SECONDS]\n");
  _exit(2);
}

int main(int argc, char **argv) {
  if (argc >= 5 && strcmp(argv[1], "--check") == 0) {
    int http = strcmp(argv[2], "http") == 0;
    if (!http && strcmp(argv[2], "tcp") != 0) usage();
    if (http && argc < 6) usage();
    int ok = 1;
    long port = number(argv[4], 1, &ok);
    const char *secs = argc > (http ? 6 : 5) ? argv[http ? 6 : 5] : NULL;
    long timeout = secs ? number(secs, 1, &ok) : 1;
    if (!ok || port > 65535) usage();
    alarm((unsigned)timeout); /* SIGALRM's default action ends a check that hangs */
    return network_check(argv[3], http ? HTTP : TCP, (int)port, http ? argv[5] : "/", NULL, 0);
  }
  if (argc != 2 || argv[1][0] == '-') usage();
  if (parse_config(argv[1]) < 0) return 2;
  pid_t daemon_pid = fork();
  if (daemon_pid < 0) return 1;
  if (daemon_pid > 0) {
    dprintf(STDOUT_FILENO, "%d\n", (int)daemon_pid);
    return 0;
  }
  setsid();
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    dup2(null_fd, STDIN_FILENO);
    dup2(null_fd, STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
  }
  if (chdir("/") < 0) return 1;
  /* Orphans of probe execs come to us, and are reaped at once. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGPIPE, SIG_IGN);
  return daemon_loop();
}
