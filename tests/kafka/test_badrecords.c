/* Records the target refuses for themselves, for three causes: a value
 * too large for the mirror topic's max.message.bytes, a record too large
 * by one header alone, and a timestamp older than the mirror topic's
 * message.timestamp.before.max.ms allows (a topic policy). Each follows the
 * flow's on_error and is counted: skip (status "skipped", the partition
 * goes on), dead-letter (status "dead_lettered", the record unchanged in
 * the dead-letter topic with the target's error code), stop (the partition
 * stops at the first one, its status says why, nothing after it goes
 * out). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ktest.h"

#define WAIT_MS     120000
#define SMALL_LIMIT "4000"
#define ONE_DAY_MS  "86400000"

/* One record to partition 0 of @p topic on a: key @p key, a value of
 * @p vlen bytes, a header "big" of @p hlen bytes (0: none), timestamp
 * @p ts (0: now). Bytes lz4 cannot shrink, so sizes stay what they are. */
static void produce_one(const char *topic, const char *key, size_t vlen, size_t hlen, int64_t ts) {
	rd_kafka_t *rk = ktest_producer("a", "message.max.bytes", "2000000", NULL);
	size_t n = vlen > hlen ? vlen : hlen;
	unsigned char *buf = malloc(n + 1);
	rd_kafka_headers_t *h = rd_kafka_headers_new(1);
	uint32_t x = 2463534242u;

	assert_non_null(buf);
	for (size_t i = 0; i < n; i++) { /* xorshift */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
	if (hlen)
		rd_kafka_header_add(h, "big", -1, buf, (ssize_t)hlen);
	assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
	                                   RD_KAFKA_V_KEY(key, strlen(key)),
	                                   RD_KAFKA_V_VALUE(buf, vlen), RD_KAFKA_V_TIMESTAMP(ts),
	                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	                                   RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END),
	                 0);
	ktest_flush(rk);
	ktest_destroy(rk);
	free(buf);
}

/* Flow @p flow with @p extra copies a one-partition topic (good records
 * g-0..g-2); then the mirror topic gets a small max.message.bytes and a
 * one-day message.timestamp.before.max.ms, and the source gets, at
 * offsets 3, 4 and 5: "value" (20,000 bytes), "header" (a 6,000-byte
 * header, 10 bytes of value), "old" (two days old), then g-6 and g-7.
 * kmirrord's producer sends one record per batch. */
static void bad_setup(ktest_daemon_t *d, const char *flow, char *topic, size_t tsize, char *mirror,
                      size_t msize, const char *extra) {
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	int64_t now = (int64_t)time(NULL) * 1000;
	char all[512];

	/* one record per produce batch: the broker refuses a whole batch, so
	 * records sharing one with a refused record would be refused with it
	 * (docs/RELIABILITY.md, bad records) */
	snprintf(all, sizeof(all), "%s    producer:\n      batch.num.messages: 1\n", extra);
	ktest_topic_name(topic, tsize, flow);
	snprintf(mirror, msize, "a.%s", topic);
	ktest_create_topic(a, topic, 1, NULL);
	produce_one(topic, "g-0", 10, 0, 0);
	produce_one(topic, "g-1", 10, 0, 0);
	produce_one(topic, "g-2", 10, 0, 0);
	ktest_flow_start(d, flow, topic, all, WAIT_MS);
	ktest_wait_count(b, mirror, 3, WAIT_MS);
	ktest_alter_topic_configs(b, mirror, "max.message.bytes", SMALL_LIMIT,
	                          "message.timestamp.before.max.ms", ONE_DAY_MS, NULL);
	ktest_wait_topic_config(b, mirror, "max.message.bytes", SMALL_LIMIT, WAIT_MS);
	ktest_wait_topic_config(b, mirror, "message.timestamp.before.max.ms", ONE_DAY_MS, WAIT_MS);
	produce_one(topic, "value", 20000, 0, 0);
	produce_one(topic, "header", 10, 6000, 0);
	produce_one(topic, "old", 10, 0, now - 2 * 86400000LL);
	produce_one(topic, "g-6", 10, 0, 0);
	produce_one(topic, "g-7", 10, 0, 0);
	ktest_destroy(a);
	ktest_destroy(b);
}

static const char *const causes[] = {"Broker: Message size too large",
                                     "Broker: Message size too large", "Broker: Invalid timestamp"};

/* on_error: skip: the three are skipped, counted and said; the good
 * records after them are copied. */
static void test_refused_skipped(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	rd_kafka_t *a = ktest_producer("a", NULL);
	char topic[128], mirror[160], keys[512], want[400];

	(void)state;
	bad_setup(d, "badskip", topic, sizeof(topic), mirror, sizeof(mirror),
	          "    on_error: skip\n");
	assert_int_equal(ktest_status_wait(d, "badskip", "skipped", 3, WAIT_MS), 3);
	ktest_status_wait_caught_up(d, "badskip", a, topic, 1, WAIT_MS);
	for (int i = 0; i < 3; i++) {
		snprintf(want, sizeof(want),
		         "flow badskip: %s [0] offset %d: the target refused the record (%s); "
		         "skipped it (on_error: skip)",
		         topic, 3 + i, causes[i]);
		ktest_log_wait(d, want, WAIT_MS);
	}
	assert_int_equal(ktest_status_wait(d, "badskip", "active", 1, WAIT_MS), 1);
	ktest_daemon_finish(d);
	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "g-0,g-1,g-2,g-6,g-7");
	ktest_destroy(a);
}

/* on_error: dead-letter: the three are in the dead-letter topic, each
 * with the target's error code, and counted; the good ones are copied. */
static void test_refused_dead_lettered(void **state) {
	static const char *const codes[] = {"KAFKA_MSG_SIZE_TOO_LARGE", "KAFKA_MSG_SIZE_TOO_LARGE",
	                                    "KAFKA_INVALID_TIMESTAMP"};
	static const char *const keys_want[] = {"value", "header", "old"};
	ktest_daemon_t *d = &ktest_the_daemon;
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	char topic[128], mirror[160], dlq[128], extra[256], keys[512], off[16];
	ktest_rec_t *r;
	size_t n;

	(void)state;
	ktest_topic_name(dlq, sizeof(dlq), "baddlq");
	ktest_create_topic(b, dlq, 1, NULL);
	snprintf(extra, sizeof(extra), "    on_error: dead-letter\n    dead_letter.topic: %s\n",
	         dlq);
	bad_setup(d, "baddl", topic, sizeof(topic), mirror, sizeof(mirror), extra);
	assert_int_equal(ktest_status_wait(d, "baddl", "dead_lettered", 3, WAIT_MS), 3);
	ktest_status_wait_caught_up(d, "baddl", a, topic, 1, WAIT_MS);
	ktest_daemon_finish(d);
	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "g-0,g-1,g-2,g-6,g-7");
	r = ktest_read_partition("b", dlq, 0, &n);
	for (size_t i = 0; i < n; i++) {
		char code[64];
		ktest_note("dead-lettered: %.*s (%s)", (int)r[i].key_len, (const char *)r[i].key,
		           ktest_header(&r[i], "kmirror.error.code", code, sizeof(code)));
	}
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r[i].key_len, strlen(keys_want[i]));
		assert_memory_equal(r[i].key, keys_want[i], r[i].key_len);
		snprintf(off, sizeof(off), "%zu", 3 + i);
		ktest_assert_header(&r[i], "kmirror.error.source.offset", off);
		ktest_assert_header(&r[i], "kmirror.error.stage", "target");
		ktest_assert_header(&r[i], "kmirror.error.code", codes[i]);
	}
	ktest_recs_free(r, n);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* on_error: stop: the partition stops at the first (offset 3), says why
 * and what to fix, and nothing after it is copied. */
static void test_refused_stops(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], mirror[160], keys[512], want[400], *st;

	(void)state;
	bad_setup(d, "badstop", topic, sizeof(topic), mirror, sizeof(mirror),
	          "    on_error: stop\n");
	assert_int_equal(ktest_status_wait(d, "badstop", "stopped", 1, WAIT_MS), 1);
	st = ktest_status_flow(d, "badstop");
	assert_non_null(st);
	if (!strstr(st, "\"reason\":\"the target refused the record at offset 3: Broker: Message "
	                "size too large\""))
		fail_msg("status: %s", st);
	free(st);
	snprintf(want, sizeof(want),
	         "flow badstop: partition %s [0] stopped: the target refused the record at offset "
	         "3: Broker: Message size too large. The other partitions go on; fix the cause "
	         "(e.g. the target topic's max.message.bytes) and restart kmirrord, or set "
	         "on_error: skip or dead-letter",
	         topic);
	ktest_log_wait(d, want, WAIT_MS);
	assert_int_equal(ktest_status_wait(d, "badstop", "skipped", 0, 1000), 0);
	assert_int_equal(ktest_status_wait(d, "badstop", "dead_lettered", 0, 1000), 0);
	assert_int_equal(ktest_daemon_stop(d, SIGTERM, 60000), 0);
	ktest_keys_of("b", mirror, 0, keys, sizeof(keys));
	assert_string_equal(keys, "g-0,g-1,g-2");
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_refused_skipped, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_refused_dead_lettered, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_refused_stops, ktest_daemon_teardown),
	};

	ktest_require_testbed("a", "b", NULL);
	return cmocka_run_group_tests_name("badrecords", tests, NULL, NULL);
}
