/* Mirror topics against real brokers: kmirrord (flow a -> b, the default
 * prefix policy) creates, grows and re-configures mirror topics as the
 * source changes, stops or skips a partition whose record the target
 * refuses, keeps a mirror topic whose source was deleted and copies it again
 * when it comes back, and continues past records the source's retention
 * deleted before they were copied.
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

/* ---- helpers --------------------------------------------------------------- */

/* Asserts that @p partition of @p topic on @p cluster holds exactly the
 * values "<tag>-<i>" for the NULL-terminated list of tags and ranges given
 * as (tag, first, n) triples, in order, with their keys. */
static void assert_values(const char *cluster, const char *topic, int32_t partition, ...) {
	size_t cnt, at = 0;
	ktest_rec_t *m = ktest_read_partition(cluster, topic, partition, &cnt);
	const char *tag;
	va_list ap;

	va_start(ap, partition);
	while ((tag = va_arg(ap, const char *))) {
		int first = va_arg(ap, int), n = va_arg(ap, int);
		for (int i = first; i < first + n; i++, at++) {
			char key[32], val[64];
			snprintf(key, sizeof(key), "k-%d", i);
			snprintf(val, sizeof(val), "%s-%d", tag, i);
			if (at >= cnt)
				fail_msg("%s [%d] on %s: %zu records; expected %s next", topic,
				         partition, cluster, cnt, val);
			if (m[at].value_len != strlen(val) ||
			    memcmp(m[at].value, val, m[at].value_len) ||
			    m[at].key_len != strlen(key) || memcmp(m[at].key, key, m[at].key_len))
				fail_msg("%s [%d] on %s: record %zu is '%.*s', not '%s' (key k-%d)",
				         topic, partition, cluster, at, (int)m[at].value_len,
				         (const char *)m[at].value, val, i);
		}
	}
	va_end(ap);
	if (at != cnt)
		fail_msg("%s [%d] on %s: %zu records, not %zu", topic, partition, cluster, cnt, at);
	ktest_recs_free(m, cnt);
}

/* Waits until @p topic on @p rk's cluster has @p n partitions; returns the
 * milliseconds it took. */
static int64_t wait_partitions(rd_kafka_t *rk, const char *topic, int n, int timeout_ms) {
	int64_t start = ktest_now_ms(), deadline = start + timeout_ms;
	int have;

	while ((have = ktest_partitions(rk, topic)) != n) {
		if (ktest_now_ms() > deadline)
			fail_msg("%s has %d partitions (-1: missing), not %d, after %d ms", topic,
			         have, n, timeout_ms);
		ktest_pause();
	}
	return ktest_now_ms() - start;
}

static void assert_config(rd_kafka_t *rk, const char *topic, const char *name, const char *want) {
	char *v = ktest_topic_config(rk, topic, name);

	if (want ? !v || strcmp(v, want) : v != NULL)
		fail_msg("%s: %s is %s, not %s", topic, name, v ? v : "(unset)",
		         want ? want : "(unset)");
	free(v);
}

/* The flow's status contains @p text. */
static int status_has(ktest_daemon_t *d, const char *flow, const char *text) {
	char *st = ktest_status_flow(d, flow);
	int found = st && strstr(st, text);

	free(st);
	return found;
}

/* Runs of the control task @p task of @p flow, from the status (-1: none). */
static int64_t task_runs(ktest_daemon_t *d, const char *flow, const char *task) {
	char *st = ktest_status_flow(d, flow), needle[128], *p;
	int64_t v = -1;

	snprintf(needle, sizeof(needle), "{\"name\":\"%s\",\"runs\":", task);
	if (st && (p = strstr(st, needle)))
		v = strtoll(p + strlen(needle), NULL, 10);
	free(st);
	return v;
}

static void wait_task_runs(ktest_daemon_t *d, const char *flow, const char *task, int64_t min) {
	int64_t deadline = ktest_now_ms() + WAIT_MS, v;

	while ((v = task_runs(d, flow, task)) < min) {
		if (ktest_now_ms() > deadline)
			fail_msg("flow %s: task %s ran %lld times, not %lld, in %d ms", flow, task,
			         (long long)v, (long long)min, WAIT_MS);
		ktest_pause();
	}
}

static void wait_status_has(ktest_daemon_t *d, const char *flow, const char *text, int timeout_ms) {
	int64_t deadline = ktest_now_ms() + timeout_ms;

	while (!status_has(d, flow, text)) {
		if (ktest_now_ms() > deadline) {
			char *st = ktest_status_flow(d, flow);
			fail_msg("status of %s never held %s within %d ms; it is: %s", flow, text,
			         timeout_ms, st ? st : "(none)");
		}
		ktest_pause();
	}
}

/* Waits until @p topic on the target holds at least @p min records; fails
 * at once, with the status, when a partition of the flow stopped. */
static void wait_copied(ktest_daemon_t *d, const char *flow, rd_kafka_t *rk, const char *topic,
                        int64_t min) {
	int64_t deadline = ktest_now_ms() + WAIT_MS, c;

	while ((c = ktest_count(rk, topic)) < min) {
		int stopped = status_has(d, flow, "\"state\":\"stopped\"");
		if (stopped || ktest_now_ms() > deadline) {
			char *st = ktest_status_flow(d, flow);
			fail_msg("%s holds %" PRId64 " records, not %" PRId64 "%s; status: %s",
			         topic, c, min, stopped ? ", and a partition stopped" : " in time",
			         st ? st : "(none)");
		}
		ktest_pause();
	}
}

/* DeleteRecords: removes the records of @p topic / @p partition before
 * offset @p before (what retention does), and checks the new log start. */
static void delete_records(rd_kafka_t *rk, const char *topic, int32_t partition, int64_t before) {
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	const rd_kafka_topic_partition_list_t *res;
	rd_kafka_DeleteRecords_t *dr;
	rd_kafka_event_t *ev;
	int64_t lo, hi;

	rd_kafka_topic_partition_list_add(l, topic, partition)->offset = before;
	dr = rd_kafka_DeleteRecords_new(l);
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_DeleteRecords(rk, &dr, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, KTEST_TIMEOUT_MS);
	if (!ev)
		fail_msg("DeleteRecords %s: no answer in %d ms", topic, KTEST_TIMEOUT_MS);
	if (rd_kafka_event_error(ev))
		fail_msg("DeleteRecords %s: %s", topic, rd_kafka_event_error_string(ev));
	res = rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
	assert_non_null(res);
	assert_int_equal(res->cnt, 1);
	if (res->elems[0].err)
		fail_msg("DeleteRecords %s [%d]: %s", topic, partition,
		         rd_kafka_err2str(res->elems[0].err));
	assert_int_equal(res->elems[0].offset, before);
	rd_kafka_event_destroy(ev);
	rd_kafka_DeleteRecords_destroy(dr);
	rd_kafka_queue_destroy(q);
	assert_int_equal(
	    rd_kafka_query_watermark_offsets(rk, topic, partition, &lo, &hi, KTEST_TIMEOUT_MS), 0);
	assert_int_equal(lo, before);
}

/* ---- 1. a topic created after the start is mirrored ------------------------ */

static void test_new_topic_mirrored_with_configs(void **state) {
	char topic[128], mirror[160];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	int64_t took;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "newtopic");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_flow_start(d, "newtopic", topic, NULL, WAIT_MS);

	/* created while kmirrord runs, with settings of its own */
	ktest_create_topic(a, topic, 3, "retention.ms", "3600000", "cleanup.policy", "compact",
	                   "max.message.bytes", "200000", "min.insync.replicas", "1",
	                   "unclean.leader.election.enable", "true", NULL);
	for (int p = 0; p < 3; p++)
		ktest_produce_seq("a", topic, p, "k", "v", p * 100, 10);

	took = wait_partitions(b, mirror, 3, 30000);
	ktest_note("mirror topic %s appeared %" PRId64 " ms after the source topic was created",
	           mirror, took);
	wait_copied(d, "newtopic", b, mirror, 30);
	ktest_status_wait(d, "newtopic", "records", 30, WAIT_MS);
	assert_true(ktest_status_wait(d, "newtopic", "topics_created", 1, WAIT_MS) == 1);
	for (int p = 0; p < 3; p++)
		assert_values("b", mirror, p, "v", p * 100, 10, NULL);

	/* the topic's own configs, less MirrorMaker 2's excluded ones */
	assert_config(b, mirror, "retention.ms", "3600000");
	assert_config(b, mirror, "cleanup.policy", "compact");
	assert_config(b, mirror, "max.message.bytes", "200000");
	assert_config(b, mirror, "min.insync.replicas", NULL);
	assert_config(b, mirror, "unclean.leader.election.enable", NULL);
	assert_true(ktest_log_contains(d, "created mirror topic"));

	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* ---- 2. partitions added on the source ---------------------------------------- */

static void test_partitions_added(void **state) {
	char topic[128], mirror[160];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "grow");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 2, NULL);
	ktest_produce_seq("a", topic, 0, "k", "p0", 0, 5);
	ktest_produce_seq("a", topic, 1, "k", "p1", 0, 5);
	ktest_flow_start(d, "grow", topic, NULL, WAIT_MS);
	wait_copied(d, "grow", b, mirror, 10);
	assert_int_equal(ktest_partitions(b, mirror), 2);

	ktest_create_partitions(a, topic, 4);
	wait_partitions(b, mirror, 4, 30000);
	assert_true(ktest_status_wait(d, "grow", "partitions_created", 2, WAIT_MS) == 2);
	ktest_produce_seq("a", topic, 2, "k", "p2", 0, 7);
	ktest_produce_seq("a", topic, 3, "k", "p3", 0, 9);
	ktest_produce_seq("a", topic, 0, "k", "p0", 5, 1);
	wait_copied(d, "grow", b, mirror, 27);
	ktest_status_wait(d, "grow", "records", 27, WAIT_MS);

	/* each record in the partition of its number */
	assert_values("b", mirror, 0, "p0", 0, 6, NULL);
	assert_values("b", mirror, 1, "p1", 0, 5, NULL);
	assert_values("b", mirror, 2, "p2", 0, 7, NULL);
	assert_values("b", mirror, 3, "p3", 0, 9, NULL);
	/* every partition active: none stopped or gone, whatever their number */
	assert_int_equal(ktest_status_wait(d, "grow", "stopped", 0, WAIT_MS), 0);
	assert_int_equal(ktest_status_wait(d, "grow", "gone", 0, WAIT_MS), 0);
	assert_int_equal(ktest_status_wait(d, "grow", "active", 0, WAIT_MS), 4);

	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* ---- 3. config sync keeps the target's own settings ------------------------------ */

static void test_config_sync_merges(void **state) {
	char topic[128], mirror[160], want[320];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	int64_t synced, runs;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "cfgsync");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 1, "retention.ms", "100000", NULL);
	ktest_flow_start(d, "cfgsync", topic, NULL, WAIT_MS);
	wait_partitions(b, mirror, 1, 30000);
	assert_config(b, mirror, "retention.ms", "100000");

	/* A setting made on the target alone (AlterConfigs replaces the set:
	 * give the mirrored one too, so the two sides still agree). */
	ktest_alter_topic_configs(b, mirror, "retention.ms", "100000", "segment.ms", "7200000",
	                          NULL);
	ktest_wait_topic_config(b, mirror, "segment.ms", "7200000", 30000);
	synced = ktest_status_wait(d, "cfgsync", "configs_synced", 0, WAIT_MS);

	/* the source changes: the change reaches the target, the target's own
	 * setting stays */
	ktest_alter_topic_configs(a, topic, "retention.ms", "200000", NULL);
	ktest_wait_topic_config(b, mirror, "retention.ms", "200000", WAIT_MS);
	ktest_status_wait(d, "cfgsync", "configs_synced", synced + 1, WAIT_MS);
	assert_config(b, mirror, "segment.ms", "7200000");
	assert_config(a, topic, "segment.ms", NULL);

	/* A later sync round, with nothing changed, leaves both as they are
	 * and writes nothing: wait for two more rounds of the config task to
	 * end (the first may have begun before the change was synced). */
	runs = task_runs(d, "cfgsync", "configs");
	wait_task_runs(d, "cfgsync", "configs", runs + 2);
	assert_int_equal(ktest_status_wait(d, "cfgsync", "configs_synced", 0, WAIT_MS), synced + 1);
	assert_config(b, mirror, "retention.ms", "200000");
	assert_config(b, mirror, "segment.ms", "7200000");
	assert_config(a, topic, "segment.ms", NULL);

	/* and the next change is synced again */
	ktest_alter_topic_configs(a, topic, "retention.ms", "300000", NULL);
	ktest_wait_topic_config(b, mirror, "retention.ms", "300000", WAIT_MS);
	assert_config(b, mirror, "segment.ms", "7200000");
	/* each sync names what changed and the API it went through: with
	 * librdkafka >= 2.2 IncrementalAlterConfigs with retention.ms alone,
	 * with 2.0.2 AlterConfigs with the merged set */
	snprintf(want, sizeof(want),
	         "flow cfgsync: synced topic configs of %s with %s: retention.ms", mirror,
#if HAVE_DECL_RD_KAFKA_INCREMENTALALTERCONFIGS
	         "IncrementalAlterConfigs"
#else
	         "AlterConfigs"
#endif
	);
	assert_true(ktest_log_contains(d, want));

	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* ---- 4. a record the target refuses ---------------------------------------------- */

#define BIG_RECORD  20000
#define SMALL_LIMIT "4000"

/* Mirrors a 3-partition topic, then lowers the target topic's
 * max.message.bytes (the source sets none, so config sync leaves it) and
 * produces a big record to partition 0. */
static void refuse_setup(ktest_daemon_t *d, const char *flow, char *topic, size_t tsize,
                         char *mirror, size_t msize, const char *extra) {
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);

	ktest_topic_name(topic, tsize, flow);
	snprintf(mirror, msize, "a.%s", topic);
	ktest_create_topic(a, topic, 3, NULL);
	for (int p = 0; p < 3; p++)
		ktest_produce_seq("a", topic, p, "k", "pre", p * 100, 3);
	ktest_flow_start(d, flow, topic, extra, WAIT_MS);
	ktest_wait_count(b, mirror, 9, WAIT_MS);
	ktest_alter_topic_configs(b, mirror, "max.message.bytes", SMALL_LIMIT, NULL);
	ktest_wait_topic_config(b, mirror, "max.message.bytes", SMALL_LIMIT, 30000);

	ktest_produce_big(topic, 0, BIG_RECORD);
	ktest_destroy(a);
	ktest_destroy(b);
}

static void test_refused_record_stops_partition(void **state) {
	char topic[128], mirror[160], want[300];
	rd_kafka_t *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	char *st;

	(void)state;
	refuse_setup(d, "refuse", topic, sizeof(topic), mirror, sizeof(mirror), NULL);
	ktest_status_wait(d, "refuse", "stopped", 1, WAIT_MS);
	snprintf(want, sizeof(want),
	         "{\"topic\":\"%s\",\"partition\":0,\"state\":\"stopped\",\"next\":3,", topic);
	st = ktest_status_flow(d, "refuse");
	assert_non_null(st);
	if (!strstr(st, want) ||
	    !strstr(st, "\"reason\":\"the target refused the record at offset 3: Broker: Message "
	                "size too large\""))
		fail_msg("status: %s", st);
	free(st);

	/* the other partitions keep flowing after the failure */
	ktest_produce_seq("a", topic, 1, "k", "post", 1000, 4);
	ktest_produce_seq("a", topic, 2, "k", "post", 2000, 5);
	ktest_wait_count(b, mirror, 18, WAIT_MS);
	assert_values("b", mirror, 1, "pre", 100, 3, "post", 1000, 4, NULL);
	assert_values("b", mirror, 2, "pre", 200, 3, "post", 2000, 5, NULL);
	assert_values("b", mirror, 0, "pre", 0, 3, NULL);
	assert_true(ktest_status_wait(d, "refuse", "active", 2, WAIT_MS) == 2);
	assert_true(ktest_status_wait(d, "refuse", "stopped", 1, WAIT_MS) == 1);
	assert_true(ktest_status_wait(d, "refuse", "skipped", 0, WAIT_MS) == 0);

	/* the log says what happened and what to do */
	snprintf(want, sizeof(want), "flow refuse: partition %s [0] stopped: the target refused",
	         topic);
	assert_true(ktest_log_contains(d, want));
	assert_true(ktest_log_contains(
	    d, "fix the cause (e.g. the target topic's max.message.bytes) and restart kmirrord, "
	       "or set on_error: skip"));

	ktest_daemon_finish(d);
	ktest_destroy(b);
}

static void test_refused_record_skipped(void **state) {
	char topic[128], mirror[160], want[300];
	rd_kafka_t *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	refuse_setup(d, "skip", topic, sizeof(topic), mirror, sizeof(mirror),
	             "    on_error: skip\n");
	ktest_status_wait(d, "skip", "skipped", 1, WAIT_MS);
	ktest_produce_seq("a", topic, 0, "k", "post", 0, 6);
	ktest_produce_seq("a", topic, 1, "k", "post", 1000, 2);
	ktest_wait_count(b, mirror, 17, WAIT_MS);

	/* partition 0 goes on past the skipped record */
	assert_values("b", mirror, 0, "pre", 0, 3, "post", 0, 6, NULL);
	assert_values("b", mirror, 1, "pre", 100, 3, "post", 1000, 2, NULL);
	assert_true(ktest_status_wait(d, "skip", "records", 17, WAIT_MS) >= 17);
	assert_true(ktest_status_wait(d, "skip", "skipped", 1, WAIT_MS) == 1);
	assert_true(ktest_status_wait(d, "skip", "active", 3, WAIT_MS) == 3);
	assert_false(status_has(d, "skip", "\"state\":\"stopped\""));
	snprintf(want, sizeof(want),
	         "flow skip: %s [0] offset 3: the target refused the record (Broker: Message size "
	         "too large); skipped it (on_error: skip)",
	         topic);
	assert_true(ktest_log_contains(d, want));

	ktest_daemon_finish(d);
	ktest_destroy(b);
}

/* ---- 5. the source topic deleted and created again ------------------------------- */

static void test_deleted_topic_kept_and_recreated(void **state) {
	char topic[128], mirror[160];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	int64_t deadline;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "deleted");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 2, NULL);
	ktest_produce_seq("a", topic, 0, "k", "old", 0, 4);
	ktest_produce_seq("a", topic, 1, "k", "old", 100, 6);
	ktest_flow_start(d, "deleted", topic, NULL, WAIT_MS);
	wait_copied(d, "deleted", b, mirror, 10);
	ktest_status_wait(d, "deleted", "records", 10, WAIT_MS);

	ktest_delete_topic(a, topic);
	ktest_status_wait(d, "deleted", "gone", 2, WAIT_MS);
	wait_status_has(d, "deleted", "\"partition\":1,\"state\":\"gone\",\"next\":6,", WAIT_MS);
	assert_true(status_has(d, "deleted",
	                       "\"reason\":\"the source topic was deleted; the mirror topic is "
	                       "kept\""));
	assert_int_equal(ktest_status_part(d, "deleted", topic, 1, "lost"), 0);
	assert_true(ktest_log_contains(d, "was deleted: its partitions stopped, the mirror topic"));
	/* the mirror topic and its records stay */
	assert_int_equal(ktest_partitions(b, mirror), 2);
	assert_values("b", mirror, 0, "old", 0, 4, NULL);
	assert_values("b", mirror, 1, "old", 100, 6, NULL);

	/* created again (once the deletion is complete) and written to: its
	 * records are copied from its beginning */
	deadline = ktest_now_ms() + WAIT_MS;
	while (ktest_partitions(a, topic) != -1) {
		if (ktest_now_ms() > deadline)
			fail_msg("%s still exists on a after deletion", topic);
		ktest_pause();
	}
	ktest_create_topic(a, topic, 2, NULL);
	ktest_produce_seq("a", topic, 0, "k", "new", 0, 3);
	ktest_produce_seq("a", topic, 1, "k", "new", 100, 2);
	wait_copied(d, "deleted", b, mirror, 15);
	ktest_status_wait(d, "deleted", "active", 2, WAIT_MS);
	assert_values("b", mirror, 0, "old", 0, 4, "new", 0, 3, NULL);
	assert_values("b", mirror, 1, "old", 100, 6, "new", 100, 2, NULL);
	ktest_log_wait(d, "exists again: copying it from its beginning", WAIT_MS);
	assert_false(status_has(d, "deleted", "\"state\":\"gone\""));

	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* ---- 6. retention ran past the stored progress --------------------------------- */

static void test_retention_past_progress(void **state) {
	char topic[128], mirror[160], want[400];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "retention");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 1, NULL);
	ktest_produce_seq("a", topic, 0, "k", "v", 0, 10);
	ktest_flow_start(d, topic, topic, NULL, WAIT_MS); /* a flow of its own: no older progress */
	ktest_status_wait(d, topic, "records", 10, WAIT_MS);
	/* SIGTERM drains and stores the progress: next is 10 */
	assert_int_equal(ktest_daemon_stop(d, SIGTERM, 60000), 0);

	/* while it is down: 30 more records, then the first 25 of the log go */
	ktest_produce_seq("a", topic, 0, "k", "v", 10, 30);
	delete_records(a, topic, 0, 25);

	ktest_daemon_start(d, NULL);
	ktest_status_wait(d, topic, "lost_at_source", 15, WAIT_MS);
	ktest_status_wait(d, topic, "records", 15, WAIT_MS);
	wait_copied(d, topic, b, mirror, 25);
	assert_values("b", mirror, 0, "v", 0, 10, "v", 25, 15, NULL);
	assert_true(ktest_status_wait(d, topic, "lost_at_source", 0, WAIT_MS) == 15);
	wait_status_has(d, topic, "\"partition\":0,\"state\":\"active\",\"next\":40,", WAIT_MS);
	assert_int_equal(ktest_status_part(d, topic, topic, 0, "lost"), 15);
	assert_true(ktest_log_contains(d, "loaded progress of 1 partition(s)"));
	snprintf(want, sizeof(want),
	         "flow %s: %s [0]: the source's retention deleted offsets 10..24 before they "
	         "were copied: 15 records lost at the source; continuing from 25",
	         topic, topic);
	assert_true(ktest_log_contains(d, want));

	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* A mirror topic made beforehand with more partitions than the source: it is
 * reported once and records keep their partition numbers. */
static void test_target_has_more_partitions(void **state) {
	char topic[128], mirror[160], want[1024];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "wider");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 2, NULL);
	ktest_create_topic(b, mirror, 4, NULL);
	ktest_produce_seq("a", topic, 0, "k", "p0", 0, 5);
	ktest_produce_seq("a", topic, 1, "k", "p1", 0, 5);
	ktest_flow_start(d, topic, topic, NULL, WAIT_MS);
	wait_copied(d, topic, b, mirror, 10);
	assert_values("b", mirror, 0, "p0", 0, 5, NULL);
	assert_values("b", mirror, 1, "p1", 0, 5, NULL);
	assert_int_equal(ktest_count(b, mirror), 10); /* nothing in partitions 2 and 3 */
	assert_int_equal(ktest_partitions(b, mirror), 4);
	snprintf(want, sizeof(want),
	         "flow %s: mirror topic %s has 4 partitions, more than %s's 2: records keep their "
	         "partition number; the extra partitions get nothing",
	         topic, mirror, topic);
	assert_true(ktest_log_contains(d, want));
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* Kafka 3.9 -> 4.x: a topic config the target's Kafka no longer has
 * (message.downconversion.enable, removed in 4.0) is left out, with a
 * notice, instead of failing the mirror topic's creation. */
static void test_cross_version_configs(void **state) {
	char topic[128], mirror[160], yaml[1024], want[1024], *v;
	rd_kafka_t *old, *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	ktest_bootstrap("old"); /* the bed of make check-kafka has a 3.9.2 cluster */
	old = ktest_producer("old", NULL);
	ktest_topic_name(topic, sizeof(topic), "crossver");
	snprintf(mirror, sizeof(mirror), "old.%s", topic);
	ktest_create_topic(old, topic, 2, "retention.ms", "7200000",
	                   "message.downconversion.enable", "false", NULL);
	ktest_produce_seq("old", topic, 1, "k", "x", 0, 20);
	snprintf(yaml, sizeof(yaml),
	         "flows:\n"
	         "  - name: %s\n"
	         "    source: old\n"
	         "    target: b\n"
	         "    refresh.topics.interval: 1s\n"
	         "    topics: {include: ['%s']}\n",
	         topic, topic);
	ktest_daemon_config(d, yaml);
	ktest_daemon_start(d, NULL);
	wait_copied(d, topic, b, mirror, 20);
	assert_values("b", mirror, 1, "x", 0, 20, NULL);
	assert_int_equal(ktest_partitions(b, mirror), 2);
	assert_non_null(v = ktest_topic_config(b, mirror, "retention.ms"));
	assert_string_equal(v, "7200000");
	free(v);
	assert_null(ktest_topic_config(b, mirror, "message.downconversion.enable"));
	snprintf(want, sizeof(want),
	         "flow %s: %s: config message.downconversion.enable is not known to the target's "
	         "Kafka; not copied",
	         topic, mirror);
	assert_true(ktest_log_contains(d, want));
	ktest_daemon_finish(d);
	ktest_destroy(old);
	ktest_destroy(b);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_new_topic_mirrored_with_configs, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_partitions_added, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_config_sync_merges, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_refused_record_stops_partition, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_refused_record_skipped, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_deleted_topic_kept_and_recreated, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_retention_past_progress, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_target_has_more_partitions, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_cross_version_configs, ktest_daemon_teardown),
	};

	ktest_require_testbed("a", "b", NULL);
	if (getenv("KTEST_ONLY")) /* e.g. KTEST_ONLY='*partitions*' */
		cmocka_set_test_filter(getenv("KTEST_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
