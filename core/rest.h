/* The REST API (docs/rest.md) and /metrics.
 *
 * rest_router.c answers one request from the published status snapshots
 * and the running configuration: a pure function of its inputs and the
 * context's callbacks, so that tests and the fuzzer call it without a
 * socket. rest.c serves it over HTTP with libmicrohttpd from its own
 * thread and hands commands (POST /v1/reload) to the main thread. */
#ifndef KM_REST_H
#define KM_REST_H

#include <stddef.h>
#include <stdint.h>

#include "config_model.h"
#include "flow.h"
#include "status.h"

typedef void(km_rest_visit_fn)(const km_flow_status_t *s, void *arg);

/* What the router reads. */
typedef struct km_rest_ctx {
	/* Calls @p fn with flow @p i's snapshot under the flow's lock; returns
	 * 0 (without calling it) when @p i is past the last flow. */
	int (*flow)(void *arg, size_t i, km_rest_visit_fn *fn, void *fnarg);
	/* Asks the main thread to reload, and waits for it: 0 done, -1 failed
	 * (@p msg says why), 1 still running when the wait ended. */
	int (*reload)(void *arg, char *msg, size_t msg_size);
	/* Runs mirror-topic command @p cmd on flow @p flow's topic @p topic
	 * (NULL: all) and fills @p ans (its topics freed by the caller);
	 * -1 when there is no such flow (@p ans untouched). */
	int (*command)(void *arg, const char *flow, const char *cmd, const char *topic, int force,
	               int grant_write, km_cmd_answer_t *ans);
	/* The running configuration as JSON, secrets redacted: a copy the
	 * caller frees; NULL when out of memory. */
	char *(*config_json)(void *arg);
	/* Checks the bearer token a client presented (NULL: none): 1 it is
	 * rest.token, 0 it is not, -1 no token is set. */
	int (*auth)(void *arg, const char *presented);
	void *arg;
	int loopback;
	int64_t started_ms; /* wall clock */
} km_rest_ctx_t;

/* The answer. */
typedef struct km_rest_reply {
	int status;
	char *body; /* the caller frees it */
	size_t len;
	const char *content_type;
	const char *allow;    /* 405: the methods the path takes */
	const char *www_auth; /* 401 */
} km_rest_reply_t;

/* Answers one request. @p authorization is the Authorization header (NULL:
 * none); @p body is what the client sent (NULL with 0). Never fails: out
 * of memory is a 500 without a body. @locality any thread */
void km_rest_route(const km_rest_ctx_t *ctx, const char *method, const char *path,
                   const char *authorization, const char *body, size_t body_len,
                   km_rest_reply_t *r);

/* The configuration tree as JSON, secret scalars and sensitive keys shown
 * as "(secret)". The caller frees it; NULL when out of memory. */
char *km_rest_config_json(const km_node_t *root);

typedef struct km_rest km_rest_t;

/* Starts serving @p rc (borrowed until km_rest_stop). NULL with errstr
 * when the listener cannot be made (address in use, TLS files). Disabled:
 * NULL with errstr empty. @locality main */
km_rest_t *km_rest_start(const km_rest_conf_t *rc, const km_node_t *config_root, char *errstr,
                         size_t errstr_size);
/* Replaces the flows the API shows (borrowed; the old ones are not touched
 * once this returns). @locality main */
void km_rest_set_flows(km_rest_t *r, km_flow_t *const *flows, size_t cnt);
/* After a reload: the new configuration to show and token to check
 * (listen and TLS changes wait for a restart; this logs it). */
void km_rest_set_config(km_rest_t *r, const km_rest_conf_t *rc, const km_node_t *config_root);
/* 1 when @p a and @p b are equal, in a time that does not depend on
 * where they differ. */
int km_rest_token_equal(const char *a, const char *b);

/* POST /v1/reload sends the process SIGHUP, so that a reload always runs
 * on the main thread, the same way. The main thread calls these around
 * every reload; a client waits for the first reload begun after its
 * request. @p msg: NULL when it went well. @locality main */
void km_rest_reload_begin(km_rest_t *r);
void km_rest_reloaded(km_rest_t *r, const char *msg);
/* The port it listens on (useful with port 0). */
int km_rest_port(const km_rest_t *r);
void km_rest_stop(km_rest_t *r);

/* 1 when libmicrohttpd here speaks TLS. */
int km_rest_tls_supported(void);

#endif
