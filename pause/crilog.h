/* The container's output, copied to its log in the Kubernetes CRI format: "<RFC 3339 time> <stream> <F|P> <text>".
 * A line longer than CRI_LINE_MAX is cut into P(artial) records; the last piece, and every whole line, is F(ull). */
#ifndef NSPOD_CRILOG_H
#define NSPOD_CRILOG_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define CRI_LINE_MAX 16384
#define CAPTURE_MAX 16384

/* The log both streams write to: records are gathered in a buffer and written in one write per read of a pipe
 * (a flood of short lines costs a syscall per 64 KiB, not three per line); once the file reaches max bytes it is
 * rotated as the kubelet does: LOG.N-2 → LOG.N-1 ... LOG → LOG.1, and a fresh LOG (at most files files in all). */
#define LOG_BUF_MAX 65536
struct logfile {
  int fd;           /* -1 when it could not be opened (lines are dropped) */
  const char *path;
  long long size;   /* bytes in the current file */
  long long max;    /* rotate at this size; 0: never */
  int files;        /* the current file and the rotated ones */
  size_t len;
  char buf[LOG_BUF_MAX];
};

/* One output pipe of the container and the line it is in the middle of. */
struct stream {
  int fd;           /* the pipe's read end; -1 once it is closed */
  struct logfile *log;
  const char *name; /* "stdout" or "stderr" */
  size_t len;
  char line[CRI_LINE_MAX];
};

static void log_rotate(struct logfile *l) {
  char from[4096], to[4096];
  for (int i = l->files - 1; i >= 1; i--) {
    if (i == 1) snprintf(from, sizeof from, "%s", l->path);
    else snprintf(from, sizeof from, "%s.%d", l->path, i - 1);
    snprintf(to, sizeof to, "%s.%d", l->path, i);
    rename(from, to);
  }
  int fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return; /* keep writing to the rotated file rather than lose the output */
  dup3(fd, l->fd, O_CLOEXEC);
  close(fd);
  l->size = 0;
}

/* Writes what is gathered; rotates once the file is full. */
static void log_flush(struct logfile *l) {
  if (l->len == 0) return;
  if (l->fd >= 0 && write_all(l->fd, l->buf, l->len) == 0) l->size += (long long)l->len;
  l->len = 0;
  if (l->fd >= 0 && l->max > 0 && l->files > 1 && l->size >= l->max) log_rotate(l);
}

static void log_put(struct logfile *l, const char *p, size_t n) {
  while (n > 0) {
    if (l->len == LOG_BUF_MAX) log_flush(l);
    size_t room = LOG_BUF_MAX - l->len;
    size_t k = n < room ? n : room;
    memcpy(l->buf + l->len, p, k);
    l->len += k;
    p += k;
    n -= k;
  }
}

static void log_open(struct logfile *l, const char *path, long long max, int files) {
  l->path = path;
  l->max = max;
  l->files = files;
  l->len = 0;
  l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  struct stat st;
  l->size = l->fd >= 0 && fstat(l->fd, &st) == 0 ? (long long)st.st_size : 0;
}

/* The first CAPTURE_MAX bytes that passed through, kept to be said again (the runtime's output when it fails). */
struct capture {
  size_t len;
  char bytes[CAPTURE_MAX];
};

/* Field by field, so that the line buffer stays untouched (and out of the resident set) until output comes. */
static void stream_open(struct stream *s, int fd, struct logfile *log, const char *name) {
  s->fd = fd;
  s->log = log;
  s->name = name;
  s->len = 0;
}

static void log_line(struct stream *s, int partial) {
  char head[64];
  rfc3339_now(head, sizeof head, 1);
  char prefix[96];
  int n = snprintf(prefix, sizeof prefix, "%s %s %c ", head, s->name, partial ? 'P' : 'F');
  log_put(s->log, prefix, (size_t)n);
  log_put(s->log, s->line, s->len);
  log_put(s->log, "\n", 1);
  s->len = 0;
}

/* Logs the line in progress, if any: the stream ended without its newline. */
static void end_line(struct stream *s) {
  if (s->len > 0) log_line(s, 0);
}

/* Reads once, logs every line completed and copies the bytes to tee (if given).
 * Returns 0 at end of file (the stream is closed then), 1 when data was read, -1 when nothing is ready. */
static int pump(struct stream *s, struct capture *tee) {
  char buf[8192];
  if (s->fd < 0) return 0;
  ssize_t r = read(s->fd, buf, sizeof buf);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
  if (r <= 0) {
    end_line(s);
    log_flush(s->log);
    close(s->fd);
    s->fd = -1;
    return 0;
  }
  if (tee) {
    size_t room = CAPTURE_MAX - tee->len;
    size_t n = (size_t)r < room ? (size_t)r : room;
    memcpy(tee->bytes + tee->len, buf, n);
    tee->len += n;
  }
  for (ssize_t i = 0; i < r; i++) {
    if (buf[i] == '\n') {
      log_line(s, 0);
    } else {
      s->line[s->len++] = buf[i];
      if (s->len == CRI_LINE_MAX) log_line(s, 1);
    }
  }
  log_flush(s->log);
  return 1;
}

/* Pumps until the pipe is empty or closed. */
static void drain(struct stream *s, struct capture *tee) {
  while (pump(s, tee) > 0) {
  }
}

#endif
