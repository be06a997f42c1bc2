/* Real-Kafka suite of ACL sync (core/task_acls.c) and the WRITE grant of
 * promote and failover (km_acls_grant_write, core/acls.c).
 *
 * On clusters with an authorizer (make check-kafka-acl: with-testbed --acl
 * --sasl a b, and a plain cluster p beside them, KM_TESTBED_ACL=1): the
 * source's literal READ, DESCRIBE, ALLOW ALL and DENY bindings of a copied
 * topic appear converted on its mirror topic; ALLOW WRITE, prefixed
 * bindings and topics outside the filter do not; nothing on the target is
 * deleted; the bed's ordinary SCRAM user consumes the mirror topic over
 * SASL_SSL with the synced binding and cannot produce to it until
 * km_acls_grant_write gives it WRITE; a principal without DESCRIBE on the
 * cluster gets a message that says so; a source or a target without an
 * authorizer (p) is said once while the flow copies, and the grant says
 * there is nothing to grant.
 *
 * On the plain bed (make check-kafka) only the source without an
 * authorizer (a) and sync.topic.acls.enabled: false run: the other tests
 * report SKIP. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "acls.h"
#include "http_get.h"
#include "ktest_rest.h"

#define WAIT_MS       60000
#define USER          "User:alice"
#define USER_NAME     "alice"
#define USER_PASSWORD "alice-secret"

#define TOPIC_T   RD_KAFKA_RESOURCE_TOPIC
#define LITERAL   RD_KAFKA_RESOURCE_PATTERN_LITERAL
#define PREFIXED  RD_KAFKA_RESOURCE_PATTERN_PREFIXED
#define ALLOW     RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW
#define DENY      RD_KAFKA_ACL_PERMISSION_TYPE_DENY
#define OP(x)     RD_KAFKA_ACL_OPERATION_##x
#define ACL_FLOWS "    sync.topic.acls.interval: 1s\n"

static int acl_bed(void) {
	const char *v = getenv("KM_TESTBED_ACL");

	return v && !strcmp(v, "1");
}

/* Skips a test that needs the authorizer bed. */
static int need_acl_bed(void) {
	if (acl_bed())
		return 1;
	ktest_note("needs clusters with an authorizer and SASL: make check-kafka-acl");
	skip();
	return 0;
}

static km_acl_t binding(rd_kafka_ResourcePatternType_t pattern, const char *topic,
                        const char *principal, const char *host, rd_kafka_AclOperation_t op,
                        rd_kafka_AclPermissionType_t perm) {
	return (km_acl_t){.restype = TOPIC_T,
	                  .pattern = pattern,
	                  .name = topic,
	                  .principal = principal,
	                  .host = host,
	                  .op = op,
	                  .perm = perm};
}

static void create(rd_kafka_t *rk, const km_acl_t *acls, size_t n) {
	char errstr[1024];
	size_t made = 0;

	if (km_acls_create(rk, acls, n, KTEST_TIMEOUT_MS, &made, errstr, sizeof(errstr)) != KM_OK)
		fail_msg("creating the test's ACLs: %s", errstr);
	assert_int_equal(made, n);
}

/* The LITERAL bindings of @p topic on @p rk's cluster, sorted out of the
 * way: the caller frees the list. */
static void describe(rd_kafka_t *rk, const char *topic, km_acl_list_t *l) {
	char errstr[1024];

	memset(l, 0, sizeof(*l));
	if (km_acls_describe(rk, topic, KTEST_TIMEOUT_MS, l, errstr, sizeof(errstr)) != KM_OK)
		fail_msg("DescribeAcls %s: %s", topic, errstr);
}

static void delete_binding(rd_kafka_t *rk, const km_acl_t *a) {
	char errstr[512];
	rd_kafka_AclBindingFilter_t *f =
	    rd_kafka_AclBindingFilter_new(a->restype, a->name, a->pattern, a->principal, a->host,
	                                  a->op, a->perm, errstr, sizeof(errstr));
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	const rd_kafka_DeleteAcls_result_response_t **res;
	size_t n = 0;

	assert_non_null(f);
	rd_kafka_DeleteAcls(rk, &f, 1, NULL, q);
	rd_kafka_AclBinding_destroy(f);
	ev = rd_kafka_queue_poll(q, KTEST_TIMEOUT_MS);
	assert_non_null(ev);
	assert_int_equal(rd_kafka_event_error(ev), 0);
	res = rd_kafka_DeleteAcls_result_responses(rd_kafka_event_DeleteAcls_result(ev), &n);
	assert_int_equal(n, 1);
	assert_null(rd_kafka_DeleteAcls_result_response_error(res[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
}

/* Creates @p topic on a, whose source bindings are alice's READ and WRITE
 * and @p other's ALLOW @p op; a client of a. */
static rd_kafka_t *topic_for_alice(const char *topic, const char *other,
                                   rd_kafka_AclOperation_t op) {
	rd_kafka_t *a = ktest_producer("a", NULL);
	const km_acl_t src[] = {
	    binding(LITERAL, topic, USER, "*", OP(READ), ALLOW),
	    binding(LITERAL, topic, USER, "*", OP(WRITE), ALLOW),
	    binding(LITERAL, topic, other, "*", op, ALLOW),
	};

	ktest_create_topic(a, topic, 1, NULL);
	create(a, src, 3);
	return a;
}

/* ---- the daemon's status ---- */

/* The flow's status as JSON (caller decrefs), or NULL while there is none. */
static json_t *flow_status(ktest_daemon_t *d, const char *flow) {
	char *text = ktest_status_flow(d, flow);
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;

	free(text);
	return j;
}

static int64_t acls_int(json_t *st, const char *key) {
	json_t *v = json_object_get(json_object_get(st, "acls"), key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static const char *acls_str(json_t *st, const char *key) {
	const char *s = json_string_value(json_object_get(json_object_get(st, "acls"), key));

	return s ? s : "";
}

/* Runs of task acls, and their failures. */
static int64_t task_acls(json_t *st, const char *what) {
	size_t i;
	json_t *t;

	json_array_foreach(json_object_get(st, "tasks"), i, t) {
		if (!strcmp(json_string_value(json_object_get(t, "name")), "acls"))
			return json_integer_value(json_object_get(t, what));
	}
	return -1;
}

static void show(json_t *st) {
	char *s = st ? json_dumps(json_object_get(st, "acls"), JSON_COMPACT) : NULL;

	ktest_note("acls: %s", s ? s : "(no status)");
	free(s);
}

/* Waits until the flow's acls part has @p key >= @p min; its status. */
static json_t *wait_acls(ktest_daemon_t *d, const char *flow, const char *key, int64_t min) {
	int64_t end = ktest_now_ms() + WAIT_MS;
	json_t *st = NULL;

	for (;;) {
		if ((st = flow_status(d, flow)) && acls_int(st, key) >= min)
			return st;
		if (ktest_now_ms() > end) {
			show(st);
			fail_msg("flow %s: acls.%s did not reach %" PRId64, flow, key, min);
		}
		json_decref(st);
		ktest_daemon_alive(d);
		ktest_pause();
	}
}

/* Waits until task acls ran @p more times after now: a whole run after
 * the status of the moment; that status. */
static json_t *wait_runs(ktest_daemon_t *d, const char *flow, int64_t more) {
	json_t *now = flow_status(d, flow);
	int64_t want = task_acls(now, "runs") + more, end = ktest_now_ms() + WAIT_MS;

	while (!now || task_acls(now, "runs") < want) {
		json_decref(now);
		if (ktest_now_ms() > end)
			fail_msg("flow %s: task acls did not run %" PRId64 " times", flow, want);
		ktest_daemon_alive(d);
		ktest_pause();
		now = flow_status(d, flow);
	}
	return now;
}

/* ---- clients of the ordinary SCRAM user ---- */

static rd_kafka_conf_t *user_conf(const char *bed) {
	char var[32];
	const char *ca = getenv("KM_TESTBED_CA");

	if (!ca)
		fail_msg("KM_TESTBED_CA is not set: run under with-testbed --acl --sasl");
	snprintf(var, sizeof(var), "%s_sasl", bed);
	return ktest_conf(var, "security.protocol", "SASL_SSL", "sasl.mechanisms", "SCRAM-SHA-512",
	                  "sasl.username", USER_NAME, "sasl.password", USER_PASSWORD,
	                  "ssl.ca.location", ca, NULL);
}

static void user_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
	(void)rk;
	*(rd_kafka_resp_err_t *)opaque = m->err;
}

/* Produces one record to @p topic on b as the ordinary user: what the
 * target answered. */
static rd_kafka_resp_err_t user_produce(const char *topic) {
	rd_kafka_conf_t *conf = user_conf("b");
	rd_kafka_resp_err_t res = RD_KAFKA_RESP_ERR__IN_PROGRESS;
	char errstr[512];
	rd_kafka_t *rk;

	rd_kafka_conf_set_opaque(conf, &res);
	rd_kafka_conf_set_dr_msg_cb(conf, user_dr);
	assert_int_equal(
	    rd_kafka_conf_set(conf, "message.timeout.ms", "20000", errstr, sizeof(errstr)),
	    RD_KAFKA_CONF_OK);
	assert_non_null(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)));
	assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
	                                   RD_KAFKA_V_VALUE("by alice", 8),
	                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	                                   RD_KAFKA_V_END),
	                 0);
	rd_kafka_flush(rk, 30000);
	rd_kafka_destroy(rk);
	ktest_note("alice produces to %s on b: %s", topic, rd_kafka_err2name(res));
	return res;
}

/* Waits until the ordinary user may produce to @p topic on b: a binding
 * just created reaches the broker's authorizer through the metadata log,
 * a moment after CreateAcls answered. The last answer. */
static rd_kafka_resp_err_t user_produce_granted(const char *topic) {
	int64_t end = ktest_now_ms() + WAIT_MS;
	rd_kafka_resp_err_t res;

	while ((res = user_produce(topic)) == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED &&
	       ktest_now_ms() < end)
		ktest_pause();
	return res;
}

/* Waits until b's bindings of @p topic hold @p n of @p want (in @p l). */
static void describe_until(rd_kafka_t *b, const char *topic, km_acl_list_t *l, const km_acl_t *want,
                           size_t n) {
	int64_t end = ktest_now_ms() + WAIT_MS;

	for (;;) {
		size_t have = 0;
		describe(b, topic, l);
		for (size_t i = 0; i < n; i++)
			have += km_acl_list_has(l, &want[i]) != 0;
		if (have == n || ktest_now_ms() > end)
			return;
		km_acl_list_free(l);
		ktest_pause();
	}
}

/* Reads partition 0 of @p topic on b from its start as the ordinary user
 * (assigned, in @p group, which it may use): the records read before
 * @p want or an error. */
static int user_consume(const char *topic, const char *group, int want, rd_kafka_resp_err_t *err) {
	char errstr[512];
	rd_kafka_conf_t *conf = user_conf("b");
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_t *rk;

	assert_int_equal(rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr)),
	                 RD_KAFKA_CONF_OK);
	int64_t end;
	int got = 0;

	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	assert_non_null(rk);
	l = rd_kafka_topic_partition_list_new(1);
	end = ktest_now_ms() + WAIT_MS;
	rd_kafka_topic_partition_list_add(l, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
	assert_int_equal(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	*err = 0;
	while (got < want && !*err && ktest_now_ms() < end) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
		if (!m)
			continue;
		if (!m->err)
			got++;
		else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			*err = m->err;
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	ktest_note("alice reads %s on b: %d record(s), %s", topic, got, rd_kafka_err2name(*err));
	return got;
}

/* ---- the tests ---- */

/* Every kind of binding of the source, and what the target has after. */
static void test_sync(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], other[128], mirror[160], omirror[160], prefix[160];
	rd_kafka_t *a, *b;
	km_acl_list_t l;
	json_t *st;

	(void)state;
	if (!need_acl_bed())
		return;
	ktest_topic_name(topic, sizeof(topic), "acl-sync");
	ktest_topic_name(other, sizeof(other), "acl-other");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	snprintf(omirror, sizeof(omirror), "a.%s", other);
	snprintf(prefix, sizeof(prefix), "%.100s-", topic);
	a = ktest_producer("a", NULL);
	b = ktest_producer("b", NULL);
	ktest_create_topic(a, topic, 1, NULL);
	ktest_create_topic(a, other, 1, NULL);
	{
		const km_acl_t src[] = {
		    binding(LITERAL, topic, USER, "*", OP(READ), ALLOW),
		    binding(LITERAL, topic, "User:bob", "*", OP(DESCRIBE), ALLOW),
		    binding(LITERAL, topic, "User:carol", "*", OP(ALL), ALLOW),
		    binding(LITERAL, topic, "User:dave", "10.0.0.9", OP(READ), DENY),
		    binding(LITERAL, topic, "User:erin", "*", OP(WRITE), DENY),
		    binding(LITERAL, topic, "User:frank", "*", OP(ALL), DENY),
		    binding(LITERAL, topic, USER, "*", OP(WRITE), ALLOW),
		    binding(PREFIXED, prefix, "User:gina", "*", OP(READ), ALLOW),
		    binding(LITERAL, other, USER, "*", OP(READ), ALLOW),
		};
		/* on the target already: one the sync would make, one of its own */
		const km_acl_t dst[] = {
		    binding(LITERAL, mirror, "User:bob", "*", OP(DESCRIBE), ALLOW),
		    binding(LITERAL, mirror, "User:hugo", "*", OP(READ), ALLOW),
		};
		create(a, src, sizeof(src) / sizeof(src[0]));
		create(b, dst, sizeof(dst) / sizeof(dst[0]));
	}
	/* the filter takes topic only (other is outside it) */
	ktest_flow_start(d, "acls", topic, ACL_FLOWS, WAIT_MS);
	st = wait_acls(d, "acls", "synced", 5);
	show(st);
	assert_string_equal(acls_str(st, "source_authorizer"), "on");
	assert_string_equal(acls_str(st, "target_authorizer"), "on");
	json_decref(st);
	st = wait_runs(d, "acls", 1);
	show(st);
	/* READ alice, ALL->READ carol, DENY dave, DENY WRITE erin, DENY ALL
	 * frank created; DESCRIBE bob was there; WRITE alice dropped */
	assert_int_equal(acls_int(st, "synced"), 5);
	assert_int_equal(acls_int(st, "bindings"), 6);
	assert_int_equal(acls_int(st, "present"), 6);
	assert_int_equal(acls_int(st, "write_dropped"), 1);
	assert_int_equal(acls_int(st, "failures"), 0);
	assert_string_equal(acls_str(st, "last_error"), "");
	assert_int_equal(task_acls(st, "failures"), 0);
	json_decref(st);

	describe(b, mirror, &l);
	for (size_t i = 0; i < l.cnt; i++) {
		char s[512];
		ktest_note("on b: %s", km_acl_str(&l.v[i], s, sizeof(s)));
	}
	assert_int_equal(l.cnt, 7);
	{
		const km_acl_t want[] = {
		    binding(LITERAL, mirror, USER, "*", OP(READ), ALLOW),
		    binding(LITERAL, mirror, "User:bob", "*", OP(DESCRIBE), ALLOW),
		    binding(LITERAL, mirror, "User:carol", "*", OP(READ), ALLOW),
		    binding(LITERAL, mirror, "User:dave", "10.0.0.9", OP(READ), DENY),
		    binding(LITERAL, mirror, "User:erin", "*", OP(WRITE), DENY),
		    binding(LITERAL, mirror, "User:frank", "*", OP(ALL), DENY),
		    binding(LITERAL, mirror, "User:hugo", "*", OP(READ), ALLOW),
		};
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			assert_true(km_acl_list_has(&l, &want[i]));
	}
	km_acl_list_free(&l);
	describe(b, omirror, &l); /* outside the filter */
	assert_int_equal(l.cnt, 0);
	km_acl_list_free(&l);
	{ /* the prefixed binding: neither as it was nor renamed */
		char errstr[512];
		const rd_kafka_AclBinding_t **found;
		size_t n = 99;
		rd_kafka_queue_t *q = rd_kafka_queue_new(b);
		rd_kafka_event_t *ev;
		rd_kafka_AclBindingFilter_t *f = rd_kafka_AclBindingFilter_new(
		    TOPIC_T, NULL, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "User:gina", NULL, OP(ANY),
		    RD_KAFKA_ACL_PERMISSION_TYPE_ANY, errstr, sizeof(errstr));
		rd_kafka_DescribeAcls(b, f, NULL, q);
		rd_kafka_AclBinding_destroy(f);
		assert_non_null(ev = rd_kafka_queue_poll(q, KTEST_TIMEOUT_MS));
		found =
		    rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(ev), &n);
		(void)found;
		assert_int_equal(n, 0);
		rd_kafka_event_destroy(ev);
		rd_kafka_queue_destroy(q);
	}

	/* a binding added on the source comes; one deleted there stays */
	{
		const km_acl_t more[] = {
		    binding(LITERAL, topic, "User:ivan", "*", OP(READ), ALLOW)};
		const km_acl_t gone = binding(LITERAL, topic, "User:erin", "*", OP(WRITE), DENY);
		const km_acl_t kept = binding(LITERAL, mirror, "User:erin", "*", OP(WRITE), DENY);
		create(a, more, 1);
		delete_binding(a, &gone);
		st = wait_acls(d, "acls", "synced", 6);
		json_decref(st);
		st = wait_runs(d, "acls", 1);
		assert_int_equal(acls_int(st, "synced"), 6);
		json_decref(st);
		describe(b, mirror, &l);
		assert_int_equal(l.cnt, 8);
		assert_true(km_acl_list_has(&l, &kept));
		km_acl_list_free(&l);
	}
	/* one notice per created binding, and nothing about authorizers */
	assert_int_equal(ktest_log_count(d, "ACL sync: created "), 6);
	assert_int_equal(ktest_log_count(d, "has no authorizer"), 0);
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* The metrics and the REST API's flow show the same. */
static void test_metrics(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], url[128] = "", line[256], errstr[512], *log, *p;
	km_http_resp_t r;
	rd_kafka_t *a;
	json_t *st, *j;

	(void)state;
	if (!need_acl_bed())
		return;
	ktest_topic_name(topic, sizeof(topic), "acl-metrics");
	a = topic_for_alice(topic, "User:bob", OP(WRITE));
	ktest_flow_start(d, "am", topic, ACL_FLOWS, WAIT_MS);
	json_decref(wait_acls(d, "am", "synced", 1));
	st = wait_runs(d, "am", 1);
	json_decref(st);
	ktest_log_wait(d, "REST API listening on http://", WAIT_MS);
	log = ktest_log_text(d);
	assert_non_null(p = strstr(log, "REST API listening on "));
	sscanf(p + strlen("REST API listening on "), "%127s", url);
	free(log);

	assert_int_equal(
	    km_http_do(url, "GET", "/metrics", NULL, NULL, 10000, &r, errstr, sizeof(errstr)),
	    KM_HTTP_OK);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "# TYPE kmirror_acl_bindings_synced_total counter\n"
	                               "kmirror_acl_bindings_synced_total{flow=\"am\"} 1\n"));
	assert_non_null(strstr(r.body, "kmirror_acl_bindings_write_dropped{flow=\"am\"} 2\n"));
	snprintf(line, sizeof(line),
	         "kmirror_acl_authorizer{flow=\"am\",cluster=\"source\",state=\"on\"} 1\n");
	assert_non_null(strstr(r.body, line));
	assert_non_null(strstr(r.body, "kmirror_errors_total{flow=\"am\",kind=\"acl_sync\"} 0\n"));
	free(r.body);

	assert_int_equal(
	    km_http_do(url, "GET", "/v1/flows/am", NULL, NULL, 10000, &r, errstr, sizeof(errstr)),
	    KM_HTTP_OK);
	assert_int_equal(r.status, 200);
	assert_non_null(j = json_loads(r.body, 0, NULL));
	assert_int_equal(acls_int(j, "synced"), 1);
	assert_int_equal(acls_int(j, "write_dropped"), 2);
	assert_true(json_is_true(json_object_get(json_object_get(j, "acls"), "enabled")));
	json_decref(j);
	free(r.body);

	{ /* kmirrorctl status FLOW, under the partitions */
		char cmd[1024], out[8192];
		size_t n;
		FILE *fp;
		snprintf(cmd, sizeof(cmd), "%s/core/kmirrorctl --url %s status am",
		         getenv("KM_TEST_BUILDDIR"), url);
		assert_non_null(fp = popen(cmd, "r"));
		n = fread(out, 1, sizeof(out) - 1, fp);
		out[n] = '\0';
		assert_int_equal(pclose(fp), 0);
		if (!strstr(out, "ACL sync: "))
			fail_msg("kmirrorctl status am said no ACL sync line");
		assert_non_null(strstr(out,
		                       "ACL sync: authorizers: source on, target on; synced 1, "
		                       "of the source's 1 (1 on the target already), ALLOW "
		                       "WRITE left out 2\n"));
	}
	ktest_daemon_finish(d);
	ktest_destroy(a);
}

/* The ordinary user reads the mirror topic with the synced binding, cannot
 * write it, and can once km_acls_grant_write copied its WRITE. */
static void test_user_and_grant(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], mirror[160], errstr[1024];
	rd_kafka_resp_err_t err;
	rd_kafka_t *a, *b;
	size_t granted = 99;
	km_acl_list_t l;

	(void)state;
	if (!need_acl_bed())
		return;
	ktest_topic_name(topic, sizeof(topic), "acl-user");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	a = topic_for_alice(topic, "User:carol", OP(ALL));
	b = ktest_producer("b", NULL);
	ktest_produce_seq("a", topic, 0, "k", "v", 0, 20);
	ktest_flow_start(d, "au", topic, ACL_FLOWS, WAIT_MS);
	json_decref(wait_acls(d, "au", "synced", 2));
	ktest_status_wait_caught_up(d, "au", a, topic, 1, WAIT_MS);

	{ /* the application's group on the target: ACL sync copies no group ACL */
		const km_acl_t g = {.restype = RD_KAFKA_RESOURCE_GROUP,
		                    .pattern = LITERAL,
		                    .name = topic,
		                    .principal = USER,
		                    .host = "*",
		                    .op = OP(READ),
		                    .perm = ALLOW};
		create(b, &g, 1);
	}
	assert_int_equal(user_consume(mirror, topic, 20, &err), 20);
	assert_int_equal(err, 0);
	assert_int_equal(user_produce(mirror), RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);

	/* the grant: alice's WRITE, and carol's ALL as WRITE */
	assert_int_equal(km_acls_grant_write(a, b, topic, mirror, KTEST_TIMEOUT_MS, &granted,
	                                     errstr, sizeof(errstr)),
	                 KM_OK);
	assert_int_equal(granted, 2);
	{
		const km_acl_t w[2] = {
		    binding(LITERAL, mirror, USER, "*", OP(WRITE), ALLOW),
		    binding(LITERAL, mirror, "User:carol", "*", OP(WRITE), ALLOW)};
		const km_acl_t all = binding(LITERAL, mirror, "User:carol", "*", OP(ALL), ALLOW);
		describe_until(b, mirror, &l, w, 2);
		assert_true(km_acl_list_has(&l, &w[0]));
		assert_true(km_acl_list_has(&l, &w[1]));
		assert_false(km_acl_list_has(&l, &all));
	}
	km_acl_list_free(&l);
	assert_int_equal(user_produce_granted(mirror), 0);
	/* again: the target has them all */
	assert_int_equal(km_acls_grant_write(a, b, topic, mirror, KTEST_TIMEOUT_MS, &granted,
	                                     errstr, sizeof(errstr)),
	                 KM_OK);
	assert_int_equal(granted, 0);
	/* a topic nobody may write on the source: nothing to grant */
	assert_int_equal(km_acls_grant_write(a, b, "acl-nobody-writes", "a.acl-nobody-writes",
	                                     KTEST_TIMEOUT_MS, &granted, errstr, sizeof(errstr)),
	                 KM_OK);
	assert_int_equal(granted, 0);
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* kmirrorctl promote --grant-write: the promoted topic is STOPPED and
 * the ordinary user, refused before, produces to it. */
static void test_promote_grant_write(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], mirror[160], args[512], *out = NULL;
	rd_kafka_t *a;
	json_t *j;
	int rc;

	(void)state;
	if (!need_acl_bed())
		return;
	ktest_topic_name(topic, sizeof(topic), "acl-promote");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	a = topic_for_alice(topic, "User:carol", OP(ALL));
	ktest_produce_seq("a", topic, 0, "k", "v", 0, 20);
	ktest_flow_start(d, "ap", topic, ACL_FLOWS, WAIT_MS);
	ktest_rest_url(d, 1, WAIT_MS);
	ktest_status_wait_caught_up(d, "ap", a, topic, 1, WAIT_MS);
	assert_int_equal(user_produce(mirror), RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);

	snprintf(args, sizeof(args), "promote ap %s --grant-write --timeout 120", topic);
	rc = ktest_ctl(args, NULL, &out);
	if (rc || !strstr(out, "2 WRITE bindings granted"))
		fail_msg("kmirrorctl %s: exit %d:\n%s", args, rc, out);
	free(out);
	snprintf(args, sizeof(args), "/v1/flows/ap/topics/%s", topic);
	j = ktest_get_json(args, 200);
	assert_string_equal(json_string_value(json_object_get(j, "mirror_state")), "STOPPED");
	assert_non_null(strstr(json_string_value(json_object_get(j, "mirror_state_detail")),
	                       "2 WRITE bindings granted on b"));
	json_decref(j);
	assert_int_equal(user_produce_granted(mirror), 0);
	ktest_daemon_finish(d);
	ktest_destroy(a);
}

/* alice's DescribeConfigs on cluster a (test_not_authorized) */
static const km_acl_t cluster_describe_configs = {.restype = RD_KAFKA_RESOURCE_BROKER,
                                                  .pattern = LITERAL,
                                                  .name = "kafka-cluster",
                                                  .principal = USER,
                                                  .host = "*",
                                                  .op = OP(DESCRIBE_CONFIGS),
                                                  .perm = ALLOW};

/* A principal that may not describe ACLs: the grant and the sync say which
 * cluster operation it lacks; one that may not alter the target's: the
 * grant says ALTER. */
static void test_not_authorized(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char errstr[1024], topic[128], clusters[2048];
	rd_kafka_t *ua, *a;
	size_t granted = 99;
	km_err_t err;
	json_t *st;

	(void)state;
	if (!need_acl_bed())
		return;
	ua = rd_kafka_new(RD_KAFKA_PRODUCER, user_conf("a"), errstr, sizeof(errstr));
	assert_non_null(ua);
	a = ktest_producer("a", NULL);
	delete_binding(a, &cluster_describe_configs); /* left by a run that failed */
	{
		rd_kafka_t *b = ktest_producer("b", NULL);
		delete_binding(b, &cluster_describe_configs);
		ktest_destroy(b);
	}
	err = km_acls_grant_write(ua, a, "t", "a.t", KTEST_TIMEOUT_MS, &granted, errstr,
	                          sizeof(errstr));
	ktest_note("grant as alice: %s", errstr);
	assert_int_equal(err, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
	assert_int_equal(granted, 0);
	assert_non_null(strstr(errstr, "granting WRITE on a.t: the source's authorizer cannot be "
	                               "told: DescribeConfigs of broker "));
	assert_non_null(strstr(errstr, "kmirror's principal there lacks DescribeConfigs on the "
	                               "cluster resource (CLUSTER_AUTHORIZATION_FAILED): grant it "
	                               "with kafka-acls.sh --add --allow-principal PRINCIPAL "
	                               "--operation DescribeConfigs --cluster"));
	rd_kafka_destroy(ua);

	/* the daemon reads the source as alice (READ and DESCRIBE on its topic,
	 * nothing on the cluster) */
	ktest_topic_name(topic, sizeof(topic), "acl-denied");
	ktest_create_topic(a, topic, 1, NULL);
	{
		const km_acl_t src[] = {
		    binding(LITERAL, topic, USER, "*", OP(READ), ALLOW),
		    binding(LITERAL, topic, USER, "*", OP(DESCRIBE), ALLOW),
		};
		create(a, src, 2);
	}
	snprintf(clusters, sizeof(clusters),
	         "clusters:\n"
	         "  a:\n"
	         "    kafka:\n"
	         "      bootstrap.servers: %s\n"
	         "      security.protocol: SASL_SSL\n"
	         "      sasl.mechanisms: SCRAM-SHA-512\n"
	         "      sasl.username: " USER_NAME "\n"
	         "      sasl.password: " USER_PASSWORD "\n"
	         "      ssl.ca.location: %s\n"
	         "  b:\n"
	         "    kafka:\n"
	         "      bootstrap.servers: %s\n",
	         ktest_bootstrap("a_sasl"), getenv("KM_TESTBED_CA"), ktest_bootstrap("b"));
	{
		char flows[1024];
		snprintf(flows, sizeof(flows),
		         "flows:\n"
		         "  - name: ad\n"
		         "    source: a\n"
		         "    target: b\n"
		         "    refresh.topics.interval: 1s\n"
		         "    topics: {include: ['%s']}\n"
		         "    emit.offset-syncs: false\n"
		         "    emit.checkpoints: false\n"
		         "    emit.heartbeats: false\n"
		         "    provenance: false\n" ACL_FLOWS,
		         topic);
		ktest_daemon_config_clusters(d, clusters, flows);
	}
	ktest_daemon_start(d, NULL);
	st = wait_acls(d, "ad", "failures", 2);
	show(st);
	assert_string_equal(acls_str(st, "source_authorizer"), "not authorized");
	assert_non_null(strstr(acls_str(st, "last_error"),
	                       "ACL sync: the source cluster a: DescribeConfigs of broker "));
	assert_non_null(
	    strstr(acls_str(st, "last_error"), "lacks DescribeConfigs on the cluster resource"));
	json_decref(st);
	/* a failure that repeats is logged once */
	assert_int_equal(ktest_log_lines(d, "warning", "lacks DescribeConfigs on the cluster"), 1);

	/* DescribeConfigs but not Describe on the cluster: the authorizer is
	 * seen, DescribeAcls answers nothing, and the log says what that may
	 * mean, once */
	create(a, &cluster_describe_configs, 1);
	ktest_log_wait(d, "has no literal topic ACLs, or kmirror's principal lacks DESCRIBE",
	               WAIT_MS);
	st = wait_runs(d, "ad", 2);
	show(st);
	assert_string_equal(acls_str(st, "source_authorizer"), "on");
	assert_string_equal(acls_str(st, "last_error"), "");
	assert_int_equal(acls_int(st, "bindings"), 0);
	json_decref(st);
	assert_int_equal(ktest_log_count(d, "has no literal topic ACLs"), 1);
	ktest_daemon_finish(d);
	delete_binding(a, &cluster_describe_configs); /* the bed as it was */

	/* onto a target where kmirror's principal may describe but not alter
	 * the cluster: the grant names ALTER */
	{
		rd_kafka_t *b = ktest_producer("b", NULL),
		           *ub = rd_kafka_new(RD_KAFKA_PRODUCER, user_conf("b"), errstr,
		                              sizeof(errstr));
		const km_acl_t w = binding(LITERAL, topic, USER, "*", OP(WRITE), ALLOW);
		char mirror[160], want[1024];
		assert_non_null(ub);
		snprintf(mirror, sizeof(mirror), "a.%s", topic);
		create(a, &w, 1);
		create(b, &cluster_describe_configs, 1);
		err = km_acls_grant_write(a, ub, topic, mirror, KTEST_TIMEOUT_MS, &granted, errstr,
		                          sizeof(errstr));
		ktest_note("grant onto b as alice: %s", errstr);
		assert_int_equal(err, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
		assert_int_equal(granted, 0);
		snprintf(
		    want, sizeof(want),
		    "granting WRITE on %s: CreateAcls User:alice ALLOW WRITE on topic %s (host "
		    "*): kmirror's principal there lacks Alter on the cluster resource "
		    "(CLUSTER_AUTHORIZATION_FAILED): grant it with kafka-acls.sh --add "
		    "--allow-principal PRINCIPAL --operation Alter --cluster",
		    mirror, mirror);
		assert_string_equal(errstr, want);
		delete_binding(b, &cluster_describe_configs);
		rd_kafka_destroy(ub);
		ktest_destroy(b);
	}
	ktest_destroy(a);
}

/* A cluster with no authorizer: said once, shown, and the flow copies. */
static void no_authorizer(const char *src, const char *dst, const char *side) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], mirror[160], clusters[1024], flows[1024], state_key[32];
	rd_kafka_t *s, *t;
	json_t *st;

	ktest_topic_name(topic, sizeof(topic), "acl-none");
	snprintf(mirror, sizeof(mirror), "%s.%s", src, topic);
	s = ktest_producer(src, NULL);
	t = ktest_producer(dst, NULL);
	ktest_create_topic(s, topic, 1, NULL);
	ktest_produce_seq(src, topic, 0, "k", "v", 0, 10);
	ktest_clusters_yaml(clusters, sizeof(clusters), src, src, dst, dst);
	flows[0] = '\0';
	ktest_flow_yaml(flows, sizeof(flows), "an", src, dst, topic,
	                "    heartbeats.replication.enabled: false\n", ACL_FLOWS);
	ktest_daemon_config_clusters(d, clusters, flows);
	ktest_daemon_start(d, NULL);
	ktest_log_wait(d, "has no authorizer", WAIT_MS);
	st = wait_acls(d, "an", "last_run", 1);
	json_decref(st);
	st = wait_runs(d, "an", 2);
	show(st);
	snprintf(state_key, sizeof(state_key), "%s_authorizer", side);
	assert_string_equal(acls_str(st, state_key), "none");
	assert_int_equal(acls_int(st, "failures"), 0);
	assert_int_equal(acls_int(st, "synced"), 0);
	assert_string_equal(acls_str(st, "last_error"), "");
	assert_int_equal(task_acls(st, "failures"), 0);
	assert_true(task_acls(st, "runs") >= 3);
	json_decref(st);
	assert_int_equal(ktest_log_count(d, "has no authorizer"), 1);
	assert_int_equal(ktest_log_lines(d, "notice", "has no authorizer"), 1);
	assert_int_equal(ktest_log_count(d, "ACL sync: the "), 0); /* no error */
	ktest_wait_count(t, mirror, 10, WAIT_MS);
	{ /* the WRITE grant: nothing to copy, or nothing needed */
		int target = !strcmp(side, "target");
		char errstr[1024];
		size_t granted = 99;
		if (target) { /* a binding to grant, so that the target is asked */
			const km_acl_t w = binding(LITERAL, topic, USER, "*", OP(WRITE), ALLOW);
			create(s, &w, 1);
		}
		assert_int_equal(km_acls_grant_write(s, t, topic, mirror, KTEST_TIMEOUT_MS,
		                                     &granted, errstr, sizeof(errstr)),
		                 RD_KAFKA_RESP_ERR_SECURITY_DISABLED);
		assert_int_equal(granted, 0);
		ktest_note("grant: %s", errstr);
		assert_non_null(strstr(errstr, target
		                                   ? "the target has no authorizer: every client "
		                                     "may write there already"
		                                   : "the source has no authorizer: there is no "
		                                     "WRITE binding to copy"));
	}
	ktest_daemon_finish(d);
	ktest_destroy(s);
	ktest_destroy(t);
}

static void test_source_without_authorizer(void **state) {
	(void)state;
	/* beside the authorizer bed, its plain cluster p; on the plain bed, a */
	if (acl_bed())
		no_authorizer("p", "b", "source");
	else
		no_authorizer("a", "b", "source");
}

static void test_target_without_authorizer(void **state) {
	(void)state;
	if (need_acl_bed())
		no_authorizer("a", "p", "target");
}

/* sync.topic.acls.enabled: false: the task never runs, nothing is said. */
static void test_disabled(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], mirror[160];
	rd_kafka_t *a, *b;
	json_t *st;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "acl-off");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	a = ktest_producer("a", NULL);
	b = ktest_producer("b", NULL);
	ktest_create_topic(a, topic, 1, NULL);
	if (acl_bed()) {
		const km_acl_t r = binding(LITERAL, topic, USER, "*", OP(READ), ALLOW);
		create(a, &r, 1);
	}
	ktest_produce_seq("a", topic, 0, "k", "v", 0, 5);
	ktest_flow_start(d, "ax", topic, "    sync.topic.acls.enabled: false\n", WAIT_MS);
	ktest_wait_count(b, mirror, 5, WAIT_MS);
	ktest_status_wait(d, "ax", "records", 5, WAIT_MS); /* a status of the running tasks */
	assert_non_null(st = flow_status(d, "ax"));
	show(st);
	assert_false(json_is_true(json_object_get(json_object_get(st, "acls"), "enabled")));
	assert_int_equal(task_acls(st, "runs"), 0);
	assert_string_equal(acls_str(st, "source_authorizer"), "unknown");
	json_decref(st);
	assert_int_equal(ktest_log_count(d, "authorizer"), 0);
	assert_int_equal(ktest_log_count(d, "ACL sync"), 0);
	if (acl_bed()) {
		km_acl_list_t l;
		describe(b, mirror, &l);
		assert_int_equal(l.cnt, 0);
		km_acl_list_free(&l);
	}
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

int main(void) {
	int failed;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_sync, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_metrics, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_user_and_grant, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_promote_grant_write, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_not_authorized, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_source_without_authorizer, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_target_without_authorizer, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_disabled, ktest_daemon_teardown),
	};

	if (acl_bed())
		ktest_require_testbed("a", "b", "p", NULL);
	else
		ktest_require_testbed("a", "b", NULL);
	ktest_tap_begin();
	failed = cmocka_run_group_tests_name("acls", tests, NULL, NULL);
	ktest_tap_end();
	return failed;
}
