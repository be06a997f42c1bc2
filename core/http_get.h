/* A tiny HTTP/1.1 client for kmirrorctl: one request over a plain TCP
 * socket (kmirrord's REST API listens on loopback by default; https is
 * not spoken here, see kmirrorctl(1)). */
#ifndef KM_HTTP_GET_H
#define KM_HTTP_GET_H

#include <stddef.h>

typedef struct km_http_resp {
	int status;
	char *body; /* NUL-terminated; the caller frees it */
	size_t len;
} km_http_resp_t;

/* The outcome of km_http_do when it is not an HTTP answer. */
enum { KM_HTTP_OK = 0, KM_HTTP_USAGE = -1, KM_HTTP_UNREACHABLE = -2, KM_HTTP_BAD = -3 };

/* Sends @p method @p path to @p url ("http://HOST:PORT", an optional
 * path prefix), with a bearer @p token (NULL: none) and @p body (NULL:
 * none). KM_HTTP_OK with @p resp; else errstr says why. */
int km_http_do(const char *url, const char *method, const char *path, const char *token,
               const char *body, int timeout_ms, km_http_resp_t *resp, char *errstr,
               size_t errstr_size);

#endif
