/* One tcpSocket or httpGet check from inside a network namespace: the prober's probes and its --check mode.
 * It enters the namespace (setns), so it runs in a process of its own: a probe's child, or the one-shot check. */
#ifndef NSPOD_NETCHECK_H
#define NSPOD_NETCHECK_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

#define RESPONSE_MAX 1024 /* a probe reports this much of the response, its head */

static char http_buf[8192]; /* the request, then the response */

/* Enters netns and connects to 127.0.0.1:port: the socket, or -1 when it said on fd `say` why not (*code: 2 could not
 * enter, 1 could not connect). */
static int connect_in_netns(const char *netns, int port, int say, int *code) {
  int ns = open(netns, O_RDONLY | O_CLOEXEC);
  if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
    dprintf(say, "cannot enter the pod's network namespace %s: %s\n", netns, strerror(errno));
    *code = 2;
    return -1;
  }
  close(ns);
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
    dprintf(say, "dial tcp 127.0.0.1:%d: %s\n", port, strerror(errno));
    *code = 1;
    return -1;
  }
  return s;
}

/* Relays stdin to the socket and the socket to stdout until the socket's peer closes (stdin's end shuts the socket's
 * write side): a TCP connection from inside the pod's netns for a caller outside it (TLS, any request). */
static int relay(int s) {
  static char buf[16384];
  struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = s, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0) {
        shutdown(s, SHUT_WR);
        fds[0].fd = -1;
      } else if (write_all(s, buf, (size_t)n) < 0) return 1;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(s, buf, sizeof buf);
      if (n <= 0) return n < 0 ? 1 : 0;
      if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0) return 1;
    }
  }
}

/* Connects to 127.0.0.1:port inside netns; for http (path given), GETs path with the headers (name/value pairs) and
 * prints the response's first RESPONSE_MAX bytes. Exit code: 0 success (http: status 200-399), 1 failure, 2 cannot try. */
static int network_check(const char *netns, int port, const char *http_path, char **headers, int n_headers) {
  int code = 0;
  int s = connect_in_netns(netns, port, STDOUT_FILENO, &code);
  if (s < 0) return code;
  if (!http_path) {
    dprintf(STDOUT_FILENO, "connected to 127.0.0.1:%d\n", port);
    return 0;
  }
  int n = snprintf(http_buf, sizeof http_buf, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: nspod-probe/1.0\r\nAccept: */*\r\nConnection: close\r\n", http_path, port);
  for (int k = 0; k + 1 < n_headers && n < (int)sizeof http_buf; k += 2) n += snprintf(http_buf + n, sizeof http_buf - (size_t)n, "%s: %s\r\n", headers[k], headers[k + 1]);
  if (n >= (int)sizeof http_buf - 3) {
    dprintf(STDOUT_FILENO, "request too large\n");
    return 2;
  }
  n += snprintf(http_buf + n, sizeof http_buf - (size_t)n, "\r\n");
  write_all(s, http_buf, (size_t)n);
  size_t got = read_all(s, http_buf, RESPONSE_MAX + 1);
  int status = 0;
  if (sscanf(http_buf, "HTTP/%*d.%*d %d", &status) != 1) {
    dprintf(STDOUT_FILENO, "no HTTP response from 127.0.0.1:%d%s\n", port, http_path);
    return 1;
  }
  write_all(STDOUT_FILENO, http_buf, got);
  return status >= 200 && status < 400 ? 0 : 1;
}

#endif
