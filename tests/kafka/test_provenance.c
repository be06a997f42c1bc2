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
 *   - provenance: false writes no header; provenance.header renames it;
 *   - a cluster that gives no id for a while (its broker down): the flow
 *     copies nothing, says why, and once the id comes every copy lists it;
 *   - a cluster rebuilt under the same address (testbed rebuild: a new id):
 *     the change is logged, copies list the new id from then on, and
 *     nothing loops. This wipes cluster b of the bed: the suite's last case.
 *
 * Records per producer: 20,000 (CI); KTEST_LONG=1 in the environment
 * makes it 100,000 each (about five times as long).
 *
 * The clusters are the bed's under aliases of this suite's own (pvA, pvB,
 * pvC), so that the internal topics it makes are its own. */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktest.h"

#define WAIT_MS 300000
/* how long a rebuilt cluster's new id may take to be noticed */
#define ID_NOTICED_MS 60000
#define PARTITIONS    3

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

/* Flows ab (pvA -> pvB, flow keys @p ab_extra) and ba (pvB -> pvA,
 * @p ba_extra) on a new topic @p prefix-... (in @p topic) made on both
 * clusters through @p rks; the clusters' ids into @p ida and @p idb
 * (64 bytes each). */
static void start_pair(ktest_daemon_t *d, rd_kafka_t **rks, char *topic, size_t size,
                       const char *prefix, char *ida, char *idb, const char *ab_extra,
                       const char *ba_extra) {
	char yaml[2048] = "";

	ktest_cluster_id("a", ida, 64);
	ktest_cluster_id("b", idb, 64);
	ktest_topic_name(topic, size, prefix);
	ktest_create_topic(rks[0], topic, PARTITIONS, NULL);
	ktest_create_topic(rks[1], topic, PARTITIONS, NULL);
	flow(yaml, sizeof(yaml), "ab", "pvA", "pvB", topic, ab_extra);
	flow(yaml, sizeof(yaml), "ba", "pvB", "pvA", topic, ba_extra);
	start(d, NULL, yaml);
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

/* The value of @p key in the flow's status, exactly now. */
static int64_t status_now(ktest_daemon_t *d, const char *flow, const char *key) {
	return ktest_status_wait(d, flow, key, 0, WAIT_MS);
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
	char topic[128], ida[64], idb[64];
	rd_kafka_t *rks[2] = {ktest_producer("a", NULL), ktest_producer("b", NULL)};
	static const char *const tags[] = {"a", "b"}, *const flows[] = {"ab", "ba"};
	int n = records_each();
	int64_t t0 = ktest_now_ms();

	(void)state;
	start_pair(d, rks, topic, sizeof(topic), "provaa", ida, idb,
	           "    policy: identity\n    emit.checkpoints.interval: 1s\n"
	           "    sync.group.offsets.interval: 1s\n",
	           "    policy: {plugin: identity}\n");
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
	ktest_let_flows_look(d, flows, 2, 3, WAIT_MS);
	ktest_status_wait_caught_up(d, "ab", rks[0], topic, PARTITIONS, WAIT_MS);
	ktest_status_wait_caught_up(d, "ba", rks[1], topic, PARTITIONS, WAIT_MS);
	/* nothing looped: the counts stayed put, and match the copies */
	assert_int_equal(ktest_count(rks[0], topic), 2 * (int64_t)n);
	assert_int_equal(ktest_count(rks[1], topic), 2 * (int64_t)n);
	assert_int_equal(status_now(d, "ab", "provenance_dropped"), status_now(d, "ba", "records"));
	assert_int_equal(status_now(d, "ba", "provenance_dropped"), status_now(d, "ab", "records"));
	assert_int_equal(status_now(d, "ab", "records"), n);
	{
		const ktest_tagged_t on_a[] = {{"a", n, NULL, 0}, {"b", n, idb, 0}},
		                     on_b[] = {{"a", n, ida, 0}, {"b", n, NULL, 0}};
		ktest_assert_tagged_once("a", topic, KTEST_PROV_HEADER, on_a, 2);
		ktest_assert_tagged_once("b", topic, KTEST_PROV_HEADER, on_b, 2);
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
	ktest_cluster_id("a", ida, sizeof(ida));
	ktest_cluster_id("b", idb, sizeof(idb));
	ktest_cluster_id(third, idc, sizeof(idc));
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
	ktest_let_flows_look(d, flows, 3, 3, WAIT_MS);
	for (int k = 0; k < 3; k++) {
		ktest_status_wait_caught_up(d, flows[k], rks[k], topic, PARTITIONS, WAIT_MS);
		assert_int_equal(ktest_count(rks[k], topic), 3 * (int64_t)n);
		assert_int_equal(status_now(d, flows[k], "provenance_dropped"), n);
		assert_int_equal(status_now(d, flows[k], "records"), 2 * (int64_t)n);
	}
	{
		const ktest_tagged_t
		    on_a[] = {{"a", n, NULL, 0}, {"b", n, bc, 0}, {"c", n, idc, 0}},
		    on_b[] = {{"a", n, ida, 0}, {"b", n, NULL, 0}, {"c", n, ca, 0}},
		    on_c[] = {{"a", n, ab, 0}, {"b", n, idb, 0}, {"c", n, NULL, 0}};
		ktest_assert_tagged_once("a", topic, KTEST_PROV_HEADER, on_a, 3);
		ktest_assert_tagged_once("b", topic, KTEST_PROV_HEADER, on_b, 3);
		ktest_assert_tagged_once(third, topic, KTEST_PROV_HEADER, on_c, 3);
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
	ktest_cluster_id("a", ida, sizeof(ida));
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

/* Whether test_id_late stopped a's broker and has not started it again. */
static int a_stopped;

static int late_teardown(void **state) {
	if (a_stopped) {
		assert_int_equal(ktest_testbed("start a", NULL, 0), 0);
		a_stopped = 0;
	}
	return ktest_daemon_teardown(state);
}

/* A source whose cluster gives no id within the clusters task's timeout
 * (10 s): its broker is down when the flow starts. The flow copies nothing,
 * its status says it waits for the ids, the log says why once a try timed
 * out; once the broker is back every record copied lists a's id. */
static void test_id_late(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], mirror[160], yaml[1024] = "", ida[64];
	rd_kafka_t *a = ktest_producer("a", NULL), *b;
	const int n = 200;
	ktest_tagged_t want = {"late", PARTITIONS * n, NULL, 0};

	(void)state;
	ktest_cluster_id("a", ida, sizeof(ida));
	ktest_topic_name(topic, sizeof(topic), "provlate");
	snprintf(mirror, sizeof(mirror), "pvA.%s", topic);
	ktest_create_topic(a, topic, PARTITIONS, NULL);
	ktest_destroy(a);
	for (int p = 0; p < PARTITIONS; p++)
		ktest_produce_seq("a", topic, p, "k", "late", p * n, n);
	assert_int_equal(ktest_testbed("stop a", NULL, 0), 0);
	a_stopped = 1;
	flow(yaml, sizeof(yaml), "late", "pvA", "pvB", topic, NULL);
	start(d, NULL, yaml);
	ktest_log_wait(d,
	               "flow late: the cluster id of pvA is not known: its brokers gave none "
	               "within 10 s (will retry)",
	               WAIT_MS);
	/* (last_error may name another failure of the down cluster by now) */
	ktest_status_wait_text(d, "late", "\"data_state\":\"waiting for cluster ids\"", WAIT_MS);
	assert_int_equal(ktest_status_wait(d, "late", "records", 0, WAIT_MS), 0);
	assert_int_equal(ktest_testbed("start a", NULL, 0), 0);
	a_stopped = 0;
	ktest_log_wait(d, "flow late: cluster pvA has the id ", WAIT_MS);
	b = ktest_producer("b", NULL);
	ktest_wait_count(b, mirror, PARTITIONS * n, WAIT_MS);
	ktest_destroy(b);
	want.prov = ida;
	ktest_assert_tagged_once("b", mirror, KTEST_PROV_HEADER, &want, 1);
	ktest_daemon_finish(d);
}

/* Cluster b rebuilt under the same address while an active/active pair
 * runs: wiped, formatted with a new cluster id, started on the same ports.
 * Both flows see the new id within a refresh and log it; after the restart
 * docs/active-active.md asks for (both flows renamed), a's topic is
 * copied into the new b again,
 * records made on the new b reach a listing the new id, and nothing
 * loops: each record is once on each cluster. */
static void test_rebuilt(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], ida[64], idb[64], idb2[80], text[300];
	rd_kafka_t *rks[2] = {ktest_producer("a", NULL), ktest_producer("b", NULL)};
	static const char *const before[] = {"a", "b"}, *const after[] = {"a2", "b2"};
	const int n = 500;

	(void)state;
	start_pair(d, rks, topic, sizeof(topic), "provre", ida, idb, "    policy: identity\n",
	           "    policy: identity\n");
	produce_interleaved(rks, before, 2, topic, n);
	ktest_wait_count(rks[0], topic, 2 * (int64_t)n, WAIT_MS);
	ktest_wait_count(rks[1], topic, 2 * (int64_t)n, WAIT_MS);
	ktest_status_wait_caught_up(d, "ab", rks[0], topic, PARTITIONS, WAIT_MS);
	ktest_status_wait_caught_up(d, "ba", rks[1], topic, PARTITIONS, WAIT_MS);
	ktest_destroy(rks[1]);

	assert_int_equal(ktest_testbed("rebuild b", idb2, sizeof(idb2)), 0);
	assert_true(!strncmp(idb2, "b_id=", 5));
	memmove(idb2, idb2 + 5, strlen(idb2 + 5) + 1);
	assert_string_not_equal(idb2, idb);
	ktest_note("cluster b rebuilt: id %s, was %s", idb2, idb);
	/* within seconds (refresh 1 s), not at the clients' own metadata
	 * refresh 5 minutes on, which a flow that only writes to b waited for */
	snprintf(text, sizeof(text), "flow ab: cluster pvB's id changed from %s to %s", idb, idb2);
	ktest_log_wait(d, text, ID_NOTICED_MS);
	snprintf(text, sizeof(text), "flow ba: cluster pvB's id changed from %s to %s", idb, idb2);
	ktest_log_wait(d, text, ID_NOTICED_MS);
	ktest_status_wait_text(d, "ab", idb2, WAIT_MS);
	ktest_status_wait_text(d, "ba", idb2, WAIT_MS);
	/* what the docs say to do next: restart kmirrord, with SIGKILL (a
	 * consumer of the rebuilt cluster can hang librdkafka 2.0.2's
	 * shutdown), both flows under new names: ba's stored progress (on a)
	 * points into the old b's topics, and ab may have written its own
	 * into the new b before it stopped. ab2 copies a's topic from its
	 * beginning again, into the topic it makes again on the new b; ba2
	 * copies the new b's */
	assert_int_equal(ktest_daemon_stop(d, SIGKILL, WAIT_MS), 128 + SIGKILL);
	{
		char yaml[2048] = "";
		flow(yaml, sizeof(yaml), "ab2", "pvA", "pvB", topic, "    policy: identity\n");
		flow(yaml, sizeof(yaml), "ba2", "pvB", "pvA", topic, "    policy: identity\n");
		ktest_daemon_rewrite(d, yaml);
	}
	ktest_daemon_start(d, NULL);
	rks[1] = ktest_producer("b", NULL);
	{
		int64_t deadline = ktest_now_ms() + WAIT_MS;
		while (ktest_partitions(rks[1], topic) != PARTITIONS) {
			if (ktest_now_ms() > deadline)
				fail_msg(
				    "flow ab2 did not make %s again on the rebuilt b within %d ms",
				    topic, WAIT_MS);
			ktest_pause();
		}
	}
	produce_interleaved(rks, after, 2, topic, n);
	ktest_wait_count(rks[0], topic, 4 * (int64_t)n, WAIT_MS);
	ktest_wait_count(rks[1], topic, 4 * (int64_t)n, WAIT_MS);
	ktest_status_wait_caught_up(d, "ab2", rks[0], topic, PARTITIONS, WAIT_MS);
	ktest_status_wait_caught_up(d, "ba2", rks[1], topic, PARTITIONS, WAIT_MS);
	{
		const char *const flows[] = {"ab2", "ba2"};
		ktest_let_flows_look(d, flows, 2, 3, WAIT_MS);
	}
	ktest_status_wait_caught_up(d, "ab2", rks[0], topic, PARTITIONS, WAIT_MS);
	ktest_status_wait_caught_up(d, "ba2", rks[1], topic, PARTITIONS, WAIT_MS);
	{
		char old_then_a[140];
		/* a: its own, b's from before (the old id), the new b's (the new id) */
		const ktest_tagged_t on_a[] = {
		    {"a", n, NULL, 0}, {"b", n, idb, 0}, {"a2", n, NULL, 0}, {"b2", n, idb2, 0}};
		/* the new b: a's topic copied again, the old b's records with both
		 * ids (so ba2 dropped them: nothing came back), and the new ones */
		const ktest_tagged_t on_b[] = {{"a", n, ida, 0},
		                               {"b", n, old_then_a, 0},
		                               {"a2", n, ida, 0},
		                               {"b2", n, NULL, 0}};
		snprintf(old_then_a, sizeof(old_then_a), "%s,%s", idb, ida);
		ktest_assert_tagged_once("a", topic, KTEST_PROV_HEADER, on_a, 4);
		ktest_assert_tagged_once("b", topic, KTEST_PROV_HEADER, on_b, 4);
	}
	ktest_daemon_finish(d);
	ktest_destroy(rks[0]);
	ktest_destroy(rks[1]);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_off_and_renamed, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_active_active, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_ring, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_id_late, late_teardown),
	    /* last: it wipes cluster b */
	    cmocka_unit_test_teardown(test_rebuilt, ktest_daemon_teardown),
	};
	int rc;

	ktest_require_testbed("a", "b", NULL);
	ktest_tap_begin();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ktest_tap_end();
	return rc;
}
