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

/** Call first in main() of a suite that needs the test bed's SASL_SSL and
 *  MTLS listeners (testbed --sasl --mtls: KM_TESTBED_a_sasl,
 *  KM_TESTBED_b_sasl, KM_TESTBED_a_mtls, KM_TESTBED_b_mtls, KM_TESTBED_CA,
 *  KM_TESTBED_CERTS). Under a bed without them (make check-kafka's shared
 *  one) it runs this program again under a bed of its own, `with-testbed
 *  --sasl --mtls a b`, and exits with its status; without any bed it
 *  reports the program skipped, as ktest_require_testbed. */
void ktest_require_sasl_testbed(void);

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
	char clusters[4096]; /* the `clusters:` section; "": the test bed's, PLAINTEXT */
	int exit_status;     /* once ktest_daemon_exited saw it exit */
} ktest_daemon_t;

/* Writes the daemon's config: plugin_dirs of the build tree, clusters a and b
 * of the test bed, then @p flows_yaml (the `flows:` section, YAML text). */
void ktest_daemon_config(ktest_daemon_t *d, const char *flows_yaml);
/* The same with @p clusters_yaml (the whole `clusters:` section, YAML text)
 * instead of the test bed's clusters; rewrites keep it. */
void ktest_daemon_config_clusters(ktest_daemon_t *d, const char *clusters_yaml,
                                  const char *flows_yaml);
/* Replaces the config with the same clusters and @p flows_yaml. */
void ktest_daemon_rewrite(ktest_daemon_t *d, const char *flows_yaml);
/* Starts kmirrord on the config; stderr goes to d->log. @p env is an
 * optional "NAME=VALUE" added to its environment. */
void ktest_daemon_start(ktest_daemon_t *d, const char *env);
/* The same under @p wrapper (a NULL-terminated command and its options,
 * e.g. valgrind's, found in PATH; NULL: none), which runs kmirrord and
 * its arguments. */
void ktest_daemon_start_under(ktest_daemon_t *d, const char *env, const char *const *wrapper);
/* Sends @p sig and waits (at most @p timeout_ms) for the exit; returns the
 * exit status, or 128+signal when killed by a signal. */
int ktest_daemon_stop(ktest_daemon_t *d, int sig, int timeout_ms);
/* -1 while the daemon runs; once it has exited, its exit status (128+N when
 * signal N killed it), as ktest_daemon_stop returns it. */
int ktest_daemon_exited(ktest_daemon_t *d);
/* Whether the daemon is still running; fails the test, with its log's
 * tail, if it exited. */
int ktest_daemon_alive(ktest_daemon_t *d);
/* Removes the daemon's directory (after stop). */
void ktest_daemon_cleanup(ktest_daemon_t *d);
/* Waits until the status of flow @p flow has a number @p key (first
 * occurrence in that flow's object) >= @p min; returns it. Fails the test
 * after @p timeout_ms, showing the status and the log's tail. */
int64_t ktest_status_wait(ktest_daemon_t *d, const char *flow, const char *key, int64_t min,
                          int timeout_ms);
/* Lets each of the @p cnt flows @p flows list its topics another @p more
 * times: waits until its first listing is done, then until the "runs" of
 * its first task (topic discovery) is @p more above what it was then, flow
 * after flow. */
void ktest_let_flows_look(ktest_daemon_t *d, const char *const *flows, int cnt, int more,
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
/* The daemon's log (caller frees). */
char *ktest_log_text(ktest_daemon_t *d);
/* Lines of the log at @p level ("warning") that contain @p text ("" for
 * all), each shown as a TAP comment. */
int ktest_log_lines(ktest_daemon_t *d, const char *level, const char *text);
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
/* The broker process of test-bed cluster @p cluster (its pid file under
 * KM_TESTBED_DIR); 0 when there is none to read. */
pid_t ktest_broker_pid(const char *cluster);
/* Runs tests/kafka/testbed (of KM_TEST_SRCDIR) with @p args (shell words,
 * e.g. "restart b") on the bed of this run (the environment's
 * KM_TESTBED_DIR), its stderr going to the test's. Its first line of
 * output goes to @p out (NULL: not wanted; the output is read to its end
 * and dropped either way). Returns its exit status (128+N when signal N
 * killed it, -1 when it could not be waited for), after a TAP comment
 * saying which command failed when that is not 0. */
int ktest_testbed(const char *args, char *out, size_t out_size);

/* A TAP comment line ("# ..."), e.g. what a broker answered, for the log. */
void ktest_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic milliseconds. */
int64_t ktest_now_ms(void);

/* Starts the daemon @p d on a flow @p flow from a to b copying exactly
 * @p topic (heartbeats topics only if @p topic names them:
 * heartbeats.replication.enabled false), refreshing topics every second
 * and configs every 2 s, then
 * @p extra (more flow keys, YAML); waits until it loaded its progress. */
void ktest_flow_start(ktest_daemon_t *d, const char *flow, const char *topic, const char *extra,
                      int timeout_ms);
/* The same with clusters named @p source (the test bed's a) and @p target
 * (its b) instead of a and b: MM2's internal topics take their names from
 * these (SOURCE.checkpoints.internal, mm2-offset-syncs.TARGET.internal), so
 * that a test with names of its own has those topics to itself. */
void ktest_flow_start_as(ktest_daemon_t *d, const char *flow, const char *source,
                         const char *target, const char *topic, const char *extra, int timeout_ms);
/* A `clusters:` section of two clusters over PLAINTEXT: @p alias1 the test
 * bed's @p bed1, @p alias2 its @p bed2. */
void ktest_clusters_yaml(char *buf, size_t size, const char *alias1, const char *bed1,
                         const char *alias2, const char *bed2);
/* Starts @p d on @p flows (YAML, the `flows:` section) with the bed's
 * clusters under a suite's own aliases: a as PREFIX "A", b as PREFIX "B"
 * and, with @p third (a bed cluster's name; NULL: none), it as PREFIX "C";
 * MM2's internal topics and heartbeats keys, named after the aliases, are
 * then the suite's own. */
void ktest_start_aliased(ktest_daemon_t *d, const char *prefix, const char *third,
                         const char *flows);
/* Appends one flow to @p buf (`flows:` first when @p buf is empty): @p name,
 * @p src -> @p dst, copying exactly @p topic, refreshing topics every
 * second, then @p common and @p extra (more flow keys, YAML; NULL: none). */
void ktest_flow_yaml(char *buf, size_t size, const char *name, const char *src, const char *dst,
                     const char *topic, const char *common, const char *extra);
/* @p group's committed offset of @p topic [@p part] on @p cluster; -1 when
 * it has none. */
int64_t ktest_committed(const char *cluster, const char *group, const char *topic, int32_t part);
/* Commits @p offset for @p group on @p topic [@p part] on @p cluster, as a
 * consumer that read everything before it would (through the admin API:
 * one client serves every group). */
void ktest_commit(const char *cluster, const char *group, const char *topic, int32_t part,
                  int64_t offset);
/* Produces one record keyed "big" of @p len incompressible bytes to
 * cluster a. */
void ktest_produce_big(const char *topic, int32_t partition, size_t len);
/* Waits until @p topic's config @p name is @p want (NULL: unset). */
void ktest_wait_topic_config(rd_kafka_t *rk, const char *topic, const char *name, const char *want,
                             int timeout_ms);
/* The last header @p name of @p r as a string in @p buf; NULL when absent
 * or longer than @p size - 1. */
const char *ktest_header(const ktest_rec_t *r, const char *name, char *buf, size_t size);

/* Fails the test unless the last header @p name of @p r is @p want. */
void ktest_assert_header(const ktest_rec_t *r, const char *name, const char *want);
/* Every record of @p topic on @p cluster, partition after partition; the
 * caller frees them with ktest_recs_free. */
ktest_rec_t *ktest_read_all(const char *cluster, const char *topic, size_t *cnt);
/* The record of @p recs keyed @p key, or a test failure. */
const ktest_rec_t *ktest_find_key(const ktest_rec_t *recs, size_t n, const char *key);
/* The keys of @p topic [@p partition] on @p cluster, in order, joined by
 * ',' (a null key as ""), into @p buf. */
void ktest_keys_of(const char *cluster, const char *topic, int32_t partition, char *buf,
                   size_t size);
/* A record to produce: NULL key or value for null; headers as name, value
 * pairs (a NULL value: a null header) up to a NULL name; timestamp 0: the
 * producer's clock. */
typedef struct ktest_msg {
	const char *key;
	const char *value;
	const char *headers[9];
	int64_t timestamp;
} ktest_msg_t;
/* Produces @p n records to @p topic [@p partition] on @p cluster, in
 * order (idempotent producer), and waits for their delivery. */
void ktest_produce_msgs(const char *cluster, const char *topic, int32_t partition,
                        const ktest_msg_t *m, size_t n);

/* Around cmocka_run_group_tests in main(): a test that calls skip() is
 * reported "ok N # SKIP name" (cmocka 1.1.5 says "not ok", which automake's
 * TAP driver counts as a failure). */
void ktest_tap_begin(void);
void ktest_tap_end(void);

/* ---- MirrorMaker 2's Java client code (tests/interop/run) --------------- */

/* Runs tests/interop/run (MirrorInterop: MM2's RemoteClusterUtils,
 * MirrorClient and record formatters, and Java consumers) with the
 * arguments @p fmt formats, as shell words through /bin/sh -c (quote what
 * needs it), and returns its stdout (caller frees). Fails the test with the
 * tail of its stderr when it exits non-zero, java or javac missing
 * included: scripts/install-deps installs the JDK. */
char *ktest_interop(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A Java consumer that stays a member of its group (`run hold`) until
 * ktest_interop_hold_stop. */
typedef struct ktest_hold {
	pid_t pid; /* -1 once stopped */
	int in_fd; /* the tool's stdin: closing it ends the hold */
	int out_fd;
	char errfile[256]; /* the tool's stderr */
	char what[512];    /* its arguments, for messages */
} ktest_hold_t;

/* Starts `run hold @p bootstrap @p topic @p group @p protocol` (protocol
 * classic or consumer) and returns once the member has an assignment (the
 * tool said "ready"); fails the test if it exits first or is not ready
 * within 120 s. */
void ktest_interop_hold_start(ktest_hold_t *h, const char *bootstrap, const char *topic,
                              const char *group, const char *protocol);
/* Ends the hold: closes the tool's stdin and waits for it to leave the group
 * and exit 0 (at most 60 s); fails the test otherwise. Does nothing when
 * already stopped. */
void ktest_interop_hold_stop(ktest_hold_t *h);

/* ---- copies checked record by record (source a, target b) --------------- */

/* Produces @p n records to @p topic on a over @p partitions partitions,
 * record i to partition i % partitions, value "<tag>-<i>" (unique), with the
 * varieties a copy must keep: null keys, null and empty values, no headers,
 * a null-valued header, a repeated header name, explicit timestamps (an hour
 * before the first call, plus i). */
void ktest_produce_varied(const char *topic, int partitions, int first, int n, const char *tag);
/* Produces values "c-<i>" (never null or empty, for ktest_check_at_least_once)
 * to @p topic on a, record i to partition i % partitions. Not idempotent, as
 * many real sources are not: a retried request can land after later ones. */
void ktest_produce_plain(const char *topic, int partitions, int first, int n);
/* Whether two byte strings are equal, NULL (null) differing from empty. */
int ktest_bytes_equal(const void *a, size_t alen, const void *b, size_t blen);
/* The provenance header kmirror adds to every copy by default. */
#define KTEST_PROV_HEADER "kmirror.provenance"
/* The Kafka cluster id of bed cluster @p cluster, in @p buf. */
const char *ktest_cluster_id(const char *cluster, char *buf, size_t size);
/* What a topic should hold of the records whose values are "<tag>-<i>":
 * each i, from <= i < n, exactly once, with the header @p prov (NULL: no
 * such header). */
typedef struct ktest_tagged {
	const char *tag;
	int n;
	const char *prov;
	int from;
} ktest_tagged_t;
/* The i of @p r's value "<tag>-<i>" (the tag ends at the value's last '-',
 * i is decimal digits); the value as a string in @p buf (cut to fit) and
 * the tag's length in @p tag_len. -1 when the value is null ("" in @p
 * buf), does not fit @p buf, or is not of that form. */
int ktest_tagged_index(const ktest_rec_t *r, char *buf, size_t size, size_t *tag_len);
/* Fails the test unless @p topic on @p cluster holds exactly the records of
 * the @p cnt tags of @p want (no other value, none twice, none missing),
 * each with its header @p header as @p want says. */
void ktest_assert_tagged_once(const char *cluster, const char *topic, const char *header,
                              const ktest_tagged_t *want, int cnt);
/* Whether two records carry the same key, value, headers and timestamp;
 * provenance headers (KTEST_PROV_HEADER) do not count. */
int ktest_same_record(const ktest_rec_t *s, const ktest_rec_t *t);
/* Every partition of @p mirror on b equals its partition of @p topic on a,
 * record for record, in order, and they hold @p expected records in all. */
void ktest_assert_exact_copy(const char *topic, const char *mirror, int partitions,
                             int64_t expected);
/* Partition @p p of @p mirror on b after crashes or rebuilds: every record
 * of @p topic [@p p] on a is there, the first occurrences in source order
 * and equal to it, and at most @p bound more (duplicates). Values are
 * "<tag>-<i>", unique in the partition. Returns the duplicates. */
size_t ktest_check_at_least_once(const char *topic, const char *mirror, int p, size_t bound);
/* The same for the mirror's records whose value is "<@p tag>-<i>" alone
 * (NULL: all of them): those of a source topic deleted and recreated
 * under another tag are left out. */
size_t ktest_check_at_least_once_tag(const char *topic, const char *mirror, int p, size_t bound,
                                     const char *tag);

/* The failover: what a group that committed @p committed on @p topic [@p
 * part] on a reads on b from its checkpoint's offset @p down on is exactly
 * what it had not read on a, in order: nothing skipped, nothing given
 * twice. @p s and @p t are the source and target partitions (ktest_read_
 * partition); @p kept says which source records the target has (NULL:
 * all). */
void ktest_assert_resumes_exactly(const char *topic, const ktest_rec_t *s, size_t ns,
                                  const ktest_rec_t *t, size_t nt, int32_t part, int64_t committed,
                                  int64_t down, int (*kept)(const ktest_rec_t *r));

#endif
