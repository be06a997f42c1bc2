/* Helpers for the tests that run against real Kafka brokers. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktest.h"

struct ktest_dr {
	int failures;
	char first_error[256];
};

const char *ktest_bootstrap(const char *name) {
	char var[128];
	const char *addr;

	snprintf(var, sizeof(var), "KM_TESTBED_%s", name);
	addr = getenv(var);
	if (!addr || !*addr)
		fail_msg("%s is not set: run this test under tests/kafka/with-testbed "
		         "(make check-kafka)",
		         var);
	return addr;
}

void ktest_require_testbed(const char *name, ...) {
	const char *n;
	va_list ap;

	va_start(ap, name);
	for (n = name; n; n = va_arg(ap, const char *)) {
		char var[128];

		snprintf(var, sizeof(var), "KM_TESTBED_%s", n);
		if (!getenv(var)) {
			printf("1..0 # SKIP no Kafka test bed (%s unset): run make check-kafka\n",
			       var);
			va_end(ap);
			exit(0);
		}
	}
	va_end(ap);
}

static void conf_set(rd_kafka_conf_t *conf, const char *key, const char *val) {
	char errstr[512];

	if (rd_kafka_conf_set(conf, key, val, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
		fail_msg("rd_kafka_conf_set(%s=%s): %s", key, val, errstr);
}

rd_kafka_conf_t *ktest_vconf(const char *name, va_list ap) {
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const char *key;

	conf_set(conf, "bootstrap.servers", ktest_bootstrap(name));
	while ((key = va_arg(ap, const char *))) {
		const char *val = va_arg(ap, const char *);
		conf_set(conf, key, val);
	}
	return conf;
}

rd_kafka_conf_t *ktest_conf(const char *name, ...) {
	rd_kafka_conf_t *conf;
	va_list ap;

	va_start(ap, name);
	conf = ktest_vconf(name, ap);
	va_end(ap);
	return conf;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
	struct ktest_dr *dr = opaque;

	(void)rk;
	if (m->err) {
		if (!dr->failures++)
			snprintf(dr->first_error, sizeof(dr->first_error), "%s [%d]: %s",
			         rd_kafka_topic_name(m->rkt), (int)m->partition,
			         rd_kafka_err2str(m->err));
	}
}

rd_kafka_t *ktest_producer(const char *name, ...) {
	char errstr[512];
	rd_kafka_conf_t *conf;
	struct ktest_dr *dr;
	rd_kafka_t *rk;
	va_list ap;

	va_start(ap, name);
	conf = ktest_vconf(name, ap);
	va_end(ap);
	dr = calloc(1, sizeof(*dr));
	assert_non_null(dr);
	rd_kafka_conf_set_opaque(conf, dr);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk)
		fail_msg("producer for %s: %s", name, errstr);
	return rk;
}

rd_kafka_t *ktest_consumer(const char *name, ...) {
	char errstr[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	va_list ap;

	va_start(ap, name);
	conf = ktest_vconf(name, ap);
	va_end(ap);
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk)
		fail_msg("consumer for %s: %s", name, errstr);
	return rk;
}

const char *ktest_topic_name(char *buf, size_t size, const char *prefix) {
	static int n;

	snprintf(buf, size, "%s-%d-%d", prefix, (int)getpid(), ++n);
	return buf;
}

static int topic_partitions(rd_kafka_t *rk, const char *topic) {
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	int cnt = -1;

	if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (md->topic_cnt == 1 && !md->topics[0].err)
			cnt = md->topics[0].partition_cnt;
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	return cnt;
}

void ktest_create_topic(rd_kafka_t *rk, const char *topic, int partitions, ...) {
	char errstr[512];
	rd_kafka_NewTopic_t *nt;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	const rd_kafka_CreateTopics_result_t *res;
	const rd_kafka_topic_result_t **tres;
	size_t n;
	const char *key;
	va_list ap;
	int i;

	nt = rd_kafka_NewTopic_new(topic, partitions, 1, errstr, sizeof(errstr));
	if (!nt)
		fail_msg("NewTopic %s: %s", topic, errstr);
	va_start(ap, partitions);
	while ((key = va_arg(ap, const char *))) {
		const char *val = va_arg(ap, const char *);
		assert_int_equal(rd_kafka_NewTopic_set_config(nt, key, val), 0);
	}
	va_end(ap);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, KTEST_TIMEOUT_MS);
	if (!ev)
		fail_msg("CreateTopics %s: no answer in %d ms", topic, KTEST_TIMEOUT_MS);
	if (rd_kafka_event_error(ev))
		fail_msg("CreateTopics %s: %s", topic, rd_kafka_event_error_string(ev));
	res = rd_kafka_event_CreateTopics_result(ev);
	tres = rd_kafka_CreateTopics_result_topics(res, &n);
	assert_int_equal(n, 1);
	if (rd_kafka_topic_result_error(tres[0]))
		fail_msg("CreateTopics %s: %s", topic, rd_kafka_topic_result_error_string(tres[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);

	/* The controller answered; wait until metadata shows every partition. */
	for (i = 0; i < 60; i++) {
		if (topic_partitions(rk, topic) == partitions)
			return;
		rd_kafka_poll(rk, 500);
	}
	fail_msg("topic %s not visible with %d partitions in metadata", topic, partitions);
}

void ktest_destroy(rd_kafka_t *rk) {
	if (rd_kafka_type(rk) == RD_KAFKA_CONSUMER) {
		rd_kafka_consumer_close(rk);
		rd_kafka_destroy(rk);
		return;
	}
	free(rd_kafka_opaque(rk));
	rd_kafka_destroy(rk);
}

int ktest_delivery_failures(rd_kafka_t *rk) {
	return ((struct ktest_dr *)rd_kafka_opaque(rk))->failures;
}

void ktest_flush(rd_kafka_t *rk) {
	struct ktest_dr *dr = rd_kafka_opaque(rk);
	rd_kafka_resp_err_t err = rd_kafka_flush(rk, KTEST_TIMEOUT_MS);

	if (err)
		fail_msg("flush: %s (%d messages still queued)", rd_kafka_err2str(err),
		         rd_kafka_outq_len(rk));
	if (dr->failures)
		fail_msg("%d deliveries failed, first: %s", dr->failures, dr->first_error);
}

int64_t ktest_high_watermark(rd_kafka_t *rk, const char *topic, int32_t partition) {
	int64_t lo, hi;
	rd_kafka_resp_err_t err =
	    rd_kafka_query_watermark_offsets(rk, topic, partition, &lo, &hi, KTEST_TIMEOUT_MS);

	if (err)
		fail_msg("watermarks %s [%d]: %s", topic, (int)partition, rd_kafka_err2str(err));
	return hi;
}
