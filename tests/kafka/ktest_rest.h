/* The REST API from the real-Kafka tests: requests to a kmirrord started
 * with rest.listen on port 0, and kmirrorctl against it. */
#ifndef KTEST_REST_H
#define KTEST_REST_H

#include <jansson.h>

#include "ktest.h"

/* The URL of @p d's API, read from its log ("REST API listening on URL")
 * once it said so @p nth times (the log goes on across restarts), kept for
 * the calls below. */
const char *ktest_rest_url(ktest_daemon_t *d, size_t nth, int timeout_ms);
/* One request; its status, its body in *out (caller frees; NULL: dropped).
 * A failure to connect fails the test. */
int ktest_http(const char *method, const char *path, const char *token, const char *body,
               char **out);
/* GET @p path, expecting status @p want: the body's JSON. */
json_t *ktest_get_json(const char *path, int want);
/* kmirrorctl --url URL @p args, with @p env (NULL: none) before it: its
 * exit status; its output, both streams, in *out when @p out is not NULL
 * (caller frees). */
int ktest_ctl(const char *args, const char *env, char **out);

#endif
