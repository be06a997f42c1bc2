/* Provenance headers against real Kafka (docs/active-active.md):
 *
 *   - active/active a <-> b with the identity policy (same topic names) and
 *     producers writing on both clusters while the flows run: each cluster
 *     ends with every record exactly once, nothing comes back, and each
 *     flow's provenance_dropped equals what the other flow copied;
 *   - a ring a -> b -> c -> a (c: the bed's third cluster, `old` under
 *     make check-kafka): every record exactly once on every cluster;
 *   - a group committed on a among the records a flow dropped resumes on b
 *     exactly (checkpoints and group offsets see the drops as gaps);
 *   - the header lists the clusters' real ids (rd_kafka_clusterid), in the
 *     order the record travelled;
 *   - provenance: false writes no header; provenance.header renames it.
 *
 * Records per producer: 20,000 (CI); KTEST_LONG=1 in the environment
 * makes it 100,000 each (about five times as long).
 *
 * The clusters are the bed's under aliases of this suite's own (pvA, pvB,
 * pvC), so that the internal topics it makes are its own. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktest.h"

#define WAIT_MS    300000
#define PARTITIONS 3

static int records_each(void) {
	const char *l = getenv("KTEST_LONG");

	return l && *l && strcmp(l, "0") ? 100000 : 20000;
}

/* One flow's YAML, appended to @p buf: no heartbeats. */
static void flow(char *buf, size_t size, const char *name, const char *src, const char *dst,
                 const char *topic, const char *extra) {
	ktest_flow_yaml(buf, size, name, src, dst, topic,
	                "    emit.heartbeats: false\n    heartbeats.replication.enabled: false\n",
	                extra);
}

/* Starts @p d with the bed's clusters as pvA, pvB and (@p third) pvC. */
static void start(ktest_daemon_t *d, const char *third, const char *flows) {
	ktest_start_aliased(d, "pv", third, flows);
}

/* The real id of cluster @p cluster, in @p buf. */
static const char *cluster_id(const char *cluster, char *buf, size_t size) {
	rd_kafka_t *rk = ktest_producer(cluster, NULL);
	char *id = rd_kafka_clusterid(rk, KTEST_TIMEOUT_MS);

	if (!id)
		fail_msg("cluster %s gave no cluster id", cluster);
	snprintf(buf, size, "%s", id);
	rd_kafka_mem_free(rk, id);
	ktest_destroy(rk);
	return buf;
}

/* Produces values "<tag>-<i>", i < @p n, record i to partition i % PARTITIONS,
 * to @p topic through each of the @p cnt producers in @p rks (tags[k] for
 * rks[k]), interleaved: the clusters are written at the same time. */
static void produce_interleaved(rd_kafka_t **rks, const char *const *tags, int cnt,
                                const char *topic, int n) {
	char val[64];

	for (int i = 0; i < n; i++)
		for (int k = 0; k < cnt; k++) {
			rd_kafka_resp_err_t err;
			int len = snprintf(val, sizeof(val), "%s-%d", tags[k], i);
			while ((err = rd_kafka_producev(rks[k], RD_KAFKA_V_TOPIC(topic),
			                                RD_KAFKA_V_PARTITION(i % PARTITIONS),
			                                RD_KAFKA_V_KEY(val, (size_t)len),
			                                RD_KAFKA_V_VALUE(val, (size_t)len),
			                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			                                RD_KAFKA_V_END)) ==
			       RD_KAFKA_RESP_ERR__QUEUE_FULL)
				rd_kafka_poll(rks[k], 10);
			if (err)
				fail_msg("producing to %s: %s", topic, rd_kafka_err2str(err));
			rd_kafka_poll(rks[k], 0);
		}
	for (int k = 0; k < cnt; k++)
		ktest_flush(rks[k]);
}

/* What a cluster should hold: every record of the tags, once each, and
 * the provenance each carries. */
typedef struct expect {
	const char *tag;  /* the values' prefix: the cluster the record was made on */
	const char *prov; /* its header's value here (NULL: none, made here) */
} expect_t;

/* @p topic on @p cluster holds exactly the records "<tag>-<i>" (i < @p n)
 * of each of the @p cnt tags, once each, with the header @p header equal
 * to that tag's prov. */
static void assert_exactly_once(const char *cluster, const char *topic, const char *header,
                                const expect_t *want, int cnt, int n) {
	unsigned char *seen = calloc((size_t)cnt * (size_t)n, 1);
	size_t total = 0, twice = 0, bad_prov = 0;
	char buf[1100], tag[16];

	assert_non_null(seen);
	for (int p = 0; p < PARTITIONS; p++) {
		size_t rn;
		ktest_rec_t *r = ktest_read_partition(cluster, topic, p, &rn);
		for (size_t j = 0; j < rn; j++) {
			char v[64];
			const char *dash, *h;
			int k, i;
			if (!r[j].value || r[j].value_len >= sizeof(v))
				fail_msg("%s on %s [%d] offset %" PRId64 ": an unexpected record",
				         topic, cluster, p, r[j].offset);
			memcpy(v, r[j].value, r[j].value_len);
			v[r[j].value_len] = '\0';
			dash = strrchr(v, '-');
			if (!dash || (size_t)(dash - v) >= sizeof(tag))
				fail_msg("%s on %s: unexpected value '%s'", topic, cluster, v);
			memcpy(tag, v, (size_t)(dash - v));
			tag[dash - v] = '\0';
			for (k = 0; k < cnt && strcmp(want[k].tag, tag); k++)
				;
			i = atoi(dash + 1);
			if (k == cnt || i < 0 || i >= n)
				fail_msg("%s on %s: unexpected value '%s'", topic, cluster, v);
			if (seen[(size_t)k * (size_t)n + (size_t)i]++)
				twice++;
			h = ktest_header(&r[j], header, buf, sizeof(buf));
			if (want[k].prov ? !h || strcmp(h, want[k].prov) : h != NULL) {
				if (!bad_prov++)
					ktest_note("%s on %s: '%s' has %s '%s', not '%s'", topic,
					           cluster, v, header, h ? h : "(none)",
					           want[k].prov ? want[k].prov : "(none)");
			}
			total++;
		}
		ktest_recs_free(r, rn);
	}
	for (size_t x = 0; x < (size_t)cnt * (size_t)n; x++)
		if (!seen[x])
			fail_msg("%s on %s: '%s-%zu' is missing", topic, cluster,
			         want[x / (size_t)n].tag, x % (size_t)n);
	free(seen);
	if (twice || bad_prov)
		fail_msg("%s on %s: %zu records twice, %zu with the wrong provenance", topic,
		         cluster, twice, bad_prov);
	assert_int_equal(total, (size_t)cnt * (size_t)n);
}

/* The value of @p key in the flow's status, exactly now. */
static int64_t status_now(ktest_daemon_t *d, const char *flow, const char *key) {
	return ktest_status_wait(d, flow, key, 0, WAIT_MS);
}

/* Waits until every flow's "runs" (of its first task) moved @p more past
 * now: the flows looked again. */
static void let_flows_look(ktest_daemon_t *d, const char *const *flows, int cnt, int more) {
	for (int i = 0; i < cnt; i++)
		ktest_status_wait(d, flows[i], "runs", status_now(d, flows[i], "runs") + more,
		                  WAIT_MS);
}

/* Records made on a ("a-..."): those flow ab copies; the others on a came
 * from b and ab drops them. */
static int made_on_a(const ktest_rec_t *r) {
	return r->value && r->value_len > 2 && !memcmp(r->value, "a-", 2);
}

/* A group that committed in the middle of partition 0 on a, among the
 * records ab dropped, resumes on b exactly: the offsets ab translated
 * (checkpoints, then the group's offset committed on b) see the dropped
 * records as gaps, like records a stage drops. */
static void assert_group_resumes(const char *topic) {
	char group[128];
	size_t ns, nt, k = 0;
	ktest_rec_t *s = ktest_read_partition("a", topic, 0, &ns);
	ktest_rec_t *t = ktest_read_partition("b", topic, 0, &nt);
	ktest_rec_t *copies = calloc(nt + 1, sizeof(*copies));
	int64_t g, down, deadline = ktest_now_ms() + WAIT_MS;

	assert_non_null(copies);
	assert_true(ns > 2);
	/* just after a record that came from b: ab dropped what is before g */
	for (g = (int64_t)ns / 2; g < (int64_t)ns && made_on_a(&s[g - 1]); g++)
		;
	assert_true(g < (int64_t)ns);
	g = s[g].offset;
	ktest_topic_name(group, sizeof(group), "provgrp");
	ktest_commit("a", group, topic, 0, g);
	while ((down = ktest_committed("b", group, topic, 0)) < 0) {
		if (ktest_now_ms() > deadline)
			fail_msg("group %s has no offset on b after %d ms", group, WAIT_MS);
		ktest_pause();
	}
	for (size_t j = 0; j < nt; j++) /* b's own records are not ab's copies */
		if (made_on_a(&t[j]))
			copies[k++] = t[j];
	ktest_assert_resumes_exactly(topic, s, ns, copies, k, 0, g, down, made_on_a);
	free(copies);
	ktest_recs_free(s, ns);
	ktest_recs_free(t, nt);
}

/* Active/active pvA <-> pvB with identity names, producers on both. */
static void test_active_active(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], yaml[2048] = "", ida[64], idb[64];
	rd_kafka_t *rks[2] = {ktest_producer("a", NULL), ktest_producer("b", NULL)};
	static const char *const tags[] = {"a", "b"}, *const flows[] = {"ab", "ba"};
	int n = records_each();
	int64_t t0 = ktest_now_ms();

	(void)state;
	cluster_id("a", ida, sizeof(ida));
	cluster_id("b", idb, sizeof(idb));
	ktest_topic_name(topic, sizeof(topic), "provaa");
	ktest_create_topic(rks[0], topic, PARTITIONS, NULL);
	ktest_create_topic(rks[1], topic, PARTITIONS, NULL);
	flow(yaml, sizeof(yaml), "ab", "pvA", "pvB", topic,
	     "    policy: identity\n    emit.checkpoints.interval: 1s\n"
	     "    sync.group.offsets.interval: 1s\n");
	flow(yaml, sizeof(yaml), "ba", "pvB", "pvA", topic, "    policy: {plugin: identity}\n");
	start(d, NULL, yaml);
	ktest_status_wait_text(d, "ab", ida, WAIT_MS); /* the ids are known */
	ktest_status_wait_text(d, "ba", idb, WAIT_MS);
	produce_interleaved(rks, tags, 2, topic, n);
	ktest_wait_count(rks[0], topic, 2 * (int64_t)n, WAIT_MS);
	ktest_wait_count(rks[1], topic, 2 * (int64_t)n, WAIT_MS);
	/* each flow read past the other's copies, and dropped every one */
	ktest_status_wait_caught_up(d, "ab", rks[0], topic, PARTITIONS, WAIT_MS);
	ktest_status_wait_caught_up(d, "ba", rks[1], topic, PARTITIONS, WAIT_MS);
	ktest_status_wait(d, "ab", "provenance_dropped", n, WAIT_MS);
	ktest_status_wait(d, "ba", "provenance_dropped", n, WAIT_MS);
	let_flows_look(d, flows, 2, 3);
	ktest_status_wait_caught_up(d, "ab", rks[0], topic, PARTITIONS, WAIT_MS);
	ktest_status_wait_caught_up(d, "ba", rks[1], topic, PARTITIONS, WAIT_MS);
	/* nothing looped: the counts stayed put, and match the copies */
	assert_int_equal(ktest_count(rks[0], topic), 2 * (int64_t)n);
	assert_int_equal(ktest_count(rks[1], topic), 2 * (int64_t)n);
	assert_int_equal(status_now(d, "ab", "provenance_dropped"), status_now(d, "ba", "records"));
	assert_int_equal(status_now(d, "ba", "provenance_dropped"), status_now(d, "ab", "records"));
	assert_int_equal(status_now(d, "ab", "records"), n);
	{
		const expect_t on_a[] = {{"a", NULL}, {"b", idb}},
		               on_b[] = {{"a", ida}, {"b", NULL}};
		assert_exactly_once("a", topic, KTEST_PROV_HEADER, on_a, 2, n);
		assert_exactly_once("b", topic, KTEST_PROV_HEADER, on_b, 2, n);
	}
	assert_group_resumes(topic);
	ktest_note("active/active: %d records each way, %.1f s", n,
	           (double)(ktest_now_ms() - t0) / 1000.0);
	ktest_daemon_finish(d);
	ktest_destroy(rks[0]);
	ktest_destroy(rks[1]);
}

/* A ring pvA -> pvB -> pvC -> pvA with identity names, producers on all
 * three: each record once on each cluster, its header the ids of the
 * clusters it came through, in order. */
static void test_ring(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	const char *third = getenv("KM_TESTBED_c") ? "c" : getenv("KM_TESTBED_old") ? "old" : NULL;
	char topic[128], yaml[3072] = "", ida[64], idb[64], idc[64], ab[140], bc[140], ca[140];
	static const char *const tags[] = {"a", "b", "c"}, *const flows[] = {"ab", "bc", "ca"};
	rd_kafka_t *rks[3];
	int n = records_each() / 2;

	(void)state;
	if (!third) {
		ktest_note("no third cluster: run under with-testbed a b c (or a b old@VERSION)");
		skip();
	}
	rks[0] = ktest_producer("a", NULL);
	rks[1] = ktest_producer("b", NULL);
	rks[2] = ktest_producer(third, NULL);
	cluster_id("a", ida, sizeof(ida));
	cluster_id("b", idb, sizeof(idb));
	cluster_id(third, idc, sizeof(idc));
	snprintf(ab, sizeof(ab), "%s,%s", ida, idb);
	snprintf(bc, sizeof(bc), "%s,%s", idb, idc);
	snprintf(ca, sizeof(ca), "%s,%s", idc, ida);
	ktest_topic_name(topic, sizeof(topic), "provring");
	for (int k = 0; k < 3; k++)
		ktest_create_topic(rks[k], topic, PARTITIONS, NULL);
	flow(yaml, sizeof(yaml), "ab", "pvA", "pvB", topic, "    policy: identity\n");
	flow(yaml, sizeof(yaml), "bc", "pvB", "pvC", topic, "    policy: identity\n");
	flow(yaml, sizeof(yaml), "ca", "pvC", "pvA", topic, "    policy: identity\n");
	start(d, third, yaml);
	produce_interleaved(rks, tags, 3, topic, n);
	for (int k = 0; k < 3; k++)
		ktest_wait_count(rks[k], topic, 3 * (int64_t)n, WAIT_MS);
	for (int k = 0; k < 3; k++)
		ktest_status_wait_caught_up(d, flows[k], rks[k], topic, PARTITIONS, WAIT_MS);
	/* each flow drops what the ring brought back to its target's door */
	for (int k = 0; k < 3; k++)
		ktest_status_wait(d, flows[k], "provenance_dropped", n, WAIT_MS);
	let_flows_look(d, flows, 3, 3);
	for (int k = 0; k < 3; k++) {
		ktest_status_wait_caught_up(d, flows[k], rks[k], topic, PARTITIONS, WAIT_MS);
		assert_int_equal(ktest_count(rks[k], topic), 3 * (int64_t)n);
		assert_int_equal(status_now(d, flows[k], "provenance_dropped"), n);
		assert_int_equal(status_now(d, flows[k], "records"), 2 * (int64_t)n);
	}
	{
		const expect_t on_a[] = {{"a", NULL}, {"b", bc}, {"c", idc}},
		               on_b[] = {{"a", ida}, {"b", NULL}, {"c", ca}},
		               on_c[] = {{"a", ab}, {"b", idb}, {"c", NULL}};
		assert_exactly_once("a", topic, KTEST_PROV_HEADER, on_a, 3, n);
		assert_exactly_once("b", topic, KTEST_PROV_HEADER, on_b, 3, n);
		assert_exactly_once(third, topic, KTEST_PROV_HEADER, on_c, 3, n);
	}
	ktest_daemon_finish(d);
	for (int k = 0; k < 3; k++)
		ktest_destroy(rks[k]);
}

/* provenance: false writes no header; provenance.header renames it. */
static void test_off_and_renamed(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char off[128], ren[128], moff[160], mren[160], yaml[2048] = "", ida[64];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	const int n = 300;

	(void)state;
	cluster_id("a", ida, sizeof(ida));
	ktest_topic_name(off, sizeof(off), "provoff");
	ktest_topic_name(ren, sizeof(ren), "provren");
	snprintf(moff, sizeof(moff), "pvA.%s", off);
	snprintf(mren, sizeof(mren), "pvA.%s", ren);
	ktest_create_topic(a, off, PARTITIONS, NULL);
	ktest_create_topic(a, ren, PARTITIONS, NULL);
	flow(yaml, sizeof(yaml), "off", "pvA", "pvB", off, "    provenance: false\n");
	flow(yaml, sizeof(yaml), "ren", "pvA", "pvB", ren, "    provenance.header: seen.in\n");
	start(d, NULL, yaml);
	for (int p = 0; p < PARTITIONS; p++) {
		ktest_produce_seq("a", off, p, "k", "a", p * n, n);
		ktest_produce_seq("a", ren, p, "k", "a", p * n, n);
	}
	ktest_wait_count(b, moff, PARTITIONS * n, WAIT_MS);
	ktest_wait_count(b, mren, PARTITIONS * n, WAIT_MS);
	ktest_status_wait_text(d, "off", "\"provenance\":{\"on\":false", WAIT_MS);
	for (int p = 0; p < PARTITIONS; p++) {
		size_t cnt;
		char buf[256];
		ktest_rec_t *r = ktest_read_partition("b", moff, p, &cnt);
		assert_int_equal(cnt, n);
		for (size_t i = 0; i < cnt; i++) {
			assert_null(ktest_header(&r[i], KTEST_PROV_HEADER, buf, sizeof(buf)));
			assert_null(r[i].headers); /* none was produced, none added */
		}
		ktest_recs_free(r, cnt);
		r = ktest_read_partition("b", mren, p, &cnt);
		assert_int_equal(cnt, n);
		for (size_t i = 0; i < cnt; i++) {
			assert_null(ktest_header(&r[i], KTEST_PROV_HEADER, buf, sizeof(buf)));
			assert_non_null(ktest_header(&r[i], "seen.in", buf, sizeof(buf)));
			assert_string_equal(buf, ida);
		}
		ktest_recs_free(r, cnt);
	}
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_off_and_renamed, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_active_active, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_ring, ktest_daemon_teardown),
	};
	int rc;

	ktest_require_testbed("a", "b", NULL);
	ktest_tap_begin();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ktest_tap_end();
	return rc;
}
