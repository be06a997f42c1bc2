/* The tiny HTTP client. See http_get.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_get.h"

static long long mono_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Splits "http://HOST:PORT/PREFIX". */
static int parse_url(const char *url, char *host, size_t hsize, char *port, size_t psize,
                     const char **prefix) {
	const char *h, *e, *c;

	if (strncmp(url, "http://", 7))
		return -1;
	h = url + 7;
	e = h + strcspn(h, "/");
	*prefix = e;
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(e - h));
		if (!rb)
			return -1;
		c = rb + 1 < e && rb[1] == ':' ? rb + 1 : NULL;
		snprintf(host, hsize, "%.*s", (int)(rb - h - 1), h + 1);
	} else {
		c = memchr(h, ':', (size_t)(e - h));
		snprintf(host, hsize, "%.*s", (int)((c ? c : e) - h), h);
	}
	snprintf(port, psize, "%.*s", c ? (int)(e - c - 1) : 2, c ? c + 1 : "80");
	return *host && *port ? 0 : -1;
}

static int connect_to(const char *host, const char *port, int timeout_ms, char *err, size_t esize) {
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL, *a;
	int fd = -1, rc = getaddrinfo(host, port, &hints, &ai), e = ECONNREFUSED;

	if (rc) {
		snprintf(err, esize, "%s", gai_strerror(rc));
		return -1;
	}
	for (a = ai; a; a = a->ai_next) {
		struct pollfd pfd;
		socklen_t sl = sizeof(e);
		if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0)) < 0)
			continue;
		fcntl(fd, F_SETFL, O_NONBLOCK);
		if (!connect(fd, a->ai_addr, a->ai_addrlen))
			break;
		e = errno;
		pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
		if (e == EINPROGRESS) {
			e = ETIMEDOUT;
			if (poll(&pfd, 1, timeout_ms) > 0 &&
			    !getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) && !e)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		snprintf(err, esize, "%s", strerror(e));
	return fd;
}

int km_http_do(const char *url, const char *method, const char *path, const char *token,
               const char *body, int timeout_ms, km_http_resp_t *resp, char *errstr,
               size_t errstr_size) {
	char host[256], port[16], req[4096], err[256];
	const char *prefix, *hdr_end;
	char *buf = NULL;
	size_t len = 0, cap = 0, blen = body ? strlen(body) : 0;
	long long deadline = mono_ms() + timeout_ms;
	int fd, n, ret = KM_HTTP_BAD;

	memset(resp, 0, sizeof(*resp));
	if (parse_url(url, host, sizeof(host), port, sizeof(port), &prefix)) {
		snprintf(errstr, errstr_size,
		         "%s is not a URL kmirrorctl can use: write http://HOST:PORT (https is not "
		         "supported: reach a TLS listener with curl)",
		         url);
		return KM_HTTP_USAGE;
	}
	if ((fd = connect_to(host, port, timeout_ms, err, sizeof(err))) < 0) {
		snprintf(errstr, errstr_size, "kmirrord is not running at %s: %s", url, err);
		return KM_HTTP_UNREACHABLE;
	}
	n = snprintf(req, sizeof(req),
	             "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n"
	             "User-Agent: kmirrorctl/" PACKAGE_VERSION
	             "\r\n%s%s%sContent-Length: %zu\r\n%s\r\n",
	             method, strcmp(prefix, "/") ? prefix : "", path, host, port,
	             token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "",
	             blen, blen ? "Content-Type: application/json\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(req)) {
		snprintf(errstr, errstr_size, "the request is too long");
		close(fd);
		return KM_HTTP_USAGE;
	}
	for (size_t off = 0, tot = (size_t)n; off < tot + blen;) {
		const char *p = off < tot ? req + off : body + (off - tot);
		size_t left = off < tot ? tot - off : tot + blen - off;
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		ssize_t w;
		if (poll(&pfd, 1, (int)(deadline - mono_ms())) <= 0)
			goto timeout;
		if ((w = send(fd, p, left, MSG_NOSIGNAL)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(errstr, errstr_size, "kmirrord at %s: sending: %s", url,
			         strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t r;
		if (len + 4097 > cap) {
			char *b = realloc(buf, cap = cap ? cap * 2 : 16384);
			if (!b) {
				snprintf(errstr, errstr_size, "out of memory");
				goto out;
			}
			buf = b;
		}
		if (poll(&pfd, 1, (int)(deadline - mono_ms())) <= 0)
			goto timeout;
		if ((r = recv(fd, buf + len, cap - len - 1, 0)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(errstr, errstr_size, "kmirrord at %s: reading: %s", url,
			         strerror(errno));
			goto out;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	if (!buf || (buf[len] = '\0', sscanf(buf, "HTTP/1.%*d %d", &resp->status) != 1) ||
	    !(hdr_end = strstr(buf, "\r\n\r\n"))) {
		snprintf(errstr, errstr_size,
		         "%s did not answer in HTTP: is it kmirrord's REST API?", url);
		goto out;
	}
	hdr_end += 4;
	resp->len = len - (size_t)(hdr_end - buf);
	memmove(buf, hdr_end, resp->len + 1);
	resp->body = buf;
	buf = NULL;
	ret = KM_HTTP_OK;
	goto out;
timeout:
	snprintf(errstr, errstr_size, "kmirrord at %s did not answer within %d s", url,
	         timeout_ms / 1000);
	ret = KM_HTTP_UNREACHABLE;
out:
	free(buf);
	close(fd);
	return ret;
}
