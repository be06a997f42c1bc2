/* Real-Kafka tests of failover: a consumer group on the source commits, the
 * daemon writes its checkpoint, and a consumer of the same group on the
 * target that resumes at the checkpoint's offset gets every record it had
 * not read on the source, none twice and none skipped: a plain topic, a
 * transactional topic with aborted transactions, a pipeline stage that
 * drops records and multiplies others, a compacted topic with gaps, and
 * after the daemon was killed with -9. Also: offset syncs in MM2's bytes,
 * checkpoints that never go backwards across restarts, the group filter,
 * records routed elsewhere said in the status, and a checkpoints topic
 * holding records that are not checkpoints. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "ktest.h"
#include "mm2_codec.h"

#define WAIT_MS    90000
#define CKPT_TOPIC "a.checkpoints.internal"
#define SYNC_TOPIC "mm2-offset-syncs.b.internal"

static int64_t base_ts;

/* Flow keys every test here uses: checkpoints every second. */
#define FAST "    emit.checkpoints.interval: 1s\n    offset-syncs.flush.interval: 1s\n"

static void produce_kv(rd_kafka_t *rk, const char *topic, int32_t part, const char *key,
                       const char *val, int64_t ts) {
	rd_kafka_resp_err_t err;

	do {
		err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part),
		                        RD_KAFKA_V_KEY(key, strlen(key)),
		                        RD_KAFKA_V_VALUE((void *)val, strlen(val)),
		                        RD_KAFKA_V_TIMESTAMP(ts),
		                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 100);
	} while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
	assert_int_equal(err, 0);
}

/* @p n records keyed "<prefix(i)>-i" to partition i % parts. */
static void produce_n(const char *topic, int parts, int first, int n,
                      const char *(*prefix)(int i)) {
	rd_kafka_t *rk = ktest_producer("a", "linger.ms", "20", NULL);
	char key[64], val[64];

	for (int i = first; i < first + n; i++) {
		snprintf(key, sizeof(key), "%s-%d", prefix ? prefix(i) : "k", i);
		snprintf(val, sizeof(val), "v-%d", i);
		produce_kv(rk, topic, i % parts, key, val, base_ts + i);
	}
	ktest_flush(rk);
	ktest_destroy(rk);
}

static void commit(const char *group, const char *topic, int32_t part, int64_t offset) {
	ktest_commit("a", group, topic, part, offset);
}

/* The checkpoints topic on b, decoded; every record there must decode,
 * except those a test put there on purpose (keys starting "junk"). */
typedef struct ckpts {
	ktest_rec_t *r;
	km_mm2_checkpoint_t *c; /* NULL group: a junk record */
	size_t n;
} ckpts_t;

static void ckpts_read(ckpts_t *cs) {
	rd_kafka_t *b = ktest_producer("b", NULL);
	int there = ktest_partitions(b, CKPT_TOPIC) >= 0;

	ktest_destroy(b);
	cs->n = 0;
	cs->r = there ? ktest_read_partition("b", CKPT_TOPIC, 0, &cs->n) : NULL;
	cs->c = calloc(cs->n + 1, sizeof(*cs->c));
	assert_non_null(cs->c);
	for (size_t i = 0; i < cs->n; i++) {
		char why[256];
		if (cs->r[i].key_len >= 4 && !memcmp(cs->r[i].key, "junk", 4))
			continue;
		if (km_mm2_checkpoint_key_decode(&cs->c[i], cs->r[i].key, cs->r[i].key_len, why,
		                                 sizeof(why)) ||
		    km_mm2_checkpoint_value_decode(&cs->c[i], cs->r[i].value, cs->r[i].value_len,
		                                   why, sizeof(why)))
			fail_msg("checkpoint at offset %lld: %s", (long long)cs->r[i].offset, why);
	}
}

static void ckpts_free(ckpts_t *cs) {
	ktest_recs_free(cs->r, cs->n);
	free(cs->c);
}

/* The newest checkpoint of (@p group, @p topic, @p part) in @p cs: 1 with
 * its offsets, 0 when there is none. */
static int ckpts_find(const ckpts_t *cs, const char *group, const char *topic, int32_t part,
                      int64_t *up, int64_t *down) {
	int found = 0;

	for (size_t i = 0; i < cs->n; i++) {
		const km_mm2_checkpoint_t *c = &cs->c[i];
		if (c->group.str && c->group.len == strlen(group) &&
		    !memcmp(c->group.str, group, c->group.len) && c->topic.len == strlen(topic) &&
		    !memcmp(c->topic.str, topic, c->topic.len) && c->partition == part) {
			*up = c->upstream;
			*down = c->downstream;
			found = 1;
		}
	}
	return found;
}

static int last_checkpoint(const char *group, const char *topic, int32_t part, int64_t *up,
                           int64_t *down) {
	ckpts_t cs;
	int found;

	ckpts_read(&cs);
	found = ckpts_find(&cs, group, topic, part, up, down);
	ckpts_free(&cs);
	return found;
}

/* Waits until each group @p groups[i] has a checkpoint whose upstream
 * offset is @p ups[i]; their downstream offsets go to @p downs. */
static void wait_checkpoints(char (*groups)[128], const char *topic, int32_t part,
                             const int64_t *ups, int64_t *downs, size_t n) {
	int64_t deadline = ktest_now_ms() + WAIT_MS;

	for (;;) {
		ckpts_t cs;
		size_t i, missing = n;
		int64_t u = -1;
		ckpts_read(&cs);
		for (i = 0; i < n; i++) {
			if (!ckpts_find(&cs, groups[i], topic, part, &u, &downs[i]) || u != ups[i])
				break;
		}
		missing = n - i;
		ckpts_free(&cs);
		if (!missing)
			return;
		if (ktest_now_ms() > deadline)
			fail_msg("no checkpoint of %s %s [%d] at %lld within %d ms (last: %lld)",
			         groups[i], topic, part, (long long)ups[i], WAIT_MS, (long long)u);
		ktest_pause();
	}
}

/* Waits for a checkpoint of @p group whose upstream offset is @p up;
 * returns its downstream offset. */
static int64_t wait_checkpoint(const char *group, const char *topic, int32_t part, int64_t up) {
	char g[1][128];
	int64_t down = -1;

	snprintf(g[0], sizeof(g[0]), "%s", group);
	wait_checkpoints(g, topic, part, &up, &down, 1);
	return down;
}

/* Waits until @p group's offset on b is @p want. */
static void wait_committed_on_b(const char *group, const char *topic, int32_t part, int64_t want) {
	int64_t deadline = ktest_now_ms() + WAIT_MS, got;

	while ((got = ktest_committed("b", group, topic, part)) != want) {
		if (ktest_now_ms() > deadline)
			fail_msg("group %s on b: %s [%d] is at %lld, not %lld, after %d ms", group,
			         topic, part, (long long)got, (long long)want, WAIT_MS);
		ktest_pause();
	}
}

/* The runs of task "groups" so far. */
static int64_t group_task_runs(ktest_daemon_t *d, const char *flow) {
	char *st = ktest_status_flow(d, flow), *p;
	int64_t runs = -1;

	assert_non_null(st);
	if ((p = strstr(st, "{\"name\":\"groups\",\"runs\":")))
		runs = atoll(p + strlen("{\"name\":\"groups\",\"runs\":"));
	free(st);
	assert_true(runs >= 0);
	return runs;
}

/* Waits until task "groups" ran twice more than now. */
static void wait_group_task(ktest_daemon_t *d, const char *flow) {
	int64_t until = group_task_runs(d, flow) + 2, deadline = ktest_now_ms() + WAIT_MS;

	while (group_task_runs(d, flow) < until) {
		if (ktest_now_ms() > deadline)
			fail_msg("task groups did not run twice in %d ms", WAIT_MS);
		ktest_pause();
	}
}

static int keep_all(const ktest_rec_t *r) {
	(void)r;
	return 1;
}

/* Commits each of the @p n offsets @p committed for a group of its own on
 * @p topic [@p part], then waits for their checkpoints and checks each
 * failover. */
static void failover_many(const char *topic, const char *mirror, int32_t part,
                          const int64_t *committed, size_t n, int (*kept)(const ktest_rec_t *r)) {
	char(*groups)[128] = calloc(n, sizeof(*groups));
	int64_t *downs = calloc(n, sizeof(*downs));
	size_t ns = 0, nt = 0;
	ktest_rec_t *s, *t;

	assert_non_null(groups);
	assert_non_null(downs);
	for (size_t i = 0; i < n; i++) {
		ktest_topic_name(groups[i], sizeof(groups[i]), "grp");
		commit(groups[i], topic, part, committed[i]);
	}
	wait_checkpoints(groups, mirror, part, committed, downs, n);
	s = ktest_read_partition("a", topic, part, &ns);
	t = ktest_read_partition("b", mirror, part, &nt);
	for (size_t i = 0; i < n; i++) {
		ktest_note("%s [%d]: group at %lld resumes at %lld on the target", topic, part,
		           (long long)committed[i], (long long)downs[i]);
		ktest_assert_resumes_exactly(topic, s, ns, t, nt, part, committed[i], downs[i],
		                             kept);
	}
	ktest_recs_free(s, ns);
	ktest_recs_free(t, nt);
	free(downs);
	free(groups);
}

static void test_plain_topic(void **state) {
	char topic[128], mirror[160];
	rd_kafka_t *a = ktest_producer("a", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "fplain");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 2, NULL);
	produce_n(topic, 2, 0, 400, NULL);
	ktest_flow_start(d, "fplain", topic, FAST, WAIT_MS);
	ktest_status_wait_caught_up(d, "fplain", a, topic, 2, WAIT_MS);
	{
		const int64_t p0[] = {0, 1, 77, 199}, p1[] = {150, 200 /* the end */};
		failover_many(topic, mirror, 0, p0, 4, keep_all);
		failover_many(topic, mirror, 1, p1, 2, keep_all);
	}
	/* MM2's own CheckpointFormatter reads kmirror's checkpoint */
	{
		char g[128], want[512], *out;
		ktest_topic_name(g, sizeof(g), "gfmt");
		commit(g, topic, 0, 42);
		assert_int_equal(wait_checkpoint(g, mirror, 0, 42), 42);
		out = ktest_interop("format %s %s checkpoint", ktest_bootstrap("b"), CKPT_TOPIC);
		snprintf(want, sizeof(want),
		         "Checkpoint{consumerGroupId=%s, topicPartition=%s-0, upstreamOffset=42, "
		         "downstreamOffset=42, metadata=}\n",
		         g, mirror);
		if (!strstr(out, want))
			fail_msg("CheckpointFormatter printed no \"%s\"", want);
		free(out);
	}
	assert_true(ktest_status_wait(d, "fplain", "written", 1, WAIT_MS) >= 1);
	ktest_daemon_finish(d);
	ktest_destroy(a);
}

static const char *drop_every_third(int i) {
	return i % 3 == 1 ? "drop" : i % 5 == 2 ? "dup" : "k";
}

static int not_dropped(const ktest_rec_t *r) {
	return !(r->key_len >= 4 && !memcmp(r->key, "drop", 4));
}

static size_t count_key(const ktest_rec_t *t, size_t from, size_t nt, const ktest_rec_t *r) {
	size_t n = 0;

	for (size_t j = from; j < nt; j++)
		n += ktest_bytes_equal(r->key, r->key_len, t[j].key, t[j].key_len);
	return n;
}

/* The stage drops "drop*" records and adds a copy of each "dup*" one at the
 * end of its batch. From the checkpoint's offset on, the target holds
 * every kept record at or after @p committed (a "dup" twice), the records
 * made first from them in source order, and of the records before
 * @p committed nothing but copies the stage added. */
static void assert_resumes_with_dups(const char *topic, const char *mirror, int64_t committed,
                                     int64_t down) {
	size_t ns = 0, nt = 0, from = 0, j;
	ktest_rec_t *s = ktest_read_partition("a", topic, 0, &ns);
	ktest_rec_t *t = ktest_read_partition("b", mirror, 0, &nt);

	while (from < nt && t[from].offset < down)
		from++;
	j = from;
	for (size_t i = 0; i < ns; i++) {
		int dup = s[i].key_len >= 3 && !memcmp(s[i].key, "dup", 3);
		size_t have = count_key(t, from, nt, &s[i]);
		if (!not_dropped(&s[i])) {
			assert_int_equal(have, 0);
			continue;
		}
		if (s[i].offset < committed) {
			if (have > (size_t)dup)
				fail_msg(
				    "resuming at %lld gives source offset %lld again (%zu time(s))",
				    (long long)down, (long long)s[i].offset, have);
			continue;
		}
		if (have != (size_t)(1 + dup))
			fail_msg("resuming at %lld gives source offset %lld %zu time(s), not %d",
			         (long long)down, (long long)s[i].offset, have, 1 + dup);
		/* its first record comes next, in source order (added copies
		 * of earlier ones may come between) */
		while (j < nt && !ktest_bytes_equal(s[i].key, s[i].key_len, t[j].key, t[j].key_len))
			j++;
		if (j == nt)
			fail_msg("source offset %lld is out of order on the target",
			         (long long)s[i].offset);
		j++;
	}
	ktest_recs_free(s, ns);
	ktest_recs_free(t, nt);
}

/* A stage drops some records and doubles others: the mapping has gaps and
 * jumps, and the checkpoint is still exact. */
static void test_stage_drops_and_adds(void **state) {
	char topic[128], mirror[160];
	rd_kafka_t *a = ktest_producer("a", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	int64_t down;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "fdrop");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 1, NULL);
	produce_n(topic, 1, 0, 300, drop_every_third);
	ktest_flow_start(
	    d, "fdrop", topic,
	    FAST "    pipeline:\n      - plugin: stage_test\n        route_to: nowhere\n", WAIT_MS);
	ktest_status_wait_caught_up(d, "fdrop", a, topic, 1, WAIT_MS);
	{
		char groups[12][128];
		for (int64_t g = 0; g <= 300; g += 30) {
			ktest_topic_name(groups[g / 30], sizeof(groups[0]), "grpd");
			commit(groups[g / 30], topic, 0, g);
		}
		for (int64_t g = 0; g <= 300; g += 30) {
			down = wait_checkpoint(groups[g / 30], mirror, 0, g);
			assert_resumes_with_dups(topic, mirror, g, down);
		}
	}
	ktest_daemon_finish(d);
	ktest_destroy(a);
}

static void check(rd_kafka_error_t *e, const char *what) {
	if (e) {
		const char *s = rd_kafka_error_string(e);
		fail_msg("%s: %s", what, s);
	}
}

/* A transactional source topic: commit markers and aborted records leave
 * gaps in the source offsets that the target does not have. */
static void test_transactional_topic(void **state) {
	char topic[128], mirror[160], txnid[128], key[32];
	rd_kafka_t *a = ktest_producer("a", NULL), *txp;
	ktest_daemon_t *d = &ktest_the_daemon;
	int n = 0, committed = 0;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "ftxn");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 1, NULL);
	ktest_topic_name(txnid, sizeof(txnid), "ftxn-id");
	txp = ktest_producer("a", "transactional.id", txnid, NULL);
	check(rd_kafka_init_transactions(txp, 30000), "init_transactions");
	for (int t = 0; t < 12; t++) {
		check(rd_kafka_begin_transaction(txp), "begin_transaction");
		for (int i = 0; i < 1 + t % 4; i++, n++) {
			committed += t % 3 != 1;
			snprintf(key, sizeof(key), "%s-%d", t % 3 == 1 ? "aborted" : "k", n);
			produce_kv(txp, topic, 0, key, key, base_ts + n);
		}
		if (t % 3 == 1) { /* written first: an abort drops what is not sent yet */
			assert_int_equal(rd_kafka_flush(txp, 30000), 0);
			check(rd_kafka_abort_transaction(txp, 30000), "abort_transaction");
		} else {
			check(rd_kafka_commit_transaction(txp, 30000), "commit_transaction");
		}
		/* the marker is written before the next transaction begins
		 * (Kafka 4's transactions otherwise refuse librdkafka 2.0.2's
		 * next one) */
		{
			int64_t want = n + t + 1, deadline = ktest_now_ms() + WAIT_MS;
			while (ktest_high_watermark(a, topic, 0) < want) {
				if (ktest_now_ms() > deadline)
					fail_msg("%s: the high watermark never reached %lld", topic,
					         (long long)want);
				ktest_pause();
			}
		}
	}
	ktest_destroy(txp);
	ktest_flow_start(d, "ftxn", topic, FAST, WAIT_MS);
	/* (the last commit marker is never consumed: the flow's lag stays 1) */
	{
		rd_kafka_t *b = ktest_producer("b", NULL);
		ktest_wait_count(b, mirror, committed, WAIT_MS);
		ktest_destroy(b);
	}
	/* every committed offset: on a record, on a marker, inside an aborted
	 * transaction, at the end */
	{
		int64_t end = ktest_high_watermark(a, topic, 0), *gs = calloc((size_t)end + 1, 8);
		assert_non_null(gs);
		for (int64_t g = 0; g <= end; g++)
			gs[g] = g;
		failover_many(topic, mirror, 0, gs, (size_t)end + 1, keep_all);
		free(gs);
	}
	ktest_daemon_finish(d);
	ktest_destroy(a);
}

/* A compacted source topic whose cleaner removed records: the offsets it
 * left have gaps. */
static void test_compacted_topic(void **state) {
	char topic[128], mirror[160];
	rd_kafka_t *a = ktest_producer("a", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	int64_t deadline = ktest_now_ms() + WAIT_MS;
	size_t n = 0;
	ktest_rec_t *r;
	int i = 0;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "fcompact");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 1, "cleanup.policy", "compact", "segment.ms", "100",
	                   "min.cleanable.dirty.ratio", "0.001", "delete.retention.ms", "100",
	                   NULL);
	/* every third key is unique and stays; the others are overwritten and
	 * go: gaps between the unique ones, fewer runs than a partition keeps
	 * (KM_XLATE_RUNS), so every offset translates exactly */
	{
		rd_kafka_t *rk = ktest_producer("a", NULL);
		char key[32], val[32];
		for (; i < 60; i++) {
			if (i % 3)
				snprintf(key, sizeof(key), "key-%d", i % 5);
			else
				snprintf(key, sizeof(key), "uniq-%d", i);
			snprintf(val, sizeof(val), "v-%d", i);
			/* now: segment.ms rolls by the records' timestamps */
			produce_kv(rk, topic, 0, key, val, 0);
		}
		ktest_flush(rk);
		ktest_destroy(rk);
	}
	/* one record more at a time rolls a segment, until the cleaner took
	 * some */
	for (;;) {
		rd_kafka_t *rk = ktest_producer("a", NULL);
		produce_kv(rk, topic, 0, "filler", "f", 0);
		i++;
		ktest_flush(rk);
		ktest_destroy(rk);
		r = ktest_read_partition("a", topic, 0, &n);
		if (n && (int64_t)n < r[n - 1].offset + 1 - r[0].offset)
			break; /* a gap */
		ktest_recs_free(r, n);
		if (ktest_now_ms() > deadline)
			fail_msg("the log cleaner left no gap in %s within %d ms", topic, WAIT_MS);
		ktest_pause();
	}
	/* the log stops changing: no more cleaning, and a pass under way
	 * ends (two reads in a row agree) */
	ktest_recs_free(r, n);
	ktest_alter_topic_configs(a, topic, "cleanup.policy", "delete", NULL);
	ktest_wait_topic_config(a, topic, "cleanup.policy", "delete", WAIT_MS);
	r = ktest_read_partition("a", topic, 0, &n);
	for (;;) {
		size_t n2 = 0;
		ktest_rec_t *r2;
		ktest_pause();
		r2 = ktest_read_partition("a", topic, 0, &n2);
		if (n2 == n && n && r2[0].offset == r[0].offset) {
			ktest_recs_free(r2, n2);
			break;
		}
		ktest_recs_free(r, n);
		r = r2;
		n = n2;
	}
	ktest_note("%s: %zu records left of %d", topic, n, i);
	ktest_flow_start(d, "fcompact", topic, FAST, WAIT_MS);
	ktest_status_wait_caught_up(d, "fcompact", a, topic, 1, WAIT_MS);
	/* commit at each record kept, in each gap, and at the end */
	{
		int64_t *gs = calloc(2 * n + 1, 8);
		size_t m = 0;
		assert_non_null(gs);
		for (size_t k = 0; k < n; k++) {
			gs[m++] = r[k].offset;
			if (k + 1 < n && r[k + 1].offset > r[k].offset + 1)
				gs[m++] = r[k].offset + 1;
		}
		gs[m++] = r[n - 1].offset + 1;
		failover_many(topic, mirror, 0, gs, m, keep_all);
		free(gs);
	}
	ktest_recs_free(r, n);
	ktest_daemon_finish(d);
	ktest_destroy(a);
}

/* Killed with -9 after copying, restarted: the translations made before
 * are gone, the checkpoint written then stays (it never goes backwards),
 * and a group that commits later resumes exactly where the records copied
 * after the restart are. */
static void test_after_kill(void **state) {
	char topic[128], mirror[160], group[128];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	int64_t up, down, before_up = -1, before_down = -1;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "fkill");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 1, NULL);
	produce_n(topic, 1, 0, 500, NULL);
	ktest_flow_start(d, "fkill", topic, FAST, WAIT_MS);
	ktest_status_wait_caught_up(d, "fkill", a, topic, 1, WAIT_MS);
	ktest_topic_name(group, sizeof(group), "grpk");
	commit(group, topic, 0, 420);
	before_down = wait_checkpoint(group, mirror, 0, 420);
	before_up = 420;
	ktest_daemon_stop(d, 9, WAIT_MS);
	produce_n(topic, 1, 500, 200, NULL);
	ktest_daemon_start(d, NULL);
	ktest_status_wait_caught_up(d, "fkill", a, topic, 1, WAIT_MS);
	assert_true(ktest_count(b, mirror) >= 700);
	/* the old checkpoint stays until the group moves: never backwards */
	assert_true(last_checkpoint(group, mirror, 0, &up, &down));
	assert_int_equal(up, before_up);
	assert_true(down >= before_down);
	commit(group, topic, 0, 610);
	down = wait_checkpoint(group, mirror, 0, 610);
	assert_true(down > before_down);
	{
		size_t ns = 0, nt = 0, j = 0;
		ktest_rec_t *s = ktest_read_partition("a", topic, 0, &ns);
		ktest_rec_t *t = ktest_read_partition("b", mirror, 0, &nt);
		while (j < nt && t[j].offset < down)
			j++;
		/* from there on: 610..699 once each, in order */
		for (size_t i = 610; i < ns; i++, j++) {
			assert_true(j < nt);
			if (!ktest_bytes_equal(s[i].key, s[i].key_len, t[j].key, t[j].key_len))
				fail_msg(
				    "after the restart, target offset %lld has key %.*s; source "
				    "offset %zu was due",
				    (long long)t[j].offset, (int)t[j].key_len, (char *)t[j].key, i);
		}
		assert_int_equal(j, nt);
		ktest_recs_free(s, ns);
		ktest_recs_free(t, nt);
	}
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* Offset syncs on the source in MM2's bytes: the first record's, then at
 * least one per offset.lag.max records, each mapping a source offset to
 * where that same record is on the target. */
static void test_offset_syncs(void **state) {
	char topic[128], mirror[160];
	rd_kafka_t *a = ktest_producer("a", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	size_t n = 0, ns = 0, nt = 0, mine = 0;
	ktest_rec_t *r, *s, *t;
	int64_t deadline = ktest_now_ms() + WAIT_MS;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "fsync");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 1, NULL);
	produce_n(topic, 1, 0, 450, NULL);
	ktest_flow_start(d, "fsync", topic, FAST "    offset.lag.max: 50\n", WAIT_MS);
	ktest_status_wait_caught_up(d, "fsync", a, topic, 1, WAIT_MS);
	s = ktest_read_partition("a", topic, 0, &ns);
	t = ktest_read_partition("b", mirror, 0, &nt);
	assert_int_equal(ns, nt);
	/* the delayed sync of the last record is flushed within a second */
	for (;;) {
		int64_t last_up = -1;
		mine = 0;
		r = ktest_read_partition("a", SYNC_TOPIC, 0, &n);
		for (size_t i = 0; i < n; i++) {
			km_mm2_offset_sync_t o;
			char why[256];
			if (km_mm2_offset_sync_key_decode(&o, r[i].key, r[i].key_len, why,
			                                  sizeof(why)) ||
			    km_mm2_offset_sync_value_decode(&o, r[i].value, r[i].value_len, why,
			                                    sizeof(why)))
				fail_msg("offset sync at %lld: %s", (long long)r[i].offset, why);
			if (o.topic.len != strlen(topic) || memcmp(o.topic.str, topic, o.topic.len))
				continue;
			assert_int_equal(o.partition, 0);
			assert_true(o.upstream < (int64_t)ns && o.downstream < (int64_t)nt);
			/* the same record on both sides */
			assert_true(ktest_same_record(&s[o.upstream], &t[o.downstream]));
			mine++;
			last_up = o.upstream;
		}
		ktest_recs_free(r, n);
		if (last_up == (int64_t)ns - 1)
			break;
		if (ktest_now_ms() > deadline)
			fail_msg("no offset sync of the last record within %d ms", WAIT_MS);
		ktest_pause();
	}
	/* 450 records, offset.lag.max 50: one at 0, then every 51 records */
	assert_true(mine >= 9);
	/* MM2's own OffsetSyncFormatter reads them: the first and the last */
	{
		char want[512], *out = ktest_interop("format %s %s offset-sync",
		                                     ktest_bootstrap("a"), SYNC_TOPIC);
		snprintf(want, sizeof(want),
		         "OffsetSync{topicPartition=%s-0, upstreamOffset=0, downstreamOffset=0}\n",
		         topic);
		if (!strstr(out, want))
			fail_msg("OffsetSyncFormatter printed no \"%s\"", want);
		snprintf(
		    want, sizeof(want),
		    "OffsetSync{topicPartition=%s-0, upstreamOffset=449, downstreamOffset=449}\n",
		    topic);
		if (!strstr(out, want))
			fail_msg("OffsetSyncFormatter printed no \"%s\"", want);
		free(out);
	}
	ktest_recs_free(s, ns);
	ktest_recs_free(t, nt);
	ktest_daemon_finish(d);
	ktest_destroy(a);
}

/* The group filter: excluded groups get no checkpoint; records in the
 * checkpoints topic that are not checkpoints are skipped and counted. */
static void test_group_filter_and_bad_records(void **state) {
	char topic[128], mirror[160], in[128], out[128], extra[512];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	int64_t up, down;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "fgroups");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 1, NULL);
	produce_n(topic, 1, 0, 50, NULL);
	ktest_topic_name(in, sizeof(in), "keep");
	ktest_topic_name(out, sizeof(out), "skipme");
	/* junk first: the daemon reads the topic back when it starts */
	if (ktest_partitions(b, CKPT_TOPIC) < 0)
		ktest_create_topic(b, CKPT_TOPIC, 1, "cleanup.policy", "compact", NULL);
	produce_kv(b, CKPT_TOPIC, 0, "junk-1", "not a checkpoint", base_ts);
	ktest_flush(b);
	snprintf(extra, sizeof(extra), FAST "    groups: {exclude: ['skipme.*']}\n");
	ktest_flow_start(d, "fgroups", topic, extra, WAIT_MS);
	ktest_status_wait_caught_up(d, "fgroups", a, topic, 1, WAIT_MS);
	commit(out, topic, 0, 20);
	commit(in, topic, 0, 30);
	down = wait_checkpoint(in, mirror, 0, 30);
	assert_int_equal(down, 30);
	/* by now the excluded group has been seen at least once */
	assert_false(last_checkpoint(out, mirror, 0, &up, &down));
	assert_true(ktest_status_wait(d, "fgroups", "skipped_records", 1, WAIT_MS) >= 1);
	ktest_log_wait(d, "are not checkpoints and were skipped", WAIT_MS);
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* Starts a flow from @p src to @p dst (the test bed's a and b named so,
 * for internal topics of its own) over a new topic of 20 records; a group
 * commits 5 on it. */
static void start_named(ktest_daemon_t *d, const char *flow, const char *src, const char *dst,
                        char *topic, size_t size) {
	rd_kafka_t *a = ktest_producer("a", NULL);
	char group[128];

	ktest_topic_name(topic, size, flow);
	ktest_create_topic(a, topic, 1, NULL);
	produce_n(topic, 1, 0, 20, NULL);
	ktest_topic_name(group, sizeof(group), "gshape");
	commit(group, topic, 0, 5);
	ktest_flow_start_as(d, flow, src, dst, topic, FAST, WAIT_MS);
	ktest_destroy(a);
}

/* MM2's internal topics of the wrong shape, made before kmirror: each is
 * reported (log and status) with what to do, and stops only what it is
 * for. An offset-syncs topic of several partitions: no offset sync, but
 * the data and the checkpoint go on. A checkpoints topic that is not
 * compacted: no checkpoint, the data goes on. */
static void test_internal_topic_shapes(void **state) {
	char src[32], dst[32], topic[128], mirror[160], name[200], want[900];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;

	(void)state;
	snprintf(src, sizeof(src), "shs%d", (int)getpid());
	snprintf(dst, sizeof(dst), "shd%d", (int)getpid());
	snprintf(name, sizeof(name), "mm2-offset-syncs.%s.internal", dst);
	ktest_create_topic(a, name, 2, "cleanup.policy", "compact", NULL);
	start_named(d, "fshape1", src, dst, topic, sizeof(topic));
	snprintf(mirror, sizeof(mirror), "%s.%s", src, topic);
	snprintf(want, sizeof(want),
	         "cluster %s: topic %s has 2 partitions; MirrorMaker 2's internal topics have one "
	         "(only partition 0 is read): delete it and let kmirror create it again; or set "
	         "offset-syncs.topic.location: target to keep them on the target",
	         src, name);
	ktest_log_wait(d, want, WAIT_MS);
	ktest_status_wait_text(d, "fshape1", want, WAIT_MS);
	ktest_wait_count(b, mirror, 20, WAIT_MS);
	ktest_status_wait_text(d, "fshape1", "\"checkpoints\":{\"written\":1,", WAIT_MS);
	ktest_status_wait_text(d, "fshape1", "\"offset_syncs\":{\"written\":0,", WAIT_MS);
	assert_int_equal(ktest_log_count(d, want), 1); /* once, though retried */
	ktest_daemon_finish(d);

	snprintf(src, sizeof(src), "shs%db", (int)getpid());
	snprintf(dst, sizeof(dst), "shd%db", (int)getpid());
	snprintf(name, sizeof(name), "%s.checkpoints.internal", src);
	ktest_create_topic(b, name, 1, "cleanup.policy", "delete", NULL);
	start_named(d, "fshape2", src, dst, topic, sizeof(topic));
	snprintf(mirror, sizeof(mirror), "%s.%s", src, topic);
	snprintf(want, sizeof(want),
	         "cluster %s: topic %s has cleanup.policy=delete; MirrorMaker 2's internal topics "
	         "are compacted, so that the latest record of each key is kept: set "
	         "cleanup.policy=compact on it, or delete it and let kmirror create it again",
	         dst, name);
	ktest_log_wait(d, want, WAIT_MS);
	ktest_status_wait_text(d, "fshape2", want, WAIT_MS);
	ktest_wait_count(b, mirror, 20, WAIT_MS);
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* A stage routes some records of a partition to another topic: the status
 * says those have no translation. */
static void test_routed_status(void **state) {
	char topic[128], other[128], extra[512];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	char *st;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "froute");
	ktest_topic_name(other, sizeof(other), "frouted");
	ktest_create_topic(a, topic, 1, NULL);
	ktest_create_topic(b, other, 1, NULL);
	{
		rd_kafka_t *rk = ktest_producer("a", NULL);
		produce_kv(rk, topic, 0, "k-1", "v", base_ts);
		produce_kv(rk, topic, 0, "route-2", "v", base_ts);
		ktest_flush(rk);
		ktest_destroy(rk);
	}
	snprintf(extra, sizeof(extra),
	         FAST "    pipeline:\n      - plugin: stage_test\n        route_to: %s\n", other);
	ktest_flow_start(d, "froute", topic, extra, WAIT_MS);
	ktest_status_wait_caught_up(d, "froute", a, topic, 1, WAIT_MS);
	ktest_status_wait_text(d, "froute",
	                       "\"routed\":1,\"translation\":\"none for routed records\"", WAIT_MS);
	st = ktest_status_flow(d, "froute");
	assert_non_null(strstr(st, "\"routed\":1"));
	free(st);
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* Group offset sync: a group absent on b gets its checkpoint committed and
 * a consumer of it on b starts exactly there; a group further ahead on b
 * is never moved back; a group with a member on b (the new consumer
 * protocol, KIP-848, run by a Java consumer) is left alone, reported, and
 * synced once its member left. MM2's own RemoteClusterUtils reads the same
 * offset from kmirror's checkpoints. */
static void test_group_offsets_synced(void **state) {
	char topic[128], mirror[160], g1[128], g2[128], g3[128], extra[256], want[600];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_daemon_t *d = &ktest_the_daemon;
	ktest_hold_t hold;
	int64_t down;
	char *out;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "fsyncg");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(a, topic, 1, NULL);
	produce_n(topic, 1, 0, 300, drop_every_third);
	snprintf(extra, sizeof(extra),
	         FAST "    sync.group.offsets.interval: 1s\n"
	              "    pipeline:\n      - plugin: stage_test\n        route_to: nowhere\n");
	ktest_flow_start(d, "fsyncg", topic, extra, WAIT_MS);
	ktest_status_wait_caught_up(d, "fsyncg", a, topic, 1, WAIT_MS);

	/* absent on b: written, and a consumer of the group resumes there */
	ktest_topic_name(g1, sizeof(g1), "gsync");
	commit(g1, topic, 0, 121);
	down = wait_checkpoint(g1, mirror, 0, 121);
	wait_committed_on_b(g1, mirror, 0, down);
	assert_resumes_with_dups(topic, mirror, 121, down);
	out = ktest_interop("translate %s a %s", ktest_bootstrap("b"), g1);
	snprintf(want, sizeof(want), "%s 0 %lld\n", mirror, (long long)down);
	assert_string_equal(out, want);
	free(out);

	/* ahead on b: never moved back */
	ktest_topic_name(g2, sizeof(g2), "gahead");
	commit(g2, topic, 0, 10);
	ktest_commit("b", g2, mirror, 0, 250);
	wait_checkpoint(g2, mirror, 0, 10);
	wait_group_task(d, "fsyncg");
	assert_int_equal(ktest_committed("b", g2, mirror, 0), 250);

	/* a member on b (KIP-848): left alone and reported until it leaves */
	ktest_topic_name(g3, sizeof(g3), "gactive");
	ktest_interop_hold_start(&hold, ktest_bootstrap("b"), mirror, g3, "consumer");
	commit(g3, topic, 0, 200);
	down = wait_checkpoint(g3, mirror, 0, 200);
	snprintf(want, sizeof(want), "group %s is not synced to b: it is Stable there", g3);
	ktest_log_wait(d, want, WAIT_MS);
	ktest_status_wait_text(d, "fsyncg", g3, WAIT_MS);
	wait_group_task(d, "fsyncg");
	assert_int_equal(ktest_committed("b", g3, mirror, 0), -1);
	ktest_interop_hold_stop(&hold);
	wait_committed_on_b(g3, mirror, 0, down);
	snprintf(want, sizeof(want), "group %s is synced to b again", g3);
	ktest_log_wait(d, want, WAIT_MS);
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_plain_topic, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_offset_syncs, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_stage_drops_and_adds, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_transactional_topic, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_compacted_topic, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_after_kill, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_group_filter_and_bad_records, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_routed_status, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_internal_topic_shapes, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_group_offsets_synced, ktest_daemon_teardown),
	};

	ktest_require_testbed("a", "b", NULL);
	base_ts = (int64_t)time(NULL) * 1000 - 3600 * 1000;
	return cmocka_run_group_tests_name("failover", tests, NULL, NULL);
}
