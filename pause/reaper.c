/*
 * nspod-reaper CMD [ARGS...]: run CMD as a child subreaper would.
 *
 * Every process orphaned below CMD (a detached container started by a bare
 * `runc run -d`, say) is handed to the reaper and reaped at once, instead
 * of waiting for the host's init. The benchmark's raw-runc baseline and the
 * tests that drive runc by hand run under it. Exits with CMD's status;
 * SIGINT and SIGTERM are passed on to CMD.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void forward(int sig) {
  if (child > 0) kill(child, sig);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: nspod-reaper CMD [ARGS...]\n");
    return 2;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
    perror("nspod-reaper: prctl");
    return 125;
  }
  child = fork();
  if (child < 0) {
    perror("nspod-reaper: fork");
    return 125;
  }
  if (child == 0) {
    execvp(argv[1], argv + 1);
    fprintf(stderr, "nspod-reaper: exec %s: %s\n", argv[1], strerror(errno));
    _exit(127);
  }
  signal(SIGINT, forward);
  signal(SIGTERM, forward);
  for (;;) {
    int st;
    pid_t p = waitpid(-1, &st, 0);
    if (p < 0 && errno == EINTR) continue;
    if (p < 0) return 125;
    if (p == child) {
      while (waitpid(-1, NULL, WNOHANG) > 0) {
      }
      if (WIFEXITED(st)) return WEXITSTATUS(st);
      return 128 + WTERMSIG(st);
    }
  }
}
