/* kmirrord's data path against real Kafka: exact copies, restarts without
 * re-copying, crashes (kill -9) with duplicates bounded by the in-flight
 * bound, a target broker restart, and the producer rebuilt after a fatal
 * idempotent-producer error. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktest.h"

#define COPY_TIMEOUT_MS 180000

static void flow_yaml(char *buf, size_t size, const char *flow, const char *topic,
                      const char *extra) {
	int n = snprintf(buf, size,
	                 "flows:\n"
	                 "  - name: %s\n"
	                 "    source: a\n"
	                 "    target: b\n"
	                 "    refresh.topics.interval: 500ms\n"
	                 "    topics:\n"
	                 "      include: ['%s']\n"
	                 "    heartbeats.replication.enabled: false\n" /* its topic alone */
	                 "%s",
	                 flow, topic, extra ? extra : "");

	assert_true(n > 0 && (size_t)n < size);
}

/* 100,000 varied records over 6 partitions arrive equal, in order; a
 * restart copies only what is new. */
static void test_exact_copy_and_restart(void **state) {
	char topic[128], mirror[160], yaml[1024];
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	ktest_daemon_t d;

	ktest_topic_name(topic, sizeof(topic), "exact");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(admin, topic, 6, NULL);
	ktest_produce_varied(topic, 6, 0, 100000, "v");

	/* three producer connections, two partitions each, and one batch per
	 * partition at a time (the rest deferred): order per partition holds.
	 * A 16 KiB batch is less than one fetch of a partition brings, so some
	 * records of every poll wait for the window, however fast or slow the
	 * build */
	flow_yaml(yaml, sizeof(yaml), topic, topic,
	          "    producer.connections: 3\n    one.batch.per.partition: true\n"
	          "    producer:\n      batch.size: 16384\n");
	ktest_daemon_config(&d, yaml);
	ktest_daemon_start(&d, NULL);
	ktest_status_wait(&d, topic, "records", 100000, COPY_TIMEOUT_MS);
	assert_int_equal(ktest_daemon_stop(&d, SIGTERM, 60000), 0);
	assert_true(ktest_log_contains(&d, "3 producer connections"));
	/* records really waited for their partition's previous batch */
	ktest_status_wait(&d, topic, "deferred", 1, 1000);
	assert_int_equal(ktest_partitions(badmin, mirror), 6);
	ktest_assert_exact_copy(topic, mirror, 6, 100000);

	/* Restart: progress is read back, nothing is copied twice. */
	ktest_produce_varied(topic, 6, 100000, 1000, "v");
	ktest_daemon_start(&d, NULL);
	ktest_status_wait(&d, topic, "records", 1000, COPY_TIMEOUT_MS);
	assert_int_equal(ktest_daemon_stop(&d, SIGTERM, 60000), 0);
	assert_true(ktest_log_contains(&d, "loaded progress of 6 partition(s)"));
	ktest_assert_exact_copy(topic, mirror, 6, 101000);

	/* An idle restart: every partition assigned from its progress, nothing
	 * copied, a clean stop. */
	ktest_daemon_start(&d, NULL);
	ktest_status_wait(&d, topic, "active", 6, COPY_TIMEOUT_MS);
	assert_int_equal(ktest_daemon_stop(&d, SIGTERM, 60000), 0);
	ktest_assert_exact_copy(topic, mirror, 6, 101000);

	ktest_daemon_cleanup(&d);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

#define CRASH_RECORDS 600000
#define CRASH_BOUND   5000

struct live_producer {
	pthread_t thr;
	const char *topic;
};

static void *live_produce(void *arg) {
	struct live_producer *lp = arg;

	/* in chunks, so records keep arriving while the daemon is killed */
	for (int i = 0; i < CRASH_RECORDS; i += CRASH_RECORDS / 20)
		ktest_produce_plain(lp->topic, 3, i, CRASH_RECORDS / 20);
	return NULL;
}

static void crash_run(const char *name, int restart_target) {
	char topic[128], mirror[160], yaml[1024], extra[256];
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	struct live_producer lp;
	int64_t at_kill;
	size_t dups = 0;
	ktest_daemon_t d;

	ktest_topic_name(topic, sizeof(topic), name);
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(admin, topic, 3, NULL);

	snprintf(extra, sizeof(extra),
	         "    max.inflight.records: %d\n"
	         "    batch.records: 500\n"
	         "    producer.connections: %d\n",
	         /* one connection per partition, or two sharing three */
	         CRASH_BOUND, restart_target ? 3 : 2);
	flow_yaml(yaml, sizeof(yaml), topic, topic, extra);
	ktest_daemon_config(&d, yaml);
	ktest_daemon_start(&d, NULL);
	lp.topic = topic;
	assert_int_equal(pthread_create(&lp.thr, NULL, live_produce, &lp), 0);
	ktest_wait_count(badmin, mirror, CRASH_RECORDS / 8, COPY_TIMEOUT_MS);
	if (restart_target) {
		assert_int_equal(ktest_testbed("restart b", NULL, 0), 0);
		/* copying goes on through the restart */
		ktest_wait_count(badmin, mirror, ktest_count(badmin, mirror) + 10000,
		                 COPY_TIMEOUT_MS);
	}
	assert_int_equal(ktest_daemon_stop(&d, SIGKILL, 30000), 128 + SIGKILL);
	/* the kill came in the middle: not everything was copied yet */
	at_kill = ktest_count(badmin, mirror);
	print_message("%s: killed with %lld of %d records copied\n", name, (long long)at_kill,
	              CRASH_RECORDS);
	assert_true(at_kill < CRASH_RECORDS);
	ktest_daemon_start(&d, NULL);
	assert_int_equal(pthread_join(lp.thr, NULL), 0);
	/* Everything is copied when the acknowledged position of every
	 * partition reaches the source's end (a count of the target would be
	 * reached early by the duplicates). */
	ktest_status_wait_caught_up(&d, topic, admin, topic, 3, COPY_TIMEOUT_MS);
	assert_int_equal(ktest_daemon_stop(&d, SIGTERM, 60000), 0);
	for (int p = 0; p < 3; p++)
		dups += ktest_check_at_least_once(topic, mirror, p, CRASH_BOUND);
	print_message("%s: %zu duplicates after kill -9 (bound %d per flow)\n", name, dups,
	              CRASH_BOUND);
	assert_true(dups <= CRASH_BOUND);
	ktest_daemon_cleanup(&d);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

/* kill -9 in the middle, start again: nothing lost, in order, duplicates
 * at most max.inflight.records, never a re-copy from the start. */
static void test_kill9(void **state) {
	crash_run("crash", 0);
}

/* The same while the target broker restarts mid-run. */
static void test_kill9_target_restart(void **state) {
	crash_run("brokerbounce", 1);
}

/* The target goes away and comes back: the flow's last_error says so
 * while it is away and is cleared once the target acknowledges again. */
static void test_target_outage_error_ends(void **state) {
	char topic[128], mirror[160], yaml[1024];
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	ktest_daemon_t d;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "outage");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(admin, topic, 1, NULL);
	ktest_produce_plain(topic, 1, 0, 1000);
	flow_yaml(yaml, sizeof(yaml), topic, topic, NULL);
	ktest_daemon_config(&d, yaml);
	ktest_daemon_start(&d, NULL);
	ktest_status_wait(&d, topic, "records", 1000, COPY_TIMEOUT_MS);
	assert_int_equal(ktest_testbed("stop b", NULL, 0), 0);
	ktest_produce_plain(topic, 1, 1000, 1000);
	/* an error of the target while it is away */
	ktest_status_wait(&d, topic, "last_error_at", 1, COPY_TIMEOUT_MS);
	assert_int_equal(ktest_testbed("start b", NULL, 0), 0);
	ktest_status_wait(&d, topic, "records", 2000, COPY_TIMEOUT_MS);
	ktest_status_wait_text(&d, topic, "\"last_error\":\"\"", COPY_TIMEOUT_MS);
	ktest_status_wait_text(&d, topic, "\"last_error_at\":null", 1000);
	assert_int_equal(ktest_daemon_stop(&d, SIGTERM, 60000), 0);
	ktest_assert_exact_copy(topic, mirror, 1, 2000);
	ktest_daemon_cleanup(&d);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

/* A fatal idempotent-producer error: the producer is rebuilt, copying
 * resumes from progress, nothing is lost. */
static void test_fatal_producer_error(void **state) {
	char topic[128], mirror[160], yaml[1024];
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	ktest_daemon_t d;
	size_t dups = 0;

	ktest_topic_name(topic, sizeof(topic), "fatal");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(admin, topic, 2, NULL);
	ktest_produce_plain(topic, 2, 0, 50000);
	/* every connection is rebuilt, not only the one that failed */
	flow_yaml(yaml, sizeof(yaml), topic, topic,
	          "    max.inflight.records: 5000\n    producer.connections: 2\n"
	          "    one.batch.per.partition: true\n");
	ktest_daemon_config(&d, yaml);
	ktest_daemon_start(&d, "KMIRROR_TEST_FATAL_AFTER=20000");
	ktest_status_wait(&d, topic, "producer_rebuilds", 1, COPY_TIMEOUT_MS);
	ktest_status_wait_caught_up(&d, topic, admin, topic, 2, COPY_TIMEOUT_MS);
	ktest_status_wait_text(&d, topic, "\"data_state\":\"running\"", 1000);
	assert_int_equal(ktest_daemon_stop(&d, SIGTERM, 60000), 0);
	assert_true(ktest_log_contains(&d, "rebuilding the producer after a fatal error"));
	assert_false(ktest_log_contains(&d, "cannot make a new producer"));
	for (int p = 0; p < 2; p++)
		dups += ktest_check_at_least_once(topic, mirror, p, 5000);
	print_message("fatal: %zu duplicates after the rebuild\n", dups);
	ktest_daemon_cleanup(&d);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

/* SIGHUP: the flow whose config changed restarts without losing or
 * duplicating records; the unchanged flow keeps running untouched. */
static void test_reload(void **state) {
	char t1[128], t2[128], m1[160], m2[160], yaml[2048], f1[512], f2[512];
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	ktest_daemon_t d;
	char msg[256];
	int64_t since1, since2;

	ktest_topic_name(t1, sizeof(t1), "reload");
	ktest_topic_name(t2, sizeof(t2), "steady");
	snprintf(m1, sizeof(m1), "a.%s", t1);
	snprintf(m2, sizeof(m2), "a.%s", t2);
	ktest_create_topic(admin, t1, 2, NULL);
	ktest_create_topic(admin, t2, 2, NULL);
	ktest_produce_varied(t1, 2, 0, 20000, "r");
	ktest_produce_varied(t2, 2, 0, 20000, "s");

	flow_yaml(f1, sizeof(f1), t1, t1, "    batch.records: 1000\n");
	flow_yaml(f2, sizeof(f2), t2, t2, NULL);
	snprintf(yaml, sizeof(yaml), "%s%s", f1, f2 + strlen("flows:\n"));
	ktest_daemon_config(&d, yaml);
	ktest_daemon_start(&d, NULL);
	ktest_status_wait(&d, t1, "records", 20000, COPY_TIMEOUT_MS);
	ktest_status_wait(&d, t2, "records", 20000, COPY_TIMEOUT_MS);
	since1 = ktest_status_wait(&d, t1, "data_since", 1, COPY_TIMEOUT_MS);
	since2 = ktest_status_wait(&d, t2, "data_since", 1, COPY_TIMEOUT_MS);

	/* change the first flow only, while records keep coming */
	ktest_produce_varied(t1, 2, 20000, 5000, "r");
	flow_yaml(f1, sizeof(f1), t1, t1, "    batch.records: 200\n");
	snprintf(yaml, sizeof(yaml), "%s%s", f1, f2 + strlen("flows:\n"));
	ktest_daemon_rewrite(&d, yaml);
	kill(d.pid, SIGHUP);
	ktest_log_wait(&d, "reload done", COPY_TIMEOUT_MS);
	snprintf(msg, sizeof(msg), "flow %s changed: restarting it", t1);
	assert_true(ktest_log_contains(&d, msg));
	snprintf(msg, sizeof(msg), "flow %s changed", t2);
	assert_false(ktest_log_contains(&d, msg));

	ktest_produce_varied(t1, 2, 25000, 5000, "r");
	ktest_produce_varied(t2, 2, 20000, 5000, "s");
	ktest_wait_count(badmin, m1, 30000, COPY_TIMEOUT_MS);
	ktest_wait_count(badmin, m2, 25000, COPY_TIMEOUT_MS);
	/* The unchanged flow ran on: its data thread started before the reload
	 * and its count goes on from 20,000 (a restarted flow would count
	 * only what it copied since). The changed one started again. */
	assert_int_equal(ktest_status_wait(&d, t2, "data_since", 1, COPY_TIMEOUT_MS), since2);
	assert_true(ktest_status_wait(&d, t2, "records", 25000, COPY_TIMEOUT_MS) >= 25000);
	assert_true(ktest_status_wait(&d, t1, "data_since", 1, COPY_TIMEOUT_MS) > since1);
	assert_true(ktest_status_wait(&d, t1, "records", 1, COPY_TIMEOUT_MS) <= 10000);
	assert_int_equal(ktest_daemon_stop(&d, SIGTERM, 60000), 0);
	ktest_assert_exact_copy(t1, m1, 2, 30000);
	ktest_assert_exact_copy(t2, m2, 2, 25000);
	ktest_daemon_cleanup(&d);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

/* A consumer queue bound so small that librdkafka stops fetching after
 * every couple of batches: kmirrord wakes the fetchers each time the queue
 * runs dry (a seek of one partition to its next offset), and the copy is
 * still exact: nothing lost, doubled or reordered by the seeks. */
static void test_fetch_stall_woken(void **state) {
	char topic[128], mirror[160], yaml[1024];
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	ktest_daemon_t d;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "stall");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(admin, topic, 6, NULL);
	ktest_produce_varied(topic, 6, 0, 60000, "s");
	flow_yaml(yaml, sizeof(yaml), topic, topic, "    consumer: {queued.min.messages: 2000}\n");
	ktest_daemon_config(&d, yaml);
	ktest_daemon_start(&d, NULL);
	ktest_status_wait(&d, topic, "records", 60000, COPY_TIMEOUT_MS);
	assert_true(ktest_status_wait(&d, topic, "fetch_wakes", 1, 1000) >= 1);
	assert_int_equal(ktest_daemon_stop(&d, SIGTERM, 60000), 0);
	ktest_assert_exact_copy(topic, mirror, 6, 60000);
	ktest_daemon_cleanup(&d);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

/* Keys and values of a mirror partition equal the source's, in order
 * (a stage added headers). */
static void assert_same_payloads(const char *topic, int sp, const char *mirror, int tp,
                                 size_t expected) {
	size_t sn, tn;
	ktest_rec_t *s = ktest_read_partition("a", topic, sp, &sn);
	ktest_rec_t *t = ktest_read_partition("b", mirror, tp, &tn);

	assert_int_equal(sn, expected);
	assert_int_equal(tn, expected);
	for (size_t i = 0; i < sn; i++)
		if (!ktest_bytes_equal(s[i].key, s[i].key_len, t[i].key, t[i].key_len) ||
		    !ktest_bytes_equal(s[i].value, s[i].value_len, t[i].value, t[i].value_len))
			fail_msg("%s [%d] record %zu differs from %s [%d]'s", mirror, tp, i, topic,
			         sp);
	ktest_recs_free(s, sn);
	ktest_recs_free(t, tn);
}

/* A partition the target does not acknowledge holds back only itself:
 * another topic's records, ten times the in-flight bound, are all copied
 * meanwhile, and once the target takes the first, it catches up, in order.
 * The stall: a stage routes the first topic's records to a topic the
 * target does not have, and kmirror cannot create it (replication factor
 * 3 on a one-broker cluster; the mirror topics exist already), so the
 * records wait, and the status says why. */
static void test_stalled_partition(void **state) {
	char slow[128], fast[128], routed[128], mslow[160], mfast[160], both[260], extra[512],
	    yaml[1024], *st;
	int64_t waiting;
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	ktest_daemon_t d;

	(void)state;
	ktest_topic_name(slow, sizeof(slow), "stalled");
	ktest_topic_name(fast, sizeof(fast), "flowing");
	ktest_topic_name(routed, sizeof(routed), "notyet");
	snprintf(mslow, sizeof(mslow), "a.%s", slow);
	snprintf(mfast, sizeof(mfast), "a.%s", fast);
	ktest_create_topic(admin, slow, 1, NULL);
	ktest_create_topic(admin, fast, 2, NULL);
	ktest_create_topic(badmin, mslow, 1, NULL);
	ktest_create_topic(badmin, mfast, 2, NULL);
	/* the progress topic too, which replication factor 3 would refuse */
	if (ktest_partitions(badmin, "kmirror-progress.internal") < 0)
		ktest_create_topic(badmin, "kmirror-progress.internal", 1, "cleanup.policy",
		                   "compact", NULL);
	ktest_produce_seq("a", slow, 0, "route", "w", 0, 300);

	/* both topics: one pattern, anchored at both ends (names have no
	 * regex characters) */
	snprintf(both, sizeof(both), "%s|%s", slow, fast);
	snprintf(extra, sizeof(extra),
	         "    max.inflight.records: 2000\n"
	         "    batch.records: 200\n"
	         "    replication.factor: 3\n"
	         "    pipeline:\n"
	         "      - plugin: stage_test\n"
	         "        route_to: %s\n",
	         routed);
	flow_yaml(yaml, sizeof(yaml), slow, both, extra);
	ktest_daemon_config(&d, yaml);
	ktest_daemon_start(&d, NULL);
	/* the first batch waits; the partition is not fetched meanwhile */
	waiting = ktest_status_wait(&d, slow, "waiting", 1, COPY_TIMEOUT_MS);
	ktest_produce_varied(fast, 2, 0, 20000, "f");
	ktest_wait_count(badmin, mfast, 20000, COPY_TIMEOUT_MS);
	/* the routed records are all still waiting for their topic, and the
	 * status says so, and why; they are all that is in flight */
	assert_int_equal(ktest_status_part(&d, slow, slow, 0, "waiting"), waiting);
	{
		int64_t deadline = ktest_now_ms() + COPY_TIMEOUT_MS, inflight;
		while ((inflight = ktest_status_wait(&d, slow, "inflight", 0, COPY_TIMEOUT_MS)) !=
		       waiting) {
			if (ktest_now_ms() > deadline)
				fail_msg("%lld in flight, not the %lld waiting",
				         (long long)inflight, (long long)waiting);
			ktest_pause();
		}
	}
	assert_true(waiting <= 300);
	assert_int_equal(ktest_partitions(badmin, routed), -1);
	st = ktest_status_flow(&d, slow);
	assert_non_null(st);
	if (!strstr(st, "waiting for the target to have topic") ||
	    !strstr(st, "\"last_error\":\"creating topic"))
		fail_msg("the status does not say why records wait: %s", st);
	free(st);

	ktest_create_topic(badmin, routed, 1, NULL);
	ktest_wait_count(badmin, routed, 300, COPY_TIMEOUT_MS);
	ktest_status_wait(&d, slow, "records", 20300, COPY_TIMEOUT_MS);
	assert_int_equal(ktest_status_part(&d, slow, slow, 0, "waiting"), 0);
	assert_int_equal(ktest_daemon_stop(&d, SIGTERM, 60000), 0);
	assert_same_payloads(slow, 0, routed, 0, 300);
	assert_same_payloads(fast, 0, mfast, 0, 10000);
	assert_same_payloads(fast, 1, mfast, 1, 10000);
	ktest_daemon_cleanup(&d);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

/* The status file goes on while a reload drains a changed flow: records
 * that cannot reach the target (as in test_stalled_partition) keep the
 * drain going, and the status shows the flow draining meanwhile. */
static void test_status_while_draining(void **state) {
	char topic[128], mirror[160], routed[128], extra[512], yaml[1024];
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	ktest_daemon_t d;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "draining");
	ktest_topic_name(routed, sizeof(routed), "neverthere");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(admin, topic, 1, NULL);
	ktest_create_topic(badmin, mirror, 1, NULL);
	if (ktest_partitions(badmin, "kmirror-progress.internal") < 0)
		ktest_create_topic(badmin, "kmirror-progress.internal", 1, "cleanup.policy",
		                   "compact", NULL);
	ktest_produce_seq("a", topic, 0, "route", "w", 0, 20);
	snprintf(extra, sizeof(extra),
	         "    replication.factor: 3\n"
	         "    pipeline:\n"
	         "      - plugin: stage_test\n"
	         "        route_to: %s\n",
	         routed);
	flow_yaml(yaml, sizeof(yaml), topic, topic, extra);
	ktest_daemon_config(&d, yaml);
	ktest_daemon_start(&d, NULL);
	ktest_status_wait(&d, topic, "waiting", 20, COPY_TIMEOUT_MS);

	/* a change: the flow restarts, and drains first */
	snprintf(extra, sizeof(extra),
	         "    replication.factor: 3\n"
	         "    batch.records: 100\n"
	         "    pipeline:\n"
	         "      - plugin: stage_test\n"
	         "        route_to: %s\n",
	         routed);
	flow_yaml(yaml, sizeof(yaml), topic, topic, extra);
	ktest_daemon_rewrite(&d, yaml);
	kill(d.pid, SIGHUP);
	ktest_log_wait(&d, "changed: restarting it", COPY_TIMEOUT_MS);
	{
		int64_t deadline = ktest_now_ms() + 20000;
		char *st;
		for (;;) {
			st = ktest_status_flow(&d, topic);
			if (st && strstr(st, "\"state\":\"draining\"") &&
			    strstr(st, "\"data_state\":\"draining\""))
				break;
			free(st);
			if (ktest_now_ms() > deadline)
				fail_msg("the status never showed %s draining during the reload",
				         topic);
			ktest_pause();
		}
		free(st);
	}
	assert_false(ktest_log_contains(&d, "reload done"));
	ktest_daemon_stop(&d, SIGKILL, 30000);
	ktest_daemon_cleanup(&d);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

/* A stage routes records to a topic the target does not have: kmirror
 * creates it, as it creates mirror topics, and copies them there. */
static void test_routed_topic_created(void **state) {
	char topic[128], routed[128], extra[512], yaml[1024];
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	ktest_daemon_t d;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "router");
	ktest_topic_name(routed, sizeof(routed), "routed");
	ktest_create_topic(admin, topic, 2, NULL);
	ktest_produce_seq("a", topic, 0, "route", "r", 0, 50);
	ktest_produce_seq("a", topic, 1, "route", "r", 100, 70);
	snprintf(extra, sizeof(extra),
	         "    pipeline:\n"
	         "      - plugin: stage_test\n"
	         "        route_to: %s\n",
	         routed);
	flow_yaml(yaml, sizeof(yaml), topic, topic, extra);
	ktest_daemon_config(&d, yaml);
	ktest_daemon_start(&d, NULL);
	ktest_wait_count(badmin, routed, 120, COPY_TIMEOUT_MS);
	assert_int_equal(ktest_status_wait(&d, topic, "routed_topics_created", 1, COPY_TIMEOUT_MS),
	                 1);
	/* created with the source topic's partition count; records keep
	 * their partition */
	assert_int_equal(ktest_partitions(badmin, routed), 2);
	ktest_status_wait(&d, topic, "records", 120, COPY_TIMEOUT_MS);
	assert_int_equal(ktest_daemon_stop(&d, SIGTERM, 60000), 0);
	assert_same_payloads(topic, 0, routed, 0, 50);
	assert_same_payloads(topic, 1, routed, 1, 70);
	ktest_daemon_cleanup(&d);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

/* A stage fails one record of a batch (KM_RECORD_F_ERROR): with on_error
 * stop, its partition stops at that record, with the stage's reason, and
 * nothing after it reaches the target; the other partition goes on. The
 * stage's timer runs (its records, with no source, reach their topic in
 * order), its counter is in the status, and the host tells it the target's
 * partition count. */
static void test_stage_fails_one_record(void **state) {
	char topic[128], mirror[160], ticks[128], extra[512], yaml[1024], want[512], buf[32];
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	ktest_rec_t *t;
	ktest_daemon_t d;
	size_t n;
	char *st;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "recfail");
	ktest_topic_name(ticks, sizeof(ticks), "ticks");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(admin, topic, 2, NULL);
	ktest_create_topic(badmin, ticks, 1, NULL);
	/* partition 0: k 0..4, parts 5, fail 6, z 7..9; partition 1: 8 plain */
	ktest_produce_seq("a", topic, 0, "k", "v", 0, 5);
	ktest_produce_seq("a", topic, 0, "parts", "v", 5, 1);
	ktest_produce_seq("a", topic, 0, "fail", "v", 6, 1);
	ktest_produce_seq("a", topic, 0, "z", "v", 7, 3);
	ktest_produce_seq("a", topic, 1, "k", "v", 0, 8);
	snprintf(extra, sizeof(extra),
	         "    pipeline:\n"
	         "      - plugin: stage_test\n"
	         "        route_to: nowhere\n"
	         "        tick_to: %s\n"
	         "        tick_interval: 200ms\n",
	         ticks);
	flow_yaml(yaml, sizeof(yaml), topic, topic, extra);
	ktest_daemon_config(&d, yaml);
	ktest_daemon_start(&d, NULL);

	assert_int_equal(ktest_status_wait(&d, topic, "stopped", 1, COPY_TIMEOUT_MS), 1);
	ktest_status_wait(&d, topic, "records", 14, COPY_TIMEOUT_MS);
	assert_int_equal(ktest_status_part(&d, topic, topic, 0, "next"), 6);
	st = ktest_status_flow(&d, topic);
	assert_non_null(st);
	snprintf(want, sizeof(want),
	         "\"reason\":\"stage %s/flows[0].pipeline[0] failed the record at offset 6: "
	         "stage_test fails records keyed fail*\"",
	         topic);
	if (!strstr(st, want) || !strstr(st, "\"counters\":{\"seen\":"))
		fail_msg("status lacks the stage's reason or counter: %s", st);
	free(st);
	assert_true(ktest_status_wait(&d, topic, "seen", 15, COPY_TIMEOUT_MS) >= 15);
	assert_true(ktest_status_wait(&d, topic, "stage_errors", 1, COPY_TIMEOUT_MS) >= 1);
	/* the timer ran, and its records went out in order */
	ktest_wait_count(badmin, ticks, 3, COPY_TIMEOUT_MS);
	assert_true(ktest_status_wait(&d, topic, "ticks", 3, COPY_TIMEOUT_MS) >= 3);
	/* its topic exists: none of them was lost */
	assert_int_equal(ktest_status_wait(&d, topic, "unsourced_dropped", 0, COPY_TIMEOUT_MS), 0);
	assert_int_equal(ktest_daemon_stop(&d, SIGTERM, 60000), 0);

	/* partition 0 on the target: the 6 records before the failed one */
	t = ktest_read_partition("b", mirror, 0, &n);
	assert_int_equal(n, 6);
	assert_int_equal(ktest_count(badmin, mirror), 14);
	/* "parts": the host's partition count of the mirror topic */
	assert_non_null(ktest_header(&t[5], "partitions", buf, sizeof(buf)));
	assert_string_equal(buf, "2");
	ktest_recs_free(t, n);
	t = ktest_read_partition("b", ticks, 0, &n);
	for (size_t i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "%zu", i + 1);
		assert_int_equal(t[i].value_len, strlen(want));
		assert_memory_equal(t[i].value, want, strlen(want));
	}
	ktest_recs_free(t, n);
	ktest_daemon_cleanup(&d);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

/* With on_error skip, the record a stage fails is skipped and counted;
 * the partition goes on. */
static void test_stage_fails_one_record_skipped(void **state) {
	char topic[128], mirror[160], yaml[1024], want[512];
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	ktest_daemon_t d;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "recskip");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(admin, topic, 1, NULL);
	ktest_produce_seq("a", topic, 0, "k", "v", 0, 4);
	ktest_produce_seq("a", topic, 0, "fail", "v", 4, 1);
	ktest_produce_seq("a", topic, 0, "z", "v", 5, 5);
	/* a run of 300 bad records: each is counted, not each is logged */
	ktest_produce_seq("a", topic, 0, "fail", "v", 10, 300);
	flow_yaml(yaml, sizeof(yaml), topic, topic,
	          "    on_error: skip\n"
	          "    pipeline:\n"
	          "      - plugin: stage_test\n"
	          "        route_to: nowhere\n");
	ktest_daemon_config(&d, yaml);
	ktest_daemon_start(&d, NULL);
	ktest_wait_count(badmin, mirror, 9, COPY_TIMEOUT_MS);
	ktest_status_wait_caught_up(&d, topic, admin, topic, 1, COPY_TIMEOUT_MS);
	assert_int_equal(ktest_status_wait(&d, topic, "skipped", 301, COPY_TIMEOUT_MS), 301);
	assert_int_equal(ktest_status_wait(&d, topic, "active", 1, COPY_TIMEOUT_MS), 1);
	assert_int_equal(ktest_status_wait(&d, topic, "records", 9, COPY_TIMEOUT_MS), 9);
	/* the lines held back are said once their 10 s window is over */
	ktest_log_wait(&d, "more record(s) skipped (on_error: skip) in the last 10 s",
	               COPY_TIMEOUT_MS);
	assert_int_equal(ktest_daemon_stop(&d, SIGTERM, 60000), 0);
	assert_int_equal(ktest_count(badmin, mirror), 9);
	snprintf(want, sizeof(want),
	         "offset 4: stage %s/flows[0].pipeline[0] failed the record (stage_test fails "
	         "records keyed fail*); skipped it (on_error: skip)",
	         topic);
	assert_true(ktest_log_contains(&d, want));
	{
		/* at most 10 lines per window: the 301 fit in two at most */
		size_t lines = ktest_log_count(&d, "; skipped it (on_error: skip)");
		print_message("skips: %zu of 301 logged one by one\n", lines);
		assert_true(lines >= 10 && lines <= 20);
	}
	ktest_daemon_cleanup(&d);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

static int has_key_prefix(const ktest_rec_t *r, const char *prefix) {
	size_t n = strlen(prefix);

	return r->key && r->key_len >= n && !memcmp(r->key, prefix, n);
}

/* The last header of @p r is "stage: p1" and the record's own come first. */
static void assert_stage_header(const ktest_rec_t *r) {
	const char *name;
	const void *val;
	size_t sz, cnt = r->headers ? rd_kafka_header_cnt(r->headers) : 0;

	assert_int_equal(cnt, 3); /* and the provenance header, last */
	assert_int_equal(rd_kafka_header_get_all(r->headers, 2, &name, &val, &sz), 0);
	assert_string_equal(name, KTEST_PROV_HEADER);
	assert_int_equal(rd_kafka_header_get_all(r->headers, 0, &name, &val, &sz), 0);
	assert_string_equal(name, "h1");
	assert_int_equal(rd_kafka_header_get_all(r->headers, 1, &name, &val, &sz), 0);
	assert_string_equal(name, "stage");
	assert_int_equal(sz, 2);
	assert_memory_equal(val, "p1", 2);
}

/* A record stage (a real plugin through the real loader) drops, re-routes,
 * adds records and headers; the target gets exactly what it made. */
static void test_pipeline_stage(void **state) {
	char topic[128], mirror[160], routed[128], yaml[1024], extra[512], key[32], num[16];
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	rd_kafka_t *rk = ktest_producer("a", NULL);
	size_t kept = 0, dups = 0, routed_cnt = 0;
	ktest_daemon_t d;

	ktest_topic_name(topic, sizeof(topic), "staged");
	ktest_topic_name(routed, sizeof(routed), "routed");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(admin, topic, 2, NULL);
	ktest_create_topic(badmin, routed, 2, NULL);
	for (int i = 0; i < 1000; i++) {
		static const char *const kinds[] = {"drop", "route", "dup"};
		rd_kafka_headers_t *h = rd_kafka_headers_new(1);
		snprintf(key, sizeof(key), "%s-%d", i % 10 < 3 ? kinds[i % 10] : "k", i);
		snprintf(num, sizeof(num), "%d", i);
		rd_kafka_header_add(h, "h1", -1, num, -1);
		assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
		                                   RD_KAFKA_V_PARTITION(i % 2),
		                                   RD_KAFKA_V_KEY(key, strlen(key)),
		                                   RD_KAFKA_V_VALUE(num, strlen(num)),
		                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		                                   RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END),
		                 0);
	}
	ktest_flush(rk);
	ktest_destroy(rk);

	snprintf(extra, sizeof(extra),
	         "    pipeline:\n"
	         "      - plugin: stage_test\n"
	         "        route_to: %s\n"
	         "        name: p1\n",
	         routed);
	flow_yaml(yaml, sizeof(yaml), topic, topic, extra);
	ktest_daemon_config(&d, yaml);
	ktest_daemon_start(&d, NULL);
	ktest_status_wait(&d, topic, "records", 1000, COPY_TIMEOUT_MS);
	assert_int_equal(ktest_daemon_stop(&d, SIGTERM, 60000), 0);

	for (int p = 0; p < 2; p++) {
		size_t tn, rn;
		ktest_rec_t *t = ktest_read_partition("b", mirror, p, &tn);
		ktest_rec_t *r = ktest_read_partition("b", routed, p, &rn);
		for (size_t i = 0; i < tn; i++) {
			assert_false(has_key_prefix(&t[i], "drop") ||
			             has_key_prefix(&t[i], "route"));
			assert_stage_header(&t[i]);
			dups += has_key_prefix(&t[i], "dup");
		}
		for (size_t i = 0; i < rn; i++) {
			assert_true(has_key_prefix(&r[i], "route"));
			assert_stage_header(&r[i]);
		}
		kept += tn;
		routed_cnt += rn;
		ktest_recs_free(t, tn);
		ktest_recs_free(r, rn);
	}
	/* 1000 records: 100 dropped, 100 re-routed, 100 copied twice */
	assert_int_equal(routed_cnt, 100);
	assert_int_equal(dups, 200);
	assert_int_equal(kept, 900);
	ktest_daemon_cleanup(&d);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_copy_and_restart),
	    cmocka_unit_test(test_kill9),
	    cmocka_unit_test(test_kill9_target_restart),
	    cmocka_unit_test(test_stalled_partition),
	    cmocka_unit_test(test_routed_topic_created),
	    cmocka_unit_test(test_status_while_draining),
	    cmocka_unit_test(test_stage_fails_one_record),
	    cmocka_unit_test(test_stage_fails_one_record_skipped),
	    cmocka_unit_test(test_target_outage_error_ends),
	    cmocka_unit_test(test_fatal_producer_error),
	    cmocka_unit_test(test_reload),
	    cmocka_unit_test(test_pipeline_stage),
	    cmocka_unit_test(test_fetch_stall_woken),
	};
	ktest_require_testbed("a", "b", NULL);
	if (getenv("KTEST_ONLY")) /* e.g. KTEST_ONLY='*target_restart*' */
		cmocka_set_test_filter(getenv("KTEST_ONLY"));
	return cmocka_run_group_tests_name("mirror", tests, NULL, NULL);
}
