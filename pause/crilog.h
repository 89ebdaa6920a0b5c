/* The container's output, copied to its log in the Kubernetes CRI format: "<RFC 3339 time> <stream> <F|P> <text>".
 * A line longer than CRI_LINE_MAX is cut into P(artial) records; the last piece, and every whole line, is F(ull). */
#ifndef NSPOD_CRILOG_H
#define NSPOD_CRILOG_H

#include <string.h>

#include "util.h"

#define CRI_LINE_MAX 16384
#define CAPTURE_MAX 16384

/* One output pipe of the container and the line it is in the middle of. */
struct stream {
  int fd;           /* the pipe's read end; -1 once it is closed */
  int log_fd;       /* the log; -1 when it could not be opened (lines are dropped) */
  const char *name; /* "stdout" or "stderr" */
  size_t len;
  char line[CRI_LINE_MAX];
};

/* The first CAPTURE_MAX bytes that passed through, kept to be said again (the runtime's output when it fails). */
struct capture {
  size_t len;
  char bytes[CAPTURE_MAX];
};

/* Field by field, so that the line buffer stays untouched (and out of the resident set) until output comes. */
static void stream_open(struct stream *s, int fd, int log_fd, const char *name) {
  s->fd = fd;
  s->log_fd = log_fd;
  s->name = name;
  s->len = 0;
}

static void log_line(struct stream *s, int partial) {
  char head[64];
  rfc3339_now(head, sizeof head, 1);
  char prefix[96];
  int n = snprintf(prefix, sizeof prefix, "%s %s %c ", head, s->name, partial ? 'P' : 'F');
  if (s->log_fd >= 0) {
    write_all(s->log_fd, prefix, (size_t)n);
    write_all(s->log_fd, s->line, s->len);
    write_all(s->log_fd, "\n", 1);
  }
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
  return 1;
}

/* Pumps until the pipe is empty or closed. */
static void drain(struct stream *s, struct capture *tee) {
  while (pump(s, tee) > 0) {
  }
}

#endif
