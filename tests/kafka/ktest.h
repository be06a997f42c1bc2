/* Helpers for the tests that run against real Kafka brokers (the test bed).
 *
 * Run such a test under tests/kafka/with-testbed, which exports
 * KM_TESTBED_<name>=host:port for each cluster. The helpers fail the current
 * cmocka test with a message when something is wrong; they never sleep for a
 * fixed time: every wait is on a Kafka answer with a deadline. */
#ifndef KM_TESTS_KTEST_H
#define KM_TESTS_KTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

/** Default deadline for one Kafka round trip in tests. */
#define KTEST_TIMEOUT_MS 30000

/** Call first in main(): without a test bed (no KM_TESTBED_<name> for each
 *  of the NULL-terminated names), reports the whole program as skipped in TAP
 *  and exits 0, so a plain `make check` runs without Kafka. */
void ktest_require_testbed(const char *name, ...);

/** The bootstrap address of test-bed cluster @p name; fails the test if the
 *  test bed did not export it. */
const char *ktest_bootstrap(const char *name);

/** A fresh configuration for cluster @p name, then the NULL-terminated
 *  key/value pairs that follow. */
rd_kafka_conf_t *ktest_conf(const char *name, ...);
rd_kafka_conf_t *ktest_vconf(const char *name, va_list ap);

/** A producer / consumer / admin-capable client for cluster @p name, with the
 *  NULL-terminated key/value properties that follow. */
rd_kafka_t *ktest_producer(const char *name, ...);
rd_kafka_t *ktest_consumer(const char *name, ...);

/** Writes a topic name unique to this run, "<prefix>-<pid>-<n>", to @p buf. */
const char *ktest_topic_name(char *buf, size_t size, const char *prefix);

/** Creates @p topic with @p partitions partitions (replication factor 1) and
 *  the NULL-terminated config pairs that follow, and waits until the client
 *  sees all its partitions in metadata. */
void ktest_create_topic(rd_kafka_t *rk, const char *topic, int partitions, ...);

/** Waits for every message of @p rk to be delivered; fails the test if any
 *  delivery failed (the producer must have been made by ktest_producer). */
void ktest_flush(rd_kafka_t *rk);

/** Destroys a client made by ktest_producer or ktest_consumer (closing a
 *  consumer first). */
void ktest_destroy(rd_kafka_t *rk);

/** Number of delivery failures seen by a ktest_producer so far. */
int ktest_delivery_failures(rd_kafka_t *rk);

/** The high watermark of @p topic / @p partition. */
int64_t ktest_high_watermark(rd_kafka_t *rk, const char *topic, int32_t partition);

#endif
