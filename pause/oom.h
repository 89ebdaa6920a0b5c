/* Did the kernel's OOM killer strike in the container's memory cgroup? Its kill counter, now against when it started. */
#ifndef NSPOD_OOM_H
#define NSPOD_OOM_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The counter's file: memory.oom_control (cgroup v1) or memory.events (v2); the count when watching began. */
static char oom_file[4096];
static long oom_baseline = -1;

/* The "oom_kill N" count of oom_file, or -1. */
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

/* True when the count has grown since watch_oom (false when the cgroup was never found, or is gone). */
static int oom_killed(void) {
  return oom_baseline >= 0 && read_oom_kills() > oom_baseline;
}

#endif
