/*
 * pause: PID 1 of an nspod pod.
 *
 * It holds the pod's namespaces open for as long as it lives, reaps every
 * orphan the kernel hands it (it is the init of the pod's pid namespace),
 * and exits 0 on SIGINT or SIGTERM. It needs no privilege and no libc
 * beyond what is linked in statically.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef NSPOD_VERSION
#define NSPOD_VERSION "dev"
#endif

static void say(int fd, const char *a, const char *b) {
  (void)!write(fd, a, strlen(a));
  if (b) (void)!write(fd, b, strlen(b));
}

static void on_stop(int sig) {
  /* write(2) is async-signal-safe; stdio is not. */
  const char *msg = sig == SIGINT ? "pause: SIGINT, exiting\n" : "pause: SIGTERM, exiting\n";
  (void)!write(STDERR_FILENO, msg, strlen(msg));
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  int saved = errno;
  /* One SIGCHLD may stand for many exits: reap until none is left. */
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved;
}

static int install(int sig, void (*handler)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    say(STDOUT_FILENO, "pause (nspod) ", NSPOD_VERSION "\n");
    return 0;
  }
  if (argc > 1) {
    say(STDERR_FILENO, "usage: pause [-v]\n", NULL);
    return 2;
  }
  if (getpid() != 1) {
    say(STDERR_FILENO, "pause: warning: not running as PID 1: orphans will not be handed to me\n", NULL);
  }
  if (install(SIGINT, on_stop, 0) < 0 || install(SIGTERM, on_stop, 0) < 0 ||
      install(SIGCHLD, on_child, SA_NOCLDSTOP | SA_RESTART) < 0) {
    say(STDERR_FILENO, "pause: cannot install signal handlers\n", NULL);
    return 1;
  }
  for (;;) {
    pause();
  }
}
