/* Unit tests of core pieces that need no Kafka: the progress record format
 * and map, batches and their arena. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "internal_topics.h"
#include "pipeline.h"
#include "progress.h"
#include "tmeta.h"

static void test_progress_format(void **state) {
	char key[64], val[32];

	assert_int_equal(km_progress_key(key, sizeof(key), "east-to-west", "orders", 3), 21);
	assert_string_equal(key, "east-to-west/orders/3");
	assert_int_equal(km_progress_value(val, sizeof(val), 1234567890123LL), 13);
	assert_string_equal(val, "1234567890123");
	/* too small: refused, never truncated */
	assert_int_equal(km_progress_key(key, 10, "east-to-west", "orders", 3), -1);
	assert_int_equal(km_progress_value(val, 3, 12345), -1);
}

static void test_progress_parse(void **state) {
	km_progress_map_t *m = km_progress_map_new();

	/* a topic name may hold dots and dashes; the partition is the last part */
	assert_int_equal(km_progress_parse(m, "f1", "f1/a.b-c/12", 11, "42", 2), 1);
	assert_int_equal(km_progress_get(m, "a.b-c", 12), 42);
	/* later records win (compaction keeps the last) */
	assert_int_equal(km_progress_parse(m, "f1", "f1/a.b-c/12", 11, "43", 2), 1);
	assert_int_equal(km_progress_get(m, "a.b-c", 12), 43);
	/* another flow's record is not ours; a prefix of our name is not ours */
	assert_int_equal(km_progress_parse(m, "f1", "f2/t/0", 6, "5", 1), 0);
	assert_int_equal(km_progress_parse(m, "f1", "f10/t/0", 7, "5", 1), 0);
	assert_int_equal(km_progress_get(m, "t", 0), -1);
	/* malformed ones are reported */
	assert_int_equal(km_progress_parse(m, "f1", "f1/t/x", 6, "5", 1), -1);
	assert_int_equal(km_progress_parse(m, "f1", "f1/t/0", 6, "5x", 2), -1);
	assert_int_equal(km_progress_parse(m, "f1", "f1/t/0", 6, "-1", 2), -1);
	assert_int_equal(km_progress_parse(m, "f1", "f1/t", 4, "1", 1), -1);
	/* found by fuzz_progress: no digits, or a NUL, is no number */
	assert_int_equal(km_progress_parse(m, "f1", "f1/t/", 5, "1", 1), -1);
	assert_int_equal(km_progress_parse(m, "f1", "f1/t/0", 6, "\0", 1), -1);
	assert_int_equal(km_progress_parse(m, "f1", "f1/t/0", 6, "1\0", 2), -1);
	assert_int_equal(km_progress_parse(m, "f1", "f1/t/0\0x", 8, "1", 1), -1);
	assert_int_equal(km_progress_parse(m, "f1", "f1/t/ 1", 7, "1", 1), -1);
	assert_int_equal(km_progress_parse(m, "f1", "f1/t/0", 6, "+1", 2), -1);
	assert_int_equal(km_progress_parse(m, "f1", "f1/t/0", 6, "99999999999999999999", 20), -1);
	assert_int_equal(km_progress_parse(m, "f1", NULL, 0, "1", 1), -1);
	/* a tombstone resets that partition only */
	assert_int_equal(km_progress_parse(m, "f1", "f1/a.b-c/7", 10, "9", 1), 1);
	assert_int_equal(km_progress_parse(m, "f1", "f1/a.b-c/12", 11, NULL, 0), 1);
	assert_int_equal(km_progress_get(m, "a.b-c", 12), -1);
	assert_int_equal(km_progress_get(m, "a.b-c", 7), 9);
	km_progress_map_destroy(m);
}

static void test_progress_map_grows_and_forgets(void **state) {
	km_progress_map_t *m = km_progress_map_new();
	char topic[32];

	for (int t = 0; t < 50; t++) {
		snprintf(topic, sizeof(topic), "topic-%d", t);
		for (int p = 0; p < 40; p++)
			assert_int_equal(km_progress_set(m, topic, p, t * 1000 + p), KM_OK);
	}
	assert_int_equal(km_progress_count(m), 2000);
	assert_int_equal(km_progress_get(m, "topic-17", 33), 17033);
	km_progress_forget_topic(m, "topic-17");
	assert_int_equal(km_progress_count(m), 1960);
	assert_int_equal(km_progress_get(m, "topic-17", 33), -1);
	assert_int_equal(km_progress_get(m, "topic-18", 33), 18033);
	km_progress_map_destroy(m);
}

static void test_batch_add_and_arena(void **state) {
	km_batchbuf_t bb;
	km_batch_t *b = &bb.pub;
	km_record_t *r;
	void *p1, *p2;

	assert_int_equal(km_batchbuf_init(&bb, 2, 4, 128 * 1024), KM_OK);
	assert_int_equal(b->stride, sizeof(km_record_t));
	r = km_batch_add(b, NULL);
	r->topic = "t";
	r->source_topic = "s";
	r->source_offset = 7;
	r->km_opaque = &bb; /* the host's progress handle */
	r->flags = KM_RECORD_F_DROP;
	/* a record with no source: nothing of the last one's, no progress
	 * handle */
	r = km_batch_add(b, NULL);
	assert_null(r->topic);
	assert_null(r->source_topic);
	assert_null(r->km_opaque);
	assert_int_equal(r->source_offset, -1);
	assert_int_equal(r->source_partition, -1);
	assert_int_equal(r->timestamp, -1);
	assert_int_equal(r->partition, -1);
	/* a record made from the first (which grows the array 2 -> 4, so the
	 * host copies `from` before the move): its source and progress
	 * handle, flags cleared */
	r = km_batch_add(b, km_batch_record(b, 0));
	assert_non_null(r);
	assert_ptr_equal(r, km_batch_record(b, 2));
	assert_string_equal(r->topic, "t");
	assert_string_equal(r->source_topic, "s");
	assert_int_equal(r->source_offset, 7);
	assert_ptr_equal(r->km_opaque, &bb);
	assert_int_equal(r->flags, 0);
	assert_non_null(km_batch_add(b, NULL));
	assert_null(km_batch_add(b, NULL)); /* the bound */
	assert_int_equal(b->cnt, 4);

	p1 = km_batch_arena_alloc(b, 100);
	p2 = km_batch_arena_alloc(b, 100);
	assert_non_null(p1);
	assert_non_null(p2);
	assert_true((uintptr_t)p1 % 16 == 0 && (uintptr_t)p2 % 16 == 0);
	assert_true((char *)p2 >= (char *)p1 + 100);
	memset(p1, 0xab, 100);
	assert_null(km_batch_arena_alloc(b, 200 * 1024)); /* over the bound */
	/* a reset keeps the memory: the same block serves the next batch */
	km_batchbuf_reset(&bb);
	assert_int_equal(b->cnt, 0);
	assert_ptr_equal(km_batch_arena_alloc(b, 50), p1);
	km_batchbuf_free(&bb);
}

/* Stages for the pipeline test: "marker" fails records whose key is "bad"
 * one by one, "adder" adds a record made from the first and fails it, and
 * "breaker" fails batches that hold a record keyed "poison". */
static km_stage_action_t marker(void *inst, km_batch_t *b, char *errstr, size_t size) {
	(void)inst, (void)errstr, (void)size;
	for (size_t i = 0; i < b->cnt; i++) {
		km_record_t *r = km_batch_record(b, i);
		if (r->key && !strcmp(r->key, "bad")) {
			r->flags |= KM_RECORD_F_ERROR;
			r->error = "bad key";
		}
	}
	return KM_STAGE_OK;
}

static km_stage_action_t adder(void *inst, km_batch_t *b, char *errstr, size_t size) {
	km_record_t *r;

	(void)inst, (void)errstr, (void)size;
	if (!(r = km_batch_add(b, km_batch_record(b, 0))))
		return KM_STAGE_ERROR;
	r->flags |= KM_RECORD_F_ERROR;
	return KM_STAGE_OK;
}

static km_stage_action_t breaker(void *inst, km_batch_t *b, char *errstr, size_t size) {
	(void)inst;
	for (size_t i = 0; i < b->cnt; i++) {
		if (!strcmp(km_batch_record(b, i)->key, "poison")) {
			snprintf(errstr, size, "poisoned");
			return KM_STAGE_ERROR;
		}
	}
	return KM_STAGE_OK;
}

/* The pipeline notes which stage failed each record (the first that
 * marked it), and which stage failed a whole batch, with its reason or
 * "(no reason given)". */
static void test_pipeline_failed_by(void **state) {
	static const km_stage_ops_t ops[] = {
	    {.process = marker}, {.process = adder}, {.process = breaker}};
	km_plugin_t plugins[3];
	km_instance_t inst[3], *stages[3];
	km_pipeline_t pl = {.stages = stages, .cnt = 3};
	km_batchbuf_t bb;
	km_batch_t *b = &bb.pub;
	const char *keys[] = {"a", "bad", "c", "d"};
	size_t failed = 99;
	char msg[64];

	(void)state;
	for (int i = 0; i < 3; i++) {
		memset(&plugins[i], 0, sizeof(plugins[i]));
		plugins[i].stage = &ops[i];
		memset(&inst[i], 0, sizeof(inst[i]));
		inst[i].plugin = &plugins[i];
		stages[i] = &inst[i];
	}
	/* full at 4: the record "adder" adds grows the array, and the marks,
	 * while the pipeline runs */
	assert_int_equal(km_batchbuf_init(&bb, 4, 8, 128 * 1024), 0);
	for (int i = 0; i < 4; i++)
		km_batch_add(b, NULL)->key = keys[i];
	assert_int_equal(km_pipeline_run(&pl, 0, b, &failed, msg, sizeof(msg)), KM_STAGE_OK);
	assert_int_equal(failed, 99);
	assert_int_equal(b->cnt, 5);
	assert_null(km_pipeline_failed_by(&pl, b, 0));
	assert_ptr_equal(km_pipeline_failed_by(&pl, b, 1), &inst[0]);
	assert_null(km_pipeline_failed_by(&pl, b, 2));
	assert_null(km_pipeline_failed_by(&pl, b, 3));
	/* the one "adder" added from record 0 and failed; record 0 stays clean */
	assert_ptr_equal(km_pipeline_failed_by(&pl, b, 4), &inst[1]);

	km_batchbuf_reset(&bb);
	km_batch_add(b, NULL)->key = "poison";
	assert_int_equal(km_pipeline_run(&pl, 0, b, &failed, msg, sizeof(msg)), KM_STAGE_ERROR);
	assert_int_equal(failed, 2);
	assert_string_equal(msg, "poisoned");
	km_batchbuf_free(&bb);
}

/* The control thread's catalog finds topics by name among thousands, and
 * the snapshot of the target's topics it hands the data thread answers
 * what the target has: a count, 0 for a topic it lacks once listed, -1
 * before. */
static void test_catalog_and_target_snapshot(void **state) {
	km_catalog_t cat = {0};
	km_tmeta_t *tm, *tm2;
	char name[64];
	uint64_t v;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "topic-%d", i);
		assert_non_null(km_catalog_add(&cat, name));
	}
	assert_ptr_equal(km_catalog_add(&cat, "topic-42"), km_catalog_topic(&cat, "topic-42"));
	assert_string_equal(km_catalog_topic(&cat, "topic-4999")->name, "topic-4999");
	assert_null(km_catalog_topic(&cat, "topic-5000"));
	assert_int_equal(km_catalog_topic(&cat, "topic-7")->dst_cnt, -1);

	tm = km_tmeta_build(&cat); /* nothing listed yet: unknown */
	assert_int_equal(km_tmeta_partitions(tm, "a.t"), -1);
	km_tmeta_release(tm);
	assert_int_equal(km_tmeta_partitions(NULL, "a.t"), -1);

	v = cat.dst_version;
	assert_int_equal(km_catalog_set_dst(&cat, "a.t", 3), KM_OK);
	assert_int_equal(km_catalog_set_dst(&cat, "a.u", 1), KM_OK);
	assert_true(cat.dst_version > v);
	v = cat.dst_version;
	assert_int_equal(km_catalog_set_dst(&cat, "a.t", 3), KM_OK);
	assert_int_equal(cat.dst_version, v); /* no change, no new snapshot */
	cat.dst_listed = 1;
	tm = km_tmeta_build(&cat);
	assert_int_equal(km_tmeta_partitions(tm, "a.t"), 3);
	assert_int_equal(km_tmeta_partitions(tm, "a.u"), 1);
	assert_int_equal(km_tmeta_partitions(tm, "a.v"), 0);
	/* the snapshot is immutable: later changes are the next one's */
	assert_int_equal(km_catalog_set_dst(&cat, "a.t", 6), KM_OK);
	assert_int_equal(km_catalog_set_dst(&cat, "a.u", -1), KM_OK);
	assert_int_equal(km_catalog_dst(&cat, "a.u"), -1);
	tm2 = km_tmeta_build(&cat);
	assert_int_equal(km_tmeta_partitions(tm, "a.t"), 3);
	assert_int_equal(km_tmeta_partitions(tm2, "a.t"), 6);
	assert_int_equal(km_tmeta_partitions(tm2, "a.u"), 0);
	/* a reader's reference keeps it alive after the publisher let go */
	atomic_fetch_add(&tm->refs, 1);
	km_tmeta_release(tm);
	assert_int_equal(km_tmeta_partitions(tm, "a.t"), 3);
	km_tmeta_release(tm);
	km_tmeta_release(tm2);
	km_catalog_clear_dst(&cat);
	assert_int_equal(km_catalog_dst(&cat, "a.t"), -1);
	km_catalog_free(&cat);
}

/* Internal topics: the shape check and the refusals' messages. */
static void test_internal_topic_shape(void **state) {
	char msg[512];

	(void)state;
	assert_int_equal(km_internal_topic_shape("heartbeats", 1, "compact", msg, sizeof(msg)),
	                 KM_OK);
	assert_int_equal(
	    km_internal_topic_shape("heartbeats", 1, "compact,delete", msg, sizeof(msg)), KM_OK);
	assert_int_equal(
	    km_internal_topic_shape("heartbeats", 1, "delete, compact", msg, sizeof(msg)), KM_OK);
	assert_int_equal(km_internal_topic_shape("heartbeats", 1, NULL, msg, sizeof(msg)), KM_OK);
	assert_int_equal(km_internal_topic_shape("heartbeats", 3, "compact", msg, sizeof(msg)),
	                 KM_ERR_EXISTS);
	assert_string_equal(msg, "topic heartbeats has 3 partitions; MirrorMaker 2's internal "
	                         "topics have one (only partition 0 is read): delete it and let "
	                         "kmirror create it again");
	assert_int_equal(km_internal_topic_shape("heartbeats", 1, "delete", msg, sizeof(msg)),
	                 KM_ERR_EXISTS);
	assert_string_equal(msg, "topic heartbeats has cleanup.policy=delete; MirrorMaker 2's "
	                         "internal topics are compacted, so that the latest record of each "
	                         "key is kept: set cleanup.policy=compact on it, or delete it and "
	                         "let kmirror create it again");
	/* a word that only contains "compact" is not it */
	assert_int_equal(km_internal_topic_shape("x", 1, "compaction", msg, sizeof(msg)),
	                 KM_ERR_EXISTS);
	assert_int_equal(km_internal_topic_shape("x", 1, "", msg, sizeof(msg)), KM_ERR_EXISTS);
	assert_non_null(strstr(msg, "cleanup.policy=(empty)"));
}

static void test_internal_topic_refused(void **state) {
	char msg[512];

	(void)state;
	assert_int_equal(km_internal_topic_refused("create", "heartbeats",
	                                           RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
	                                           NULL, msg, sizeof(msg)),
	                 RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
	assert_string_equal(msg,
	                    "not allowed to create topic heartbeats (TopicAuthorizationFailed): "
	                    "kmirror's principal needs the CREATE ACL on topic heartbeats or "
	                    "on the cluster");
	assert_int_equal(km_internal_topic_refused("describe the configs of", "heartbeats",
	                                           RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
	                                           NULL, msg, sizeof(msg)),
	                 RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
	assert_string_equal(msg, "not allowed to describe the configs of topic heartbeats "
	                         "(ClusterAuthorizationFailed): kmirror's principal needs the "
	                         "DESCRIBE_CONFIGS ACL on the cluster");
	assert_int_equal(km_internal_topic_refused("describe", "t",
	                                           RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
	                                           NULL, msg, sizeof(msg)),
	                 RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
	assert_string_equal(msg, "not allowed to describe topic t (TopicAuthorizationFailed): "
	                         "kmirror's principal needs the DESCRIBE ACL on topic t");
	assert_int_equal(km_internal_topic_refused("create", "t",
	                                           RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR,
	                                           "Replication factor: 3 larger than available "
	                                           "brokers: 1.",
	                                           msg, sizeof(msg)),
	                 RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR);
	assert_string_equal(msg, "cannot create topic t: Replication factor: 3 larger than "
	                         "available brokers: 1.");
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_progress_format),
	    cmocka_unit_test(test_internal_topic_shape),
	    cmocka_unit_test(test_internal_topic_refused),
	    cmocka_unit_test(test_progress_parse),
	    cmocka_unit_test(test_progress_map_grows_and_forgets),
	    cmocka_unit_test(test_batch_add_and_arena),
	    cmocka_unit_test(test_pipeline_failed_by),
	    cmocka_unit_test(test_catalog_and_target_snapshot),
	};
	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
