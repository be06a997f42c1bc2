/* Real-Kafka suite of mirror-topic states (docs/failover.md): pause and
 * resume, promote with the source alive, failover with the source
 * stopped, through kmirrorctl and the REST API.
 *
 * Each flow copies a topic under test and a "clock" topic. That nothing is
 * copied into a paused or stopped mirror is shown by the clock: records
 * produced to both after the command, the clock's all copied, the mirror's
 * count unchanged. Every wait is on a condition with a deadline. */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ktest_rest.h"

#define WAIT_MS 90000
#define TOKEN   "st4tes-t0ken"
#define AUTH    "--token " TOKEN

/* Starts a flow @p flow copying every topic that starts with @p base,
 * with a REST token, then @p extra (flow keys). */
static void start(ktest_daemon_t *d, const char *flow, const char *base, const char *extra) {
	char yaml[2048], ready[256];

	snprintf(yaml, sizeof(yaml),
	         "rest:\n"
	         "  listen: 127.0.0.1:0\n"
	         "  token: " TOKEN "\n"
	         "flows:\n"
	         "  - name: %s\n"
	         "    source: a\n"
	         "    target: b\n"
	         "    refresh.topics.interval: 500ms\n"
	         "    heartbeats.replication.enabled: false\n"
	         "    topics: {include: ['%s-.*']}\n"
	         "%s",
	         flow, base, extra ? extra : "");
	ktest_daemon_config(d, yaml);
	ktest_daemon_start(d, NULL);
	snprintf(ready, sizeof(ready), "flow %s: loaded progress", flow);
	ktest_log_wait(d, ready, WAIT_MS);
	ktest_rest_url(d, 1, WAIT_MS);
}

/* Stops @p d (SIGTERM: a clean exit) and starts it again on the same
 * configuration; returns once flow @p flow loaded its progress again. */
static void restart(ktest_daemon_t *d, const char *flow) {
	char ready[256];
	size_t starts;
	int64_t deadline = ktest_now_ms() + WAIT_MS;

	snprintf(ready, sizeof(ready), "flow %s: loaded progress", flow);
	starts = ktest_log_count(d, ready);
	assert_int_equal(ktest_daemon_stop(d, SIGTERM, WAIT_MS), 0);
	ktest_daemon_start(d, NULL);
	while (ktest_log_count(d, ready) <= starts) {
		if (ktest_now_ms() > deadline)
			fail_msg("flow %s did not load its progress again", flow);
		usleep(100000);
	}
	ktest_rest_url(d, starts + 1, WAIT_MS);
}

/* The topic view of @p topic in flow @p flow: field @p key as a string
 * (caller frees). */
static char *topic_field(const char *flow, const char *topic, const char *key) {
	char path[512], *v;
	json_t *j;

	snprintf(path, sizeof(path), "/v1/flows/%s/topics/%s", flow, topic);
	j = ktest_get_json(path, 200);
	v = strdup(json_string_value(json_object_get(j, key)) ?: "");
	json_decref(j);
	return v;
}

static void wait_field(const char *flow, const char *topic, const char *key, const char *want) {
	int64_t deadline = ktest_now_ms() + WAIT_MS;
	char *v;

	while (strcmp(v = topic_field(flow, topic, key), want)) {
		if (ktest_now_ms() > deadline)
			fail_msg("%s of %s is %s, not %s, after %d ms", key, topic, v, want,
			         WAIT_MS);
		free(v);
		usleep(200000);
	}
	free(v);
}

/* kmirrorctl @p args: its exit status must be @p want and its output hold
 * @p text (NULL: anything). */
static void ctl_expect(const char *args, int want, const char *text) {
	char *out = NULL;
	int rc = ktest_ctl(args, NULL, &out);

	if (rc != want || (text && !strstr(out, text)))
		fail_msg("kmirrorctl %s: exit %d (want %d), output:\n%s\n(want it to hold: %s)",
		         args, rc, want, out, text ? text : "-");
	free(out);
}

/* Records produced to the clock after a command are all copied: the
 * daemon had its chance to copy what was produced before them. */
static void tick(ktest_daemon_t *d, const char *flow, const char *clock, int *n) {
	rd_kafka_t *a = ktest_producer("a", NULL);

	ktest_produce_plain(clock, 1, *n, 50);
	*n += 50;
	ktest_status_wait_caught_up(d, flow, a, clock, 1, WAIT_MS);
	ktest_destroy(a);
}

static void wait_committed(const char *cluster, const char *group, const char *topic, int32_t part,
                           int64_t want) {
	int64_t deadline = ktest_now_ms() + WAIT_MS, got;

	while ((got = ktest_committed(cluster, group, topic, part)) != want) {
		if (ktest_now_ms() > deadline)
			fail_msg("group %s on %s: %s [%d] at %lld, not %lld", group, cluster, topic,
			         part, (long long)got, (long long)want);
		usleep(200000);
	}
}

/* A flow's topic under test (2 partitions) and its clock (1), by name. */
typedef struct names {
	char topic[128], clock[128], mirror[160];
} names_t;

#define FAST                                                                                       \
	"    emit.checkpoints.interval: 1s\n"                                                      \
	"    offset-syncs.flush.interval: 1s\n"                                                    \
	"    sync.group.offsets.interval: 1s\n"

/* Flow @p flow copies a new topic holding @p n records and a new clock,
 * with @p extra flow keys; returns once the topic is copied. */
static void setup(ktest_daemon_t *d, const char *flow, int n, const char *extra, names_t *nm) {
	rd_kafka_t *a = ktest_producer("a", NULL);
	char base[96];

	ktest_topic_name(base, sizeof(base), flow);
	snprintf(nm->topic, sizeof(nm->topic), "%s-t", base);
	snprintf(nm->clock, sizeof(nm->clock), "%s-c", base);
	snprintf(nm->mirror, sizeof(nm->mirror), "a.%s", nm->topic);
	ktest_create_topic(a, nm->topic, 2, NULL);
	ktest_create_topic(a, nm->clock, 1, NULL);
	ktest_produce_plain(nm->topic, 2, 0, n);
	start(d, flow, base, extra);
	ktest_status_wait_caught_up(d, flow, a, nm->topic, 2, WAIT_MS);
	ktest_destroy(a);
}

/* pause stops the copy, a restart keeps it paused, resume copies what
 * was missed: an exact copy. Bad commands are refused with a message. */
static void test_pause_resume(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char args[512], *body;
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	int ticks = 0;
	names_t nm;
	const char *topic = nm.topic, *clock = nm.clock, *mirror = nm.mirror;

	(void)state;
	setup(d, "stpause", 400, NULL, &nm);
	wait_field("stpause", topic, "mirror_state", "ACTIVE");

	/* the token is needed; a topic or flow that is not there is named */
	snprintf(args, sizeof(args), "pause stpause %s", topic);
	ctl_expect(args, 4, "Authorization: Bearer");
	ctl_expect(AUTH " pause stpause nope", 1, "copies no topic 'nope'");
	ctl_expect(AUTH " pause nope x", 1, "no flow 'nope'");
	ctl_expect(AUTH " pause stpause", 2, "needs a flow and a topic");

	snprintf(args, sizeof(args), AUTH " pause stpause %s", topic);
	ctl_expect(args, 0, "PAUSED");
	wait_field("stpause", topic, "state", "paused");
	ktest_produce_plain(topic, 2, 400, 400);
	tick(d, "stpause", clock, &ticks);
	assert_int_equal(ktest_count(b, mirror), 400);
	/* again: nothing to do, said so */
	ctl_expect(args, 0, "PAUSED already");

	/* a restart: still PAUSED, still not copied */
	restart(d, "stpause");
	snprintf(args, sizeof(args), "mirror topic of %s is PAUSED", topic);
	ktest_log_wait(d, args, WAIT_MS);
	wait_field("stpause", topic, "mirror_state", "PAUSED");
	tick(d, "stpause", clock, &ticks);
	assert_int_equal(ktest_count(b, mirror), 400);
	/* the status file shows it too */
	body = ktest_status_flow(d, "stpause");
	assert_non_null(strstr(body, "\"mirror_topics\":[{\"topic\":"));
	assert_non_null(strstr(body, "\"state\":\"PAUSED\",\"by\":\"pause\""));
	free(body);

	snprintf(args, sizeof(args), AUTH " resume stpause %s", topic);
	ctl_expect(args, 0, "ACTIVE");
	ktest_status_wait_caught_up(d, "stpause", a, topic, 2, WAIT_MS);
	wait_field("stpause", topic, "mirror_state", "ACTIVE");
	ktest_assert_exact_copy(topic, mirror, 2, 800);
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* promote with the source alive: it catches up with the source's end as
 * it was when asked, a group's latest commit is synced, then STOPPED;
 * applications write the topic, kmirror never again, even after a
 * restart. */
static void test_promote(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char group[128], args[512];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	int ticks = 0;
	names_t nm;
	const char *topic = nm.topic, *clock = nm.clock, *mirror = nm.mirror;

	(void)state;
	ktest_topic_name(group, sizeof(group), "gprom");
	setup(d, "stprom", 600, FAST, &nm);
	ktest_commit("a", group, topic, 0, 100);
	wait_committed("b", group, mirror, 0, 100);

	/* more records and the group's last commits, then promote at once */
	ktest_produce_plain(topic, 2, 600, 1400);
	ktest_commit("a", group, topic, 0, 900);
	ktest_commit("a", group, topic, 1, 450);
	snprintf(args, sizeof(args), AUTH " promote stprom %s --timeout 120", topic);
	ctl_expect(args, 0, "every topic is STOPPED");
	wait_field("stprom", topic, "mirror_state", "STOPPED");
	/* nothing missing, and the group exactly where it was on a */
	ktest_assert_exact_copy(topic, mirror, 2, 2000);
	assert_int_equal(ktest_committed("b", group, mirror, 0), 900);
	assert_int_equal(ktest_committed("b", group, mirror, 1), 450);
	ktest_log_wait(d, "is an ordinary topic now (STOPPED)", WAIT_MS);

	/* applications write it; kmirror does not */
	ktest_produce_seq("b", mirror, 0, "app", "written-on-b", 0, 10);
	ktest_produce_plain(topic, 2, 2000, 100);
	tick(d, "stprom", clock, &ticks);
	assert_int_equal(ktest_count(b, mirror), 2010);
	/* STOPPED refuses pause and a plain resume, and says what to do */
	snprintf(args, sizeof(args), AUTH " resume stprom %s", topic);
	ctl_expect(args, 1, "resume --force");
	snprintf(args, sizeof(args), AUTH " pause stprom %s", topic);
	ctl_expect(args, 1, "nothing is copied into it");
	/* a restart: still STOPPED */
	restart(d, "stprom");
	wait_field("stprom", topic, "mirror_state", "STOPPED");
	tick(d, "stprom", clock, &ticks);
	assert_int_equal(ktest_count(b, mirror), 2010);
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

/* failover with the source stopped: the daemon goes on, the topic is
 * STOPPED, a group offset past the mirror's end is clamped to it,
 * applications write the topic, and a restart does not copy into it;
 * resume --force, with the source back, copies what the source got since,
 * after what the applications wrote. */
static void test_failover_source_down(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char group[128], args[512];
	rd_kafka_t *a = ktest_producer("a", NULL), *b = ktest_producer("b", NULL);
	ktest_rec_t *t;
	size_t nt;
	int ticks = 0;
	names_t nm;
	const char *topic = nm.topic, *clock = nm.clock, *mirror = nm.mirror;

	(void)state;
	ktest_topic_name(group, sizeof(group), "gfail");
	setup(d, "stfail", 400, FAST, &nm);
	ktest_commit("a", group, topic, 0, 150);
	ktest_commit("a", group, topic, 1, 50);
	wait_committed("b", group, mirror, 0, 150);
	wait_committed("b", group, mirror, 1, 50);
	/* past the end on b (a tool's mistake, say): failover brings it back */
	ktest_commit("b", group, mirror, 1, 100000);

	assert_int_equal(ktest_testbed("stop a", NULL, 0), 0);
	snprintf(args, sizeof(args), AUTH " failover stfail %s --timeout 150", topic);
	ctl_expect(args, 0, "every topic is STOPPED");
	assert_true(ktest_daemon_alive(d));
	wait_field("stfail", topic, "mirror_state", "STOPPED");
	assert_int_equal(ktest_committed("b", group, mirror, 0), 150);
	assert_int_equal(ktest_committed("b", group, mirror, 1), 200);
	ktest_produce_seq("b", mirror, 0, "app", "written-on-b", 0, 10);

	/* a restart with the source still down: STOPPED */
	restart(d, "stfail");
	wait_field("stfail", topic, "mirror_state", "STOPPED");

	/* the source back, with more records: still not copied */
	assert_int_equal(ktest_testbed("start a", NULL, 0), 0);
	ktest_produce_plain(topic, 2, 400, 100);
	tick(d, "stfail", clock, &ticks);
	assert_int_equal(ktest_count(b, mirror), 410);

	/* failing back the other way round: resume --force copies the rest */
	snprintf(args, sizeof(args), AUTH " resume stfail %s --force", topic);
	ctl_expect(args, 0, "ACTIVE");
	ktest_wait_count(b, mirror, 510, WAIT_MS);
	ktest_status_wait_caught_up(d, "stfail", a, topic, 2, WAIT_MS);
	assert_int_equal(ktest_count(b, mirror), 510);
	/* partition 1: the source's 250 records in order, nothing else */
	t = ktest_read_partition("b", mirror, 1, &nt);
	assert_int_equal(nt, 250);
	ktest_recs_free(t, nt);
	assert_int_equal(ktest_check_at_least_once(topic, mirror, 1, 0), 0);
	ktest_daemon_finish(d);
	ktest_destroy(a);
	ktest_destroy(b);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_pause_resume, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_promote, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_failover_source_down, ktest_daemon_teardown),
	};

	ktest_require_testbed("a", "b", NULL);
	if (getenv("KTEST_ONLY"))
		cmocka_set_test_filter(getenv("KTEST_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
