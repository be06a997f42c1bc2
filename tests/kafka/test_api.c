/* API smoke test: every Kafka API kmirror uses, called through librdkafka
 * 2.0.2 against the real brokers of the test bed (clusters a and b), with each
 * answer checked. docs/kafka-api.md lists the APIs, what is asserted here and
 * the limitations found.
 *
 * Run from the build directory (KAFKA_VERSION=3.9.2 for the older line):
 *   ../tests/kafka/with-testbed a b -- env CMOCKA_MESSAGE_OUTPUT=TAP ./tests/kafka/test_api
 * The ACL test needs brokers with an authorizer; it runs only with
 * KM_TESTBED_ACL=1 and otherwise reports as skipped:
 *   ../tests/kafka/with-testbed --acl a b -- env KM_TESTBED_ACL=1 ./tests/kafka/test_api
 *
 * No fixed sleeps: every wait is on a Kafka answer with a deadline. Where the
 * broker applies a change after it answered (KRaft metadata, transaction
 * markers), the test asks again until the change shows or the deadline
 * passes. Lines starting with "# " report what the brokers answered. */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "ktest.h"

#define TS0 1700000000000LL /* explicit CreateTime base, ms */

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static int64_t now_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline(void) {
	return now_ms() + KTEST_TIMEOUT_MS;
}

/* Fails the test with @p error's message (destroying it) unless it is NULL. */
static void check_error(rd_kafka_error_t *error, const char *what) {
	char msg[512];

	if (!error)
		return;
	snprintf(msg, sizeof(msg), "%s: %s", rd_kafka_err2name(rd_kafka_error_code(error)),
	         rd_kafka_error_string(error));
	rd_kafka_error_destroy(error);
	fail_msg("%s: %s", what, msg);
}

static const char *error_name(const rd_kafka_error_t *error) {
	return error ? rd_kafka_err2name(rd_kafka_error_code(error)) : "NO_ERROR";
}

static rd_kafka_resp_err_t error_code(const rd_kafka_error_t *error) {
	return error ? rd_kafka_error_code(error) : RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_AdminOptions_t *admin_options(rd_kafka_t *rk, rd_kafka_admin_op_t op) {
	rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(rk, op);
	char errstr[256];

	assert_non_null(opts);
	if (rd_kafka_AdminOptions_set_request_timeout(opts, KTEST_TIMEOUT_MS, errstr,
	                                              sizeof(errstr)))
		fail_msg("admin request timeout: %s", errstr);
	return opts;
}

/* Waits for the one answer of an admin request on @p q; fails the test on no
 * answer, on an answer of another type or on a request-level error. */
static rd_kafka_event_t *admin_result(rd_kafka_queue_t *q, rd_kafka_event_type_t type,
                                      const char *what) {
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, KTEST_TIMEOUT_MS + 5000);
	char msg[512];

	if (!ev)
		fail_msg("%s: no answer within %d ms", what, KTEST_TIMEOUT_MS + 5000);
	if (rd_kafka_event_type(ev) != type) {
		snprintf(msg, sizeof(msg), "%s", rd_kafka_event_name(ev));
		rd_kafka_event_destroy(ev);
		fail_msg("%s: unexpected event %s", what, msg);
	}
	if (rd_kafka_event_error(ev)) {
		snprintf(msg, sizeof(msg), "%s: %s", rd_kafka_err2name(rd_kafka_event_error(ev)),
		         rd_kafka_event_error_string(ev));
		rd_kafka_event_destroy(ev);
		fail_msg("%s: %s", what, msg);
	}
	return ev;
}

/* Produces one record with value @p value, timestamp @p ts (0: now) and
 * per-message opaque @p opaque. */
static void produce_record(rd_kafka_t *rk, const char *topic, int32_t partition, const char *value,
                           int64_t ts, void *opaque) {
	rd_kafka_resp_err_t err;

	do {
		err = rd_kafka_producev(
		    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
		    RD_KAFKA_V_VALUE((void *)value, strlen(value)),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(ts),
		    RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 100); /* back-pressure: serve deliveries */
	} while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
	if (err)
		fail_msg("produce to %s [%d]: %s", topic, (int)partition, rd_kafka_err2str(err));
	rd_kafka_poll(rk, 0);
}

static void produce_value(rd_kafka_t *rk, const char *topic, int32_t partition, const char *value,
                          int64_t ts) {
	produce_record(rk, topic, partition, value, ts, NULL);
}

/* The delivery report of every record of a logged_producer, by the index
 * passed as the record's opaque. */
#define DR_LOG_MAX 1000

struct dr_log {
	int reports, failures;
	int32_t partition[DR_LOG_MAX];
	int64_t offset[DR_LOG_MAX];
	rd_kafka_resp_err_t err[DR_LOG_MAX];
	rd_kafka_msg_status_t status[DR_LOG_MAX];
};

static void dr_log_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
	struct dr_log *log = opaque;
	intptr_t i = (intptr_t)m->_private;

	(void)rk;
	log->reports++;
	log->failures += m->err != RD_KAFKA_RESP_ERR_NO_ERROR;
	if (i < 0 || i >= DR_LOG_MAX)
		return;
	log->partition[i] = m->partition;
	log->offset[i] = m->offset;
	log->err[i] = m->err;
	log->status[i] = rd_kafka_message_status(m);
}

/* A producer for @p cluster with the NULL-terminated properties that follow,
 * logging deliveries to @p log (free both with logged_producer_destroy). */
static rd_kafka_t *logged_producer(const char *cluster, struct dr_log **log, ...) {
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char errstr[512];
	va_list ap;

	*log = calloc(1, sizeof(**log));
	assert_non_null(*log);
	va_start(ap, log);
	conf = ktest_vconf(cluster, ap);
	va_end(ap);
	rd_kafka_conf_set_opaque(conf, *log);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_log_cb);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk)
		fail_msg("producer for %s: %s", cluster, errstr);
	return rk;
}

static void logged_producer_destroy(rd_kafka_t *rk, struct dr_log *log) {
	rd_kafka_destroy(rk);
	free(log);
}

/* Waits until every record of @p rk got its delivery report (failed or not). */
static void logged_flush(rd_kafka_t *rk) {
	if (rd_kafka_flush(rk, KTEST_TIMEOUT_MS))
		fail_msg("flush: %d records without delivery report after %d ms",
		         rd_kafka_outq_len(rk), KTEST_TIMEOUT_MS);
}

static void watermarks(rd_kafka_t *rk, const char *topic, int32_t partition, int64_t *lo,
                       int64_t *hi) {
	rd_kafka_resp_err_t err =
	    rd_kafka_query_watermark_offsets(rk, topic, partition, lo, hi, KTEST_TIMEOUT_MS);

	if (err)
		fail_msg("watermarks %s [%d]: %s", topic, (int)partition, rd_kafka_err2str(err));
}

/* Asks for the high watermark until it is @p want: transaction markers are
 * written after commit/abort_transaction returned. */
static void wait_high_watermark(rd_kafka_t *rk, const char *topic, int32_t partition,
                                int64_t want) {
	int64_t end = deadline(), hi;

	while ((hi = ktest_high_watermark(rk, topic, partition)) != want) {
		if (hi > want || now_ms() > end)
			fail_msg("%s [%d]: high watermark %" PRId64 ", want %" PRId64, topic,
			         (int)partition, hi, want);
	}
}

/* The partition count of @p topic in a fresh metadata answer, -1 if absent. */
static int partition_count(rd_kafka_t *rk, const char *topic) {
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	int cnt = -1;

	if (rd_kafka_metadata(rk, 0, rkt, &md, KTEST_TIMEOUT_MS) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (md->topic_cnt == 1 && !md->topics[0].err)
			cnt = md->topics[0].partition_cnt;
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	return cnt;
}

static void wait_partition_count(rd_kafka_t *rk, const char *topic, int want) {
	int64_t end = deadline();
	int n, tries = 1;

	while ((n = partition_count(rk, topic)) != want) {
		if (now_ms() > end)
			fail_msg("%s: %d partitions in metadata, want %d", topic, n, want);
		tries++;
	}
	if (tries > 1)
		ktest_note("%s: %d partitions in metadata after %d requests", topic, want, tries);
}

/* The id of the (only) broker of the cluster @p rk is connected to. */
static int32_t broker_id(rd_kafka_t *rk) {
	const struct rd_kafka_metadata *md;
	int32_t id;

	assert_int_equal(rd_kafka_metadata(rk, 0, NULL, &md, KTEST_TIMEOUT_MS), 0);
	assert_int_equal(md->broker_cnt, 1);
	id = md->brokers[0].id;
	rd_kafka_metadata_destroy(md);
	return id;
}

/* A consumer that reads assigned partitions only (no subscription, no commit). */
static rd_kafka_t *reader(const char *cluster, const char *isolation) {
	return ktest_consumer(cluster, "group.id", "ktest-api-reader", "enable.auto.commit",
	                      "false", "enable.partition.eof", "true", "isolation.level", isolation,
	                      NULL);
}

static void assign_one(rd_kafka_t *rk, const char *topic, int32_t partition, int64_t offset) {
	rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);

	rd_kafka_topic_partition_list_add(parts, topic, partition)->offset = offset;
	assert_int_equal(rd_kafka_assign(rk, parts), 0);
	rd_kafka_topic_partition_list_destroy(parts);
}

/* The next record (not an EOF event) of a consumer; fails after the deadline. */
static rd_kafka_message_t *next_record(rd_kafka_t *rk) {
	int64_t end = deadline();

	while (now_ms() < end) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);

		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			rd_kafka_message_destroy(m);
			continue;
		}
		if (m->err)
			fail_msg("consume: %s", rd_kafka_message_errstr(m));
		return m;
	}
	fail_msg("no record within %d ms", KTEST_TIMEOUT_MS);
	return NULL;
}

/* Reads partition 0 of @p topic from the beginning with @p isolation until
 * the end-of-partition event at @p end_offset, and checks the records read
 * are exactly @p n with offsets @p offsets and values @p values, in order. */
static void read_exactly(const char *cluster, const char *topic, const char *isolation,
                         int64_t end_offset, const int64_t *offsets, const char *const *values,
                         int n) {
	rd_kafka_t *rk = reader(cluster, isolation);
	int64_t end = deadline();
	int seen = 0;

	assign_one(rk, topic, 0, RD_KAFKA_OFFSET_BEGINNING);
	for (;;) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);

		if (!m) {
			if (now_ms() > end)
				fail_msg("%s %s: %d records read and no end at offset %" PRId64
				         " within %d ms",
				         isolation, topic, seen, end_offset, KTEST_TIMEOUT_MS);
			continue;
		}
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			/* An end before @p end_offset: the last transaction
			 * marker is not written yet (read_committed stops at
			 * the last stable offset). */
			int64_t at = m->offset;

			rd_kafka_message_destroy(m);
			if (at >= end_offset)
				break;
			continue;
		}
		if (m->err)
			fail_msg("%s %s: %s", isolation, topic, rd_kafka_message_errstr(m));
		if (seen >= n)
			fail_msg("%s %s: unexpected record %d at offset %" PRId64 ": %.*s",
			         isolation, topic, seen, m->offset, (int)m->len,
			         (const char *)m->payload);
		assert_int_equal(m->offset, offsets[seen]);
		assert_int_equal(m->len, strlen(values[seen]));
		assert_memory_equal(m->payload, values[seen], m->len);
		seen++;
		rd_kafka_message_destroy(m);
	}
	assert_int_equal(seen, n);
	ktest_destroy(rk);
}

/* The timestamp of the record at @p offset of @p topic [@p partition]. */
static int64_t record_timestamp(const char *cluster, const char *topic, int32_t partition,
                                int64_t offset) {
	rd_kafka_t *rk = reader(cluster, "read_uncommitted");
	rd_kafka_message_t *m;
	int64_t ts;

	assign_one(rk, topic, partition, offset);
	m = next_record(rk);
	assert_int_equal(m->offset, offset);
	ts = rd_kafka_message_timestamp(m, NULL);
	rd_kafka_message_destroy(m);
	ktest_destroy(rk);
	return ts;
}

/* One transaction of @p n records "<prefix>-<i>" on partition 0, committed or
 * aborted. Aborted records are delivered first, so they are in the log. */
static void txn_records(rd_kafka_t *rk, const char *topic, const char *prefix, int n, int commit) {
	char val[64];

	check_error(rd_kafka_begin_transaction(rk), "begin_transaction");
	for (int i = 0; i < n; i++) {
		snprintf(val, sizeof(val), "%s-%d", prefix, i);
		produce_value(rk, topic, 0, val, 0);
	}
	if (commit) {
		check_error(rd_kafka_commit_transaction(rk, KTEST_TIMEOUT_MS),
		            "commit_transaction");
	} else {
		ktest_flush(rk);
		check_error(rd_kafka_abort_transaction(rk, KTEST_TIMEOUT_MS), "abort_transaction");
	}
}

/* ListConsumerGroupOffsets: a copy of the committed offsets of @p group for
 * @p parts (NULL: all); fails the test on a group-level error. */
static rd_kafka_topic_partition_list_t *
list_group_offsets(rd_kafka_t *rk, const char *group, const rd_kafka_topic_partition_list_t *parts,
                   int require_stable) {
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *opts =
	    admin_options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
	rd_kafka_ListConsumerGroupOffsets_t *req =
	    rd_kafka_ListConsumerGroupOffsets_new(group, parts);
	const rd_kafka_group_result_t **groups;
	rd_kafka_topic_partition_list_t *copy;
	rd_kafka_event_t *ev;
	size_t n;

	if (require_stable)
		check_error(rd_kafka_AdminOptions_set_require_stable_offsets(opts, 1),
		            "require_stable_offsets");
	rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, opts, q);
	rd_kafka_ListConsumerGroupOffsets_destroy(req);
	rd_kafka_AdminOptions_destroy(opts);
	ev = admin_result(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
	                  "ListConsumerGroupOffsets");
	groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
	    rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
	assert_int_equal(n, 1);
	assert_string_equal(rd_kafka_group_result_name(groups[0]), group);
	if (rd_kafka_group_result_error(groups[0]))
		fail_msg("ListConsumerGroupOffsets %s: %s", group,
		         rd_kafka_error_string(rd_kafka_group_result_error(groups[0])));
	assert_non_null(rd_kafka_group_result_partitions(groups[0]));
	copy = rd_kafka_topic_partition_list_copy(rd_kafka_group_result_partitions(groups[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	return copy;
}

static rd_kafka_topic_partition_t *find_partition(rd_kafka_topic_partition_list_t *parts,
                                                  const char *topic, int32_t partition) {
	rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(parts, topic, partition);

	if (!p)
		fail_msg("%s [%d] missing from the answer", topic, (int)partition);
	return p;
}

/* AlterConsumerGroupOffsets: sets @p offsets for @p group; returns a copy of
 * the per-partition answer and the group-level error in @p group_err. */
static rd_kafka_topic_partition_list_t *
alter_group_offsets(rd_kafka_t *rk, const char *group,
                    const rd_kafka_topic_partition_list_t *offsets,
                    rd_kafka_resp_err_t *group_err) {
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *opts =
	    admin_options(rk, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
	rd_kafka_AlterConsumerGroupOffsets_t *req =
	    rd_kafka_AlterConsumerGroupOffsets_new(group, offsets);
	const rd_kafka_group_result_t **groups;
	const rd_kafka_topic_partition_list_t *parts;
	rd_kafka_topic_partition_list_t *copy;
	rd_kafka_event_t *ev;
	size_t n;

	rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, opts, q);
	rd_kafka_AlterConsumerGroupOffsets_destroy(req);
	rd_kafka_AdminOptions_destroy(opts);
	ev = admin_result(q, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT,
	                  "AlterConsumerGroupOffsets");
	groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(
	    rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
	assert_int_equal(n, 1);
	assert_string_equal(rd_kafka_group_result_name(groups[0]), group);
	*group_err = error_code(rd_kafka_group_result_error(groups[0]));
	parts = rd_kafka_group_result_partitions(groups[0]);
	copy = parts ? rd_kafka_topic_partition_list_copy(parts)
	             : rd_kafka_topic_partition_list_new(0);
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	return copy;
}

/* ListConsumerGroups: the state of @p group, or -1 when it is not listed.
 * With @p match_cnt > 0 only groups in the @p match states are asked for. */
static int listed_group_state(rd_kafka_t *rk, const char *group,
                              const rd_kafka_consumer_group_state_t *match, size_t match_cnt,
                              int *is_simple) {
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *opts = admin_options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
	const rd_kafka_ListConsumerGroups_result_t *res;
	const rd_kafka_ConsumerGroupListing_t **valid;
	rd_kafka_event_t *ev;
	size_t n, nerr;
	int state = -1;

	if (match_cnt)
		check_error(
		    rd_kafka_AdminOptions_set_match_consumer_group_states(opts, match, match_cnt),
		    "match_consumer_group_states");
	rd_kafka_ListConsumerGroups(rk, opts, q);
	rd_kafka_AdminOptions_destroy(opts);
	ev = admin_result(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, "ListConsumerGroups");
	res = rd_kafka_event_ListConsumerGroups_result(ev);
	rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
	assert_int_equal(nerr, 0);
	valid = rd_kafka_ListConsumerGroups_result_valid(res, &n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rd_kafka_ConsumerGroupListing_group_id(valid[i]), group))
			continue;
		state = (int)rd_kafka_ConsumerGroupListing_state(valid[i]);
		if (is_simple)
			*is_simple =
			    rd_kafka_ConsumerGroupListing_is_simple_consumer_group(valid[i]);
	}
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	return state;
}

/* DescribeConsumerGroups of one group: the answer event (to destroy) and the
 * group's description in @p desc. */
static rd_kafka_event_t *describe_group(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *group,
                                        const rd_kafka_ConsumerGroupDescription_t **desc) {
	rd_kafka_AdminOptions_t *opts = admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
	const rd_kafka_ConsumerGroupDescription_t **groups;
	rd_kafka_event_t *ev;
	size_t n;

	rd_kafka_DescribeConsumerGroups(rk, &group, 1, opts, q);
	rd_kafka_AdminOptions_destroy(opts);
	ev =
	    admin_result(q, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, "DescribeConsumerGroups");
	groups = rd_kafka_DescribeConsumerGroups_result_groups(
	    rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
	assert_int_equal(n, 1);
	assert_string_equal(rd_kafka_ConsumerGroupDescription_group_id(groups[0]), group);
	if (rd_kafka_ConsumerGroupDescription_error(groups[0]))
		fail_msg("DescribeConsumerGroups %s: %s", group,
		         rd_kafka_error_string(rd_kafka_ConsumerGroupDescription_error(groups[0])));
	*desc = groups[0];
	return ev;
}

/* DescribeConfigs of one resource: the answer event (to destroy), and the
 * resource's entries in @p entries / @p cnt. */
static rd_kafka_event_t *describe_configs(rd_kafka_t *rk, rd_kafka_queue_t *q,
                                          rd_kafka_ResourceType_t type, const char *name,
                                          const rd_kafka_ConfigEntry_t ***entries, size_t *cnt) {
	rd_kafka_AdminOptions_t *opts = admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(type, name);
	const rd_kafka_ConfigResource_t **out;
	rd_kafka_event_t *ev;
	size_t n;

	rd_kafka_DescribeConfigs(rk, &res, 1, opts, q);
	rd_kafka_ConfigResource_destroy(res);
	rd_kafka_AdminOptions_destroy(opts);
	ev = admin_result(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, "DescribeConfigs");
	out = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev),
	                                                &n);
	assert_int_equal(n, 1);
	assert_int_equal(rd_kafka_ConfigResource_type(out[0]), type);
	assert_string_equal(rd_kafka_ConfigResource_name(out[0]), name);
	if (rd_kafka_ConfigResource_error(out[0]))
		fail_msg("DescribeConfigs %s: %s", name,
		         rd_kafka_ConfigResource_error_string(out[0]));
	*entries = (const rd_kafka_ConfigEntry_t **)rd_kafka_ConfigResource_configs(out[0], cnt);
	return ev;
}

static const rd_kafka_ConfigEntry_t *lookup_entry(const rd_kafka_ConfigEntry_t **entries,
                                                  size_t cnt, const char *name) {
	for (size_t i = 0; i < cnt; i++)
		if (!strcmp(rd_kafka_ConfigEntry_name(entries[i]), name))
			return entries[i];
	return NULL;
}

static const rd_kafka_ConfigEntry_t *find_entry(const rd_kafka_ConfigEntry_t **entries, size_t cnt,
                                                const char *name) {
	const rd_kafka_ConfigEntry_t *e = lookup_entry(entries, cnt, name);

	if (!e)
		fail_msg("config %s not described", name);
	return e;
}

/* Checks config @p name has value @p value and source @p source. */
static void check_entry(const rd_kafka_ConfigEntry_t **entries, size_t cnt, const char *name,
                        const char *value, rd_kafka_ConfigSource_t source) {
	const rd_kafka_ConfigEntry_t *e = find_entry(entries, cnt, name);

	if (!rd_kafka_ConfigEntry_value(e) || strcmp(rd_kafka_ConfigEntry_value(e), value) ||
	    rd_kafka_ConfigEntry_source(e) != source)
		fail_msg("config %s: %s (%s), want %s (%s)", name,
		         rd_kafka_ConfigEntry_value(e) ? rd_kafka_ConfigEntry_value(e) : "(null)",
		         rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(e)), value,
		         rd_kafka_ConfigSource_name(source));
	assert_int_equal(rd_kafka_ConfigEntry_is_default(e),
	                 source == RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG);
	assert_int_equal(rd_kafka_ConfigEntry_is_read_only(e), 0);
	assert_int_equal(rd_kafka_ConfigEntry_is_sensitive(e), 0);
}

/* Describes topic @p topic until config @p name has value @p value (KRaft
 * brokers apply an altered config after the controller answered). */
static rd_kafka_event_t *describe_until(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *topic,
                                        const char *name, const char *value,
                                        const rd_kafka_ConfigEntry_t ***entries, size_t *cnt) {
	int64_t end = deadline();

	for (int tries = 1;; tries++) {
		rd_kafka_event_t *ev =
		    describe_configs(rk, q, RD_KAFKA_RESOURCE_TOPIC, topic, entries, cnt);
		const char *v = rd_kafka_ConfigEntry_value(find_entry(*entries, *cnt, name));

		if (v && !strcmp(v, value)) {
			if (tries > 1)
				ktest_note("%s: %s=%s described after %d requests", topic, name,
				           value, tries);
			return ev;
		}
		rd_kafka_event_destroy(ev);
		if (now_ms() > end)
			fail_msg("%s: config %s is not %s within %d ms", topic, name, value,
			         KTEST_TIMEOUT_MS);
	}
}

/* AlterConfigs of topic @p topic with exactly the @p n name/value pairs given. */
static void alter_topic_configs(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *topic,
                                const char *const *pairs, size_t n) {
	rd_kafka_AdminOptions_t *opts = admin_options(rk, RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
	rd_kafka_ConfigResource_t *res =
	    rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
	const rd_kafka_ConfigResource_t **out;
	rd_kafka_event_t *ev;
	size_t cnt;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(
		    rd_kafka_ConfigResource_set_config(res, pairs[2 * i], pairs[2 * i + 1]), 0);
	rd_kafka_AlterConfigs(rk, &res, 1, opts, q);
	rd_kafka_ConfigResource_destroy(res);
	rd_kafka_AdminOptions_destroy(opts);
	ev = admin_result(q, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT, "AlterConfigs");
	out = rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &cnt);
	assert_int_equal(cnt, 1);
	assert_string_equal(rd_kafka_ConfigResource_name(out[0]), topic);
	if (rd_kafka_ConfigResource_error(out[0]))
		fail_msg("AlterConfigs %s: %s", topic,
		         rd_kafka_ConfigResource_error_string(out[0]));
	rd_kafka_event_destroy(ev);
}

/* The workaround for non-incremental AlterConfigs: read the topic's dynamic
 * configs, change @p name to @p value in that set, and send the whole set. */
static void alter_topic_config_preserving(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *topic,
                                          const char *name, const char *value) {
	const rd_kafka_ConfigEntry_t **entries;
	const char *pairs[2 * 64];
	size_t cnt, n = 0;
	rd_kafka_event_t *ev =
	    describe_configs(rk, q, RD_KAFKA_RESOURCE_TOPIC, topic, &entries, &cnt);

	for (size_t i = 0; i < cnt; i++) {
		if (rd_kafka_ConfigEntry_source(entries[i]) !=
		        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG ||
		    !strcmp(rd_kafka_ConfigEntry_name(entries[i]), name))
			continue;
		assert_true(n < 63);
		pairs[2 * n] = rd_kafka_ConfigEntry_name(entries[i]);
		pairs[2 * n + 1] = rd_kafka_ConfigEntry_value(entries[i]);
		n++;
	}
	pairs[2 * n] = name;
	pairs[2 * n + 1] = value;
	alter_topic_configs(rk, q, topic, pairs, n + 1);
	rd_kafka_event_destroy(ev);
}

/* DeleteRecords of @p topic [0] before @p offset: the partition's answer
 * (low watermark) in @p low, its error returned. */
static rd_kafka_resp_err_t delete_records(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *topic,
                                          int64_t offset, int64_t *low) {
	rd_kafka_AdminOptions_t *opts = admin_options(rk, RD_KAFKA_ADMIN_OP_DELETERECORDS);
	rd_kafka_topic_partition_list_t *before = rd_kafka_topic_partition_list_new(1);
	const rd_kafka_topic_partition_list_t *res;
	rd_kafka_DeleteRecords_t *del;
	rd_kafka_resp_err_t err;
	rd_kafka_event_t *ev;

	rd_kafka_topic_partition_list_add(before, topic, 0)->offset = offset;
	del = rd_kafka_DeleteRecords_new(before);
	rd_kafka_topic_partition_list_destroy(before);
	rd_kafka_DeleteRecords(rk, &del, 1, opts, q);
	rd_kafka_DeleteRecords_destroy(del);
	rd_kafka_AdminOptions_destroy(opts);
	ev = admin_result(q, RD_KAFKA_EVENT_DELETERECORDS_RESULT, "DeleteRecords");
	res = rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
	assert_non_null(res);
	assert_int_equal(res->cnt, 1);
	assert_string_equal(res->elems[0].topic, topic);
	assert_int_equal(res->elems[0].partition, 0);
	err = res->elems[0].err;
	*low = res->elems[0].offset;
	rd_kafka_event_destroy(ev);
	return err;
}

/* ------------------------------------------------------------------------
 * 1. Idempotent produce
 * ------------------------------------------------------------------------ */

#define NIDEMP           1000
#define IDEMP_PARTITIONS 2

/* enable.idempotence=true, acks=all, up to 5 batches in flight: every record
 * is delivered once, persisted, at the next offset of its partition. */
static void test_idempotent_produce(void **state) {
	int64_t next[IDEMP_PARTITIONS] = {0};
	char topic[128], val[64], acks[16];
	size_t acks_size = sizeof(acks);
	struct dr_log *log;
	rd_kafka_t *rk;

	rk = logged_producer("a", &log, "enable.idempotence", "true", "acks", "all",
	                     "max.in.flight.requests.per.connection", "5", "linger.ms", "2",
	                     "batch.num.messages", "50", NULL);
	assert_int_equal(rd_kafka_conf_get(rd_kafka_conf(rk), "acks", acks, &acks_size),
	                 RD_KAFKA_CONF_OK);
	assert_string_equal(acks, "-1");

	ktest_topic_name(topic, sizeof(topic), "idempotent");
	ktest_create_topic(rk, topic, IDEMP_PARTITIONS, NULL);
	for (int i = 0; i < NIDEMP; i++) {
		snprintf(val, sizeof(val), "idempotent-%d", i);
		produce_record(rk, topic, i % IDEMP_PARTITIONS, val, 0, (void *)(intptr_t)i);
	}
	logged_flush(rk);
	assert_int_equal(log->reports, NIDEMP);
	for (int i = 0; i < NIDEMP; i++) {
		int32_t p = i % IDEMP_PARTITIONS;

		if (log->err[i])
			fail_msg("record %d: %s", i, rd_kafka_err2name(log->err[i]));
		assert_int_equal(log->partition[i], p);
		assert_int_equal(log->status[i], RD_KAFKA_MSG_STATUS_PERSISTED);
		if (log->offset[i] != next[p])
			fail_msg("record %d: offset %" PRId64 ", want %" PRId64 " (not contiguous)",
			         i, log->offset[i], next[p]);
		next[p]++;
	}
	for (int32_t p = 0; p < IDEMP_PARTITIONS; p++)
		assert_int_equal(ktest_high_watermark(rk, topic, p), NIDEMP / IDEMP_PARTITIONS);
	logged_producer_destroy(rk, log);
}

/* ------------------------------------------------------------------------
 * 2. Transactions, with consumer offsets sent to the transaction
 * ------------------------------------------------------------------------ */

#define TXN_SRC_RECORDS 5

/* Cluster b holds a transactional producer. One committed and one aborted
 * transaction move the high watermark by records + 1 marker each. Then a
 * consume(a)-produce(b) transaction sends a's position to the transaction
 * with the group metadata of a consumer on a: the offset is committed to the
 * group on b (the producer's cluster), not on a. */
static void test_transactions(void **state) {
	char topic[128], only_a[128], txnid[128], group[128], val[64], first[64];
	rd_kafka_t *src = ktest_producer("a", NULL);
	rd_kafka_topic_partition_list_t *pos, *got;
	rd_kafka_consumer_group_metadata_t *cgmd;
	rd_kafka_error_t *error;
	rd_kafka_t *txp, *consumer;
	int64_t end;
	int tries = 0;

	ktest_topic_name(topic, sizeof(topic), "txn");
	ktest_create_topic(src, topic, 1, NULL);
	for (int i = 0; i < TXN_SRC_RECORDS; i++) {
		snprintf(val, sizeof(val), "src-%d", i);
		produce_value(src, topic, 0, val, 0);
	}
	ktest_flush(src);

	ktest_topic_name(txnid, sizeof(txnid), "ktest-txn");
	txp = ktest_producer("b", "transactional.id", txnid, NULL);
	ktest_create_topic(txp, topic, 1, NULL); /* the mirror keeps the topic's name */
	check_error(rd_kafka_init_transactions(txp, KTEST_TIMEOUT_MS), "init_transactions");

	txn_records(txp, topic, "committed", 3, 1);
	wait_high_watermark(txp, topic, 0, 3 + 1);
	txn_records(txp, topic, "aborted", 2, 0);
	wait_high_watermark(txp, topic, 0, 4 + 2 + 1);

	ktest_topic_name(group, sizeof(group), "ktest-txn-group");
	consumer = ktest_consumer("a", "group.id", group, "enable.auto.commit", "false", NULL);
	cgmd = rd_kafka_consumer_group_metadata(consumer);
	assert_non_null(cgmd);

	/* Offsets of a topic b does not have: b refuses them, and the error
	 * requires the transaction to be aborted. */
	ktest_topic_name(only_a, sizeof(only_a), "txn-only-a");
	ktest_create_topic(src, only_a, 1, NULL);
	pos = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(pos, only_a, 0)->offset = 1;
	check_error(rd_kafka_begin_transaction(txp), "begin_transaction");
	error = rd_kafka_send_offsets_to_transaction(txp, pos, cgmd, KTEST_TIMEOUT_MS);
	assert_non_null(error);
	ktest_note(
	    "send_offsets_to_transaction for a topic absent on b: %s (abortable %d, fatal %d)",
	    rd_kafka_err2name(rd_kafka_error_code(error)), rd_kafka_error_txn_requires_abort(error),
	    rd_kafka_error_is_fatal(error));
	assert_int_equal(rd_kafka_error_code(error), RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
	assert_int_equal(rd_kafka_error_txn_requires_abort(error), 1);
	rd_kafka_error_destroy(error);
	check_error(rd_kafka_abort_transaction(txp, KTEST_TIMEOUT_MS), "abort_transaction");
	rd_kafka_topic_partition_list_destroy(pos);

	/* consume(a)-produce(b), a's position sent to the transaction */
	assign_one(consumer, topic, 0, RD_KAFKA_OFFSET_BEGINNING);
	check_error(rd_kafka_begin_transaction(txp), "begin_transaction");
	for (int i = 0; i < TXN_SRC_RECORDS; i++) {
		rd_kafka_message_t *m = next_record(consumer);

		assert_int_equal(m->offset, i);
		snprintf(val, sizeof(val), "%.*s", (int)m->len, (const char *)m->payload);
		rd_kafka_message_destroy(m);
		produce_value(txp, topic, 0, val, 0);
	}
	pos = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(pos, topic, 0);
	assert_int_equal(rd_kafka_position(consumer, pos), 0);
	assert_int_equal(pos->elems[0].offset, TXN_SRC_RECORDS);
	check_error(rd_kafka_send_offsets_to_transaction(txp, pos, cgmd, KTEST_TIMEOUT_MS),
	            "send_offsets_to_transaction");
	check_error(rd_kafka_commit_transaction(txp, KTEST_TIMEOUT_MS), "commit_transaction");
	rd_kafka_consumer_group_metadata_destroy(cgmd);
	wait_high_watermark(txp, topic, 0, 7 + TXN_SRC_RECORDS + 1);

	/* The group on b has the offset once the commit marker is written;
	 * require_stable makes the broker say UNSTABLE_OFFSET_COMMIT before. */
	end = deadline();
	for (;;) {
		rd_kafka_topic_partition_t *p;

		got = list_group_offsets(txp, group, pos, 1);
		p = find_partition(got, topic, 0);
		if (!tries++)
			snprintf(first, sizeof(first), "%" PRId64 " %s", p->offset,
			         rd_kafka_err2name(p->err));
		if (!p->err && p->offset == TXN_SRC_RECORDS)
			break;
		if (p->err && p->err != RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT)
			fail_msg("ListConsumerGroupOffsets %s: %s", group,
			         rd_kafka_err2name(p->err));
		if (now_ms() > end)
			fail_msg("group %s on b: offset %" PRId64 " (%s), want %d", group,
			         p->offset, rd_kafka_err2name(p->err), TXN_SRC_RECORDS);
		rd_kafka_topic_partition_list_destroy(got);
	}
	ktest_note("transactional offset on b: %d ListConsumerGroupOffsets, first answer %s", tries,
	           first);
	rd_kafka_topic_partition_list_destroy(got);

	/* Nothing was committed on a, where the consumer runs. */
	got = list_group_offsets(src, group, pos, 0);
	assert_int_equal(find_partition(got, topic, 0)->offset, RD_KAFKA_OFFSET_INVALID);
	rd_kafka_topic_partition_list_destroy(got);
	assert_int_equal(rd_kafka_committed(consumer, pos, KTEST_TIMEOUT_MS), 0);
	assert_int_equal(pos->elems[0].offset, RD_KAFKA_OFFSET_INVALID);

	rd_kafka_topic_partition_list_destroy(pos);
	ktest_destroy(consumer);
	ktest_destroy(txp);
	ktest_destroy(src);
}

/* ------------------------------------------------------------------------
 * 3. Fetch with isolation.level
 * ------------------------------------------------------------------------ */

/* Three transactions on a: committed c1 (3), aborted ab (2), committed c2
 * (4). Offsets 3, 6 and 11 hold the markers; the high watermark is 12. */
static void test_isolation_level(void **state) {
	static const int64_t committed_offsets[] = {0, 1, 2, 7, 8, 9, 10};
	static const char *const committed_values[] = {"c1-0", "c1-1", "c1-2", "c2-0",
	                                               "c2-1", "c2-2", "c2-3"};
	static const int64_t all_offsets[] = {0, 1, 2, 4, 5, 7, 8, 9, 10};
	static const char *const all_values[] = {"c1-0", "c1-1", "c1-2", "ab-0", "ab-1",
	                                         "c2-0", "c2-1", "c2-2", "c2-3"};
	char topic[128], txnid[128];
	rd_kafka_t *txp;

	ktest_topic_name(txnid, sizeof(txnid), "ktest-txn");
	txp = ktest_producer("a", "transactional.id", txnid, NULL);
	ktest_topic_name(topic, sizeof(topic), "isolation");
	ktest_create_topic(txp, topic, 1, NULL);
	check_error(rd_kafka_init_transactions(txp, KTEST_TIMEOUT_MS), "init_transactions");
	txn_records(txp, topic, "c1", 3, 1);
	txn_records(txp, topic, "ab", 2, 0);
	txn_records(txp, topic, "c2", 4, 1);
	wait_high_watermark(txp, topic, 0, 12);
	ktest_destroy(txp);

	read_exactly("a", topic, "read_committed", 12, committed_offsets, committed_values, 7);
	read_exactly("a", topic, "read_uncommitted", 12, all_offsets, all_values, 9);
}

/* ------------------------------------------------------------------------
 * 4. Watermarks and offsets for times
 * ------------------------------------------------------------------------ */

/* The offset for a timestamp is the first offset (in log order) whose record
 * timestamp is >= the one asked, -1 (END) when there is none. Partitions 0
 * and 1 have timestamps TS0 + 1000 i at offset i (i < 10); partition 2 has
 * non-monotonic ones. */
static void test_watermarks_offsets_for_times(void **state) {
	static const int64_t p2_ts[] = {TS0, TS0 + 5000, TS0 + 1000, TS0 + 6000};
	static const struct {
		int64_t ts[3];   /* asked, per partition */
		int64_t want[3]; /* answered offsets */
	} rounds[] = {
	    {{TS0 + 3000, TS0 + 3500, TS0 + 2000}, {3, 4, 1}},
	    {{TS0 - 1, TS0 + 9001, TS0 + 6000}, {0, RD_KAFKA_OFFSET_END, 3}},
	    {{TS0 + 9000, 0, TS0 + 5500}, {9, 0, 3}},
	};
	char topic[128];
	rd_kafka_t *rk = ktest_producer("b", NULL);
	int64_t lo, hi;

	ktest_topic_name(topic, sizeof(topic), "timestamps");
	ktest_create_topic(rk, topic, 3, NULL);
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < 10; i++)
			produce_value(rk, topic, p, "t", TS0 + 1000 * i);
	for (int i = 0; i < 4; i++)
		produce_value(rk, topic, 2, "t", p2_ts[i]);
	ktest_flush(rk);

	for (int p = 0; p < 3; p++) {
		watermarks(rk, topic, p, &lo, &hi);
		assert_int_equal(lo, 0);
		assert_int_equal(hi, p < 2 ? 10 : 4);
	}

	for (size_t r = 0; r < sizeof(rounds) / sizeof(rounds[0]); r++) {
		rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(3);

		for (int p = 0; p < 3; p++)
			rd_kafka_topic_partition_list_add(parts, topic, p)->offset =
			    rounds[r].ts[p];
		assert_int_equal(rd_kafka_offsets_for_times(rk, parts, KTEST_TIMEOUT_MS), 0);
		for (int p = 0; p < 3; p++) {
			rd_kafka_topic_partition_t *tp = find_partition(parts, topic, p);

			assert_int_equal(tp->err, 0);
			if (tp->offset != rounds[r].want[p])
				fail_msg("offsets_for_times %s [%d] ts %" PRId64 ": offset %" PRId64
				         ", want %" PRId64,
				         topic, p, rounds[r].ts[p], tp->offset, rounds[r].want[p]);
		}
		rd_kafka_topic_partition_list_destroy(parts);
	}
	ktest_destroy(rk);

	/* The records at the answered offsets carry the expected timestamps. */
	assert_int_equal(record_timestamp("b", topic, 1, 4), TS0 + 4000);
	assert_int_equal(record_timestamp("b", topic, 2, 1), TS0 + 5000);
	assert_int_equal(record_timestamp("b", topic, 2, 2), TS0 + 1000);
}

/* A record's CreateTime is checked by the broker against the topic's
 * message.timestamp.after.max.ms (default 1 hour on Kafka 4.3.1, unlimited on
 * 3.9.2): a record stamped 2 hours ahead is refused with INVALID_TIMESTAMP
 * when the limit is lower, and so is every record of its batch. */
static void test_future_timestamps(void **state) {
	const int64_t ahead = 2 * 3600 * 1000LL;
	const rd_kafka_ConfigEntry_t **entries;
	struct dr_log *log;
	rd_kafka_t *rk = logged_producer("b", &log, "linger.ms", "500", NULL);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	struct timespec wall;
	char topic[128];
	int64_t after_max;
	size_t cnt;
	int refused;

	ktest_topic_name(topic, sizeof(topic), "future");
	ktest_create_topic(rk, topic, 1, NULL);
	ev = describe_configs(rk, q, RD_KAFKA_RESOURCE_TOPIC, topic, &entries, &cnt);
	after_max = strtoll(
	    rd_kafka_ConfigEntry_value(find_entry(entries, cnt, "message.timestamp.after.max.ms")),
	    NULL, 10);
	rd_kafka_event_destroy(ev);
	refused = after_max < ahead;

	/* Two records in one batch (linger.ms=500): 2 h ahead, and TS0. */
	clock_gettime(CLOCK_REALTIME, &wall);
	produce_record(rk, topic, 0, "future", (int64_t)wall.tv_sec * 1000 + ahead, (void *)0);
	produce_record(rk, topic, 0, "past", TS0, (void *)1);
	logged_flush(rk);
	assert_int_equal(log->reports, 2);
	ktest_note("message.timestamp.after.max.ms=%" PRId64
	           ": record 2 h ahead: %s, its batch-mate: %s",
	           after_max, rd_kafka_err2name(log->err[0]), rd_kafka_err2name(log->err[1]));
	if (refused) {
		assert_int_equal(log->err[0], RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP);
		assert_int_equal(log->err[1], RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP);
		assert_int_equal(ktest_high_watermark(rk, topic, 0), 0);
	} else {
		assert_int_equal(log->err[0], 0);
		assert_int_equal(log->err[1], 0);
		assert_int_equal(ktest_high_watermark(rk, topic, 0), 2);
	}

	/* The limit is a topic config: 1 hour refuses the record on any
	 * version, no limit accepts it. */
	alter_topic_config_preserving(rk, q, topic, "message.timestamp.after.max.ms", "3600000");
	rd_kafka_event_destroy(describe_until(rk, q, topic, "message.timestamp.after.max.ms",
	                                      "3600000", &entries, &cnt));
	produce_record(rk, topic, 0, "future", (int64_t)wall.tv_sec * 1000 + ahead, (void *)2);
	logged_flush(rk);
	assert_int_equal(log->err[2], RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP);
	alter_topic_config_preserving(rk, q, topic, "message.timestamp.after.max.ms",
	                              "9223372036854775807");
	rd_kafka_event_destroy(describe_until(rk, q, topic, "message.timestamp.after.max.ms",
	                                      "9223372036854775807", &entries, &cnt));
	produce_record(rk, topic, 0, "future", (int64_t)wall.tv_sec * 1000 + ahead, (void *)3);
	logged_flush(rk);
	assert_int_equal(log->err[3], RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(log->reports, 4);
	rd_kafka_queue_destroy(q);
	logged_producer_destroy(rk, log);
}

/* ------------------------------------------------------------------------
 * 5a. CreateTopics, CreatePartitions
 * ------------------------------------------------------------------------ */

/* CreateTopics of one NewTopic: its per-topic error code. */
static rd_kafka_resp_err_t create_topic(rd_kafka_t *rk, rd_kafka_queue_t *q,
                                        rd_kafka_NewTopic_t *nt, const char *topic, int verbose) {
	rd_kafka_AdminOptions_t *opts = admin_options(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	const rd_kafka_topic_result_t **res;
	rd_kafka_resp_err_t err;
	rd_kafka_event_t *ev;
	size_t n;

	rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
	rd_kafka_AdminOptions_destroy(opts);
	ev = admin_result(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT, "CreateTopics");
	res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
	assert_int_equal(n, 1);
	assert_string_equal(rd_kafka_topic_result_name(res[0]), topic);
	err = rd_kafka_topic_result_error(res[0]);
	if (err) {
		assert_non_null(rd_kafka_topic_result_error_string(res[0]));
		if (verbose)
			ktest_note("CreateTopics %s: %s: %s", topic, rd_kafka_err2name(err),
			           rd_kafka_topic_result_error_string(res[0]));
	}
	rd_kafka_event_destroy(ev);
	return err;
}

static rd_kafka_resp_err_t create_partitions(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *topic,
                                             size_t total) {
	rd_kafka_AdminOptions_t *opts = admin_options(rk, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS);
	rd_kafka_NewPartitions_t *np;
	const rd_kafka_topic_result_t **res;
	rd_kafka_resp_err_t err;
	rd_kafka_event_t *ev;
	char errstr[256];
	size_t n;

	np = rd_kafka_NewPartitions_new(topic, total, errstr, sizeof(errstr));
	if (!np)
		fail_msg("NewPartitions: %s", errstr);
	rd_kafka_CreatePartitions(rk, &np, 1, opts, q);
	rd_kafka_NewPartitions_destroy(np);
	rd_kafka_AdminOptions_destroy(opts);
	ev = admin_result(q, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT, "CreatePartitions");
	res =
	    rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
	assert_int_equal(n, 1);
	assert_string_equal(rd_kafka_topic_result_name(res[0]), topic);
	err = rd_kafka_topic_result_error(res[0]);
	if (err)
		ktest_note("CreatePartitions %s to %zu: %s: %s", topic, total,
		           rd_kafka_err2name(err), rd_kafka_topic_result_error_string(res[0]));
	rd_kafka_event_destroy(ev);
	return err;
}

static void test_create_topics_partitions(void **state) {
	const rd_kafka_ConfigEntry_t **entries;
	char topic[128], bad[128], errstr[256];
	rd_kafka_t *rk = ktest_producer("b", NULL);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_NewTopic_t *nt;
	rd_kafka_resp_err_t err;
	rd_kafka_event_t *ev;
	size_t cnt;
	int known;

	ktest_topic_name(topic, sizeof(topic), "admin");
	nt = rd_kafka_NewTopic_new(topic, 2, 1, errstr, sizeof(errstr));
	if (!nt)
		fail_msg("NewTopic: %s", errstr);
	assert_int_equal(rd_kafka_NewTopic_set_config(nt, "retention.ms", "3600000"), 0);
	assert_int_equal(rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact"), 0);
	assert_int_equal(create_topic(rk, q, nt, topic, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
	wait_partition_count(rk, topic, 2);

	/* Again: the topic exists. */
	assert_int_equal(create_topic(rk, q, nt, topic, 1), RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS);
	rd_kafka_NewTopic_destroy(nt);

	/* A config the broker does not know is refused, and no topic is made. */
	ktest_topic_name(bad, sizeof(bad), "admin-badconf");
	nt = rd_kafka_NewTopic_new(bad, 1, 1, errstr, sizeof(errstr));
	assert_non_null(nt);
	assert_int_equal(rd_kafka_NewTopic_set_config(nt, "no.such.config", "1"), 0);
	assert_int_equal(create_topic(rk, q, nt, bad, 1), RD_KAFKA_RESP_ERR_INVALID_CONFIG);
	rd_kafka_NewTopic_destroy(nt);
	assert_int_equal(partition_count(rk, bad), -1);

	/* message.downconversion.enable is a topic config on 3.9.2, unknown
	 * to 4.3.1: a broker that does not describe it refuses it. */
	ev = describe_configs(rk, q, RD_KAFKA_RESOURCE_TOPIC, topic, &entries, &cnt);
	known = lookup_entry(entries, cnt, "message.downconversion.enable") != NULL;
	rd_kafka_event_destroy(ev);
	ktest_topic_name(bad, sizeof(bad), "admin-oldconf");
	nt = rd_kafka_NewTopic_new(bad, 1, 1, errstr, sizeof(errstr));
	assert_non_null(nt);
	assert_int_equal(rd_kafka_NewTopic_set_config(nt, "message.downconversion.enable", "true"),
	                 0);
	err = create_topic(rk, q, nt, bad, 1);
	rd_kafka_NewTopic_destroy(nt);
	ktest_note("message.downconversion.enable: %s by DescribeConfigs, CreateTopics with it: %s",
	           known ? "listed" : "not listed", rd_kafka_err2name(err));
	assert_int_equal(err,
	                 known ? RD_KAFKA_RESP_ERR_NO_ERROR : RD_KAFKA_RESP_ERR_INVALID_CONFIG);

	/* CreatePartitions 2 -> 5; then asking for fewer is refused. */
	assert_int_equal(create_partitions(rk, q, topic, 5), RD_KAFKA_RESP_ERR_NO_ERROR);
	wait_partition_count(rk, topic, 5);
	assert_int_equal(create_partitions(rk, q, topic, 3), RD_KAFKA_RESP_ERR_INVALID_PARTITIONS);
	assert_int_equal(partition_count(rk, topic), 5);

	rd_kafka_queue_destroy(q);
	ktest_destroy(rk);
}

/* ------------------------------------------------------------------------
 * 5b. DescribeConfigs, AlterConfigs
 * ------------------------------------------------------------------------ */

static void test_describe_alter_configs(void **state) {
	static const char *const only_retention[] = {"retention.ms", "7200000"};
	const rd_kafka_ConfigEntry_t **entries, **syn;
	const rd_kafka_ConfigEntry_t *e;
	char topic[128], broker[16];
	rd_kafka_t *rk = ktest_producer("b", NULL);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	size_t cnt, n, sensitive = 0, read_only = 0;

	ktest_topic_name(topic, sizeof(topic), "configs");
	ktest_create_topic(rk, topic, 1, "retention.ms", "3600000", "cleanup.policy", "compact",
	                   "min.cleanable.dirty.ratio", "0.2", NULL);

	/* The configs set at creation are dynamic topic configs; others are
	 * the built-in default or the broker's static server.properties value. */
	ev = describe_configs(rk, q, RD_KAFKA_RESOURCE_TOPIC, topic, &entries, &cnt);
	check_entry(entries, cnt, "retention.ms", "3600000",
	            RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG);
	check_entry(entries, cnt, "cleanup.policy", "compact",
	            RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG);
	check_entry(entries, cnt, "min.cleanable.dirty.ratio", "0.2",
	            RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG);
	check_entry(entries, cnt, "segment.ms", "604800000", RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG);
	/* log.segment.bytes=268435456 in the test bed's server.properties */
	check_entry(entries, cnt, "segment.bytes", "268435456",
	            RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG);
	/* Synonyms, most specific first: the broker's static value, then the
	 * built-in default (what the topic would fall back to). */
	e = find_entry(entries, cnt, "segment.bytes");
	syn = rd_kafka_ConfigEntry_synonyms(e, &n);
	assert_int_equal(n, 2);
	assert_string_equal(rd_kafka_ConfigEntry_name(syn[0]), "log.segment.bytes");
	assert_string_equal(rd_kafka_ConfigEntry_value(syn[0]), "268435456");
	assert_int_equal(rd_kafka_ConfigEntry_source(syn[0]),
	                 RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG);
	assert_int_equal(rd_kafka_ConfigEntry_is_synonym(syn[0]), 1);
	assert_string_equal(rd_kafka_ConfigEntry_name(syn[1]), "log.segment.bytes");
	assert_string_equal(rd_kafka_ConfigEntry_value(syn[1]), "1073741824");
	assert_int_equal(rd_kafka_ConfigEntry_source(syn[1]),
	                 RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG);
	/* Not every inherited value is DEFAULT or STATIC: on 4.3.1 the
	 * cluster has a dynamic default min.insync.replicas. */
	e = find_entry(entries, cnt, "min.insync.replicas");
	ktest_note("topic config min.insync.replicas=%s source %s", rd_kafka_ConfigEntry_value(e),
	           rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(e)));
	assert_true(rd_kafka_ConfigEntry_source(e) == RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG ||
	            rd_kafka_ConfigEntry_source(e) ==
	                RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG);
	rd_kafka_event_destroy(ev);

	/* Broker configs: read-only and sensitive flags are answered. */
	snprintf(broker, sizeof(broker), "%d", (int)broker_id(rk));
	ev = describe_configs(rk, q, RD_KAFKA_RESOURCE_BROKER, broker, &entries, &cnt);
	for (size_t i = 0; i < cnt; i++) {
		assert_in_range(rd_kafka_ConfigEntry_is_read_only(entries[i]), 0, 1);
		assert_in_range(rd_kafka_ConfigEntry_is_sensitive(entries[i]), 0, 1);
		if (rd_kafka_ConfigEntry_is_sensitive(entries[i])) {
			/* a sensitive value is never sent */
			assert_null(rd_kafka_ConfigEntry_value(entries[i]));
			sensitive++;
		}
		read_only += rd_kafka_ConfigEntry_is_read_only(entries[i]);
	}
	e = find_entry(entries, cnt, "node.id");
	assert_int_equal(rd_kafka_ConfigEntry_is_read_only(e), 1);
	assert_string_equal(rd_kafka_ConfigEntry_value(e), broker);
	e = find_entry(entries, cnt, "ssl.keystore.password");
	assert_int_equal(rd_kafka_ConfigEntry_is_sensitive(e), 1);
	e = find_entry(entries, cnt, "log.retention.ms");
	assert_int_equal(rd_kafka_ConfigEntry_is_read_only(e), 0);
	ktest_note("broker %s: %zu configs, %zu sensitive, %zu read-only", broker, cnt, sensitive,
	           read_only);
	rd_kafka_event_destroy(ev);

	/* AlterConfigs is not incremental: only retention.ms is sent, so
	 * cleanup.policy and min.cleanable.dirty.ratio go back to default. */
	alter_topic_configs(rk, q, topic, only_retention, 1);
	ev = describe_until(rk, q, topic, "retention.ms", "7200000", &entries, &cnt);
	check_entry(entries, cnt, "retention.ms", "7200000",
	            RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG);
	check_entry(entries, cnt, "cleanup.policy", "delete",
	            RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG);
	check_entry(entries, cnt, "min.cleanable.dirty.ratio", "0.5",
	            RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG);
	rd_kafka_event_destroy(ev);

	/* The workaround: read, modify, send the whole set of dynamic configs. */
	alter_topic_config_preserving(rk, q, topic, "cleanup.policy", "compact");
	ev = describe_until(rk, q, topic, "cleanup.policy", "compact", &entries, &cnt);
	check_entry(entries, cnt, "cleanup.policy", "compact",
	            RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG);
	check_entry(entries, cnt, "retention.ms", "7200000",
	            RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG);
	rd_kafka_event_destroy(ev);

	rd_kafka_queue_destroy(q);
	ktest_destroy(rk);
}

/* ------------------------------------------------------------------------
 * 5c. DeleteRecords
 * ------------------------------------------------------------------------ */

static void test_delete_records(void **state) {
	char topic[128], val[32];
	rd_kafka_t *rk = ktest_producer("a", NULL);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_t *c;
	rd_kafka_message_t *m;
	rd_kafka_resp_err_t err;
	int64_t low, lo, hi;

	ktest_topic_name(topic, sizeof(topic), "delete");
	ktest_create_topic(rk, topic, 1, NULL);
	for (int i = 0; i < 10; i++) {
		snprintf(val, sizeof(val), "d-%d", i);
		produce_value(rk, topic, 0, val, 0);
	}
	ktest_flush(rk);

	assert_int_equal(delete_records(rk, q, topic, 4, &low), RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(low, 4);
	watermarks(rk, topic, 0, &lo, &hi);
	assert_int_equal(lo, 4);
	assert_int_equal(hi, 10);

	/* Reading from the beginning starts at the new low watermark. */
	c = reader("a", "read_uncommitted");
	assign_one(c, topic, 0, RD_KAFKA_OFFSET_BEGINNING);
	m = next_record(c);
	assert_int_equal(m->offset, 4);
	assert_memory_equal(m->payload, "d-4", 3);
	rd_kafka_message_destroy(m);
	ktest_destroy(c);

	/* Past the high watermark: refused, nothing deleted. */
	err = delete_records(rk, q, topic, 20, &low);
	ktest_note("DeleteRecords before offset 20 of 10: %s", rd_kafka_err2name(err));
	assert_int_equal(err, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE);
	watermarks(rk, topic, 0, &lo, &hi);
	assert_int_equal(lo, 4);

	/* RD_KAFKA_OFFSET_END: everything. */
	assert_int_equal(delete_records(rk, q, topic, RD_KAFKA_OFFSET_END, &low), 0);
	assert_int_equal(low, 10);
	watermarks(rk, topic, 0, &lo, &hi);
	assert_int_equal(lo, 10);
	assert_int_equal(hi, 10);

	rd_kafka_queue_destroy(q);
	ktest_destroy(rk);
}

/* ------------------------------------------------------------------------
 * 6. Consumer groups
 * ------------------------------------------------------------------------ */

#define GROUP_PARTITIONS 3

/* Polls the consumer until its assignment has @p want partitions. */
static void wait_assignment(rd_kafka_t *rk, int want) {
	int64_t end = deadline();

	for (;;) {
		rd_kafka_topic_partition_list_t *parts;
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
		int n;

		if (m) {
			if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				fail_msg("consumer: %s", rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
		}
		assert_int_equal(rd_kafka_assignment(rk, &parts), 0);
		n = parts->cnt;
		rd_kafka_topic_partition_list_destroy(parts);
		if (n == want)
			return;
		if (now_ms() > end)
			fail_msg("assignment of %d partitions, want %d", n, want);
	}
}

static rd_kafka_topic_partition_list_t *group_offsets(const char *topic, int64_t base) {
	rd_kafka_topic_partition_list_t *parts =
	    rd_kafka_topic_partition_list_new(GROUP_PARTITIONS);

	for (int p = 0; p < GROUP_PARTITIONS; p++)
		rd_kafka_topic_partition_list_add(parts, topic, p)->offset = base + p;
	return parts;
}

static void check_group_offsets(rd_kafka_t *rk, const char *group, const char *topic,
                                int64_t base) {
	rd_kafka_topic_partition_list_t *got = list_group_offsets(rk, group, NULL, 0);

	assert_int_equal(got->cnt, GROUP_PARTITIONS);
	for (int p = 0; p < GROUP_PARTITIONS; p++) {
		rd_kafka_topic_partition_t *tp = find_partition(got, topic, p);

		assert_int_equal(tp->err, 0);
		assert_int_equal(tp->offset, base + p);
	}
	rd_kafka_topic_partition_list_destroy(got);
}

/* A group on a with an active member: listed and described Stable with one
 * member; its offsets cannot be altered. Once the member left the group is
 * Empty and the offsets can be altered. A group that never existed (on b)
 * can be given offsets too, and a consumer then reads them as committed. */
static void test_consumer_groups(void **state) {
	static const rd_kafka_consumer_group_state_t stable[] = {
	    RD_KAFKA_CONSUMER_GROUP_STATE_STABLE};
	static const rd_kafka_consumer_group_state_t empty[] = {
	    RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY};
	char topic[128], only_a[128], group[128], group_b[128];
	rd_kafka_t *rk = ktest_producer("a", NULL);
	rd_kafka_t *rkb = ktest_producer("b", NULL);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	const rd_kafka_ConsumerGroupDescription_t *desc;
	const rd_kafka_MemberDescription_t *member;
	const rd_kafka_topic_partition_list_t *assigned;
	rd_kafka_topic_partition_list_t *offsets, *res;
	rd_kafka_topic_partition_list_t *sub;
	rd_kafka_resp_err_t gerr;
	rd_kafka_event_t *ev;
	rd_kafka_t *c;
	int is_simple = -1, state_now, tries;
	int64_t end;

	ktest_topic_name(topic, sizeof(topic), "groups");
	ktest_create_topic(rk, topic, GROUP_PARTITIONS, NULL);
	ktest_create_topic(rkb, topic, GROUP_PARTITIONS, NULL);
	ktest_topic_name(group, sizeof(group), "ktest-group");

	c = ktest_consumer("a", "group.id", group, "client.id", "ktest-member",
	                   "enable.auto.commit", "false", NULL);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
	assert_int_equal(rd_kafka_subscribe(c, sub), 0);
	rd_kafka_topic_partition_list_destroy(sub);
	wait_assignment(c, GROUP_PARTITIONS);

	/* ListConsumerGroups: Stable, not a simple (assign-only) group; and
	 * listed when asking for Stable groups only, not for Empty ones. */
	assert_int_equal(listed_group_state(rk, group, NULL, 0, &is_simple),
	                 RD_KAFKA_CONSUMER_GROUP_STATE_STABLE);
	assert_int_equal(is_simple, 0);
	assert_int_equal(listed_group_state(rk, group, stable, 1, NULL),
	                 RD_KAFKA_CONSUMER_GROUP_STATE_STABLE);
	assert_int_equal(listed_group_state(rk, group, empty, 1, NULL), -1);

	/* DescribeConsumerGroups: Stable, one member with every partition. */
	ev = describe_group(rk, q, group, &desc);
	assert_int_equal(rd_kafka_ConsumerGroupDescription_state(desc),
	                 RD_KAFKA_CONSUMER_GROUP_STATE_STABLE);
	assert_int_equal(rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(desc), 0);
	assert_string_equal(rd_kafka_ConsumerGroupDescription_partition_assignor(desc), "range");
	assert_int_equal(rd_kafka_ConsumerGroupDescription_member_count(desc), 1);
	member = rd_kafka_ConsumerGroupDescription_member(desc, 0);
	assert_non_null(member);
	assert_null(rd_kafka_ConsumerGroupDescription_member(desc, 1));
	assert_string_equal(rd_kafka_MemberDescription_client_id(member), "ktest-member");
	assert_true(strlen(rd_kafka_MemberDescription_consumer_id(member)) > 0);
	assert_true(strlen(rd_kafka_MemberDescription_host(member)) > 0);
	assigned =
	    rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(member));
	assert_non_null(assigned);
	assert_int_equal(assigned->cnt, GROUP_PARTITIONS);
	for (int i = 0; i < assigned->cnt; i++)
		assert_string_equal(assigned->elems[i].topic, topic);
	rd_kafka_event_destroy(ev);

	/* AlterConsumerGroupOffsets while a member is active: refused. */
	offsets = group_offsets(topic, 7);
	res = alter_group_offsets(rk, group, offsets, &gerr);
	ktest_note(
	    "AlterConsumerGroupOffsets on an active group: group error %s, partition error %s",
	    rd_kafka_err2name(gerr), res->cnt ? rd_kafka_err2name(res->elems[0].err) : "(none)");
	assert_int_equal(gerr, RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(res->cnt, GROUP_PARTITIONS);
	for (int p = 0; p < GROUP_PARTITIONS; p++)
		assert_int_equal(find_partition(res, topic, p)->err,
		                 RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID);
	rd_kafka_topic_partition_list_destroy(res);
	res = list_group_offsets(rk, group, offsets, 0);
	for (int p = 0; p < GROUP_PARTITIONS; p++)
		assert_int_equal(find_partition(res, topic, p)->offset, RD_KAFKA_OFFSET_INVALID);
	rd_kafka_topic_partition_list_destroy(res);

	/* The member leaves: the group turns Empty with no member. */
	ktest_destroy(c);
	end = deadline();
	for (tries = 1;; tries++) {
		ev = describe_group(rk, q, group, &desc);
		state_now = (int)rd_kafka_ConsumerGroupDescription_state(desc);
		if (state_now == RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY)
			break;
		rd_kafka_event_destroy(ev);
		if (now_ms() > end)
			fail_msg("group %s: %s after its member closed, want Empty", group,
			         rd_kafka_consumer_group_state_name(state_now));
	}
	ktest_note("group Empty after its member closed: %d DescribeConsumerGroups", tries);
	assert_int_equal(rd_kafka_ConsumerGroupDescription_member_count(desc), 0);
	rd_kafka_event_destroy(ev);
	assert_int_equal(listed_group_state(rk, group, empty, 1, &is_simple),
	                 RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY);
	assert_int_equal(is_simple, 0); /* still protocol type "consumer" */

	/* AlterConsumerGroupOffsets on the Empty group: done, and read back. */
	res = alter_group_offsets(rk, group, offsets, &gerr);
	assert_int_equal(gerr, RD_KAFKA_RESP_ERR_NO_ERROR);
	for (int p = 0; p < GROUP_PARTITIONS; p++)
		assert_int_equal(find_partition(res, topic, p)->err, 0);
	rd_kafka_topic_partition_list_destroy(res);
	check_group_offsets(rk, group, topic, 7);
	rd_kafka_topic_partition_list_destroy(offsets);

	/* A group that never existed, on b: created with the offsets given. */
	ktest_topic_name(group_b, sizeof(group_b), "ktest-group");
	assert_int_equal(listed_group_state(rkb, group_b, NULL, 0, NULL), -1);
	offsets = group_offsets(topic, 100);
	res = alter_group_offsets(rkb, group_b, offsets, &gerr);
	assert_int_equal(gerr, RD_KAFKA_RESP_ERR_NO_ERROR);
	for (int p = 0; p < GROUP_PARTITIONS; p++)
		assert_int_equal(find_partition(res, topic, p)->err, 0);
	rd_kafka_topic_partition_list_destroy(res);
	check_group_offsets(rkb, group_b, topic, 100);

	/* Offsets of a topic b does not have: refused per partition. */
	ktest_topic_name(only_a, sizeof(only_a), "groups-only-a");
	ktest_create_topic(rk, only_a, 1, NULL);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, only_a, 0)->offset = 1;
	res = alter_group_offsets(rkb, group_b, sub, &gerr);
	ktest_note(
	    "AlterConsumerGroupOffsets for a topic absent on b: group error %s, partition error %s",
	    rd_kafka_err2name(gerr), res->cnt ? rd_kafka_err2name(res->elems[0].err) : "(none)");
	assert_int_equal(gerr, RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(res->cnt, 1);
	assert_int_equal(res->elems[0].err, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
	rd_kafka_topic_partition_list_destroy(res);
	rd_kafka_topic_partition_list_destroy(sub);
	check_group_offsets(rkb, group_b, topic, 100);
	assert_int_equal(listed_group_state(rkb, group_b, NULL, 0, &is_simple),
	                 RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY);
	assert_int_equal(is_simple, 1); /* no protocol type: listed as a simple group */

	/* A consumer of that group sees them as its committed offsets. */
	c = ktest_consumer("b", "group.id", group_b, "enable.auto.commit", "false", NULL);
	for (int p = 0; p < GROUP_PARTITIONS; p++)
		offsets->elems[p].offset = RD_KAFKA_OFFSET_INVALID;
	assert_int_equal(rd_kafka_committed(c, offsets, KTEST_TIMEOUT_MS), 0);
	for (int p = 0; p < GROUP_PARTITIONS; p++)
		assert_int_equal(find_partition(offsets, topic, p)->offset, 100 + p);
	ktest_destroy(c);
	rd_kafka_topic_partition_list_destroy(offsets);

	rd_kafka_queue_destroy(q);
	ktest_destroy(rkb);
	ktest_destroy(rk);
}

/* ------------------------------------------------------------------------
 * 7. ACLs (test bed started with --acl, KM_TESTBED_ACL=1)
 * ------------------------------------------------------------------------ */

static rd_kafka_AclBinding_t *acl(rd_kafka_ResourceType_t type, const char *name,
                                  rd_kafka_ResourcePatternType_t pattern, const char *principal,
                                  rd_kafka_AclOperation_t op, rd_kafka_AclPermissionType_t perm) {
	char errstr[256];
	rd_kafka_AclBinding_t *b = rd_kafka_AclBinding_new(type, name, pattern, principal, "*", op,
	                                                   perm, errstr, sizeof(errstr));

	if (!b)
		fail_msg("AclBinding %s: %s", name, errstr);
	return b;
}

/* DescribeAcls with @p filter (destroyed): the answer event (to destroy) and
 * the bindings in @p out / @p cnt. */
static rd_kafka_event_t *describe_acls(rd_kafka_t *rk, rd_kafka_queue_t *q,
                                       rd_kafka_AclBindingFilter_t *filter,
                                       const rd_kafka_AclBinding_t ***out, size_t *cnt) {
	rd_kafka_AdminOptions_t *opts = admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBEACLS);
	rd_kafka_event_t *ev;

	rd_kafka_DescribeAcls(rk, filter, opts, q);
	rd_kafka_AclBinding_destroy(filter); /* not taken over, despite not being const */
	rd_kafka_AdminOptions_destroy(opts);
	ev = admin_result(q, RD_KAFKA_EVENT_DESCRIBEACLS_RESULT, "DescribeAcls");
	*out = rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(ev), cnt);
	return ev;
}

static rd_kafka_AclBindingFilter_t *acl_filter(rd_kafka_ResourceType_t type, const char *name,
                                               rd_kafka_ResourcePatternType_t pattern,
                                               const char *principal) {
	char errstr[256];
	rd_kafka_AclBindingFilter_t *f = rd_kafka_AclBindingFilter_new(
	    type, name, pattern, principal, NULL, RD_KAFKA_ACL_OPERATION_ANY,
	    RD_KAFKA_ACL_PERMISSION_TYPE_ANY, errstr, sizeof(errstr));

	if (!f)
		fail_msg("AclBindingFilter %s: %s", name ? name : "(any)", errstr);
	return f;
}

static void test_acls(void **state) {
	const char *enabled = getenv("KM_TESTBED_ACL");
	const rd_kafka_AclBinding_t **found;
	const rd_kafka_acl_result_t **results;
	const rd_kafka_DeleteAcls_result_response_t **responses;
	rd_kafka_AclBinding_t *bindings[3], *bad;
	rd_kafka_AclBindingFilter_t *filters[2];
	rd_kafka_AdminOptions_t *opts;
	char topic[128], prefix[64], group[128];
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	size_t n, cnt = 0;
	int64_t end;
	int literal = 0, prefixed = 0, tries;

	if (!enabled || strcmp(enabled, "1")) {
		ktest_note("ACL test skipped: run under with-testbed --acl with KM_TESTBED_ACL=1");
		skip();
	}
	rk = ktest_producer("b", NULL);
	q = rd_kafka_queue_new(rk);
	ktest_topic_name(topic, sizeof(topic), "ktest-acl");
	snprintf(prefix, sizeof(prefix), "ktest-acl-%d-", (int)getpid());
	ktest_topic_name(group, sizeof(group), "ktest-acl-group");

	/* CreateAcls: read on one topic, write on a prefix, deny a group. */
	bindings[0] =
	    acl(RD_KAFKA_RESOURCE_TOPIC, topic, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "User:alice",
	        RD_KAFKA_ACL_OPERATION_READ, RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW);
	bindings[1] =
	    acl(RD_KAFKA_RESOURCE_TOPIC, prefix, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, "User:alice",
	        RD_KAFKA_ACL_OPERATION_WRITE, RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW);
	bindings[2] =
	    acl(RD_KAFKA_RESOURCE_GROUP, group, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "User:alice",
	        RD_KAFKA_ACL_OPERATION_READ, RD_KAFKA_ACL_PERMISSION_TYPE_DENY);
	opts = admin_options(rk, RD_KAFKA_ADMIN_OP_CREATEACLS);
	rd_kafka_CreateAcls(rk, bindings, 3, opts, q);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_AclBinding_destroy_array(bindings, 3);
	ev = admin_result(q, RD_KAFKA_EVENT_CREATEACLS_RESULT, "CreateAcls");
	results = rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(ev), &n);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		if (rd_kafka_acl_result_error(results[i]))
			fail_msg("CreateAcls [%zu]: %s: %s (is the test bed started with --acl?)",
			         i, error_name(rd_kafka_acl_result_error(results[i])),
			         rd_kafka_error_string(rd_kafka_acl_result_error(results[i])));
	rd_kafka_event_destroy(ev);

	/* DescribeAcls with a MATCH filter on the topic: the literal binding
	 * and the prefixed one that covers it, once the broker applied them. */
	end = deadline();
	for (tries = 1;; tries++) {
		ev = describe_acls(rk, q,
		                   acl_filter(RD_KAFKA_RESOURCE_TOPIC, topic,
		                              RD_KAFKA_RESOURCE_PATTERN_MATCH, "User:alice"),
		                   &found, &cnt);
		if (cnt >= 2)
			break;
		rd_kafka_event_destroy(ev);
		if (now_ms() > end)
			fail_msg("DescribeAcls %s: %zu bindings, want 2", topic, cnt);
	}
	ktest_note("DescribeAcls: created bindings described after %d requests", tries);
	assert_int_equal(cnt, 2);
	for (size_t i = 0; i < cnt; i++) {
		const rd_kafka_AclBinding_t *b = found[i];

		assert_null(rd_kafka_AclBinding_error(b));
		assert_int_equal(rd_kafka_AclBinding_restype(b), RD_KAFKA_RESOURCE_TOPIC);
		assert_string_equal(rd_kafka_AclBinding_principal(b), "User:alice");
		assert_string_equal(rd_kafka_AclBinding_host(b), "*");
		assert_int_equal(rd_kafka_AclBinding_permission_type(b),
		                 RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW);
		if (rd_kafka_AclBinding_resource_pattern_type(b) ==
		    RD_KAFKA_RESOURCE_PATTERN_LITERAL) {
			assert_string_equal(rd_kafka_AclBinding_name(b), topic);
			assert_int_equal(rd_kafka_AclBinding_operation(b),
			                 RD_KAFKA_ACL_OPERATION_READ);
			literal++;
		} else {
			assert_int_equal(rd_kafka_AclBinding_resource_pattern_type(b),
			                 RD_KAFKA_RESOURCE_PATTERN_PREFIXED);
			assert_string_equal(rd_kafka_AclBinding_name(b), prefix);
			assert_int_equal(rd_kafka_AclBinding_operation(b),
			                 RD_KAFKA_ACL_OPERATION_WRITE);
			prefixed++;
		}
	}
	assert_int_equal(literal, 1);
	assert_int_equal(prefixed, 1);
	rd_kafka_event_destroy(ev);

	/* The group's DENY binding, by literal name and any principal. */
	ev = describe_acls(
	    rk, q,
	    acl_filter(RD_KAFKA_RESOURCE_GROUP, group, RD_KAFKA_RESOURCE_PATTERN_LITERAL, NULL),
	    &found, &cnt);
	assert_int_equal(cnt, 1);
	assert_string_equal(rd_kafka_AclBinding_principal(found[0]), "User:alice");
	assert_int_equal(rd_kafka_AclBinding_operation(found[0]), RD_KAFKA_ACL_OPERATION_READ);
	assert_int_equal(rd_kafka_AclBinding_permission_type(found[0]),
	                 RD_KAFKA_ACL_PERMISSION_TYPE_DENY);
	rd_kafka_event_destroy(ev);

	/* No binding matches: an empty answer, no error. */
	ev = describe_acls(rk, q,
	                   acl_filter(RD_KAFKA_RESOURCE_TOPIC, "ktest-acl-none",
	                              RD_KAFKA_RESOURCE_PATTERN_LITERAL, NULL),
	                   &found, &cnt);
	assert_int_equal(cnt, 0);
	rd_kafka_event_destroy(ev);

	/* A principal without its type is refused by the broker. */
	bad = acl(RD_KAFKA_RESOURCE_TOPIC, topic, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "alice",
	          RD_KAFKA_ACL_OPERATION_READ, RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW);
	opts = admin_options(rk, RD_KAFKA_ADMIN_OP_CREATEACLS);
	rd_kafka_CreateAcls(rk, &bad, 1, opts, q);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_AclBinding_destroy(bad);
	ev = admin_result(q, RD_KAFKA_EVENT_CREATEACLS_RESULT, "CreateAcls");
	results = rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(ev), &n);
	assert_int_equal(n, 1);
	ktest_note("CreateAcls with principal \"alice\": %s",
	           error_name(rd_kafka_acl_result_error(results[0])));
	assert_int_equal(error_code(rd_kafka_acl_result_error(results[0])),
	                 RD_KAFKA_RESP_ERR_INVALID_REQUEST);
	rd_kafka_event_destroy(ev);

	/* Clean up: DeleteAcls matches the three bindings. */
	filters[0] = acl_filter(RD_KAFKA_RESOURCE_TOPIC, topic, RD_KAFKA_RESOURCE_PATTERN_MATCH,
	                        "User:alice");
	filters[1] = acl_filter(RD_KAFKA_RESOURCE_GROUP, group, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
	                        "User:alice");
	opts = admin_options(rk, RD_KAFKA_ADMIN_OP_DELETEACLS);
	rd_kafka_DeleteAcls(rk, filters, 2, opts, q);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_AclBinding_destroy_array(filters, 2);
	ev = admin_result(q, RD_KAFKA_EVENT_DELETEACLS_RESULT, "DeleteAcls");
	responses = rd_kafka_DeleteAcls_result_responses(rd_kafka_event_DeleteAcls_result(ev), &n);
	assert_int_equal(n, 2);
	assert_null(rd_kafka_DeleteAcls_result_response_error(responses[0]));
	assert_null(rd_kafka_DeleteAcls_result_response_error(responses[1]));
	rd_kafka_DeleteAcls_result_response_matching_acls(responses[0], &cnt);
	assert_int_equal(cnt, 2);
	rd_kafka_DeleteAcls_result_response_matching_acls(responses[1], &cnt);
	assert_int_equal(cnt, 1);
	rd_kafka_event_destroy(ev);

	rd_kafka_queue_destroy(q);
	ktest_destroy(rk);
}

int main(void) {
	int failed;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_idempotent_produce),
	    cmocka_unit_test(test_transactions),
	    cmocka_unit_test(test_isolation_level),
	    cmocka_unit_test(test_watermarks_offsets_for_times),
	    cmocka_unit_test(test_future_timestamps),
	    cmocka_unit_test(test_create_topics_partitions),
	    cmocka_unit_test(test_describe_alter_configs),
	    cmocka_unit_test(test_delete_records),
	    cmocka_unit_test(test_consumer_groups),
	    cmocka_unit_test(test_acls),
	};
	ktest_require_testbed("a", "b", NULL);
	ktest_tap_begin();
	failed = cmocka_run_group_tests_name("kafka-api", tests, NULL, NULL);
	ktest_tap_end();
	return failed;
}
