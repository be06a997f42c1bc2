/* Topic naming against real brokers: the prefix policy (default separator
 * and "_"), the identity policy, and active/active (flows a -> b and
 * b -> a in one kmirrord) where each side gets the other's records exactly
 * once and no mirror topic is copied back to where it came from.
 *
 * Every check is on what the brokers hold or on kmirrord's status file;
 * every wait is on a condition with a deadline. */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ktest.h"

#define WAIT_MS 60000 /* deadline for kmirrord to converge */

/* Produces values "<tag>-<i>", i in [0, n), round-robin over @p partitions
 * partitions of @p topic on @p cluster, and waits for delivery. */
static void produce_n(const char *cluster, const char *topic, int partitions, const char *tag,
                      int n) {
	/* idempotent: a retried request cannot reorder the source itself (it
	 * did under ThreadSanitizer's slowdown), which assert_copy relies on */
	rd_kafka_t *rk =
	    ktest_producer(cluster, "linger.ms", "5", "enable.idempotence", "true", NULL);
	char val[64];

	for (int i = 0; i < n; i++) {
		snprintf(val, sizeof(val), "%s-%d", tag, i);
		assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
		                                   RD_KAFKA_V_PARTITION(i % partitions),
		                                   RD_KAFKA_V_VALUE(val, strlen(val)),
		                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		                                   RD_KAFKA_V_END),
		                 0);
	}
	ktest_flush(rk);
	ktest_destroy(rk);
}

/* @p topic on @p cluster holds exactly the values "<tag>-<i>", i in [0, n),
 * each once, record i in partition i % partitions, in order. */
static void assert_copy(const char *cluster, const char *topic, int partitions, const char *tag,
                        int n) {
	int total = 0;

	for (int p = 0; p < partitions; p++) {
		size_t cnt;
		ktest_rec_t *m = ktest_read_partition(cluster, topic, p, &cnt);
		int i = p;

		for (size_t k = 0; k < cnt; k++, i += partitions) {
			char val[64];
			snprintf(val, sizeof(val), "%s-%d", tag, i);
			if (i >= n || m[k].value_len != strlen(val) ||
			    memcmp(m[k].value, val, m[k].value_len))
				fail_msg("%s [%d] on %s: record %zu is '%.*s', not '%s'", topic, p,
				         cluster, k, (int)m[k].value_len, (const char *)m[k].value,
				         val);
		}
		total += (int)cnt;
		ktest_recs_free(m, cnt);
	}
	if (total != n)
		fail_msg("%s on %s: %d records, not %d", topic, cluster, total, n);
}

static void wait_exists(rd_kafka_t *rk, const char *topic) {
	int64_t deadline = ktest_now_ms() + WAIT_MS;

	while (ktest_partitions(rk, topic) < 0) {
		if (ktest_now_ms() > deadline)
			fail_msg("%s was not created within %d ms", topic, WAIT_MS);
		ktest_pause();
	}
}

static void start(ktest_daemon_t *d, const char *flows_yaml, const char *const *flows) {
	char ready[300];

	ktest_daemon_config(d, flows_yaml);
	ktest_daemon_start(d, NULL);
	for (; *flows; flows++) {
		snprintf(ready, sizeof(ready), "flow %s: loaded progress", *flows);
		ktest_log_wait(d, ready, WAIT_MS);
	}
}

/* ---- prefix ------------------------------------------------------------------ */

static void test_prefix_names(void **state) {
	char t1[128], t2[128], yaml[1024], name[200];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	ktest_topic_name(t1, sizeof(t1), "pfxdot");
	ktest_topic_name(t2, sizeof(t2), "pfxus");
	ktest_create_topic(a, t1, 2, NULL);
	ktest_create_topic(a, t2, 2, NULL);
	produce_n("a", t1, 2, "d", 11);
	produce_n("a", t2, 2, "u", 13);
	snprintf(yaml, sizeof(yaml),
	         "flows:\n"
	         "  - name: pfx-dot\n"
	         "    source: a\n"
	         "    target: b\n"
	         "    refresh.topics.interval: 1s\n"
	         "    topics: {include: ['%s']}\n"
	         "    heartbeats.replication.enabled: false\n" /* its topics alone */
	         "  - name: pfx-us\n"
	         "    source: a\n"
	         "    target: b\n"
	         "    refresh.topics.interval: 1s\n"
	         "    topics: {include: ['%s']}\n"
	         "    heartbeats.replication.enabled: false\n"
	         "    policy: {separator: \"_\"}\n",
	         t1, t2);
	start(d, yaml, (const char *const[]){"pfx-dot", "pfx-us", NULL});
	ktest_status_wait(d, "pfx-dot", "records", 11, WAIT_MS);
	ktest_status_wait(d, "pfx-us", "records", 13, WAIT_MS);

	snprintf(name, sizeof(name), "a.%s", t1);
	assert_int_equal(ktest_partitions(b, name), 2);
	assert_copy("b", name, 2, "d", 11);
	snprintf(name, sizeof(name), "a_%s", t2);
	assert_int_equal(ktest_partitions(b, name), 2);
	assert_copy("b", name, 2, "u", 13);
	/* and under no other name */
	snprintf(name, sizeof(name), "a_%s", t1);
	assert_int_equal(ktest_partitions(b, name), -1);
	snprintf(name, sizeof(name), "a.%s", t2);
	assert_int_equal(ktest_partitions(b, name), -1);
	assert_int_equal(ktest_partitions(b, t1), -1);

	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* ---- identity ---------------------------------------------------------------- */

static void test_identity_names(void **state) {
	char t[128], yaml[1024], name[200];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	ktest_topic_name(t, sizeof(t), "ident");
	ktest_create_topic(a, t, 3, NULL);
	produce_n("a", t, 3, "i", 17);
	assert_int_equal(ktest_partitions(b, t), -1);
	snprintf(yaml, sizeof(yaml),
	         "flows:\n"
	         "  - name: ident\n"
	         "    source: a\n"
	         "    target: b\n"
	         "    refresh.topics.interval: 1s\n"
	         "    topics: {include: ['%s']}\n"
	         "    policy: identity\n",
	         t);
	start(d, yaml, (const char *const[]){"ident", NULL});
	ktest_status_wait(d, "ident", "records", 17, WAIT_MS);
	assert_int_equal(ktest_partitions(b, t), 3);
	assert_copy("b", t, 3, "i", 17);
	snprintf(name, sizeof(name), "a.%s", t);
	assert_int_equal(ktest_partitions(b, name), -1);

	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* ---- active/active --------------------------------------------------------------- */

/* Flows ab (a -> b) and ba (b -> a) whose filters would also take the
 * other flow's mirror topics (a.t on b, b.u on a): the prefix policy's
 * cycle check must keep them from going back. */
static void test_active_active(void **state) {
	char t[128], u[128], yaml[2048], name[200];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	ktest_topic_name(t, sizeof(t), "aat");
	ktest_topic_name(u, sizeof(u), "aau");
	ktest_create_topic(a, t, 2, NULL);
	ktest_create_topic(b, u, 3, NULL);
	produce_n("a", t, 2, "t", 20);
	produce_n("b", u, 3, "u", 30);
	/* T-mN and U-mN are marker topics, made later */
	snprintf(yaml, sizeof(yaml),
	         "flows:\n"
	         "  - name: ab\n"
	         "    source: a\n"
	         "    target: b\n"
	         "    refresh.topics.interval: 1s\n"
	         "    topics: {include: ['%s', '%s-m[0-9]', 'b\\.%s', 'b\\.%s-m[0-9]']}\n"
	         "    heartbeats.replication.enabled: false\n"
	         "  - name: ba\n"
	         "    source: b\n"
	         "    target: a\n"
	         "    refresh.topics.interval: 1s\n"
	         "    topics: {include: ['%s', '%s-m[0-9]', 'a\\.%s', 'a\\.%s-m[0-9]']}\n"
	         "    heartbeats.replication.enabled: false\n",
	         t, t, u, u, u, u, t, t);
	start(d, yaml, (const char *const[]){"ab", "ba", NULL});

	/* each side gets the other's records */
	snprintf(name, sizeof(name), "a.%s", t);
	ktest_wait_count(b, name, 20, WAIT_MS);
	snprintf(name, sizeof(name), "b.%s", u);
	ktest_wait_count(a, name, 30, WAIT_MS);
	ktest_status_wait(d, "ab", "records", 20, WAIT_MS);
	ktest_status_wait(d, "ba", "records", 30, WAIT_MS);

	/* Markers, one round after another: a topic made on each side after
	 * the mirror topics exist. When its mirror appears, the flow has listed
	 * its source with the other flow's mirror topics on it (a.t, b.u and
	 * the earlier markers' mirrors, all admitted by its filter) and left
	 * them alone: several refresh rounds without a copy back. */
	for (int round = 1; round <= 3; round++) {
		char marker[200], mirror[220];
		snprintf(marker, sizeof(marker), "%s-m%d", t, round);
		ktest_create_topic(a, marker, 1, NULL);
		snprintf(mirror, sizeof(mirror), "a.%s", marker);
		wait_exists(b, mirror);
		snprintf(marker, sizeof(marker), "%s-m%d", u, round);
		ktest_create_topic(b, marker, 1, NULL);
		snprintf(mirror, sizeof(mirror), "b.%s", marker);
		wait_exists(a, mirror);
	}
	/* t and 3 markers; u and 3 markers: nothing else (heartbeats topics
	 * are left to the filter) */
	assert_true(ktest_status_wait(d, "ab", "topics", 4, WAIT_MS) == 4);
	assert_true(ktest_status_wait(d, "ba", "topics", 4, WAIT_MS) == 4);
	assert_true(ktest_status_wait(d, "ab", "topics_created", 4, WAIT_MS) == 4);
	assert_true(ktest_status_wait(d, "ba", "topics_created", 4, WAIT_MS) == 4);

	/* no mirror topic was copied back */
	snprintf(name, sizeof(name), "b.a.%s", t);
	assert_int_equal(ktest_partitions(a, name), -1);
	snprintf(name, sizeof(name), "a.b.%s", u);
	assert_int_equal(ktest_partitions(b, name), -1);
	snprintf(name, sizeof(name), "b.a.%s-m1", t);
	assert_int_equal(ktest_partitions(a, name), -1);
	snprintf(name, sizeof(name), "a.b.%s-m1", u);
	assert_int_equal(ktest_partitions(b, name), -1);

	/* exactly once on each side, and the originals untouched */
	snprintf(name, sizeof(name), "a.%s", t);
	assert_copy("b", name, 2, "t", 20);
	snprintf(name, sizeof(name), "b.%s", u);
	assert_copy("a", name, 3, "u", 30);
	assert_copy("a", t, 2, "t", 20);
	assert_copy("b", u, 3, "u", 30);
	assert_true(ktest_status_wait(d, "ab", "records", 20, WAIT_MS) == 20);
	assert_true(ktest_status_wait(d, "ba", "records", 30, WAIT_MS) == 30);

	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_prefix_names, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_identity_names, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_active_active, ktest_daemon_teardown),
	};

	ktest_require_testbed("a", "b", NULL);
	if (getenv("KTEST_ONLY")) /* e.g. KTEST_ONLY='*partitions*' */
		cmocka_set_test_filter(getenv("KTEST_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
