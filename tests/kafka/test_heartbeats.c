/* MirrorMaker 2's heartbeats against real Kafka: a flow writes heartbeats
 * keyed (source, target) into the target's heartbeats topic and keyed
 * (target, source) into the source's, in MM2's format; the heartbeats
 * topics are copied whatever the topic filter says, hop after hop
 * (a.heartbeats, b.a.heartbeats); emit.heartbeats: false writes none; a
 * heartbeats topic of the wrong shape stops the heartbeats on that cluster
 * only, with a message that says what to do, and they resume once it is
 * fixed, while the data copies on.
 *
 * The clusters are the bed's under aliases of this suite's own (hbA, hbB,
 * hbC), so that the heartbeats it looks for (keyed by alias) are its own
 * even where other suites' flows write into the same heartbeats topics. */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktest.h"
#include "mm2_codec.h"
#include "status.h"

#define WAIT_MS 120000

/* One flow's YAML, appended to @p buf: heartbeats every 200 ms. */
static void flow(char *buf, size_t size, const char *name, const char *src, const char *dst,
                 const char *topic, const char *extra) {
	ktest_flow_yaml(buf, size, name, src, dst, topic, "    emit.heartbeats.interval: 200ms\n",
	                extra);
}

/* Starts @p d with the bed's clusters as hbA, hbB and (@p third) hbC. */
static void start(ktest_daemon_t *d, const char *third, const char *flows) {
	ktest_start_aliased(d, "hb", third, flows);
}

/* Heartbeats keyed (@p src, @p dst) in partition 0 of @p topic on
 * @p cluster stamped at or after @p since: each is checked (MM2's version
 * 0, the record's timestamp that of its value, no headers but a copy's
 * provenance, not in the future); returns how many. 0 when the topic does not exist. */
static size_t heartbeats(const char *cluster, const char *topic, const char *src, const char *dst,
                         int64_t since) {
	rd_kafka_t *rk = ktest_producer(cluster, NULL);
	int parts = ktest_partitions(rk, topic);
	size_t n = 0, cnt = 0;
	ktest_rec_t *r;

	ktest_destroy(rk);
	if (parts <= 0)
		return 0;
	r = ktest_read_partition(cluster, topic, 0, &n);
	for (size_t i = 0; i < n; i++) {
		km_mm2_heartbeat_t h;
		char why[256];
		if (km_mm2_heartbeat_key_decode(&h, r[i].key, r[i].key_len, why, sizeof(why)) !=
		    KM_OK)
			fail_msg("%s on %s, offset %" PRId64 ": key: %s", topic, cluster,
			         r[i].offset, why);
		if (h.source.len != strlen(src) || memcmp(h.source.str, src, h.source.len) ||
		    h.target.len != strlen(dst) || memcmp(h.target.str, dst, h.target.len))
			continue;
		if (km_mm2_heartbeat_value_decode(&h, r[i].value, r[i].value_len, why,
		                                  sizeof(why)) != KM_OK)
			fail_msg("%s on %s, offset %" PRId64 ": value: %s", topic, cluster,
			         r[i].offset, why);
		if (h.timestamp_ms < since)
			continue;
		assert_int_equal(r[i].value_len, 10); /* version 0 and the timestamp */
		assert_memory_equal(r[i].value, "\0\0", 2);
		assert_int_equal(r[i].timestamp, h.timestamp_ms);
		assert_true(h.timestamp_ms <= km_wall_ms());
		/* none, but for the provenance header on copies */
		for (size_t k = 0; r[i].headers && k < rd_kafka_header_cnt(r[i].headers); k++) {
			const char *name;
			const void *v;
			size_t len;
			assert_int_equal(rd_kafka_header_get_all(r[i].headers, k, &name, &v, &len),
			                 0);
			assert_string_equal(name, KTEST_PROV_HEADER);
		}
		cnt++;
	}
	ktest_recs_free(r, n);
	return cnt;
}

/* Waits until heartbeats() finds at least @p min. */
static void wait_heartbeats(const char *cluster, const char *topic, const char *src,
                            const char *dst, int64_t since, size_t min) {
	int64_t end = ktest_now_ms() + WAIT_MS;
	size_t n;

	while ((n = heartbeats(cluster, topic, src, dst, since)) < min) {
		if (ktest_now_ms() > end)
			fail_msg("%s on %s: %zu heartbeat(s) (%s -> %s) since %" PRId64
			         ", not %zu, after %d ms",
			         topic, cluster, n, src, dst, since, min, WAIT_MS);
		ktest_pause();
	}
}

/* Deletes @p topic on @p cluster and waits until it is gone. */
static void delete_and_wait(const char *cluster, const char *topic) {
	rd_kafka_t *rk = ktest_producer(cluster, NULL);
	int64_t end = ktest_now_ms() + WAIT_MS;

	if (ktest_partitions(rk, topic) >= 0)
		ktest_delete_topic(rk, topic);
	while (ktest_partitions(rk, topic) >= 0) {
		if (ktest_now_ms() > end)
			fail_msg("%s on %s: not deleted after %d ms", topic, cluster, WAIT_MS);
		ktest_pause();
	}
	ktest_destroy(rk);
}

/* A data topic on a with @p n records: the flow's data. */
static void data_topic(char *buf, size_t size, const char *prefix, int n) {
	rd_kafka_t *a = ktest_producer("a", NULL);

	ktest_topic_name(buf, size, prefix);
	ktest_create_topic(a, buf, 1, NULL);
	ktest_produce_seq("a", buf, 0, "k", "v", 0, n);
	ktest_destroy(a);
}

static void assert_internal_shape(const char *cluster, const char *topic) {
	rd_kafka_t *rk = ktest_producer(cluster, NULL);
	char *v = ktest_topic_config(rk, topic, "cleanup.policy");

	assert_int_equal(ktest_partitions(rk, topic), 1);
	if (!v || strcmp(v, "compact"))
		fail_msg("%s on %s: cleanup.policy is %s, not compact", topic, cluster,
		         v ? v : "the broker's default");
	free(v);
	ktest_destroy(rk);
}

/* MirrorClient.replicationHops(@p alias) on @p cluster prints @p want. */
static void assert_hops(const char *cluster, const char *alias, const char *want) {
	char *out = ktest_interop("hops %s %s", ktest_bootstrap(cluster), alias);

	assert_string_equal(out, want);
	free(out);
}

/* MirrorClient.upstreamClusters() on @p cluster names @p alias (other
 * suites' heartbeats topics on the same bed may add more). */
static void assert_upstream(const char *cluster, const char *alias) {
	char *out = ktest_interop("upstream %s", ktest_bootstrap(cluster)), line[64];

	snprintf(line, sizeof(line), "\n%s\n", alias); /* a whole line */
	if (strncmp(out, line + 1, strlen(line + 1)) && !strstr(out, line))
		fail_msg("upstreamClusters on %s: \"%s\" has no line %s", cluster, out, alias);
	free(out);
}

/* ---- the tests ------------------------------------------------------------- */

/* A flow whose filter leaves the heartbeats out: hbB gets (hbA, hbB)
 * heartbeats, hbA gets (hbB, hbA) ones, and hbB gets hbA.heartbeats with
 * those copied byte for byte; both heartbeats topics compacted, one
 * partition; the status counts them. */
static void test_heartbeats_written(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], yaml[1024] = "";
	int64_t t0 = km_wall_ms();
	size_t n, an;
	ktest_rec_t *copied, *orig;

	(void)state;
	data_topic(topic, sizeof(topic), "hbdata", 10);
	flow(yaml, sizeof(yaml), "hb", "hbA", "hbB", topic, NULL);
	start(d, NULL, yaml);
	ktest_status_wait(d, "hb", "records", 10, WAIT_MS);
	wait_heartbeats("b", "heartbeats", "hbA", "hbB", t0, 3);
	/* MM2's own HeartbeatFormatter reads them */
	{
		char *out = ktest_interop("format %s heartbeats heartbeat", ktest_bootstrap("b"));
		const char *want =
		    "Heartbeat{sourceClusterAlias=hbA, targetClusterAlias=hbB, timestamp=";
		if (!strstr(out, want))
			fail_msg("HeartbeatFormatter printed no \"%s...\"", want);
		free(out);
	}
	wait_heartbeats("a", "heartbeats", "hbB", "hbA", t0, 3);
	wait_heartbeats("b", "hbA.heartbeats", "hbB", "hbA", t0, 3);
	assert_internal_shape("a", "heartbeats");
	assert_internal_shape("b", "heartbeats");

	/* the copies are the source's records, byte for byte */
	copied = ktest_read_partition("b", "hbA.heartbeats", 0, &n);
	orig = ktest_read_partition("a", "heartbeats", 0, &an);
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < an && !ktest_same_record(&copied[i], &orig[j]))
			j++;
		if (j == an)
			fail_msg("hbA.heartbeats on b, offset %" PRId64
			         ": not a record of heartbeats "
			         "on a",
			         copied[i].offset);
	}
	ktest_recs_free(copied, n);
	ktest_recs_free(orig, an);

	assert_hops("b", "hbA", "1\n");
	assert_upstream("b", "hbA");
	ktest_status_wait(d, "hb", "heartbeats", 6, WAIT_MS);
	assert_true(ktest_status_wait(d, "hb", "last_heartbeat_at", t0, WAIT_MS) <= km_wall_ms());
	ktest_status_wait_text(d, "hb", "\"heartbeat_failures\":0,", WAIT_MS);
	ktest_daemon_finish(d);
}

/* A chain hbA -> hbB -> hbC: hbC gets hbB.hbA.heartbeats, hbB.heartbeats
 * and heartbeats of its own, though no filter names them. */
static void test_heartbeats_chain(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	const char *third = getenv("KM_TESTBED_c") ? "c" : getenv("KM_TESTBED_old") ? "old" : NULL;
	char none[128], yaml[2048] = "";
	int64_t t0 = km_wall_ms();

	(void)state;
	if (!third) {
		ktest_note("no third cluster: run under with-testbed a b c");
		skip();
	}
	ktest_topic_name(none, sizeof(none), "hbnothing");
	flow(yaml, sizeof(yaml), "ab", "hbA", "hbB", none, NULL);
	flow(yaml, sizeof(yaml), "bc", "hbB", "hbC", none, NULL);
	start(d, third, yaml);
	wait_heartbeats(third, "heartbeats", "hbB", "hbC", t0, 2);
	wait_heartbeats(third, "hbB.heartbeats", "hbA", "hbB", t0, 2);
	wait_heartbeats(third, "hbB.heartbeats", "hbC", "hbB", t0, 2);
	wait_heartbeats(third, "hbB.hbA.heartbeats", "hbB", "hbA", t0, 2);
	/* MirrorMaker 2's own MirrorClient, which looks at the topics' names */
	assert_hops(third, "hbA", "2\n");
	assert_hops(third, "hbB", "1\n");
	assert_upstream(third, "hbA");
	assert_upstream(third, "hbB");
	ktest_daemon_finish(d);
}

/* Active/active hbA <-> hbB: each side gets the other's heartbeats, and
 * none comes back (hbB.hbA.heartbeats would be a cycle). */
static void test_heartbeats_no_cycle(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char none[128], yaml[2048] = "";
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	int64_t t0 = km_wall_ms();

	(void)state;
	ktest_topic_name(none, sizeof(none), "hbnothing");
	flow(yaml, sizeof(yaml), "ab", "hbA", "hbB", none, NULL);
	flow(yaml, sizeof(yaml), "ba", "hbB", "hbA", none, NULL);
	start(d, NULL, yaml);
	wait_heartbeats("b", "hbA.heartbeats", "hbB", "hbA", t0, 2);
	wait_heartbeats("a", "hbB.heartbeats", "hbA", "hbB", t0, 2);
	/* three more topic listings of each flow after both mirrors exist */
	{
		const char *const flows[] = {"ab", "ba"};
		ktest_let_flows_look(d, flows, 2, 3, WAIT_MS);
	}
	assert_int_equal(ktest_partitions(a, "hbB.hbA.heartbeats"), -1);
	assert_int_equal(ktest_partitions(b, "hbA.hbB.heartbeats"), -1);
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* emit.heartbeats: false writes none; the same check finds them once it
 * is true (so that it can fail). */
static void test_heartbeats_off(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], yaml[1024] = "", on[1024] = "";
	int64_t t0 = km_wall_ms();

	(void)state;
	data_topic(topic, sizeof(topic), "hboff", 10);
	flow(yaml, sizeof(yaml), "hboff", "hbA", "hbB", topic, "    emit.heartbeats: false\n");
	start(d, NULL, yaml);
	ktest_status_wait(d, "hboff", "records", 10, WAIT_MS);
	/* the topics task ran again twice after the copy: 2 s, 10 intervals */
	ktest_let_flows_look(d, (const char *const[]){"hboff"}, 1, 2, WAIT_MS);
	assert_int_equal(heartbeats("b", "heartbeats", "hbA", "hbB", t0), 0);
	assert_int_equal(heartbeats("a", "heartbeats", "hbB", "hbA", t0), 0);
	ktest_status_wait_text(d, "hboff", "\"heartbeats\":0,", WAIT_MS);

	flow(on, sizeof(on), "hboff", "hbA", "hbB", topic, NULL);
	ktest_daemon_rewrite(d, on);
	kill(d->pid, SIGHUP);
	ktest_log_wait(d, "reload done", WAIT_MS);
	wait_heartbeats("b", "heartbeats", "hbA", "hbB", t0, 1);
	wait_heartbeats("a", "heartbeats", "hbB", "hbA", t0, 1);
	ktest_daemon_finish(d);
}

/* b's heartbeats topic made by someone else with another shape: no
 * heartbeats there, a message that says what is wrong and what to do (log
 * and status), a's heartbeats and the data go on; once the topic is fixed,
 * heartbeats resume without a restart. */
static void shape_case(const char *name, int partitions, const char *policy, const char *want,
                       int fix_by_delete) {
	ktest_daemon_t *d = &ktest_the_daemon;
	rd_kafka_t *b = ktest_producer("b", NULL);
	char topic[128], yaml[1024] = "", msg[1024];
	int64_t t0 = km_wall_ms(), tfix;

	data_topic(topic, sizeof(topic), name, 10);
	delete_and_wait("b", "heartbeats");
	ktest_create_topic(b, "heartbeats", partitions, "cleanup.policy", policy, NULL);
	flow(yaml, sizeof(yaml), name, "hbA", "hbB", topic, NULL);
	start(d, NULL, yaml);
	snprintf(msg, sizeof(msg), "flow %s: on cluster hbB, %s (or set emit.heartbeats: false)",
	         name, want);
	ktest_log_wait(d, msg, WAIT_MS);
	ktest_status_wait_text(d, name, msg, WAIT_MS);
	ktest_status_wait(d, name, "records", 10, WAIT_MS);
	wait_heartbeats("a", "heartbeats", "hbB", "hbA", t0, 2);
	assert_int_equal(heartbeats("b", "heartbeats", "hbA", "hbB", t0), 0);
	assert_int_equal(ktest_partitions(b, "heartbeats"), partitions); /* left alone */

	tfix = km_wall_ms();
	if (fix_by_delete)
		delete_and_wait("b", "heartbeats");
	else
		ktest_alter_topic_configs(b, "heartbeats", "cleanup.policy", "compact", NULL);
	snprintf(msg, sizeof(msg), "flow %s: heartbeats topic heartbeats on hbB is usable again",
	         name);
	ktest_log_wait(d, msg, WAIT_MS);
	wait_heartbeats("b", "heartbeats", "hbA", "hbB", tfix, 2);
	/* said once, not at every retry */
	assert_int_equal(ktest_log_count(d, "no heartbeats are written there"), 1);
	ktest_daemon_finish(d);
	if (!fix_by_delete)
		delete_and_wait("b", "heartbeats"); /* the next ones make it anew */
	ktest_destroy(b);
}

static void test_shape_partitions(void **state) {
	(void)state;
	shape_case("hbparts", 2, "compact",
	           "topic heartbeats has 2 partitions; MirrorMaker 2's internal topics have one "
	           "(only partition 0 is read): delete it and let kmirror create it again",
	           1);
}

static void test_shape_cleanup_policy(void **state) {
	(void)state;
	shape_case(
	    "hbdelete", 1, "delete",
	    "topic heartbeats has cleanup.policy=delete; MirrorMaker 2's internal topics are "
	    "compacted, so that the latest record of each key is kept: set "
	    "cleanup.policy=compact on it, or delete it and let kmirror create it again",
	    0);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_heartbeats_written, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_heartbeats_chain, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_heartbeats_no_cycle, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_heartbeats_off, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_shape_partitions, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_shape_cleanup_policy, ktest_daemon_teardown),
	};
	int rc;

	ktest_require_testbed("a", "b", NULL);
	ktest_tap_begin();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ktest_tap_end();
	return rc;
}
