/* The exit record of a container, one JSON line put in place whole:
 *   {"pid":N,"exitCode":N,"signal":N[,"oomKilled":true],"finishedAt":"<RFC 3339>"}
 * exitCode is the status, or 128 + the signal that killed it (as a shell says). */
#ifndef NSPOD_EXITFILE_H
#define NSPOD_EXITFILE_H

#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "util.h"

static int status_code(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 255;
}

static void write_exit_file(const char *path, pid_t pid, int st, int oom_killed) {
  char ts[64], body[256];
  rfc3339_now(ts, sizeof ts, 1);
  int n = snprintf(body, sizeof body, "{\"pid\":%d,\"exitCode\":%d,\"signal\":%d,%s\"finishedAt\":\"%s\"}\n", (int)pid, status_code(st),
                   WIFSIGNALED(st) ? WTERMSIG(st) : 0, oom_killed ? "\"oomKilled\":true," : "", ts);
  /* Only a record written whole is put in place: a torn one would read as garbage. */
  write_file_atomic(path, body, (size_t)n);
}

#endif
