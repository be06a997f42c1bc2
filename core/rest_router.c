/* The REST API's router: one request in, one reply out. See rest.h and
 * docs/rest.md. A flow's snapshot is rendered under its lock by the same
 * code as the status file (km_status_json), and reshaped here with
 * jansson after the lock is released. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "metrics.h"
#include "rest.h"

#define JSON_TYPE "application/json"
#define SEGS_MAX  8

static void reply_text(km_rest_reply_t *r, int status, const char *type, char *body) {
	r->status = body ? status : 500;
	r->content_type = type;
	r->body = body;
	r->len = body ? strlen(body) : 0;
}

static void reply_json(km_rest_reply_t *r, int status, json_t *j) {
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	size_t n = s ? strlen(s) : 0;
	char *nl = s ? realloc(s, n + 2) : NULL;

	json_decref(j);
	if (nl) {
		nl[n] = '\n';
		nl[n + 1] = '\0';
		s = nl;
	}
	reply_text(r, status, JSON_TYPE, s);
}

static void reply_err(km_rest_reply_t *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reply_err(km_rest_reply_t *r, int status, const char *fmt, ...) {
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_json(r, status, json_pack("{s:s}", "error", msg));
}

/* ---- reading snapshots --------------------------------------------------- */

typedef struct visit {
	const char *name; /* NULL: every flow */
	json_t *out;      /* an array of flow objects */
	int oom;
} visit_t;

static void render(const km_flow_status_t *s, void *arg) {
	visit_t *v = arg;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if (v->name && strcmp(v->name, s->name))
		return;
	if (!(fp = open_memstream(&text, &len))) {
		v->oom = 1;
		return;
	}
	km_status_json(s, fp);
	if (fclose(fp)) {
		v->oom = 1;
	} else {
		/* parsed later, outside the lock: keep the text */
		json_array_append_new(v->out, json_stringn_nocheck(text, len));
	}
	free(text);
}

/* The flows' status objects (all, or the one named), as the status file
 * has them. NULL when out of memory. */
static json_t *flows(const km_rest_ctx_t *ctx, const char *name) {
	visit_t v = {.name = name, .out = json_array()};
	json_t *res = json_array(), *t;
	size_t i;

	if (!v.out || !res)
		goto fail;
	for (i = 0; ctx->flow(ctx->arg, i, render, &v); i++)
		;
	if (v.oom)
		goto fail;
	json_array_foreach(v.out, i, t) {
		json_t *o = json_loadb(json_string_value(t), json_string_length(t), 0, NULL);
		if (!o)
			goto fail;
		json_array_append_new(res, o);
	}
	json_decref(v.out);
	return res;
fail:
	json_decref(v.out);
	json_decref(res);
	return NULL;
}

static json_t *one_flow(const km_rest_ctx_t *ctx, const char *name, km_rest_reply_t *r) {
	json_t *all = flows(ctx, name), *f;

	if (!all) {
		reply_text(r, 500, NULL, NULL);
		return NULL;
	}
	if (!json_array_size(all)) {
		json_t *names = flows(ctx, NULL), *o;
		char list[512] = "";
		size_t i, n = 0;
		json_array_foreach(names, i, o) {
			n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0,
			                      "%s%s", i ? ", " : "",
			                      json_string_value(json_object_get(o, "name")));
		}
		json_decref(names);
		json_decref(all);
		reply_err(r, 404, "no flow '%s'; the flows: %s (GET /v1/flows lists them)", name,
		          *list ? list : "none");
		return NULL;
	}
	f = json_incref(json_array_get(all, 0));
	json_decref(all);
	return f;
}

/* ---- topics ---------------------------------------------------------------- */

/* The topic objects of a flow object @p f, built from its partitions;
 * with @p only, that topic alone, with its partitions. */
/* Each topic's mirror-topic state (ACTIVE unless the flow's mirror_topics
 * says otherwise); a topic the data thread does not copy (STOPPED or
 * PAUSED since the start) is listed too, without partitions. */
static void mirror_states(json_t *f, const char *only, json_t *res) {
	json_t *m, *t;
	size_t i, j;

	json_array_foreach(res, j, t) {
		json_object_set_new(t, "mirror_state", json_string("ACTIVE"));
		json_object_set_new(t, "mirror_state_detail", json_string(""));
	}
	json_array_foreach(json_object_get(f, "mirror_topics"), i, m) {
		const char *name = json_string_value(json_object_get(m, "topic"));
		json_t *found = NULL;
		if (!name || (only && strcmp(only, name)))
			continue;
		json_array_foreach(res, j, t) {
			if (!strcmp(name, json_string_value(json_object_get(t, "topic"))))
				found = t;
		}
		if (!found) {
			found =
			    json_pack("{s:s,s:O,s:s,s:i,s:I,s:I,s:n,s:s,s:n}", "topic", name,
			              "target", json_object_get(m, "target"), "state", "paused",
			              "partitions", 0, "records", (json_int_t)0, "lag",
			              (json_int_t)0, "lag_ms", "last_error", "", "last_error_at");
			if (!found)
				return;
			if (only)
				json_object_set_new(found, "partition_list", json_array());
			json_array_append_new(res, found);
		}
		json_object_set(found, "mirror_state", json_object_get(m, "state"));
		json_object_set(found, "mirror_state_detail", json_object_get(m, "detail"));
		json_object_set(found, "mirror_state_since", json_object_get(m, "since"));
		json_object_set(found, "mirror_state_by", json_object_get(m, "by"));
	}
}

static json_t *topics(json_t *f, const char *only) {
	json_t *res = json_array(), *p, *t = NULL;
	const char *cur = NULL;
	size_t i;

	json_array_foreach(json_object_get(f, "partition_list"), i, p) {
		const char *name = json_string_value(json_object_get(p, "topic"));
		const char *state = json_string_value(json_object_get(p, "state"));
		const char *reason = json_string_value(json_object_get(p, "reason"));
		json_t *lag_ms = json_object_get(p, "lag_ms"), *tl;

		if (!name || !state || (only && strcmp(only, name)))
			continue;
		if (!cur || strcmp(cur, name)) {
			t = json_pack("{s:s,s:O,s:s,s:i,s:I,s:I,s:i,s:s,s:n}", "topic", name,
			              "target", json_object_get(p, "target"), "state", state,
			              "partitions", 0, "records", (json_int_t)0, "lag",
			              (json_int_t)0, "lag_ms", 0, "last_error", "",
			              "last_error_at");
			if (!t)
				break;
			if (only)
				json_object_set_new(t, "partition_list", json_array());
			json_array_append_new(res, t);
			cur = name;
		}
		json_object_set_new(
		    t, "partitions",
		    json_integer(json_integer_value(json_object_get(t, "partitions")) + 1));
		json_object_set_new(t, "records",
		                    json_integer(json_integer_value(json_object_get(t, "records")) +
		                                 json_integer_value(json_object_get(p, "copied"))));
		json_object_set_new(t, "lag",
		                    json_integer(json_integer_value(json_object_get(t, "lag")) +
		                                 json_integer_value(json_object_get(p, "lag"))));
		tl = json_object_get(t, "lag_ms");
		if (!json_is_integer(lag_ms) || json_is_null(tl))
			json_object_set_new(t, "lag_ms", json_null());
		else if (json_integer_value(lag_ms) > json_integer_value(tl))
			json_object_set(t, "lag_ms", lag_ms);
		/* a topic is as well as its worst partition */
		if (strcmp(state, "active") &&
		    strcmp(json_string_value(json_object_get(t, "state")), "stopped"))
			json_object_set_new(t, "state", json_string(state));
		if (reason && *reason &&
		    (json_is_null(json_object_get(t, "last_error_at")) ||
		     json_integer_value(json_object_get(p, "since")) >
		         json_integer_value(json_object_get(t, "last_error_at")))) {
			json_object_set_new(t, "last_error", json_string(reason));
			json_object_set(t, "last_error_at", json_object_get(p, "since"));
			json_object_set(t, "last_error_partition", json_object_get(p, "partition"));
		}
		if (only)
			json_array_append(json_object_get(t, "partition_list"), p);
	}
	mirror_states(f, only, res);
	return res;
}

/* ---- endpoints ------------------------------------------------------------- */

static void get_flows(const km_rest_ctx_t *ctx, km_rest_reply_t *r) {
	json_t *all = flows(ctx, NULL), *f;
	size_t i;

	if (!all) {
		reply_text(r, 500, NULL, NULL);
		return;
	}
	json_array_foreach(all, i, f) {
		json_object_del(f, "partition_list");
	}
	reply_json(r, 200, json_pack("{s:o}", "flows", all));
}

static void get_ready(const km_rest_ctx_t *ctx, km_rest_reply_t *r) {
	json_t *all = flows(ctx, NULL), *f, *states = json_object();
	const char *why = NULL;
	char msg[512] = "";
	size_t i;

	if (!all || !states) {
		json_decref(all);
		json_decref(states);
		reply_text(r, 500, NULL, NULL);
		return;
	}
	json_array_foreach(all, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		const char *st = json_string_value(json_object_get(f, "state"));
		json_object_set(states, name, json_object_get(f, "state"));
		if (!why && (!st || strcmp(st, "running"))) {
			why = st ? st : "unknown";
			snprintf(msg, sizeof(msg), "flow %s is %s, not running", name, why);
		}
	}
	json_decref(all);
	if (why)
		reply_json(r, 503,
		           json_pack("{s:b,s:s,s:o}", "ready", 0, "error", msg, "flows", states));
	else
		reply_json(r, 200, json_pack("{s:b,s:o}", "ready", 1, "flows", states));
}

static void get_internal(const km_rest_ctx_t *ctx, km_rest_reply_t *r) {
	json_t *all = flows(ctx, NULL), *f, *res = json_array();
	size_t i;

	if (!all || !res) {
		json_decref(all);
		json_decref(res);
		reply_text(r, 500, NULL, NULL);
		return;
	}
	json_array_foreach(all, i, f) {
		json_array_append_new(
		    res, json_pack("{s:O,s:O,s:O,s:{s:O,s:O,s:O},s:O,s:{s:s,s:O}}", "name",
		                   json_object_get(f, "name"), "offset_syncs",
		                   json_object_get(f, "offset_syncs"), "checkpoints",
		                   json_object_get(f, "checkpoints"), "heartbeats", "written",
		                   json_object_get(f, "heartbeats"), "failed",
		                   json_object_get(f, "heartbeat_failures"), "last",
		                   json_object_get(f, "last_heartbeat_at"), "group_offsets",
		                   json_object_get(f, "group_offsets"), "progress", "topic",
		                   "kmirror-progress.internal", "inflight",
		                   json_object_get(f, "inflight")));
	}
	json_decref(all);
	reply_json(r, 200, json_pack("{s:o}", "flows", res));
}

typedef struct mvisit {
	km_metrics_t *m;
} mvisit_t;

static void metrics_visit(const km_flow_status_t *s, void *arg) {
	km_metrics_flow(((mvisit_t *)arg)->m, s);
}

static void get_metrics(const km_rest_ctx_t *ctx, km_rest_reply_t *r) {
	mvisit_t v = {km_metrics_new()};
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if (!v.m || !(fp = open_memstream(&text, &len))) {
		free(v.m);
		reply_text(r, 500, NULL, NULL);
		return;
	}
	for (size_t i = 0; ctx->flow(ctx->arg, i, metrics_visit, &v); i++)
		;
	if (km_metrics_finish(v.m, fp) | fclose(fp)) {
		free(text);
		reply_text(r, 500, NULL, NULL);
		return;
	}
	reply_text(r, 200, KM_METRICS_CONTENT_TYPE, text);
	r->len = len;
}

/* Constant time, so that the time of a refusal says nothing of the token. */
int km_rest_token_equal(const char *a, const char *b) {
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = (unsigned char)(la != lb);

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return !d;
}

/* The auth rule of commands: 1 when @p r was filled with a refusal. */
static int refuse(const km_rest_ctx_t *ctx, const char *authorization, km_rest_reply_t *r) {
	const char *bearer =
	    authorization && !strncmp(authorization, "Bearer ", 7) ? authorization + 7 : NULL;
	int ok = ctx->auth ? ctx->auth(ctx->arg, bearer) : -1;

	if (ok < 0) {
		if (ctx->loopback)
			return 0;
		reply_err(r, 403,
		          "commands are refused on a listener that is not on a loopback address "
		          "when rest.token is not set: set rest.token (and rest.tls.cert/key), or "
		          "listen on 127.0.0.1 and send commands from this host");
		return 1;
	}
	if (!ok) {
		r->www_auth = "Bearer realm=\"kmirror\"";
		reply_err(r, 401,
		          bearer ? "the bearer token is not the one rest.token sets"
		                 : "this command needs the header 'Authorization: Bearer "
		                   "TOKEN', TOKEN as rest.token sets it (kmirrorctl: --token "
		                   "or KMIRROR_TOKEN)");
		return 1;
	}
	return 0;
}

static void post_reload(const km_rest_ctx_t *ctx, const char *auth, const char *body,
                        size_t body_len, km_rest_reply_t *r) {
	json_error_t jerr;
	json_t *j = NULL;
	char msg[2048] = "";
	int rc;

	if (refuse(ctx, auth, r))
		return;
	if (body_len) {
		const char *key;
		json_t *v;
		if (!(j = json_loadb(body, body_len, JSON_REJECT_DUPLICATES, &jerr))) {
			reply_err(
			    r, 400,
			    "the body is not JSON: line %d, column %d: %s; send {} or nothing",
			    jerr.line, jerr.column, jerr.text);
			return;
		}
		if (!json_is_object(j)) {
			json_decref(j);
			reply_err(r, 400, "the body must be a JSON object: send {} or nothing");
			return;
		}
		json_object_foreach(j, key, v) {
			reply_err(r, 400,
			          "unknown key '%s': /v1/reload takes no parameters; send {}", key);
			json_decref(j);
			return;
		}
		json_decref(j);
	}
	rc = ctx->reload ? ctx->reload(ctx->arg, msg, sizeof(msg)) : -1;
	if (rc == 0)
		reply_json(r, 200, json_pack("{s:b}", "reloaded", 1));
	else if (rc > 0)
		reply_json(r, 202,
		           json_pack("{s:b,s:s}", "reloaded", 0, "status",
		                     "the reload is still running: GET /v1/flows shows it"));
	else
		reply_err(r, 409, "%s", *msg ? msg : "the reload failed (the log says why)");
}

/* POST /v1/flows/FLOW[/topics/TOPIC]/COMMAND: a mirror-topic command
 * (docs/failover.md). The body may set "force" (resume) and
 * "grant_write" (promote, failover). */
static void post_command(const km_rest_ctx_t *ctx, const char *auth, const char *flow,
                         const char *topic, const char *cmd, const char *body, size_t body_len,
                         km_rest_reply_t *r) {
	int force = 0, grant = 0, is_resume = !strcmp(cmd, "resume"),
	    is_stop = !strcmp(cmd, "promote") || !strcmp(cmd, "failover");
	km_cmd_answer_t ans;
	json_t *j = NULL, *list;

	if (refuse(ctx, auth, r))
		return;
	if (body_len) {
		json_error_t jerr;
		const char *key;
		json_t *v;
		if (!(j = json_loadb(body, body_len, JSON_REJECT_DUPLICATES, &jerr)) ||
		    !json_is_object(j)) {
			json_decref(j);
			reply_err(r, 400,
			          "the body must be a JSON object, e.g. {\"force\": true} or "
			          "{\"grant_write\": true}, or nothing");
			return;
		}
		json_object_foreach(j, key, v) {
			int *flag = !strcmp(key, "force") && is_resume       ? &force
			            : !strcmp(key, "grant_write") && is_stop ? &grant
			                                                     : NULL;
			if (!flag || !json_is_boolean(v)) {
				reply_err(
				    r, 400,
				    flag ? "'%s' must be true or false"
				         : "unknown key '%s' for %s: resume takes \"force\", "
				           "promote and failover take \"grant_write\" (true or "
				           "false)",
				    key, cmd);
				json_decref(j);
				return;
			}
			*flag = json_is_true(v);
		}
		json_decref(j);
	}
	if (!ctx->command || ctx->command(ctx->arg, flow, cmd, topic, force, grant, &ans) < 0) {
		reply_err(r, 404, "no flow '%s' (GET /v1/flows lists them)", flow);
		return;
	}
	if (!(list = json_array())) {
		free(ans.topics);
		reply_text(r, 500, JSON_TYPE, NULL);
		return;
	}
	for (size_t i = 0; i < ans.cnt; i++) {
		const km_topic_answer_t *t = &ans.topics[i];
		json_array_append_new(list,
		                      json_pack("{s:s,s:s,s:s?,s:s?,s:i,s:s}", "topic", t->topic,
		                                "target", t->target, "from", t->from, "to", t->to,
		                                "status", t->status, "message", t->msg));
	}
	free(ans.topics);
	reply_json(r, ans.status,
	           json_pack("{s:s,s:s,s:s,s:o}", ans.status >= 400 ? "error" : "message", ans.msg,
	                     "flow", flow, "command", cmd, "topics", list));
}

/* Decodes %XX in place; -1 when malformed or it decodes to NUL or '/'. */
static int unescape(char *s) {
	char *o = s;

	for (; *s; s++) {
		if (*s == '%') {
			unsigned v;
			if (!s[1] || !s[2] || sscanf(s + 1, "%2x", &v) != 1 || !v || v == '/')
				return -1;
			*o++ = (char)v;
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return 0;
}

static int is_command(const char *s) {
	return !strcmp(s, "pause") || !strcmp(s, "resume") || !strcmp(s, "promote") ||
	       !strcmp(s, "failover");
}

#define ENDPOINTS                                                                                  \
	"GET /v1/health, /v1/ready, /v1/flows, /v1/flows/FLOW, /v1/flows/FLOW/topics, "            \
	"/v1/flows/FLOW/topics/TOPIC, /v1/internal, /v1/config, /metrics; POST /v1/reload, "       \
	"/v1/flows/FLOW/COMMAND, /v1/flows/FLOW/topics/TOPIC/COMMAND (COMMAND: pause, resume, "    \
	"promote, failover)"

void km_rest_route(const km_rest_ctx_t *ctx, const char *method, const char *path,
                   const char *authorization, const char *body, size_t body_len,
                   km_rest_reply_t *r) {
	char buf[1024], *seg[SEGS_MAX], *save = NULL, *q;
	size_t n = 0;
	int get, post;
	const char *allow = "GET, HEAD";

	memset(r, 0, sizeof(*r));
	if (!method || !path || path[0] != '/' || strlen(path) >= sizeof(buf)) {
		reply_err(r, 400,
		          "the request's path must start with '/' and be shorter than %zu "
		          "bytes",
		          sizeof(buf));
		return;
	}
	get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	post = !strcmp(method, "POST");
	snprintf(buf, sizeof(buf), "%s", path);
	if ((q = strchr(buf, '?')))
		*q = '\0';
	for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (n == SEGS_MAX || unescape(t))
			goto not_found;
		seg[n++] = t;
	}
	if (n == 1 && !strcmp(seg[0], "metrics")) {
		if (get)
			get_metrics(ctx, r);
		goto method;
	}
	if (n < 2 || strcmp(seg[0], "v1"))
		goto not_found;
	if (n == 2 && !strcmp(seg[1], "reload")) {
		allow = "POST";
		if (post)
			post_reload(ctx, authorization, body, body_len, r);
		goto method;
	}
	if (n == 2 && !strcmp(seg[1], "health")) {
		if (get)
			reply_json(r, 200,
			           json_pack("{s:s,s:s,s:I}", "status", "up", "version",
			                     PACKAGE_VERSION, "started_at",
			                     (json_int_t)ctx->started_ms));
	} else if (n == 2 && !strcmp(seg[1], "ready")) {
		if (get)
			get_ready(ctx, r);
	} else if (n == 2 && !strcmp(seg[1], "config")) {
		if (get) {
			char *c = ctx->config_json ? ctx->config_json(ctx->arg) : NULL;
			reply_text(r, 200, JSON_TYPE, c);
		}
	} else if (n == 2 && !strcmp(seg[1], "internal")) {
		if (get)
			get_internal(ctx, r);
	} else if (n == 2 && !strcmp(seg[1], "flows")) {
		if (get)
			get_flows(ctx, r);
	} else if ((n == 4 || n == 6) && !strcmp(seg[1], "flows") &&
	           (n == 4 || !strcmp(seg[3], "topics")) && is_command(seg[n - 1])) {
		allow = "POST";
		if (post)
			post_command(ctx, authorization, seg[2], n == 6 ? seg[4] : NULL, seg[n - 1],
			             body, body_len, r);
	} else if (n >= 3 && n <= 5 && !strcmp(seg[1], "flows") &&
	           (n == 3 || !strcmp(seg[3], "topics"))) {
		json_t *f, *t;
		if (!get)
			goto method;
		if (!(f = one_flow(ctx, seg[2], r)))
			return;
		if (n == 3) {
			reply_json(r, 200, f);
			return;
		}
		t = topics(f, n == 5 ? seg[4] : NULL);
		if (n == 4) {
			reply_json(r, 200, json_pack("{s:s,s:o}", "flow", seg[2], "topics", t));
		} else if (!json_array_size(t)) {
			json_decref(t);
			reply_err(
			    r, 404,
			    "flow %s copies no topic '%s' (GET /v1/flows/%s/topics lists them)",
			    seg[2], seg[4], seg[2]);
		} else {
			reply_json(r, 200, json_incref(json_array_get(t, 0)));
			json_decref(t);
		}
		json_decref(f);
		return;
	} else {
		goto not_found;
	}
method:
	if (!r->status) {
		r->allow = allow;
		reply_err(r, 405, "%s is not allowed on %s; allowed: %s", method, path, allow);
	}
	return;
not_found:
	reply_err(r, 404, "no endpoint %s; the endpoints: " ENDPOINTS, path);
}

/* ---- the configuration, redacted --------------------------------------- */

/* Keys whose values are secrets wherever they are (librdkafka's and the
 * REST API's own); values from ${env:} and ${file:} are secrets too. */
static int key_secret(const char *k) {
	return k && (strstr(k, "password") || strstr(k, "secret") || strstr(k, "token") ||
	             strstr(k, "ssl.key.pem") || strstr(k, "ssl_key") || strstr(k, "credentials") ||
	             !strcmp(k, "sasl.oauthbearer.config"));
}

static json_t *node_json(const km_node_t *n, int secret) {
	json_t *o;

	if (!n)
		return json_null();
	switch (n->type) {
	case KM_NODE_SCALAR:
		if (secret || n->secret)
			return json_string("(secret)");
		return n->null ? json_null() : json_string(n->scalar ? n->scalar : "");
	case KM_NODE_MAP:
		o = json_object();
		for (size_t i = 0; o && i < n->cnt; i++) {
			const char *k = n->keys[i]->scalar ? n->keys[i]->scalar : "";
			json_object_set_new(o, k, node_json(n->vals[i], secret || key_secret(k)));
		}
		return o;
	case KM_NODE_SEQ:
		o = json_array();
		for (size_t i = 0; o && i < n->cnt; i++)
			json_array_append_new(o, node_json(n->vals[i], secret));
		return o;
	}
	return json_null();
}

char *km_rest_config_json(const km_node_t *root) {
	json_t *j = node_json(root, 0);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	return s;
}
