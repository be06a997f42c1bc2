/* What kmirrord logs against real brokers: a healthy start and copy log no
 * warning (the idempotent producers' first PID requests that meet a
 * coordinator still loading are info lines), and an outage of the target's
 * broker is one warning for the cluster and one line when it is reachable
 * again, however many clients retried how often; a hung broker is one line
 * per silent connection, and kmirrord does not busy-wait on it.
 *
 * Run it on fresh brokers (its own test bed) for the first case to meet
 * the loading coordinator. Every wait is on a condition with a deadline. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktest.h"

#define WAIT_MS 120000

static void start_copy(ktest_daemon_t *d, const char *flow, char *topic, size_t size) {
	char yaml[1024];
	rd_kafka_t *admin = ktest_producer("a", NULL);

	ktest_topic_name(topic, size, flow);
	ktest_create_topic(admin, topic, 3, NULL);
	for (int32_t p = 0; p < 3; p++)
		ktest_produce_seq("a", topic, p, "k", "v", 0, 100);
	snprintf(yaml, sizeof(yaml),
	         "flows:\n"
	         "  - name: %s\n"
	         "    source: a\n"
	         "    target: b\n"
	         "    refresh.topics.interval: 500ms\n"
	         "    producer.connections: 3\n"
	         "    heartbeats.replication.enabled: false\n" /* its topic alone */
	         "    topics:\n"
	         "      include: ['%s']\n",
	         flow, topic);
	ktest_daemon_config(d, yaml);
	ktest_daemon_start(d, NULL);
	ktest_status_wait_caught_up(d, flow, admin, topic, 3, WAIT_MS);
	ktest_destroy(admin);
}

/* Start, create the mirror topic, copy: nothing is wrong, nothing warns. */
static void test_healthy_start_no_warning(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128];

	(void)state;
	start_copy(d, "logstart", topic, sizeof(topic));
	assert_int_equal(ktest_log_lines(d, "warning", ""), 0);
	assert_int_equal(ktest_log_lines(d, "err", ""), 0);
	ktest_daemon_finish(d);
}

/* The target's broker dies (kill -9) and starts again: every producer
 * connection and the admin client fail to reconnect many times, yet the log
 * has one warning that cluster b is unreachable and one info line that it
 * is reachable again, with how long it was not. The copy goes on. Records
 * wait unacknowledged through the outage, but with the connection down
 * librdkafka does not spin, so no connection is paused for it. */
static void test_target_outage_logged_once(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	rd_kafka_t *admin;
	char topic[128];
	pid_t pid;

	(void)state;
	start_copy(d, "logdown", topic, sizeof(topic));
	assert_true((pid = ktest_broker_pid("b")) > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	ktest_log_wait(d, "cluster b: unreachable: ", WAIT_MS);
	for (int32_t p = 0; p < 3; p++)
		ktest_produce_seq("a", topic, p, "k", "during", 0, 100);
	ktest_status_wait(d, "logdown", "inflight", 300, WAIT_MS);
	/* the same data and ports again (nothing to stop: it is dead) */
	assert_int_equal(ktest_testbed("restart b", NULL, 0), 0);
	ktest_log_wait(d, "cluster b: reachable again (unreachable for ", WAIT_MS);
	admin = ktest_producer("a", NULL);
	for (int32_t p = 0; p < 3; p++)
		ktest_produce_seq("a", topic, p, "k", "after", 0, 100);
	ktest_status_wait_caught_up(d, "logdown", admin, topic, 3, WAIT_MS);
	ktest_destroy(admin);

	assert_int_equal(ktest_log_lines(d, "warning", "cluster b: unreachable: "), 1);
	assert_int_equal(ktest_log_lines(d, "info", "cluster b: reachable again (unreachable for "),
	                 1);
	/* no line per retry above debug, and the source was never down: the
	 * one warning quotes the first failure a client met, a refused
	 * connection or one cut while it was being set up, as the kill fell */
	assert_int_equal(ktest_log_lines(d, "warning", "Connect to ") +
	                     ktest_log_lines(d, "warning", "Disconnected"),
	                 1);
	assert_int_equal(ktest_log_lines(d, "err", "Connect to "), 0);
	assert_int_equal(ktest_log_lines(d, "err", "brokers are down"), 0);
	assert_int_equal(ktest_log_lines(d, "info", "Disconnected"), 0);
	assert_int_equal(ktest_log_lines(d, "warning", "cluster a"), 0);
	/* yet each failure is there for log_level: debug */
	assert_true(ktest_log_lines(d, "debug", "Connect to ") > 1);
	assert_int_equal(ktest_log_lines(d, "notice", "acknowledged nothing"), 0);
	ktest_daemon_finish(d);
}

/* The target's broker, stopped by test_target_hang_no_spin (0: none). */
static pid_t hung_pid;

/* CPU seconds process @p pid has used (user and system). */
static double cpu_s(pid_t pid) {
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	assert_non_null(fp = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* after the command name in parentheses: state, then 10 fields, then utime stime */
	assert_non_null(p = strrchr(buf, ')'));
	assert_int_equal(
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st), 2);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The target's broker hangs (SIGSTOP: its connections stay open, nothing
 * is answered) while the flow has records to copy. librdkafka's idempotent
 * producer would busy-wait on every core for as long as that lasts; the
 * flow pauses the connections that went silent, says so once each, and
 * resumes them when the broker answers again. Then every record is on the
 * target once, in order. */
static void test_target_hang_no_spin(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	rd_kafka_t *admin;
	char topic[128], mirror[160];
	double used, from;
	int64_t until;

	(void)state;
	start_copy(d, "loghang", topic, sizeof(topic));
	assert_true((hung_pid = ktest_broker_pid("b")) > 0);
	assert_int_equal(kill(hung_pid, SIGSTOP), 0);
	/* three batches a partition: one goes out and is never answered, the
	 * others wait behind it */
	for (int32_t p = 0; p < 3; p++)
		ktest_produce_seq("a", topic, p, "k", "v", 100, 30000);
	ktest_log_wait(d, "loghang: the target has acknowledged nothing on producer connection",
	               WAIT_MS);
	/* the quantity measured is CPU over a stretch of the hang: 4 s of it */
	from = cpu_s(d->pid);
	until = ktest_now_ms() + 4000;
	while (ktest_now_ms() < until)
		usleep(100000);
	used = cpu_s(d->pid) - from;
	ktest_note("kmirrord used %.2f CPU s in 4 s of the target's hang", used);
	/* spinning, it took both cores: 7.7 s; paused, 0.55 to 1.2 s here, the
	 * most under ASan (a probe every 5 s, paused again once seen spinning,
	 * may fall in it) */
	assert_true(used < 3.0);

	assert_int_equal(kill(hung_pid, SIGCONT), 0);
	hung_pid = 0;
	ktest_log_wait(d, "loghang: the target answers producer connection", WAIT_MS);
	admin = ktest_producer("a", NULL);
	ktest_status_wait_caught_up(d, "loghang", admin, topic, 3, WAIT_MS);
	ktest_destroy(admin);
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_assert_exact_copy(topic, mirror, 3, 3 * (100 + 30000));
	ktest_daemon_finish(d);
}

/* Whatever failed, the broker runs again for the cases after. */
static int hang_teardown(void **state) {
	if (hung_pid)
		kill(hung_pid, SIGCONT);
	hung_pid = 0;
	return ktest_daemon_teardown(state);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_healthy_start_no_warning, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_target_outage_logged_once, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_target_hang_no_spin, hang_teardown),
	};

	ktest_require_testbed("a", "b", NULL);
	if (getenv("KTEST_ONLY"))
		cmocka_set_test_filter(getenv("KTEST_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
