/* on_error against real Kafka: records a stage fails, one by one or a
 * whole batch, and records the target refuses go to the dead-letter topic
 * unchanged, with headers that say why, and the partition goes on; a record
 * the dead-letter topic refuses too stops its partition, and nothing is
 * lost: once the cause is fixed, a restart sends it. A stage that fails a
 * batch of several partitions stops only the partition whose records it
 * fails. */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ktest.h"

#define WAIT_MS 120000 /* deadline for kmirrord to converge */

/* Record timestamps: an hour ago, so that the brokers' retention (7 days)
 * keeps every record during the test. */
static int64_t base_ts;

#define BIG_RECORD  20000
#define SMALL_LIMIT "4000"

/* ---- helpers --------------------------------------------------------------- */

/* Produces records keyed "<prefix>-<i>", valued "v-<i>", i in [first,
 * first + n), each with headers "h: <i>" and a null-valued "hnull", and
 * timestamp base_ts + i. */
static void produce_keyed(const char *topic, int32_t partition, const char *prefix, int first,
                          int n) {
	rd_kafka_t *rk = ktest_producer("a", "enable.idempotence", "true", NULL);
	char key[64], val[64], num[16];

	for (int i = first; i < first + n; i++) {
		rd_kafka_headers_t *h = rd_kafka_headers_new(2);
		snprintf(key, sizeof(key), "%s-%d", prefix, i);
		snprintf(val, sizeof(val), "v-%d", i);
		snprintf(num, sizeof(num), "%d", i);
		rd_kafka_header_add(h, "h", -1, num, -1);
		rd_kafka_header_add(h, "hnull", -1, NULL, 0);
		assert_int_equal(
		    rd_kafka_producev(
		        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
		        RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(val, strlen(val)),
		        RD_KAFKA_V_TIMESTAMP(base_ts + i), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		        RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END),
		    0);
	}
	ktest_flush(rk);
	ktest_destroy(rk);
}

/* The source record, unchanged, with the dead-letter headers after its
 * own: its key, value, timestamp, "h" and "hnull". */
static void assert_unchanged(const ktest_rec_t *r, int i) {
	char want[64];
	const char *name;
	const void *val;
	size_t sz;

	snprintf(want, sizeof(want), "v-%d", i);
	assert_int_equal(r->value_len, strlen(want));
	assert_memory_equal(r->value, want, strlen(want));
	assert_int_equal(r->timestamp, base_ts + i);
	assert_int_equal(rd_kafka_header_get_all(r->headers, 0, &name, &val, &sz), 0);
	assert_string_equal(name, "h");
	snprintf(want, sizeof(want), "%d", i);
	assert_int_equal(sz, strlen(want));
	assert_memory_equal(val, want, sz);
	assert_int_equal(rd_kafka_header_get_all(r->headers, 1, &name, &val, &sz), 0);
	assert_string_equal(name, "hnull");
	assert_null(val);
	assert_int_equal(rd_kafka_header_get_all(r->headers, 2, &name, &val, &sz), 0);
	assert_string_equal(name, "kmirror.error.flow");
}

/* ---- the tests ------------------------------------------------------------- */

/* A stage fails single records: each goes to the dead-letter topic
 * (created by kmirror) unchanged, with headers that say who failed it and
 * why; its partition goes on past it; a restart copies nothing again. */
static void test_stage_record_dead_lettered(void **state) {
	char topic[128], mirror[160], dlq[128], extra[512], want[600], keys[1024];
	rd_kafka_t *b = ktest_producer("b", NULL), *a = ktest_producer("a", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	ktest_rec_t *r;
	size_t n;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "dlstage");
	ktest_topic_name(dlq, sizeof(dlq), "dlq");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 2, NULL);
	produce_keyed(topic, 0, "k", 0, 5);
	produce_keyed(topic, 0, "fail", 5, 1);
	produce_keyed(topic, 0, "k", 6, 3);
	produce_keyed(topic, 1, "k", 100, 2);
	produce_keyed(topic, 1, "fail", 102, 1);
	produce_keyed(topic, 1, "k", 103, 2);
	snprintf(extra, sizeof(extra),
	         "    on_error: dead-letter\n"
	         "    dead_letter.topic: %s\n"
	         "    pipeline:\n"
	         "      - plugin: stage_test\n"
	         "        route_to: nowhere\n",
	         dlq);
	ktest_flow_start(d, "dls", topic, extra, WAIT_MS);
	assert_int_equal(ktest_status_wait(d, "dls", "dead_lettered", 2, WAIT_MS), 2);
	ktest_status_wait_caught_up(d, "dls", a, topic, 2, WAIT_MS);
	assert_int_equal(ktest_status_wait(d, "dls", "active", 2, WAIT_MS), 2);
	assert_int_equal(ktest_status_part(d, "dls", topic, 0, "dead_lettered"), 1);
	assert_int_equal(ktest_status_part(d, "dls", topic, 0, "next"), 9);
	assert_int_equal(ktest_status_part(d, "dls", topic, 1, "next"), 5);
	snprintf(want, sizeof(want),
	         "flow dls: %s [0] offset 5: stage dls/flows[0].pipeline[0] failed the record "
	         "(stage_test fails records keyed fail*); sent it to the dead-letter topic %s "
	         "(on_error: dead-letter)",
	         topic, dlq);
	ktest_log_wait(d, want, WAIT_MS);
	assert_int_equal(ktest_daemon_stop(d, SIGTERM, 60000), 0);

	/* the mirror has every other record, in order */
	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "k-0,k-1,k-2,k-3,k-4,k-6,k-7,k-8");
	ktest_keys_of("b", mirror, 1, keys, sizeof(keys));
	assert_string_equal(keys, "k-100,k-101,k-103,k-104");

	/* the dead-letter topic (created with the source's 2 partitions) has
	 * the failed ones, each in its source partition, unchanged, and why */
	assert_int_equal(ktest_partitions(b, dlq), 2);
	ktest_keys_of("b", dlq, 0, keys, sizeof(keys));
	assert_string_equal(keys, "fail-5");
	ktest_keys_of("b", dlq, 1, keys, sizeof(keys));
	assert_string_equal(keys, "fail-102");
	r = ktest_read_all("b", dlq, &n);
	assert_int_equal(n, 2);
	for (int i = 0; i < 2; i++) {
		const ktest_rec_t *x = ktest_find_key(r, n, i ? "fail-102" : "fail-5");
		assert_unchanged(x, i ? 102 : 5);
		ktest_assert_header(x, "kmirror.error.flow", "dls");
		ktest_assert_header(x, "kmirror.error.source.cluster", "a");
		ktest_assert_header(x, "kmirror.error.source.topic", topic);
		ktest_assert_header(x, "kmirror.error.source.partition", i ? "1" : "0");
		ktest_assert_header(x, "kmirror.error.source.offset", i ? "2" : "5");
		ktest_assert_header(x, "kmirror.error.stage", "dls/flows[0].pipeline[0]");
		ktest_assert_header(x, "kmirror.error.code", "KM_ERR_STAGE");
		ktest_assert_header(x, "kmirror.error.message",
		                    "stage_test fails records keyed fail*");
	}
	ktest_recs_free(r, n);

	/* progress moved past them: a restart sends nothing twice */
	ktest_daemon_start(d, NULL);
	produce_keyed(topic, 0, "k", 9, 1);
	ktest_status_wait_caught_up(d, "dls", a, topic, 2, WAIT_MS);
	ktest_daemon_finish(d);
	assert_int_equal(ktest_count(b, dlq), 2);
	assert_int_equal(ktest_count(b, mirror), 13);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* A flow on a topic of two partitions whose consumer's fetches wait for a
 * second (or a megabyte). Once a record of each partition was copied, so
 * that each fetch asks for both, one produce request brings records of
 * both: partition 0's first (offset 1) makes the stage fail its whole
 * batch, partition 1 has none. The fetch that brings them brings both
 * partitions' records together, so their batches hold both. */
static void poison_setup(ktest_daemon_t *d, const char *flow, char *topic, size_t tsize,
                         const char *more) {
	rd_kafka_t *a = ktest_producer("a", NULL), *rk;
	char extra[512], key[32];

	ktest_topic_name(topic, tsize, flow);
	ktest_create_topic(a, topic, 2, NULL);
	snprintf(extra, sizeof(extra),
	         "%s"
	         "    consumer: {fetch.wait.max.ms: 1000, fetch.min.bytes: 1000000}\n"
	         "    pipeline:\n"
	         "      - plugin: stage_test\n"
	         "        route_to: nowhere\n"
	         "        poison: poison\n",
	         more);
	ktest_flow_start(d, flow, topic, extra, WAIT_MS);
	produce_keyed(topic, 0, "w", 0, 1);
	produce_keyed(topic, 1, "w", 0, 1);
	ktest_status_wait_caught_up(d, flow, a, topic, 2, WAIT_MS);
	rk = ktest_producer("a", "enable.idempotence", "true", "linger.ms", "200", NULL);
	for (int i = 0; i < 50; i++) {
		int p0 = i < 6;
		for (int part = p0 ? 0 : 1; part < 2; part++) {
			snprintf(key, sizeof(key), "%s-%d",
			         part ? "k"
			         : i  ? "k"
			              : "poison",
			         part ? 100 + i : i);
			assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
			                                   RD_KAFKA_V_PARTITION(part),
			                                   RD_KAFKA_V_KEY(key, strlen(key)),
			                                   RD_KAFKA_V_VALUE(key, strlen(key)),
			                                   RD_KAFKA_V_TIMESTAMP(base_ts + i),
			                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			                                   RD_KAFKA_V_END),
			                 0);
		}
	}
	ktest_flush(rk);
	ktest_destroy(rk);
	ktest_destroy(a);
}

/* The log says the stage failed a batch of partition 0's records of
 * @p topic, and never one of partition 1's. */
static void assert_partition_failed_alone(ktest_daemon_t *d, const char *topic) {
	char want[300];

	snprintf(want, sizeof(want), "record(s) of %s [0]", topic);
	ktest_log_wait(d, want, WAIT_MS);
	assert_true(ktest_log_contains(d, ": a poisoned batch"));
	snprintf(want, sizeof(want), "record(s) of %s [1]", topic);
	if (ktest_log_contains(d, want))
		fail_msg("the log says partition 1 failed: \"%s\"", want);
}

/* A stage fails whole batches that hold a poisoned record: with on_error
 * stop only partition 0 stops, with the stage's reason; partition 1, whose
 * records usually come in the same batches, is copied whole. */
static void test_batch_failure_stops_its_partition_only(void **state) {
	char topic[128], mirror[160], want[600];
	rd_kafka_t *a = ktest_producer("a", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	char *st;

	(void)state;
	poison_setup(d, "poison", topic, sizeof(topic), "");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	assert_int_equal(ktest_status_wait(d, "poison", "stopped", 1, WAIT_MS), 1);
	ktest_status_wait(d, "poison", "records", 52, WAIT_MS);
	assert_int_equal(ktest_status_part(d, "poison", topic, 1, "next"), 51);
	assert_int_equal(ktest_status_part(d, "poison", topic, 0, "next"), 1);
	st = ktest_status_flow(d, "poison");
	assert_non_null(st);
	snprintf(want, sizeof(want),
	         "\"reason\":\"stage poison/flows[0].pipeline[0] failed the record at offset 1: "
	         "a poisoned batch\"");
	if (!strstr(st, want) || !strstr(st, "\"active\":1,\"stopped\":1"))
		fail_msg("status: %s",
		         strstr(st, "\"partition_list\"") ? strstr(st, "\"partition_list\"") : st);
	free(st);
	/* the failed batch is partition 0's, given on its own when the batch
	 * held both partitions (that depends on the fetches' timing); never
	 * partition 1's */
	assert_partition_failed_alone(d, topic);
	ktest_daemon_finish(d);
	{
		rd_kafka_t *b = ktest_producer("b", NULL);
		assert_int_equal(ktest_count(b, mirror), 52);
		ktest_destroy(b);
	}
	ktest_destroy(a);
}

/* The same with on_error dead-letter: partition 0's records of the failed
 * batch go to the dead-letter topic, each with the stage's reason;
 * partition 1 is copied whole; both stay active. */
static void test_batch_failure_dead_lettered(void **state) {
	char topic[128], mirror[160], dlq[128], more[256];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	ktest_rec_t *r;
	size_t n, dl;

	(void)state;
	ktest_topic_name(dlq, sizeof(dlq), "dlqb");
	snprintf(more, sizeof(more), "    on_error: dead-letter\n    dead_letter.topic: %s\n", dlq);
	poison_setup(d, "poisondl", topic, sizeof(topic), more);
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_status_wait_caught_up(d, "poisondl", a, topic, 2, WAIT_MS);
	assert_int_equal(ktest_status_wait(d, "poisondl", "active", 2, WAIT_MS), 2);
	dl = (size_t)ktest_status_wait(d, "poisondl", "dead_lettered", 1, WAIT_MS);
	assert_partition_failed_alone(d, topic);
	ktest_daemon_finish(d);

	/* the poisoned record and those of its partition in its batch */
	r = ktest_read_all("b", dlq, &n);
	assert_int_equal(n, dl);
	assert_true(n >= 1 && n <= 6);
	ktest_find_key(r, n, "poison-0");
	for (size_t i = 0; i < n; i++) {
		ktest_assert_header(&r[i], "kmirror.error.source.partition", "0");
		ktest_assert_header(&r[i], "kmirror.error.stage", "poisondl/flows[0].pipeline[0]");
		ktest_assert_header(&r[i], "kmirror.error.code", "KM_ERR_STAGE");
		ktest_assert_header(&r[i], "kmirror.error.message", "a poisoned batch");
	}
	ktest_recs_free(r, n);
	/* nothing of partition 0 lost: mirrored or dead-lettered */
	assert_int_equal(ktest_count(b, mirror) + (int64_t)n, 58);
	{
		size_t m;
		ktest_rec_t *t = ktest_read_partition("b", mirror, 1, &m);
		assert_int_equal(m, 51);
		ktest_recs_free(t, m);
	}
	ktest_destroy(a);
	ktest_destroy(b);
}

/* Mirrors a 2-partition topic with @p extra, lowers the mirror topic's
 * max.message.bytes and produces a big record to partition 0 (offset 3). */
static void refuse_setup(ktest_daemon_t *d, const char *flow, char *topic, size_t tsize,
                         char *mirror, size_t msize, const char *extra) {
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);

	ktest_topic_name(topic, tsize, flow);
	snprintf(mirror, msize, "a.%s", topic);
	ktest_create_topic(a, topic, 2, NULL);
	produce_keyed(topic, 0, "k", 0, 3);
	produce_keyed(topic, 1, "k", 100, 3);
	ktest_flow_start(d, flow, topic, extra, WAIT_MS);
	ktest_wait_count(b, mirror, 6, WAIT_MS);
	ktest_alter_topic_configs(b, mirror, "max.message.bytes", SMALL_LIMIT, NULL);
	ktest_wait_topic_config(b, mirror, "max.message.bytes", SMALL_LIMIT, WAIT_MS);
	ktest_produce_big(topic, 0, BIG_RECORD);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* No pipeline: a record the target refuses goes to the dead-letter topic
 * with its own bytes, and the partition goes on. */
static void test_target_refused_dead_lettered(void **state) {
	char topic[128], mirror[160], dlq[128], extra[256], keys[512], want[600];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	ktest_rec_t *r, *s;
	size_t n, sn;

	(void)state;
	ktest_topic_name(dlq, sizeof(dlq), "dlqt");
	ktest_create_topic(b, dlq, 1, NULL);
	snprintf(extra, sizeof(extra), "    on_error: dead-letter\n    dead_letter.topic: %s\n",
	         dlq);
	refuse_setup(d, "dltarget", topic, sizeof(topic), mirror, sizeof(mirror), extra);
	assert_int_equal(ktest_status_wait(d, "dltarget", "dead_lettered", 1, WAIT_MS), 1);
	snprintf(want, sizeof(want),
	         "flow dltarget: %s [0] offset 3: the target refused the record (Broker: Message "
	         "size too large); sent it to the dead-letter topic %s (on_error: dead-letter)",
	         topic, dlq);
	ktest_log_wait(d, want, WAIT_MS);
	produce_keyed(topic, 0, "k", 4, 2);
	ktest_status_wait_caught_up(d, "dltarget", a, topic, 2, WAIT_MS);
	assert_int_equal(ktest_status_wait(d, "dltarget", "active", 2, WAIT_MS), 2);
	ktest_daemon_finish(d);

	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "k-0,k-1,k-2,k-4,k-5");
	r = ktest_read_partition("b", dlq, 0, &n);
	s = ktest_read_partition("a", topic, 0, &sn);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].key_len, 3);
	assert_memory_equal(r[0].key, "big", 3);
	assert_int_equal(r[0].value_len, BIG_RECORD);
	assert_memory_equal(r[0].value, s[3].value, BIG_RECORD);
	assert_int_equal(r[0].timestamp, s[3].timestamp);
	ktest_assert_header(&r[0], "kmirror.error.stage", "target");
	ktest_assert_header(&r[0], "kmirror.error.code", "KAFKA_MSG_SIZE_TOO_LARGE");
	ktest_assert_header(&r[0], "kmirror.error.message", "Broker: Message size too large");
	ktest_assert_header(&r[0], "kmirror.error.source.offset", "3");
	ktest_recs_free(r, n);
	ktest_recs_free(s, sn);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* The dead-letter topic refuses the record too: its partition stops there
 * (the other goes on); once the dead-letter topic takes it, a restart
 * sends it and the partition goes on: nothing was lost. */
static void test_dead_letter_refused_stops(void **state) {
	char topic[128], mirror[160], dlq[128], extra[256], want[400], keys[512];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	char *st;

	(void)state;
	ktest_topic_name(dlq, sizeof(dlq), "dlqsmall");
	ktest_create_topic(b, dlq, 1, "max.message.bytes", SMALL_LIMIT, NULL);
	snprintf(extra, sizeof(extra), "    on_error: dead-letter\n    dead_letter.topic: %s\n",
	         dlq);
	refuse_setup(d, "dlrefused", topic, sizeof(topic), mirror, sizeof(mirror), extra);
	assert_int_equal(ktest_status_wait(d, "dlrefused", "stopped", 1, WAIT_MS), 1);
	st = ktest_status_flow(d, "dlrefused");
	assert_non_null(st);
	snprintf(want, sizeof(want),
	         "\"reason\":\"the dead-letter topic %s refused the record at offset 3: Broker: "
	         "Message size too large\"",
	         dlq);
	if (!strstr(st, want))
		fail_msg("status: %s",
		         strstr(st, "\"partition_list\"") ? strstr(st, "\"partition_list\"") : st);
	free(st);
	snprintf(want, sizeof(want),
	         "flow dlrefused: partition %s [0] stopped: the dead-letter topic %s refused",
	         topic, dlq);
	ktest_log_wait(d, want, WAIT_MS);
	ktest_log_wait(d,
	               "fix the cause (the dead-letter topic: e.g. its max.message.bytes or ACLs) "
	               "and restart kmirrord",
	               WAIT_MS);
	/* on_error is dead-letter already: no advice to set it */
	assert_false(ktest_log_contains(d, "or set on_error"));
	/* the other partition goes on */
	produce_keyed(topic, 1, "k", 103, 2);
	ktest_wait_count(b, mirror, 8, WAIT_MS);
	assert_int_equal(ktest_daemon_stop(d, SIGTERM, 60000), 0);
	assert_int_equal(ktest_count(b, dlq), 0);

	/* the cause fixed, a restart sends it: nothing was lost */
	ktest_alter_topic_configs(b, dlq, "max.message.bytes", "1000000", NULL);
	ktest_wait_topic_config(b, dlq, "max.message.bytes", "1000000", WAIT_MS);
	ktest_daemon_start(d, NULL);
	assert_int_equal(ktest_status_wait(d, "dlrefused", "dead_lettered", 1, WAIT_MS), 1);
	/* after it: the target refuses whole requests, and one that held the
	 * big record would refuse this one with it */
	produce_keyed(topic, 0, "k", 4, 1);
	ktest_status_wait_caught_up(d, "dlrefused", a, topic, 2, WAIT_MS);
	assert_int_equal(ktest_status_wait(d, "dlrefused", "dead_lettered", 1, WAIT_MS), 1);
	ktest_daemon_finish(d);
	assert_int_equal(ktest_count(b, dlq), 1);
	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "k-0,k-1,k-2,k-4");
	ktest_destroy(a);
	ktest_destroy(b);
}

/* A source topic whose mirror topic would be the dead-letter topic is not
 * copied: its records and the failed ones would share one topic. */
static void test_dead_letter_topic_not_a_mirror(void **state) {
	char topic[128], other[128], extra[512], want[600], pattern[128];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "dlqclash");
	ktest_topic_name(other, sizeof(other), "dlqfine");
	ktest_create_topic(a, topic, 1, NULL);
	ktest_create_topic(a, other, 1, NULL);
	produce_keyed(topic, 0, "k", 0, 2);
	produce_keyed(other, 0, "k", 0, 2);
	snprintf(extra, sizeof(extra),
	         "    on_error: dead-letter\n"
	         "    dead_letter.topic: a.%s\n",
	         topic);
	/* both topics, and only those */
	snprintf(pattern, sizeof(pattern), "dlq(clash|fine)-%d-[0-9]+", (int)getpid());
	ktest_flow_start(d, "clash", pattern, extra, WAIT_MS);
	snprintf(want, sizeof(want),
	         "flow clash: %s would be copied to a.%s, the flow's dead_letter.topic; not "
	         "copied: choose another dead_letter.topic or leave %s out of the topics",
	         topic, topic, topic);
	ktest_log_wait(d, want, WAIT_MS);
	ktest_status_wait_caught_up(d, "clash", a, other, 1, WAIT_MS);
	assert_int_equal(ktest_status_wait(d, "clash", "topics", 1, WAIT_MS), 1);
	ktest_daemon_finish(d);
	assert_int_equal(ktest_partitions(b, topic), -1);
	{
		char mirror[160];
		snprintf(mirror, sizeof(mirror), "a.%s", topic);
		assert_int_equal(ktest_partitions(b, mirror), -1);
	}
	ktest_destroy(a);
	ktest_destroy(b);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_stage_record_dead_lettered, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_batch_failure_stops_its_partition_only,
	                              ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_batch_failure_dead_lettered, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_target_refused_dead_lettered, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_dead_letter_refused_stops, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_dead_letter_topic_not_a_mirror, ktest_daemon_teardown),
	};

	ktest_require_testbed("a", "b", NULL);
	base_ts = (int64_t)time(NULL) * 1000 - 3600 * 1000;
	return cmocka_run_group_tests_name("deadletter", tests, NULL, NULL);
}
