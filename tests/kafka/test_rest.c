/* Real-Kafka suite of the REST API (docs/rest.md), /metrics
 * (docs/metrics.md) and kmirrorctl over it: kmirrord copies a topic of 3
 * partitions with rest.listen on port 0 (the port read from its log) and
 * a token; every endpoint answers, the counters of /metrics match the
 * records copied, a reload needs the token (401 without it), and bad
 * requests get a 4xx with a message while the daemon keeps running. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ktest_rest.h"

#define WAIT_MS 60000
#define N       300 /* records per partition */

/* The value of sample @p line_start ("name{labels}") in the scrape. */
static double sample(const char *scrape, const char *line_start) {
	char want[512];
	const char *p;

	snprintf(want, sizeof(want), "\n%s ", line_start);
	p = strstr(scrape, want);
	if (!p)
		print_error("no sample %s in /metrics\n", line_start);
	assert_non_null(p);
	return strtod(p + strlen(want), NULL);
}

static void start(ktest_daemon_t *d, const char *flow, char *topic, size_t size) {
	char yaml[1024];
	rd_kafka_t *admin = ktest_producer("a", NULL);

	ktest_topic_name(topic, size, flow);
	ktest_create_topic(admin, topic, 3, NULL);
	for (int32_t part = 0; part < 3; part++)
		ktest_produce_seq("a", topic, part, "k", "v", 0, N);
	snprintf(yaml, sizeof(yaml),
	         "rest:\n"
	         "  listen: 127.0.0.1:0\n"
	         "  token: t0k3n-rest\n"
	         "flows:\n"
	         "  - name: %s\n"
	         "    source: a\n"
	         "    target: b\n"
	         "    refresh.topics.interval: 500ms\n"
	         "    heartbeats.replication.enabled: false\n"
	         "    topics:\n"
	         "      include: ['%s']\n",
	         flow, topic);
	ktest_daemon_config(d, yaml);
	ktest_daemon_start(d, NULL);
	ktest_rest_url(d, 1, WAIT_MS);
	ktest_status_wait_caught_up(d, flow, admin, topic, 3, WAIT_MS);
	ktest_destroy(admin);
}

/* Every endpoint, and /metrics against the records copied. */
static void test_endpoints_and_metrics(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], path[512], line[512], *scrape;
	json_t *j, *t;
	int64_t t0 = ktest_now_ms();

	(void)state;
	start(d, "restep", topic, sizeof(topic));
	j = ktest_get_json("/v1/health", 200);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "up");
	json_decref(j);
	/* ready once the flow runs: poll, no sleep */
	for (;;) {
		char *b;
		if (ktest_http("GET", "/v1/ready", NULL, NULL, &b) == 200) {
			free(b);
			break;
		}
		free(b);
		assert_true(ktest_now_ms() - t0 < WAIT_MS);
		ktest_status_wait(d, "restep", "records", 0, 1000);
	}
	j = ktest_get_json("/v1/flows", 200);
	t = json_array_get(json_object_get(j, "flows"), 0);
	assert_string_equal(json_string_value(json_object_get(t, "name")), "restep");
	assert_int_equal(json_integer_value(json_object_get(t, "records")), 3 * N);
	json_decref(j);
	j = ktest_get_json("/v1/flows/restep", 200);
	assert_int_equal(json_array_size(json_object_get(j, "partition_list")), 3);
	json_decref(j);
	snprintf(path, sizeof(path), "/v1/flows/restep/topics");
	j = ktest_get_json(path, 200);
	t = json_array_get(json_object_get(j, "topics"), 0);
	assert_string_equal(json_string_value(json_object_get(t, "topic")), topic);
	assert_int_equal(json_integer_value(json_object_get(t, "partitions")), 3);
	assert_int_equal(json_integer_value(json_object_get(t, "records")), 3 * N);
	assert_int_equal(json_integer_value(json_object_get(t, "lag")), 0);
	json_decref(j);
	snprintf(path, sizeof(path), "/v1/flows/restep/topics/%s", topic);
	j = ktest_get_json(path, 200);
	assert_int_equal(json_array_size(json_object_get(j, "partition_list")), 3);
	assert_string_equal(json_string_value(json_object_get(j, "last_error")), "");
	json_decref(j);
	j = ktest_get_json("/v1/internal", 200);
	assert_non_null(
	    json_object_get(json_array_get(json_object_get(j, "flows"), 0), "checkpoints"));
	json_decref(j);
	j = ktest_get_json("/v1/config", 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "rest"), "token")),
	                    "(secret)");
	json_decref(j);

	assert_int_equal(ktest_http("GET", "/metrics", NULL, NULL, &scrape), 200);
	snprintf(line, sizeof(line), "kmirror_records_total{flow=\"restep\",topic=\"%s\"}", topic);
	assert_int_equal((int)sample(scrape, line), 3 * N);
	snprintf(line, sizeof(line), "kmirror_bytes_total{flow=\"restep\",topic=\"%s\"}", topic);
	assert_true(sample(scrape, line) >= 3 * N * 2);
	assert_int_equal(
	    (int)sample(scrape, "kmirror_replication_latency_seconds_count{flow=\"restep\"}"),
	    3 * N);
	assert_int_equal(
	    (int)sample(scrape,
	                "kmirror_replication_latency_seconds_bucket{flow=\"restep\",le=\"+Inf\"}"),
	    3 * N);
	for (int p = 0; p < 3; p++) {
		snprintf(
		    line, sizeof(line),
		    "kmirror_partition_lag_records{flow=\"restep\",topic=\"%s\",partition=\"%d\"}",
		    topic, p);
		assert_int_equal((int)sample(scrape, line), 0);
	}
	assert_true(sample(scrape, "kmirror_batches_total{flow=\"restep\"}") >= 1);
	assert_int_equal((int)sample(scrape, "kmirror_flow_lag_records{flow=\"restep\"}"), 0);
	assert_int_equal(
	    (int)sample(scrape, "kmirror_partitions{flow=\"restep\",state=\"active\"}"), 3);
	free(scrape);

	/* kmirrorctl over the API */
	assert_int_equal(ktest_ctl("status", NULL, NULL), 0);
	assert_int_equal(ktest_ctl("status restep --json", NULL, NULL), 0);
	assert_int_equal(ktest_ctl("topics", NULL, NULL), 0);
	assert_int_equal(ktest_ctl("lag restep", NULL, NULL), 0);
	assert_int_equal(ktest_ctl("status nope", NULL, NULL), 1);
	ktest_daemon_finish(d);
}

/* A reload needs the token; bad requests get a 4xx with a message and the
 * daemon goes on. */
static void test_auth_and_bad_requests(void **state) {
	static const struct {
		const char *method, *path, *token, *body;
		int status;
		const char *msg;
	} bad[] = {
	    {"POST", "/v1/reload", NULL, NULL, 401, "Authorization: Bearer TOKEN"},
	    {"POST", "/v1/reload", "wrong", NULL, 401, "not the one rest.token sets"},
	    {"POST", "/v1/reload", "t0k3n-rest", "{oops", 400, "the body is not JSON"},
	    {"GET", "/v1/flows/nope", NULL, NULL, 404, "no flow 'nope'; the flows: restauth"},
	    {"GET", "/v1/flows/restauth/topics/nope", NULL, NULL, 404, "copies no topic 'nope'"},
	    {"GET", "/v1/nothing", NULL, NULL, 404, "no endpoint /v1/nothing"},
	    {"DELETE", "/v1/flows", NULL, NULL, 405, "DELETE is not allowed on /v1/flows"},
	    {"GET", "/v1/reload", NULL, NULL, 405, "allowed: POST"},
	};
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], *body;

	(void)state;
	start(d, "restauth", topic, sizeof(topic));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j;
		assert_int_equal(
		    ktest_http(bad[i].method, bad[i].path, bad[i].token, bad[i].body, &body),
		    bad[i].status);
		j = json_loads(body, 0, NULL);
		if (!j || !strstr(json_string_value(json_object_get(j, "error")), bad[i].msg))
			print_error("%s %s: %s\n", bad[i].method, bad[i].path, body);
		assert_non_null(strstr(json_string_value(json_object_get(j, "error")), bad[i].msg));
		json_decref(j);
		free(body);
	}
	assert_true(ktest_daemon_alive(d));
	assert_int_equal(ktest_log_count(d, "SIGHUP: reloading"), 0);
	assert_int_equal(ktest_ctl("reload", NULL, NULL), 4);
	assert_int_equal(ktest_ctl("reload", "KMIRROR_TOKEN=wrong", NULL), 4);

	/* with the token: the reload runs on the main thread and answers */
	assert_int_equal(ktest_http("POST", "/v1/reload", "t0k3n-rest", "{}", &body), 200);
	assert_non_null(strstr(body, "\"reloaded\":true"));
	free(body);
	assert_int_equal(ktest_log_count(d, "SIGHUP: reloading"), 1);
	assert_int_equal(ktest_ctl("reload --token t0k3n-rest", NULL, NULL), 0);
	assert_int_equal(ktest_log_count(d, "SIGHUP: reloading"), 2);
	assert_true(ktest_daemon_alive(d));
	assert_int_equal(ktest_http("GET", "/v1/health", NULL, NULL, NULL), 200);
	ktest_daemon_finish(d);
	/* gone: kmirrorctl says so */
	assert_int_equal(ktest_ctl("status", NULL, NULL), 3);
}

/* curl @p args (a TLS client: kmirrorctl speaks plain HTTP only): its
 * output, the HTTP status last (-w). */
static char *curl(const char *args) {
	char cmd[2048], *out = calloc(1, 4096);
	FILE *fp;
	size_t n;

	assert_non_null(out);
	snprintf(cmd, sizeof(cmd), "curl -s -m 30 %s -w ' %%{http_code}' 2>&1", args);
	assert_non_null(fp = popen(cmd, "r"));
	n = fread(out, 1, 4095, fp);
	out[n] = '\0';
	pclose(fp);
	ktest_note("curl %s: %s", args, out);
	return out;
}

/* rest.tls: the API over HTTPS with a certificate of its own; the token
 * still rules commands; plain HTTP on that port gets no answer; kmirrorctl
 * says it does not speak https. */
static void test_https(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char dir[] = "/tmp/ktest-https-XXXXXX", cmd[1024], yaml[1024], args[1024], topic[128],
	     plain[160], *out;
	const char *url;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
	         "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
	         "-addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem -out %s/cert.pem "
	         ">/dev/null 2>&1",
	         dir, dir);
	assert_int_equal(system(cmd), 0);
	ktest_topic_name(topic, sizeof(topic), "resttls");
	snprintf(yaml, sizeof(yaml),
	         "rest:\n"
	         "  listen: 127.0.0.1:0\n"
	         "  token: t0k3n-tls\n"
	         "  tls.cert: %s/cert.pem\n"
	         "  tls.key: %s/key.pem\n"
	         "flows:\n"
	         "  - name: resttls\n"
	         "    source: a\n"
	         "    target: b\n"
	         "    topics:\n"
	         "      include: ['%s']\n",
	         dir, dir, topic);
	ktest_daemon_config(d, yaml);
	ktest_daemon_start(d, NULL);
	url = ktest_rest_url(d, 1, WAIT_MS);
	assert_int_equal(strncmp(url, "https://127.0.0.1:", 18), 0);

	snprintf(args, sizeof(args), "--cacert %s/cert.pem %s/v1/health", dir, url);
	out = curl(args);
	assert_non_null(strstr(out, "\"status\":\"up\""));
	assert_non_null(strstr(out, " 200"));
	free(out);
	snprintf(args, sizeof(args), "--cacert %s/cert.pem -X POST %s/v1/reload", dir, url);
	out = curl(args);
	assert_non_null(strstr(out, " 401"));
	free(out);
	snprintf(args, sizeof(args),
	         "--cacert %s/cert.pem -X POST -H 'Authorization: Bearer t0k3n-tls' %s/v1/reload",
	         dir, url);
	out = curl(args);
	assert_non_null(strstr(out, "\"reloaded\":true"));
	free(out);
	/* no certificate to trust: curl refuses the server */
	snprintf(args, sizeof(args), "%s/v1/health", url);
	out = curl(args);
	assert_non_null(strstr(out, " 000"));
	free(out);
	/* plain HTTP on the TLS port: no HTTP answer */
	snprintf(plain, sizeof(plain), "http://%s/v1/health", url + strlen("https://"));
	out = curl(plain);
	assert_null(strstr(out, " 200"));
	free(out);
	assert_int_equal(ktest_ctl("status", NULL, &out), 2);
	assert_non_null(strstr(out, "https is not supported"));
	free(out);
	assert_true(ktest_daemon_alive(d));
	ktest_daemon_finish(d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_endpoints_and_metrics, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_auth_and_bad_requests, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_https, ktest_daemon_teardown),
	};

	ktest_require_testbed("a", "b", NULL);
	if (getenv("KTEST_ONLY"))
		cmocka_set_test_filter(getenv("KTEST_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
