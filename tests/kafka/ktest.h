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
/* Produces values "<tag>-<i>" with keys "<key_prefix>-<i>", i in [first,
 * first + n), to @p partition of @p topic on @p cluster, and waits for
 * delivery. */
void ktest_produce_seq(const char *cluster, const char *topic, int32_t partition,
                       const char *key_prefix, const char *tag, int first, int n);

/** Destroys a client made by ktest_producer or ktest_consumer (closing a
 *  consumer first). */
void ktest_destroy(rd_kafka_t *rk);

/** Number of delivery failures seen by a ktest_producer so far. */
int ktest_delivery_failures(rd_kafka_t *rk);

/** The high watermark of @p topic / @p partition. */
int64_t ktest_high_watermark(rd_kafka_t *rk, const char *topic, int32_t partition);

#endif

/* ---- kmirrord under test ------------------------------------------------ */

#include <sys/types.h>

/* A kmirrord process run by a test, with its own config, status file and
 * log in a temporary directory. */
typedef struct ktest_daemon {
	pid_t pid;
	char dir[256];
	char conf[300];
	char status[300];
	char log[300];
} ktest_daemon_t;

/* Writes the daemon's config: plugin_dirs of the build tree, clusters a and b
 * of the test bed, then @p flows_yaml (the `flows:` section, YAML text). */
void ktest_daemon_config(ktest_daemon_t *d, const char *flows_yaml);
/* Replaces the config with the same clusters and @p flows_yaml. */
void ktest_daemon_rewrite(ktest_daemon_t *d, const char *flows_yaml);
/* Starts kmirrord on the config; stderr goes to d->log. @p env is an
 * optional "NAME=VALUE" added to its environment. */
void ktest_daemon_start(ktest_daemon_t *d, const char *env);
/* Sends @p sig and waits (at most @p timeout_ms) for the exit; returns the
 * exit status, or 128+signal when killed by a signal. */
int ktest_daemon_stop(ktest_daemon_t *d, int sig, int timeout_ms);
/* Removes the daemon's directory (after stop). */
void ktest_daemon_cleanup(ktest_daemon_t *d);
/* Waits until the status of flow @p flow has a number @p key (first
 * occurrence in that flow's object) >= @p min; returns it. Fails the test
 * after @p timeout_ms, showing the status and the log's tail. */
int64_t ktest_status_wait(ktest_daemon_t *d, const char *flow, const char *key, int64_t min,
                          int timeout_ms);
/* The status of flow @p flow as text (caller frees), or NULL. */
char *ktest_status_flow(ktest_daemon_t *d, const char *flow);
/* Waits until the status of @p flow holds @p text (e.g. "\"last_error\":\"\""). */
void ktest_status_wait_text(ktest_daemon_t *d, const char *flow, const char *text, int timeout_ms);
/* The value of @p key in the status of source partition @p topic [@p
 * partition] of @p flow (its entry in partition_list); -1 when absent. */
int64_t ktest_status_part(ktest_daemon_t *d, const char *flow, const char *topic, int32_t partition,
                          const char *key);
/* Waits until every partition of @p topic (@p cnt of them) has its
 * acknowledged position ("next") at the source's end: all is copied. */
void ktest_status_wait_caught_up(ktest_daemon_t *d, const char *flow, rd_kafka_t *src,
                                 const char *topic, int32_t cnt, int timeout_ms);
/* Waits until the daemon's log contains @p text. */
void ktest_log_wait(ktest_daemon_t *d, const char *text, int timeout_ms);
int ktest_log_contains(ktest_daemon_t *d, const char *text);
/* How many times the daemon's log holds @p text. */
size_t ktest_log_count(ktest_daemon_t *d, const char *text);

/* A record read back, owned by the test (librdkafka's messages must not
 * outlive their client). NULL key/value: null. */
typedef struct ktest_rec {
	int64_t offset;
	int64_t timestamp;
	void *key;
	size_t key_len;
	void *value;
	size_t value_len;
	rd_kafka_headers_t *headers; /* NULL: none */
} ktest_rec_t;

/* Every record of @p topic / @p partition from its start to its high
 * watermark, in order. The caller frees them with ktest_recs_free. */
ktest_rec_t *ktest_read_partition(const char *cluster, const char *topic, int32_t partition,
                                  size_t *cnt);
void ktest_recs_free(ktest_rec_t *recs, size_t cnt);
/* Records in @p topic (sum over partitions of high - low watermark). */
int64_t ktest_count(rd_kafka_t *rk, const char *topic);
/* Waits until @p topic on the client's cluster holds at least @p min
 * records; returns the count. */
int64_t ktest_wait_count(rd_kafka_t *rk, const char *topic, int64_t min, int timeout_ms);
/* The partition count of @p topic, -1 when it does not exist. */
int ktest_partitions(rd_kafka_t *rk, const char *topic);
/* Sets (non-incrementally) the configs of @p topic: NULL-terminated pairs. */
void ktest_alter_topic_configs(rd_kafka_t *rk, const char *topic, ...);
/* A topic config's value as the broker reports it (caller frees), or NULL
 * when the topic does not set it itself. */
char *ktest_topic_config(rd_kafka_t *rk, const char *topic, const char *name);
/* Deletes a topic. */
void ktest_delete_topic(rd_kafka_t *rk, const char *topic);
/* Adds partitions to a topic, up to @p total. */
void ktest_create_partitions(rd_kafka_t *rk, const char *topic, int total);
/* The daemon of the running test, for suites with one daemon per test. A
 * failing test leaves it running: ktest_daemon_teardown (a cmocka teardown)
 * kills it and removes its directory (unless KTEST_KEEP is set). */
extern ktest_daemon_t ktest_the_daemon;
int ktest_daemon_teardown(void **state);
/* Stops the daemon with SIGTERM, which must drain and exit 0, and cleans up. */
void ktest_daemon_finish(ktest_daemon_t *d);
/* The polling interval of condition waits (never a wait by itself). */
void ktest_pause(void);

/* A TAP comment line ("# ..."), e.g. what a broker answered, for the log. */
void ktest_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic milliseconds. */
int64_t ktest_now_ms(void);

/* Starts the daemon @p d on a flow @p flow from a to b copying exactly
 * @p topic, refreshing topics every second and configs every 2 s, then
 * @p extra (more flow keys, YAML); waits until it loaded its progress. */
void ktest_flow_start(ktest_daemon_t *d, const char *flow, const char *topic, const char *extra,
                      int timeout_ms);
/* Produces one record keyed "big" of @p len incompressible bytes to
 * cluster a. */
void ktest_produce_big(const char *topic, int32_t partition, size_t len);
/* Waits until @p topic's config @p name is @p want (NULL: unset). */
void ktest_wait_topic_config(rd_kafka_t *rk, const char *topic, const char *name, const char *want,
                             int timeout_ms);
/* The last header @p name of @p r as a string in @p buf; NULL when absent
 * or longer than @p size - 1. */
const char *ktest_header(const ktest_rec_t *r, const char *name, char *buf, size_t size);
