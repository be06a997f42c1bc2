/* The test bed carries records intact: 10,000 records with keys, headers and
 * timestamps produced to each cluster with librdkafka and read back equal, in
 * order, partition by partition. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ktest.h"

#define NRECORDS    10000
#define NPARTITIONS 3
/* Explicit CreateTime: an hour ago, well inside the brokers' retention. */
static int64_t base_ts;

/* Record i: partition i % NPARTITIONS, key "key-i" (every 10th key is null),
 * value "value-i-<padding>", headers h1="i", h2=null, h1="again" (a repeated
 * name), timestamp base_ts + i. */
static void expected(int i, char *key, size_t ksz, char *val, size_t vsz) {
	snprintf(key, ksz, "key-%d", i);
	snprintf(val, vsz, "value-%d-%0*d", i, 20 + i % 50, 0);
}

static void produce_all(rd_kafka_t *rk, const char *topic) {
	char key[32], val[128], num[16];

	for (int i = 0; i < NRECORDS; i++) {
		rd_kafka_headers_t *hdrs = rd_kafka_headers_new(3);
		rd_kafka_resp_err_t err;

		expected(i, key, sizeof(key), val, sizeof(val));
		snprintf(num, sizeof(num), "%d", i);
		rd_kafka_header_add(hdrs, "h1", -1, num, -1);
		rd_kafka_header_add(hdrs, "h2", -1, NULL, 0);
		rd_kafka_header_add(hdrs, "h1", -1, "again", -1);
		do {
			err = rd_kafka_producev(
			    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % NPARTITIONS),
			    RD_KAFKA_V_KEY((i % 10 ? key : NULL), (i % 10 ? strlen(key) : 0)),
			    RD_KAFKA_V_VALUE(val, strlen(val)),
			    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			    RD_KAFKA_V_TIMESTAMP(base_ts + i), RD_KAFKA_V_HEADERS(hdrs),
			    RD_KAFKA_V_END);
			if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
				rd_kafka_poll(rk, 100); /* back-pressure: serve deliveries */
		} while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
		if (err) {
			rd_kafka_headers_destroy(hdrs);
			fail_msg("produce record %d: %s", i, rd_kafka_err2str(err));
		}
		rd_kafka_poll(rk, 0);
	}
	ktest_flush(rk);
}

static void check_record(const rd_kafka_message_t *m, int i) {
	char key[32], val[128], num[16];
	rd_kafka_headers_t *hdrs = NULL;
	rd_kafka_timestamp_type_t tstype;
	const void *hv;
	size_t hsz;

	expected(i, key, sizeof(key), val, sizeof(val));
	assert_int_equal(m->partition, i % NPARTITIONS);
	if (i % 10) {
		assert_int_equal(m->key_len, strlen(key));
		assert_memory_equal(m->key, key, m->key_len);
	} else {
		assert_null(m->key);
	}
	assert_int_equal(m->len, strlen(val));
	assert_memory_equal(m->payload, val, m->len);
	assert_int_equal(rd_kafka_message_timestamp(m, &tstype), base_ts + i);
	assert_int_equal(tstype, RD_KAFKA_TIMESTAMP_CREATE_TIME);

	assert_int_equal(rd_kafka_message_headers(m, &hdrs), 0);
	assert_int_equal(rd_kafka_header_cnt(hdrs), 3);
	snprintf(num, sizeof(num), "%d", i);
	assert_int_equal(rd_kafka_header_get_all(hdrs, 0, &(const char *){NULL}, &hv, &hsz), 0);
	assert_int_equal(hsz, strlen(num));
	assert_memory_equal(hv, num, hsz);
	/* h2 is null-valued; h1 appears twice, in order */
	assert_int_equal(rd_kafka_header_get(hdrs, 0, "h2", &hv, &hsz), 0);
	assert_null(hv);
	assert_int_equal(rd_kafka_header_get(hdrs, 1, "h1", &hv, &hsz), 0);
	assert_int_equal(hsz, 5);
	assert_memory_equal(hv, "again", 5);
}

/* Reads every partition from the start up to its high watermark and checks
 * each record against what was produced there, in order. */
static void consume_and_compare(const char *cluster, const char *topic) {
	rd_kafka_t *rk = ktest_consumer(cluster, "group.id", "ktest-roundtrip",
	                                "enable.auto.commit", "false", NULL);
	rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(NPARTITIONS);
	int next[NPARTITIONS];
	int64_t hw[NPARTITIONS];
	int seen = 0;

	for (int p = 0; p < NPARTITIONS; p++) {
		rd_kafka_topic_partition_list_add(parts, topic, p)->offset =
		    RD_KAFKA_OFFSET_BEGINNING;
		next[p] = p;
		hw[p] = ktest_high_watermark(rk, topic, p);
		assert_int_equal(hw[p], (NRECORDS - p + NPARTITIONS - 1) / NPARTITIONS);
	}
	assert_int_equal(rd_kafka_assign(rk, parts), 0);
	rd_kafka_topic_partition_list_destroy(parts);

	while (seen < NRECORDS) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, KTEST_TIMEOUT_MS);

		if (!m)
			fail_msg("%s: no record within %d ms after %d of %d", cluster,
			         KTEST_TIMEOUT_MS, seen, NRECORDS);
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			rd_kafka_message_destroy(m);
			continue;
		}
		if (m->err)
			fail_msg("%s: consume error: %s", cluster, rd_kafka_message_errstr(m));
		assert_in_range(m->partition, 0, NPARTITIONS - 1);
		assert_int_equal(m->offset, next[m->partition] / NPARTITIONS);
		check_record(m, next[m->partition]);
		next[m->partition] += NPARTITIONS;
		seen++;
		rd_kafka_message_destroy(m);
	}
	ktest_destroy(rk);
}

static void roundtrip(const char *cluster) {
	char topic[128];
	rd_kafka_t *rk =
	    ktest_producer(cluster, "enable.idempotence", "true", "linger.ms", "5", NULL);

	ktest_topic_name(topic, sizeof(topic), "roundtrip");
	ktest_create_topic(rk, topic, NPARTITIONS, NULL);
	produce_all(rk, topic);
	ktest_destroy(rk);
	consume_and_compare(cluster, topic);
}

static void test_roundtrip_a(void **state) {
	roundtrip("a");
}
static void test_roundtrip_b(void **state) {
	roundtrip("b");
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_a),
	    cmocka_unit_test(test_roundtrip_b),
	};
	ktest_require_testbed("a", "b", NULL);
	base_ts = (int64_t)time(NULL) * 1000 - 3600 * 1000;
	return cmocka_run_group_tests_name("roundtrip", tests, NULL, NULL);
}
