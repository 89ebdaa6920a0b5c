/* The prober's config (grammar in prober.c's header), parsed in place into static tables: the daemon never allocates. */
#ifndef NSPOD_PROBE_CONFIG_H
#define NSPOD_PROBE_CONFIG_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define CONFIG_MAX 65536
#define MAX_CONTAINERS 32
#define MAX_PROBES (3 * MAX_CONTAINERS)
#define MAX_ARGS 64
#define OUTPUT_MAX 1024

enum kind { STARTUP, READINESS, LIVENESS };
enum type { EXEC, HTTP, TCP };
static const char *kind_names[] = {"startup", "readiness", "liveness"};
static const char *kind_titles[] = {"Startup", "Readiness", "Liveness"};
static const char *type_names[] = {"exec", "httpGet", "tcpSocket"};

/* A container line, and what the prober has seen of it. */
struct container {
  char *name, *id, *pid_file, *exit_file;
  pid_t pid;         /* the run being probed; 0 when none */
  pid_t killed_pid;  /* the run we already killed */
  int running, started, ready, has_startup, has_readiness, dirty;
};

/* A probe line, and the state of its runs. */
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

static char config[CONFIG_MAX]; /* the file's text; every string of the tables points into it */
static char *pod_dir, *runtime_bin, *runtime_root, *netns_path;
static pid_t pause_pid;
static struct container containers[MAX_CONTAINERS];
static int n_containers;
static struct probe probes[MAX_PROBES];
static int n_probes;

/* Undoes the %XX escapes of a field, in place. */
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

/* A decimal number of at least min; clears *ok when s is not one. */
static long number(const char *s, long min, int *ok) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == 0 || *end != 0 || v < min) *ok = 0;
  return v;
}

/* f[1..n-1] of a probe line: C KIND DELAY PERIOD TIMEOUT SUCCESS FAILURE then exec|http|tcp and theirs. */
static int parse_probe(int ln, char **f, int n) {
  if (n_probes == MAX_PROBES) return config_error(ln, "too many probes");
  struct probe *p = &probes[n_probes++];
  int ok = 1;
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
  return 0;
}

/* Fills the tables from one record, split into its n unescaped fields. */
static int parse_record(int ln, char **f, int n) {
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
    return parse_probe(ln, f, n);
  } else {
    return config_error(ln, "unknown record or wrong number of fields");
  }
  return 0;
}

/* 0, or -1 with a line on stderr naming the config line (0: the file as a whole) and what is wrong. */
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
    if (n > 0 && parse_record(ln, f, n) < 0) return -1;
  }
  if (!pod_dir || !runtime_bin || !netns_path || pause_pid <= 0) return config_error(0, "needs pod, runtime, netns and pause records");
  return 0;
}

#endif
