/* The REST API's HTTP server: libmicrohttpd, a thread per connection (an
 * operator's tool and a scraper, not a crowd), answering with
 * km_rest_route. It reads only the flows' published snapshots (under each
 * flow's lock, as the status file does) and a JSON copy of the running
 * configuration; a reload is the main thread's, asked for with SIGHUP.
 * See rest.h and docs/rest.md. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "flow.h"
#include "log.h"
#include "params.h"
#include "rest.h"

#define KM_REST_BODY_MAX   65536
#define KM_REST_RELOAD_MS  60000
#define KM_REST_COMMAND_MS 30000 /* a mirror-topic command's wait for its flow */

struct km_rest {
	struct MHD_Daemon *mhd;
	int fd, port, tls;
	char url[128];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	km_flow_t **flows; /* borrowed from the main thread */
	size_t cnt;
	int commands; /* mirror-topic commands running on a flow of flows */
	char *config_json;
	char *token;
	char *listen; /* as configured, to tell a change that needs a restart */
	uint64_t reload_begun, reload_done;
	char reload_msg[2048];
	int reload_failed;
	km_rest_ctx_t ctx;
	char *cert_pem, *key_pem;
};

typedef struct km_req {
	char *body;
	size_t len;
	int too_big;
} km_req_t;

int km_rest_tls_supported(void) {
	return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

/* ---- the router's context ---------------------------------------------- */

static int ctx_flow(void *arg, size_t i, km_rest_visit_fn *fn, void *fnarg) {
	km_rest_t *r = arg;
	int found = 0;

	pthread_mutex_lock(&r->lock);
	if (i < r->cnt) {
		km_flow_status_with(r->flows[i], fn, fnarg);
		found = 1;
	}
	pthread_mutex_unlock(&r->lock);
	return found;
}

/* A mirror-topic command: the flow is looked up under the lock, and kept
 * from being replaced (km_rest_set_flows waits) while it runs without it,
 * so that other requests are not held behind its wait. */
static int ctx_command(void *arg, const char *flow, const char *cmd, const char *topic, int force,
                       int grant_write, km_cmd_answer_t *ans) {
	km_rest_t *r = arg;
	km_flow_t *f = NULL;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->cnt && !f; i++)
		if (!strcmp(km_flow_name(r->flows[i]), flow))
			f = r->flows[i];
	if (f)
		r->commands++;
	pthread_mutex_unlock(&r->lock);
	if (!f)
		return -1;
	km_flow_command(f, cmd, topic, force, grant_write, KM_REST_COMMAND_MS, ans);
	pthread_mutex_lock(&r->lock);
	r->commands--;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static char *ctx_config(void *arg) {
	km_rest_t *r = arg;
	char *s;

	pthread_mutex_lock(&r->lock);
	s = r->config_json ? strdup(r->config_json) : NULL;
	pthread_mutex_unlock(&r->lock);
	return s;
}

static int ctx_auth(void *arg, const char *presented) {
	km_rest_t *r = arg;
	int ok;

	pthread_mutex_lock(&r->lock);
	ok = !r->token ? -1 : presented ? km_rest_token_equal(presented, r->token) : 0;
	pthread_mutex_unlock(&r->lock);
	return ok;
}

static int ctx_reload(void *arg, char *msg, size_t msg_size) {
	km_rest_t *r = arg;
	struct timespec until;
	uint64_t want;
	int rc = 1;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += KM_REST_RELOAD_MS / 1000;
	pthread_mutex_lock(&r->lock);
	want = r->reload_begun + 1;
	kill(getpid(), SIGHUP); /* the main thread takes it, as an operator's */
	while (r->reload_done < want)
		if (pthread_cond_timedwait(&r->cond, &r->lock, &until) == ETIMEDOUT)
			break;
	if (r->reload_done >= want) {
		rc = r->reload_failed ? -1 : 0;
		snprintf(msg, msg_size, "%s", r->reload_msg);
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* ---- HTTP ---------------------------------------------------------------- */

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls) {
	km_rest_t *r = cls;
	km_req_t *req = *con_cls;
	km_rest_reply_t rep;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)version;
	if (!req) {
		if (!(req = calloc(1, sizeof(*req))))
			return MHD_NO;
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_size) {
		if (req->len + *upload_size > KM_REST_BODY_MAX) {
			req->too_big = 1;
		} else {
			char *b = realloc(req->body, req->len + *upload_size + 1);
			if (!b)
				return MHD_NO;
			memcpy(b + req->len, upload, *upload_size);
			req->body = b;
			req->len += *upload_size;
			b[req->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->too_big) {
		memset(&rep, 0, sizeof(rep));
		rep.status = 413;
		rep.content_type = "application/json";
		rep.body = strdup("{\"error\":\"the body is larger than 64 KiB\"}\n");
		rep.len = rep.body ? strlen(rep.body) : 0;
	} else {
		km_rest_route(&r->ctx, method, url,
		              MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                          MHD_HTTP_HEADER_AUTHORIZATION),
		              req->body, req->len, &rep);
	}
	resp = MHD_create_response_from_buffer(rep.len, rep.body ? rep.body : (char *)"",
	                                       rep.body ? MHD_RESPMEM_MUST_FREE
	                                                : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(rep.body);
		return MHD_NO;
	}
	if (rep.content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep.content_type);
	if (rep.allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep.allow);
	if (rep.www_auth)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, rep.www_auth);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, (unsigned)rep.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void done(void *cls, struct MHD_Connection *conn, void **con_cls,
                 enum MHD_RequestTerminationCode code) {
	km_req_t *req = *con_cls;

	(void)cls;
	(void)conn;
	(void)code;
	if (req) {
		free(req->body);
		free(req);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	km_warn("REST API: %s", msg);
}

static char *slurp(const char *path, char *errstr, size_t errstr_size) {
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!fp) {
		snprintf(errstr, errstr_size, "rest: cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (len + 4096 + 1 > cap) {
			char *b = realloc(buf, cap = cap ? cap * 2 : 8192);
			if (!b) {
				free(buf);
				fclose(fp);
				snprintf(errstr, errstr_size, "rest: out of memory");
				return NULL;
			}
			buf = b;
		}
		n = fread(buf + len, 1, 4096, fp);
		len += n;
	} while (n);
	fclose(fp);
	buf[len] = '\0';
	return buf;
}

/* Binds the listening socket ourselves: port 0 works and the error says
 * which address is taken. */
static int listen_on(km_rest_t *r, const km_rest_conf_t *rc, char *errstr, size_t errstr_size) {
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (rc->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)rc->port);
		inet_pton(AF_INET6, rc->host, &a->sin6_addr);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)rc->port);
		inet_pton(AF_INET, rc->host, &a->sin_addr);
		sl = sizeof(*a);
	}
	if ((r->fd = socket(rc->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(r->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(r->fd, (struct sockaddr *)&ss, sl) || listen(r->fd, 64)) {
		snprintf(errstr, errstr_size,
		         "rest: cannot listen on %s%s%s:%d: %s; set rest.listen to a free address "
		         "(port 0: any free port), or rest: {enabled: false}",
		         rc->family == AF_INET6 ? "[" : "", rc->host,
		         rc->family == AF_INET6 ? "]" : "", rc->port, strerror(errno));
		return -1;
	}
	sl = sizeof(ss);
	getsockname(r->fd, (struct sockaddr *)&ss, &sl);
	r->port = ntohs(rc->family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                       : ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(r->url, sizeof(r->url), "%s://%s%s%s:%d", rc->cert ? "https" : "http",
	         rc->family == AF_INET6 ? "[" : "", rc->host, rc->family == AF_INET6 ? "]" : "",
	         r->port);
	return 0;
}

km_rest_t *km_rest_start(const km_rest_conf_t *rc, const km_node_t *config_root, char *errstr,
                         size_t errstr_size) {
	km_rest_t *r;
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;

	errstr[0] = '\0';
	if (!rc->enabled)
		return NULL;
	if (rc->cert && !km_rest_tls_supported()) {
		snprintf(
		    errstr, errstr_size,
		    "rest: tls.cert is set but this libmicrohttpd was built without TLS "
		    "(GnuTLS); unset rest.tls.cert and rest.tls.key, or install a build with it");
		return NULL;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		snprintf(errstr, errstr_size, "rest: out of memory");
		return NULL;
	}
	r->fd = -1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->ctx = (km_rest_ctx_t){.flow = ctx_flow,
	                         .reload = ctx_reload,
	                         .command = ctx_command,
	                         .config_json = ctx_config,
	                         .auth = ctx_auth,
	                         .arg = r,
	                         .loopback = rc->loopback,
	                         .started_ms = km_wall_ms()};
	km_rest_set_config(r, rc, config_root);
	if (rc->cert) {
		if (!(r->cert_pem = slurp(rc->cert, errstr, errstr_size)) ||
		    !(r->key_pem = slurp(rc->key, errstr, errstr_size)))
			goto fail;
		flags |= MHD_USE_TLS;
		r->tls = 1;
	}
	if (listen_on(r, rc, errstr, errstr_size))
		goto fail;
	r->mhd = MHD_start_daemon(flags, 0, NULL, NULL, answer, r, MHD_OPTION_EXTERNAL_LOGGER,
	                          mhd_log, r, MHD_OPTION_LISTEN_SOCKET, r->fd,
	                          MHD_OPTION_NOTIFY_COMPLETED, done, r, MHD_OPTION_CONNECTION_LIMIT,
	                          (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	                          r->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, r->cert_pem,
	                          MHD_OPTION_HTTPS_MEM_KEY, r->key_pem, MHD_OPTION_END);
	if (!r->mhd) {
		snprintf(errstr, errstr_size,
		         "rest: the HTTP server did not start on %s%s (the log line before says "
		         "why)",
		         r->url,
		         r->tls ? ": check that rest.tls.cert and rest.tls.key are a PEM "
		                  "certificate and its key"
		                : "");
		goto fail;
	}
	r->fd = -1; /* the daemon's now: MHD_stop_daemon closes it */
	km_notice("REST API listening on %s", r->url);
	return r;
fail:
	km_rest_stop(r);
	return NULL;
}

void km_rest_set_flows(km_rest_t *r, km_flow_t *const *flows, size_t cnt) {
	km_flow_t **copy;

	if (!r)
		return;
	copy = calloc(cnt ? cnt : 1, sizeof(*copy));
	pthread_mutex_lock(&r->lock);
	while (r->commands) /* a command's flow may be on its way out */
		pthread_cond_wait(&r->cond, &r->lock);
	free(r->flows);
	r->flows = copy;
	r->cnt = copy ? cnt : 0;
	for (size_t i = 0; copy && i < cnt; i++)
		copy[i] = flows[i];
	pthread_mutex_unlock(&r->lock);
}

void km_rest_set_config(km_rest_t *r, const km_rest_conf_t *rc, const km_node_t *config_root) {
	char *json, *token;
	const char *listen;

	if (!r)
		return;
	json = km_rest_config_json(config_root);
	token = rc->token ? strdup(rc->token) : NULL;
	listen = km_params_str(rc->params, "listen");
	pthread_mutex_lock(&r->lock);
	free(r->config_json);
	r->config_json = json;
	if (r->token) /* not left in freed memory */
		memset(r->token, 0, strlen(r->token));
	free(r->token);
	r->token = token;
	if (r->listen && (strcmp(r->listen, listen) || !rc->enabled || !rc->cert != !r->tls))
		km_warn("rest: listen, enabled and tls changes take effect when kmirrord restarts; "
		        "the REST API stays on %s",
		        r->url);
	free(r->listen);
	r->listen = strdup(listen);
	pthread_mutex_unlock(&r->lock);
}

void km_rest_reload_begin(km_rest_t *r) {
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->reload_begun++;
	pthread_mutex_unlock(&r->lock);
}

void km_rest_reloaded(km_rest_t *r, const char *msg) {
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->reload_done = r->reload_begun;
	r->reload_failed = msg != NULL;
	snprintf(r->reload_msg, sizeof(r->reload_msg), "%s", msg ? msg : "");
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

int km_rest_port(const km_rest_t *r) {
	return r ? r->port : 0;
}

void km_rest_stop(km_rest_t *r) {
	if (!r)
		return;
	if (r->mhd)
		MHD_stop_daemon(r->mhd);
	if (r->fd >= 0)
		close(r->fd);
	free(r->flows);
	free(r->config_json);
	if (r->token)
		memset(r->token, 0, strlen(r->token));
	free(r->token);
	free(r->listen);
	free(r->cert_pem);
	if (r->key_pem)
		memset(r->key_pem, 0, strlen(r->key_pem));
	free(r->key_pem);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
