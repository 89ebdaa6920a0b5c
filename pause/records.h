/* What the prober tells the world, as JSON: one event line appended to DIR/events.jsonl, and one status file a
 * container, DIR/probes/NAME.json, replaced whole (see src/probe/prober.ts for their readers). */
#ifndef NSPOD_RECORDS_H
#define NSPOD_RECORDS_H

#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "probe_config.h"
#include "util.h"

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

/* The size at which the events file is rotated (one older generation kept): about 1 MB of events in all. */
#define EVENTS_FILE_MAX (512 * 1024)

static void append_event(const char *type, const char *reason, const char *container, const char *message, size_t message_len) {
  static char line[2 * OUTPUT_MAX + 512], esc[2 * OUTPUT_MAX];
  char ts[40], path[4096];
  rfc3339_now(ts, sizeof ts, 0);
  json_escape(esc, sizeof esc, message, message_len);
  int n = snprintf(line, sizeof line, "{\"time\":\"%s\",\"type\":\"%s\",\"reason\":\"%s\",\"container\":\"%s\",\"message\":\"%s\"}\n", ts, type, reason, container, esc);
  if (n >= (int)sizeof line) return;
  snprintf(path, sizeof path, "%s/events.jsonl", pod_dir);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  write_all(fd, line, (size_t)n); /* one write: lines of concurrent writers never interleave */
  /* Capped as nspod's Node side caps it (src/pod/events.ts): past EVENTS_FILE_MAX, the file becomes events.jsonl.1. */
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size >= EVENTS_FILE_MAX) {
    char old[4200];
    snprintf(old, sizeof old, "%s.1", path);
    rename(path, old);
  }
  close(fd);
}

/* Replaces the container's status file; it stays dirty (to be written again) until one is in place. */
static void write_status(struct container *c) {
  static char body[MAX_PROBES * (2 * OUTPUT_MAX + 256) / MAX_CONTAINERS + 1024], esc[2 * OUTPUT_MAX];
  char ts[40], path[4096];
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
  if (write_file_atomic(path, body, (size_t)n) == 0) c->dirty = 0;
}

#endif
