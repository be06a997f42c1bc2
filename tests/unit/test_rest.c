/* Unit tests of the REST API's router (core/rest_router.c) and /metrics
 * (core/metrics.c), on synthetic status snapshots: each endpoint, the
 * errors (404, 405 with Allow, 400, 401, 403), the text format, the
 * Grafana dashboard's metric names, and the scrape at 4,000 partitions. */
#include "config.h"

#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "metrics.h"
#include "rest.h"

/* One flow, "ab", of @p parts partitions over topics of 8 partitions. */
static km_flow_status_t flow;
static const char *token;
static int reload_calls, reload_rc;

static void make_flow(size_t parts) {
	km_data_status_t *d = &flow.data;
	char name[64];
	size_t t = 0, tt = 0;

	km_data_status_free(d);
	memset(&flow, 0, sizeof(flow));
	flow.name = "ab";
	flow.source = "a";
	flow.target = "b";
	flow.state = "running";
	d->state = "running";
	d->taken_ms = km_wall_ms();
	for (size_t i = 0; i < parts; i++) {
		km_part_status_t *p;
		if (i % 8 == 0) {
			snprintf(name, sizeof(name), "orders-%zu", i / 8);
			t = km_data_status_str(d, name);
			snprintf(name, sizeof(name), "a.orders-%zu", i / 8);
			tt = km_data_status_str(d, name);
			d->topics++;
		}
		assert_non_null(p = km_data_status_add(d));
		p->topic = t;
		p->target = tt;
		p->partition = (int32_t)(i % 8);
		p->state = i == 1 ? KM_PART_STOPPED : KM_PART_ACTIVE;
		p->next = 100;
		p->end = 100 + (int64_t)(i % 3);
		p->lag = p->end - p->next;
		p->next_ts = p->lag ? d->taken_ms - 2000 : -1;
		p->records = 100;
		p->bytes = 1000;
		if (i == 1)
			p->reason = km_data_status_str(d, "the target refused the record at 99");
		d->records += p->records;
		d->bytes += p->bytes;
		d->lag += p->lag;
		d->parts_by_state[p->state]++;
	}
	d->batches = 7;
	km_lat_hist_add(&d->latency, 3);
	km_lat_hist_add(&d->latency, 3);
	km_lat_hist_add(&d->latency, 40);
	km_lat_hist_add(&d->latency, 99999999);
	d->inflight_max = 1000;
	flow.ctl.state = "running";
}

static int ctx_flow(void *arg, size_t i, km_rest_visit_fn *fn, void *fnarg) {
	(void)arg;
	if (i)
		return 0;
	fn(&flow, fnarg);
	return 1;
}

static int ctx_reload(void *arg, char *msg, size_t size) {
	(void)arg;
	reload_calls++;
	if (reload_rc < 0)
		snprintf(msg, size,
		         "reload failed, keeping the running configuration: t.yaml:3:1: x");
	return reload_rc;
}

static char *ctx_config(void *arg) {
	(void)arg;
	return strdup("{\"rest\":{\"token\":\"(secret)\"}}");
}

static int ctx_auth(void *arg, const char *presented) {
	(void)arg;
	if (!token)
		return -1;
	return presented && km_rest_token_equal(presented, token);
}

/* The last command the router passed on. */
static struct {
	int calls, force, grant;
	char flow[64], cmd[32], topic[64];
} got;

static int ctx_command(void *arg, const char *f, const char *cmd, const char *topic, int force,
                       int grant_write, km_cmd_answer_t *ans) {
	(void)arg;
	got.calls++;
	snprintf(got.flow, sizeof(got.flow), "%s", f);
	snprintf(got.cmd, sizeof(got.cmd), "%s", cmd);
	snprintf(got.topic, sizeof(got.topic), "%s", topic ? topic : "(all)");
	got.force = force;
	got.grant = grant_write;
	if (strcmp(f, "ab"))
		return -1;
	memset(ans, 0, sizeof(*ans));
	ans->topics = calloc(1, sizeof(*ans->topics));
	ans->cnt = ans->cap = 1;
	snprintf(ans->topics[0].topic, sizeof(ans->topics[0].topic), "%s", topic ? topic : "x");
	ans->topics[0].from = "ACTIVE";
	if (topic && !strcmp(topic, "stopped")) {
		ans->status = ans->topics[0].status = 409;
		ans->topics[0].to = "STOPPED";
		snprintf(ans->msg, sizeof(ans->msg),
		         "cannot resume a mirror topic in state STOPPED");
	} else {
		ans->status = ans->topics[0].status = !strcmp(cmd, "promote") ? 202 : 200;
		ans->topics[0].to = !strcmp(cmd, "promote") ? "PROMOTING" : "PAUSED";
		snprintf(ans->msg, sizeof(ans->msg), "done");
	}
	snprintf(ans->topics[0].msg, sizeof(ans->topics[0].msg), "%s", ans->msg);
	return 0;
}

static km_rest_ctx_t ctx = {.flow = ctx_flow,
                            .reload = ctx_reload,
                            .command = ctx_command,
                            .config_json = ctx_config,
                            .auth = ctx_auth,
                            .loopback = 1};

/* Routes one request; the reply's JSON (NULL when not JSON). */
static json_t *req(const char *method, const char *path, const char *auth, const char *body,
                   int want_status) {
	km_rest_reply_t r;
	json_t *j;

	km_rest_route(&ctx, method, path, auth, body, body ? strlen(body) : 0, &r);
	if (r.status != want_status)
		print_error("%s %s: %d, want %d: %s\n", method, path, r.status, want_status,
		            r.body ? r.body : "");
	assert_int_equal(r.status, want_status);
	j = json_loadb(r.body, r.len, 0, NULL);
	if (want_status >= 400) { /* every error is {"error": "..."} */
		assert_non_null(j);
		assert_true(json_is_string(json_object_get(j, "error")));
	}
	free(r.body);
	return j;
}

static void test_endpoints(void **state) {
	json_t *j;

	(void)state;
	make_flow(16);
	j = req("GET", "/v1/health", NULL, NULL, 200);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "up");
	json_decref(j);
	j = req("GET", "/v1/ready", NULL, NULL, 200);
	assert_true(json_is_true(json_object_get(j, "ready")));
	json_decref(j);
	flow.state = "loading progress";
	j = req("GET", "/v1/ready", NULL, NULL, 503);
	assert_string_equal(json_string_value(json_object_get(j, "error")),
	                    "flow ab is loading progress, not running");
	json_decref(j);
	flow.state = "running";

	j = req("GET", "/v1/flows", NULL, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "flows")), 1);
	assert_null(
	    json_object_get(json_array_get(json_object_get(j, "flows"), 0), "partition_list"));
	assert_int_equal(json_integer_value(json_object_get(
	                     json_array_get(json_object_get(j, "flows"), 0), "records")),
	                 1600);
	json_decref(j);
	j = req("GET", "/v1/flows/ab/", NULL, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "partition_list")), 16);
	json_decref(j);

	j = req("GET", "/v1/flows/ab/topics", NULL, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "topics")), 2);
	{
		json_t *t = json_array_get(json_object_get(j, "topics"), 0);
		assert_string_equal(json_string_value(json_object_get(t, "topic")), "orders-0");
		assert_string_equal(json_string_value(json_object_get(t, "state")), "stopped");
		assert_int_equal(json_integer_value(json_object_get(t, "partitions")), 8);
		assert_int_equal(json_integer_value(json_object_get(t, "records")), 800);
		assert_int_equal(json_integer_value(json_object_get(t, "lag")),
		                 0 + 1 + 2 + 0 + 1 + 2 + 0 + 1);
		assert_true(json_integer_value(json_object_get(t, "lag_ms")) >= 2000);
		assert_string_equal(json_string_value(json_object_get(t, "last_error")),
		                    "the target refused the record at 99");
	}
	json_decref(j);
	j = req("GET", "/v1/flows/ab/topics/orders-1", NULL, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "partition_list")), 8);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "active");
	json_decref(j);
	j = req("GET", "/v1/flows/ab/topics/orders%2D1?x=1", NULL, NULL, 200);
	json_decref(j);

	j = req("GET", "/v1/internal", NULL, NULL, 200);
	assert_non_null(
	    json_object_get(json_array_get(json_object_get(j, "flows"), 0), "offset_syncs"));
	json_decref(j);
	j = req("GET", "/v1/config", NULL, NULL, 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "rest"), "token")),
	                    "(secret)");
	json_decref(j);
	j = req("HEAD", "/metrics", NULL, NULL, 200);
	assert_null(j);
}

static void test_errors(void **state) {
	km_rest_reply_t r;
	json_t *j;

	(void)state;
	make_flow(8);
	j = req("GET", "/v1/flows/zz", NULL, NULL, 404);
	assert_string_equal(json_string_value(json_object_get(j, "error")),
	                    "no flow 'zz'; the flows: ab (GET /v1/flows lists them)");
	json_decref(j);
	j = req("GET", "/v1/flows/ab/topics/nope", NULL, NULL, 404);
	assert_string_equal(json_string_value(json_object_get(j, "error")),
	                    "flow ab copies no topic 'nope' (GET /v1/flows/ab/topics lists them)");
	json_decref(j);
	json_decref(req("GET", "/v2/flows", NULL, NULL, 404));
	json_decref(req("GET", "/", NULL, NULL, 404));
	json_decref(req("GET", "/v1/flows/ab/partitions", NULL, NULL, 404));
	json_decref(req("GET", "/v1/flows/a%2fb", NULL, NULL, 404));
	json_decref(req("GET", "/v1/flows/a%zz", NULL, NULL, 404));
	json_decref(req("GET", "nope", NULL, NULL, 400));

	km_rest_route(&ctx, "DELETE", "/v1/flows/ab", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "GET, HEAD");
	free(r.body);
	km_rest_route(&ctx, "GET", "/v1/reload", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "POST");
	free(r.body);
	json_decref(req("POST", "/metrics", NULL, NULL, 405));
}

static void test_reload_auth(void **state) {
	km_rest_reply_t r;
	json_t *j;

	(void)state;
	make_flow(1);
	reload_calls = 0;
	reload_rc = 0;
	/* loopback, no token: allowed */
	token = NULL;
	ctx.loopback = 1;
	json_decref(req("POST", "/v1/reload", NULL, NULL, 200));
	json_decref(req("POST", "/v1/reload", NULL, "{}", 200));
	/* not loopback, no token: refused */
	ctx.loopback = 0;
	json_decref(req("POST", "/v1/reload", NULL, NULL, 403));
	json_decref(req("GET", "/v1/flows", NULL, NULL, 200)); /* reads stay open */
	/* a token: needed, compared */
	token = "t0k3n";
	km_rest_route(&ctx, "POST", "/v1/reload", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 401);
	assert_non_null(r.www_auth);
	free(r.body);
	json_decref(req("POST", "/v1/reload", "Bearer t0k3", NULL, 401));
	json_decref(req("POST", "/v1/reload", "Bearer t0k3nn", NULL, 401));
	json_decref(req("POST", "/v1/reload", "Basic t0k3n", NULL, 401));
	assert_int_equal(reload_calls, 2);
	/* malformed bodies, once authorised */
	json_decref(req("POST", "/v1/reload", "Bearer t0k3n", "{bad", 400));
	json_decref(req("POST", "/v1/reload", "Bearer t0k3n", "[1]", 400));
	j = req("POST", "/v1/reload", "Bearer t0k3n", "{\"force\":true}", 400);
	assert_string_equal(json_string_value(json_object_get(j, "error")),
	                    "unknown key 'force': /v1/reload takes no parameters; send {}");
	json_decref(j);
	assert_int_equal(reload_calls, 2);
	json_decref(req("POST", "/v1/reload", "Bearer t0k3n", "", 200));
	reload_rc = -1;
	j = req("POST", "/v1/reload", "Bearer t0k3n", NULL, 409);
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "t.yaml:3:1"));
	json_decref(j);
	reload_rc = 1;
	json_decref(req("POST", "/v1/reload", "Bearer t0k3n", NULL, 202));
	token = NULL;
	ctx.loopback = 1;
}

static char *scrape(void) {
	km_rest_reply_t r;

	km_rest_route(&ctx, "GET", "/metrics", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, KM_METRICS_CONTENT_TYPE);
	return r.body;
}

/* Mirror-topic commands: the paths, the body's flags, the auth rule, and
 * the answers passed through. */
static void test_commands(void **state) {
	json_t *j;

	(void)state;
	make_flow(16);
	token = NULL;
	ctx.loopback = 1;
	memset(&got, 0, sizeof(got));
	j = req("POST", "/v1/flows/ab/topics/orders-0/pause", NULL, NULL, 200);
	assert_string_equal(got.cmd, "pause");
	assert_string_equal(got.topic, "orders-0");
	assert_string_equal(json_string_value(json_object_get(j, "command")), "pause");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(j, "topics"), 0), "to")),
	                    "PAUSED");
	json_decref(j);
	j = req("POST", "/v1/flows/ab/promote", NULL, "{\"grant_write\": true}", 202);
	assert_string_equal(got.topic, "(all)");
	assert_int_equal(got.grant, 1);
	json_decref(j);
	j = req("POST", "/v1/flows/ab/topics/x/resume", NULL, "{\"force\":true}", 200);
	assert_int_equal(got.force, 1);
	json_decref(j);
	/* the flow's answer, an error, is the reply's */
	j = req("POST", "/v1/flows/ab/topics/stopped/resume", NULL, NULL, 409);
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "STOPPED"));
	json_decref(j);
	got.calls = 0;
	json_decref(req("POST", "/v1/flows/nope/topics/t/pause", NULL, NULL, 404));
	assert_int_equal(got.calls, 1);
	/* bad bodies and flags never reach the flow */
	got.calls = 0;
	j = req("POST", "/v1/flows/ab/topics/t/pause", NULL, "{\"force\":true}", 400);
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "unknown key"));
	json_decref(j);
	json_decref(req("POST", "/v1/flows/ab/topics/t/resume", NULL, "{\"force\":1}", 400));
	json_decref(req("POST", "/v1/flows/ab/topics/t/failover", NULL, "[true]", 400));
	json_decref(req("POST", "/v1/flows/ab/topics/t/failover", NULL, "{nope", 400));
	assert_int_equal(got.calls, 0);
	/* GET on a command: 405 with Allow: POST */
	json_decref(req("GET", "/v1/flows/ab/topics/t/promote", NULL, NULL, 405));
	/* a token set: refused without it, taken with it */
	token = "s3cret";
	json_decref(req("POST", "/v1/flows/ab/topics/t/failover", NULL, NULL, 401));
	json_decref(req("POST", "/v1/flows/ab/topics/t/failover", "Bearer wrong", NULL, 401));
	assert_int_equal(got.calls, 0);
	json_decref(req("POST", "/v1/flows/ab/topics/t/failover", "Bearer s3cret", NULL, 200));
	assert_int_equal(got.calls, 1);
	/* no token on a listener that is not loopback: refused */
	token = NULL;
	ctx.loopback = 0;
	json_decref(req("POST", "/v1/flows/ab/topics/t/pause", NULL, NULL, 403));
	ctx.loopback = 1;
	assert_int_equal(got.calls, 1);
}

/* The topics view shows each topic's mirror-topic state, and a STOPPED
 * topic the data thread never had. */
static void test_topic_states(void **state) {
	km_mstate_view_t v[2] = {{.topic = "orders-1",
	                          .target = "a.orders-1",
	                          .state = "PAUSED",
	                          .by = "pause",
	                          .since_ms = 5,
	                          .persisted = 1},
	                         {.topic = "gone-away",
	                          .target = "a.gone-away",
	                          .state = "STOPPED",
	                          .by = "failover",
	                          .since_ms = 6,
	                          .persisted = 1}};
	json_t *j, *t;
	km_rest_reply_t r;
	size_t i;
	int seen = 0;

	(void)state;
	make_flow(24);
	flow.states = v;
	flow.state_cnt = 2;
	j = req("GET", "/v1/flows/ab/topics", NULL, NULL, 200);
	json_array_foreach(json_object_get(j, "topics"), i, t) {
		const char *name = json_string_value(json_object_get(t, "topic"));
		const char *ms = json_string_value(json_object_get(t, "mirror_state"));
		assert_non_null(ms);
		if (!strcmp(name, "orders-1"))
			assert_string_equal(ms, "PAUSED"), seen |= 1;
		else if (!strcmp(name, "gone-away"))
			assert_string_equal(ms, "STOPPED"), seen |= 2;
		else
			assert_string_equal(ms, "ACTIVE"), seen |= 4;
	}
	assert_int_equal(seen, 7);
	json_decref(j);
	j = req("GET", "/v1/flows/ab/topics/gone-away", NULL, NULL, 200);
	assert_string_equal(json_string_value(json_object_get(j, "mirror_state")), "STOPPED");
	assert_int_equal(json_integer_value(json_object_get(j, "partitions")), 0);
	json_decref(j);
	/* /metrics: a count per state, a series per topic not ACTIVE */
	km_rest_route(&ctx, "GET", "/metrics", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(
	    strstr(r.body, "\nkmirror_mirror_topics{flow=\"ab\",state=\"ACTIVE\"} 2\n"));
	assert_non_null(
	    strstr(r.body, "\nkmirror_mirror_topics{flow=\"ab\",state=\"PAUSED\"} 1\n"));
	assert_non_null(
	    strstr(r.body, "\nkmirror_mirror_topics{flow=\"ab\",state=\"STOPPED\"} 1\n"));
	assert_non_null(
	    strstr(r.body, "\nkmirror_mirror_topics{flow=\"ab\",state=\"PROMOTING\"} 0\n"));
	assert_non_null(strstr(r.body,
	                       "\nkmirror_mirror_topic_state{flow=\"ab\",topic=\"gone-away\","
	                       "state=\"STOPPED\"} 1\n"));
	assert_null(strstr(r.body, "kmirror_mirror_topic_state{flow=\"ab\",topic=\"orders-0\""));
	free(r.body);
	flow.states = NULL;
	flow.state_cnt = 0;
}

static void test_metrics(void **state) {
	char *m;
	regex_t re;
	regmatch_t mt[2];

	(void)state;
	make_flow(16);
	m = scrape();
	assert_non_null(strstr(m, "kmirror_records_total{flow=\"ab\",topic=\"orders-0\"} 800\n"));
	assert_non_null(strstr(m, "kmirror_bytes_total{flow=\"ab\",topic=\"orders-1\"} 8000\n"));
	assert_non_null(strstr(
	    m,
	    "kmirror_partition_lag_records{flow=\"ab\",topic=\"orders-0\",partition=\"2\"} 2\n"));
	assert_non_null(strstr(
	    m,
	    "kmirror_partition_lag_seconds{flow=\"ab\",topic=\"orders-0\",partition=\"0\"} 0\n"));
	/* cumulative buckets: 3 ms twice, 40 ms, one past the last bound */
	assert_non_null(
	    strstr(m, "kmirror_replication_latency_seconds_bucket{flow=\"ab\",le=\"0.001\"} 0\n"));
	assert_non_null(
	    strstr(m, "kmirror_replication_latency_seconds_bucket{flow=\"ab\",le=\"0.005\"} 2\n"));
	assert_non_null(
	    strstr(m, "kmirror_replication_latency_seconds_bucket{flow=\"ab\",le=\"0.05\"} 3\n"));
	assert_non_null(
	    strstr(m, "kmirror_replication_latency_seconds_bucket{flow=\"ab\",le=\"3600\"} 3\n"));
	assert_non_null(
	    strstr(m, "kmirror_replication_latency_seconds_bucket{flow=\"ab\",le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(m, "kmirror_replication_latency_seconds_count{flow=\"ab\"} 4\n"));
	assert_non_null(strstr(m, "kmirror_partitions{flow=\"ab\",state=\"stopped\"} 1\n"));
	assert_non_null(strstr(m, "kmirror_batches_total{flow=\"ab\"} 7\n"));
	/* one HELP and one TYPE per family, before its samples */
	assert_int_equal(regcomp(&re, "# TYPE ([a-z_]+) ", REG_EXTENDED), 0);
	for (const char *p = m; !regexec(&re, p, 2, mt, 0); p += mt[0].rm_eo) {
		char name[128], help[160];
		snprintf(name, sizeof(name), "%.*s", (int)(mt[1].rm_eo - mt[1].rm_so),
		         p + mt[1].rm_so);
		snprintf(help, sizeof(help), "# HELP %s ", name);
		assert_non_null(strstr(m, help));
		snprintf(help, sizeof(help), "\n# TYPE %s ", name);
		assert_ptr_equal(strstr(m, help),
		                 strstr(strstr(m, help) + 1, help) ? NULL : strstr(m, help));
	}
	regfree(&re);
	/* label values are escaped */
	flow.name = "a\"b\\c\nd";
	free(m);
	m = scrape();
	assert_non_null(strstr(m, "kmirror_batches_total{flow=\"a\\\"b\\\\c\\nd\"} 7\n"));
	flow.name = "ab";
	free(m);
}

/* Every metric the dashboard queries is exported. */
static void test_dashboard(void **state) {
	json_error_t jerr;
	json_t *d = json_load_file(KM_DASHBOARD, 0, &jerr), *p, *t;
	char *m;
	size_t i, k, names = 0;
	regex_t re;
	regmatch_t mt[1];

	(void)state;
	if (!d)
		print_error("%s: %s\n", KM_DASHBOARD, jerr.text);
	assert_non_null(d);
	make_flow(8);
	m = scrape();
	assert_int_equal(regcomp(&re, "kmirror_[a-z_]+", REG_EXTENDED), 0);
	json_array_foreach(json_object_get(d, "panels"), i, p) {
		json_array_foreach(json_object_get(p, "targets"), k, t) {
			const char *e = json_string_value(json_object_get(t, "expr"));
			assert_non_null(e);
			for (; !regexec(&re, e, 1, mt, 0); e += mt[0].rm_eo) {
				char want[160];
				snprintf(want, sizeof(want), "\n%.*s{",
				         (int)(mt[0].rm_eo - mt[0].rm_so), e + mt[0].rm_so);
				if (!strstr(m, want))
					print_error(
					    "the dashboard queries %s, which /metrics lacks\n",
					    want + 1);
				assert_non_null(strstr(m, want));
				names++;
			}
		}
	}
	assert_true(names >= 10);
	regfree(&re);
	free(m);
	json_decref(d);
}

/* 4,000 partitions: bounded labels, and the size and time of a scrape
 * (docs/metrics.md quotes these lines). */
static void test_scale(void **state) {
	struct timespec a, b;
	char *m = NULL;
	size_t lines = 0;
	double best = 1e9;

	(void)state;
	make_flow(4000);
	for (int i = 0; i < 5; i++) {
		free(m);
		clock_gettime(CLOCK_MONOTONIC, &a);
		m = scrape();
		clock_gettime(CLOCK_MONOTONIC, &b);
		double ms =
		    (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		if (ms < best)
			best = ms;
	}
	for (const char *p = m; (p = strchr(p, '\n')); p++)
		lines++;
	printf("# scrape of 4000 partitions (500 topics): %zu bytes, %zu lines, %.1f ms\n",
	       strlen(m), lines, best);
	/* two series per partition, a few per topic and per flow */
	assert_true(lines < 4000 * 2 + 500 * 4 + 200);
	free(m);
	km_data_status_free(&flow.data);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_endpoints),   cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_reload_auth), cmocka_unit_test(test_metrics),
	    cmocka_unit_test(test_dashboard),   cmocka_unit_test(test_scale),
	    cmocka_unit_test(test_commands),    cmocka_unit_test(test_topic_states),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
