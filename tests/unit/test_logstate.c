/* Unit tests of what kmirrord logs of librdkafka's reports (core/logstate.c),
 * without brokers. The inputs are librdkafka 2.0.2's own (level, facility,
 * message) tuples and broker states, as a kmirrord run logged them when its
 * target cluster's only broker restarted and when its source's was down for
 * half a minute (a flow e2w from east to west, four producer connections). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "logstate.h"

#define WEST "127.0.0.1:36340"
#define EAST "127.0.0.1:44865"

/* The clients of the flow: any distinct pointers do. */
static const char *const names[] = {
    "kmirror-e2w-target-admin#producer-2", "kmirror-e2w-producer-1#producer-3",
    "kmirror-e2w-producer-2#producer-4",   "kmirror-e2w-producer-3#producer-5",
    "kmirror-e2w-producer-4#producer-6",   "kmirror-e2w-progress#producer-7",
    "kmirror-e2w-consumer#consumer-8",     "kmirror-e2w-source-admin#producer-1",
};
#define NWEST        6 /* names[0..5] are the target's */
#define CONSUMER     6
#define SOURCE_ADMIN 7

static const void *client(int i) {
	return names[i];
}

/* The lines the calls of a test gave, above debug, and how many debug. */
typedef struct seen {
	km_log_level_t level[32];
	char *text[32];
	size_t cnt;
	size_t debug;
} seen_t;

static seen_t seen;

static void take(km_logline_t *l) {
	if (!l->text)
		return;
	if (l->level == KM_LOG_DEBUG) {
		seen.debug++;
		free(l->text);
		return;
	}
	assert_true(seen.cnt < 32);
	seen.level[seen.cnt] = l->level;
	seen.text[seen.cnt++] = l->text;
}

static void seen_clear(void) {
	for (size_t i = 0; i < seen.cnt; i++)
		free(seen.text[i]);
	memset(&seen, 0, sizeof(seen));
}

static void report(km_logstate_t *ls, int i, int level, const char *fac, const char *msg,
                   int64_t now) {
	km_logline_t l;
	km_logstate_log(ls, client(i), names[i], level, fac, msg, now, &l);
	take(&l);
}

static void state(km_logstate_t *ls, int i, const char *broker, const char *st, int64_t now) {
	km_logline_t l;
	km_logstate_broker(ls, client(i), broker, st, now, &l);
	take(&l);
}

/* A connection's way up, as librdkafka reports its states. */
static void connect_up(km_logstate_t *ls, int i, const char *broker, int64_t now) {
	state(ls, i, broker, "TRY_CONNECT", now);
	state(ls, i, broker, "CONNECT", now);
	state(ls, i, broker, "APIVERSION_QUERY", now);
	state(ls, i, broker, "UP", now);
}

static void expect_lines(size_t cnt) {
	if (seen.cnt != cnt) {
		for (size_t i = 0; i < seen.cnt; i++)
			print_message("line %zu: %s\n", i, seen.text[i]);
		fail_msg("%zu lines above debug, expected %zu", seen.cnt, cnt);
	}
}

static void expect_line(size_t i, km_log_level_t level, const char *text) {
	assert_true(i < seen.cnt);
	assert_string_equal(seen.text[i], text);
	assert_int_equal(seen.level[i], level);
}

/* A state with clients @p from..@p to of cluster west, not connected. */
static km_logstate_t *west_clients(int from, int to) {
	km_logstate_t *ls = km_logstate_new();

	assert_non_null(ls);
	for (int i = from; i <= to; i++)
		assert_int_equal(km_logstate_client_add(ls, client(i), "west"), KM_OK);
	return ls;
}

/* Every client of the flow, connected. */
static km_logstate_t *flow_up(int64_t now) {
	km_logstate_t *ls = km_logstate_new();

	assert_non_null(ls);
	for (int i = 0; i < NWEST; i++) {
		assert_int_equal(km_logstate_client_add(ls, client(i), "west"), KM_OK);
		connect_up(ls, i, WEST, now);
	}
	assert_int_equal(km_logstate_client_add(ls, client(CONSUMER), "east"), KM_OK);
	assert_int_equal(km_logstate_client_add(ls, client(SOURCE_ADMIN), "east"), KM_OK);
	connect_up(ls, CONSUMER, EAST, now);
	connect_up(ls, SOURCE_ADMIN, EAST, now);
	return ls;
}

static int teardown(void **state) {
	(void)state;
	seen_clear();
	return 0;
}

#define GETPID_LOADING                                                                             \
	"[thrd:main]: Failed to acquire idempotence PID from broker " WEST                         \
	"/1: Broker: Coordinator load in progress: retrying"

/* A healthy start: each idempotent producer's first PID request meets a
 * coordinator that is still loading, and the retry half a second later
 * succeeds (librdkafka says nothing then). Info, not warnings. */
static void test_getpid_retry_at_start(void **st) {
	km_logstate_t *ls = km_logstate_new();

	(void)st;
	for (int i = 1; i < NWEST; i++) {
		assert_int_equal(km_logstate_client_add(ls, client(i), "west"), KM_OK);
		report(ls, i, 4, "GETPID", GETPID_LOADING, 1000 + i);
	}
	expect_lines(5);
	for (int i = 1; i < NWEST; i++) {
		char want[512];
		snprintf(want, sizeof(want), "%s: GETPID: %s", names[i], GETPID_LOADING);
		expect_line((size_t)i - 1, KM_LOG_INFO, want);
	}
	/* a later start of the same episode's kind, after quiet: info again */
	report(ls, 1, 4, "GETPID", GETPID_LOADING, 1001 + KM_LOGSTATE_QUIET_MS + 1);
	expect_lines(6);
	assert_int_equal(seen.level[5], KM_LOG_INFO);
	assert_int_equal(seen.debug, 0);
	km_logstate_destroy(ls);
}

/* Retries that go on: debug until KM_LOGSTATE_RETRY_WARN_MS, then a
 * warning that says for how long and how many attempts, again at most
 * every KM_LOGSTATE_RETRY_REPEAT_MS. */
static void test_getpid_retry_lasts(void **st) {
	km_logstate_t *ls = west_clients(1, 1);
	const char *want = "kmirror-e2w-producer-1#producer-3: GETPID: " GETPID_LOADING
	                   " (failing for 10.0s, 21 attempts)";
	const char *again = "kmirror-e2w-producer-1#producer-3: GETPID: " GETPID_LOADING
	                    " (failing for 1m10s, 141 attempts)";

	(void)st;
	connect_up(ls, 1, WEST, 0);
	for (int64_t t = 0; t < KM_LOGSTATE_RETRY_WARN_MS; t += 500)
		report(ls, 1, 4, "GETPID", GETPID_LOADING, t);
	expect_lines(1);
	assert_int_equal(seen.level[0], KM_LOG_INFO);
	assert_int_equal(seen.debug, 19);
	report(ls, 1, 4, "GETPID", GETPID_LOADING, KM_LOGSTATE_RETRY_WARN_MS);
	expect_lines(2);
	expect_line(1, KM_LOG_WARNING, want);
	for (int64_t t = 10500; t < 10000 + KM_LOGSTATE_RETRY_REPEAT_MS; t += 500)
		report(ls, 1, 4, "GETPID", GETPID_LOADING, t);
	expect_lines(2);
	report(ls, 1, 4, "GETPID", GETPID_LOADING, 10000 + KM_LOGSTATE_RETRY_REPEAT_MS);
	expect_lines(3);
	expect_line(2, KM_LOG_WARNING, again);
	km_logstate_destroy(ls);
}

/* Each client has its own episodes: one producer's long retries do not
 * make another's first attempt a warning. */
static void test_getpid_retry_per_client(void **st) {
	km_logstate_t *ls = west_clients(1, 2);

	(void)st;
	for (int64_t t = 0; t <= 20000; t += 500)
		report(ls, 1, 4, "GETPID", GETPID_LOADING, t);
	report(ls, 2, 4, "GETPID", GETPID_LOADING, 20000);
	expect_lines(3); /* 1's info and warning, 2's info */
	assert_int_equal(seen.level[1], KM_LOG_WARNING);
	assert_int_equal(seen.level[2], KM_LOG_INFO);
	assert_non_null(strstr(seen.text[2], names[2]));
	km_logstate_destroy(ls);
}

/* The target's only broker restarts (SIGTERM, start again): six clients
 * lose their connection, fail to reconnect for four seconds, then connect.
 * One warning for the cluster, one info line when it is back. */
static void test_broker_restart(void **st) {
	km_logstate_t *ls = flow_up(0);
	int64_t t = 15000;

	(void)st;
	report(ls, 0, 6, "FAIL",
	       "[thrd:" WEST "/bootstrap]: " WEST "/1: Disconnected (after 15139ms in state UP)",
	       t);
	state(ls, 0, WEST, "DOWN", t);
	report(ls, 0, 3, "ERROR", "[thrd:" WEST "/bootstrap]: 1/1 brokers are down", t);
	for (int i = 1; i < NWEST; i++) {
		report(ls, i, 6, "FAIL",
		       "[thrd:" WEST "/bootstrap]: " WEST
		       "/1: Disconnected (after 15126ms in state UP)",
		       t);
		state(ls, i, WEST, "DOWN", t);
	}
	expect_lines(0);
	for (int i = 0; i < NWEST; i++) {
		state(ls, i, WEST, "TRY_CONNECT", t + 100);
		state(ls, i, WEST, "CONNECT", t + 100);
		report(ls, i, 3, "FAIL",
		       "[thrd:" WEST "/bootstrap]: " WEST "/1: Connect to ipv4#" WEST
		       " failed: Connection refused (after 0ms in state CONNECT)",
		       t + 100);
		state(ls, i, WEST, "DOWN", t + 100);
	}
	expect_lines(1);
	expect_line(0, KM_LOG_WARNING,
	            "cluster west: unreachable: " WEST "/1: Connect to ipv4#" WEST
	            " failed: Connection refused (after 0ms in state CONNECT) "
	            "(kmirror-e2w-target-admin#producer-2); retrying");
	for (int i = 0; i < NWEST; i++)
		report(
		    ls, i, 3, "FAIL",
		    "[thrd:" WEST "/bootstrap]: " WEST "/1: Connect to ipv4#" WEST
		    " failed: Connection refused (after 0ms in state CONNECT, 1 identical error(s) "
		    "suppressed)",
		    t + 400);
	expect_lines(1);
	for (int i = 0; i < NWEST; i++)
		connect_up(ls, i, WEST, t + 4100);
	expect_lines(2);
	expect_line(1, KM_LOG_INFO, "cluster west: reachable again (unreachable for 4.0s)");
	/* the source was never affected */
	report(ls, CONSUMER, 4, "REQTMOUT", "[thrd:" EAST "/1]: " EAST "/1: Timed out 1 in-flight",
	       t + 5000);
	expect_lines(3);
	expect_line(2, KM_LOG_WARNING,
	            "kmirror-e2w-consumer#consumer-8: REQTMOUT: [thrd:" EAST "/1]: " EAST
	            "/1: Timed out 1 in-flight");
	km_logstate_destroy(ls);
}

/* The source's broker is away for half a minute: the consumer's group
 * coordinator and its broker connection and the source admin fail, every
 * 30 seconds again with "N identical error(s) suppressed". */
static void test_source_down_long(void **st) {
	km_logstate_t *ls = flow_up(0);

	(void)st;
	report(ls, CONSUMER, 6, "FAIL",
	       "[thrd:GroupCoordinator]: GroupCoordinator: " EAST
	       ": Disconnected (after 30575ms in state UP)",
	       30000);
	report(ls, CONSUMER, 6, "FAIL",
	       "[thrd:" EAST "/bootstrap]: " EAST "/1: Disconnected (after 31483ms in state UP)",
	       30900);
	state(ls, CONSUMER, EAST, "DOWN", 30900);
	/* the admin's connection is still up: not yet unreachable */
	report(ls, CONSUMER, 3, "FAIL",
	       "[thrd:GroupCoordinator]: GroupCoordinator: " EAST ": Connect to ipv4#" EAST
	       " failed: Connection refused (after 0ms in state CONNECT)",
	       30950);
	expect_lines(0);
	report(ls, SOURCE_ADMIN, 6, "FAIL",
	       "[thrd:" EAST "/bootstrap]: " EAST "/1: Disconnected (after 31493ms in state UP)",
	       31000);
	state(ls, SOURCE_ADMIN, EAST, "DOWN", 31000);
	report(ls, SOURCE_ADMIN, 3, "ERROR", "[thrd:" EAST "/bootstrap]: 1/1 brokers are down",
	       31000);
	expect_lines(0);
	report(ls, SOURCE_ADMIN, 3, "FAIL",
	       "[thrd:" EAST "/bootstrap]: " EAST "/1: Connect to ipv4#" EAST
	       " failed: Connection refused (after 0ms in state CONNECT)",
	       31100);
	expect_lines(1);
	expect_line(0, KM_LOG_WARNING,
	            "cluster east: unreachable: " EAST "/1: Connect to ipv4#" EAST
	            " failed: Connection refused (after 0ms in state CONNECT) "
	            "(kmirror-e2w-source-admin#producer-1); retrying");
	for (int64_t t = 61000; t < 70000; t += 3000) {
		report(ls, SOURCE_ADMIN, 3, "FAIL",
		       "[thrd:" EAST "/bootstrap]: " EAST "/1: Connect to ipv4#" EAST
		       " failed: Connection refused (after 0ms in state CONNECT, 31 identical "
		       "error(s) suppressed)",
		       t);
		report(
		    ls, CONSUMER, 3, "FAIL",
		    "[thrd:GroupCoordinator]: GroupCoordinator: " EAST ": Connect to ipv4#" EAST
		    " failed: Connection refused (after 0ms in state CONNECT, 5 identical error(s) "
		    "suppressed)",
		    t);
	}
	expect_lines(1);
	connect_up(ls, CONSUMER, EAST, 69950);
	connect_up(ls, SOURCE_ADMIN, EAST, 70000);
	expect_lines(2);
	/* counted from the first failed attempt of the broker that went */
	expect_line(1, KM_LOG_INFO, "cluster east: reachable again (unreachable for 39.0s)");
	km_logstate_destroy(ls);
}

/* The broker closes an idle connection (connections.max.idle.ms): no
 * attempt failed, nothing is unreachable, even when it was the client's
 * only connection. */
static void test_idle_disconnect(void **st) {
	km_logstate_t *ls = west_clients(0, 0);

	(void)st;
	connect_up(ls, 0, WEST, 0);
	report(ls, 0, 6, "FAIL",
	       "[thrd:" WEST "/bootstrap]: " WEST "/1: Disconnected (after 600000ms in state UP)",
	       600000);
	state(ls, 0, WEST, "DOWN", 600000);
	report(ls, 0, 3, "ERROR", "[thrd:" WEST "/bootstrap]: 1/1 brokers are down", 600000);
	connect_up(ls, 0, WEST, 900000);
	expect_lines(0);
	assert_int_equal(seen.debug, 2);
	km_logstate_destroy(ls);
}

/* One broker of three goes while the others answer: that broker's own
 * warning and recovery; the cluster stays reachable. */
static void test_one_broker_of_three(void **st) {
	km_logstate_t *ls = km_logstate_new();
	const char *b[] = {"k1:9092", "k2:9092", "k3:9092"};

	(void)st;
	for (int i = 1; i <= 2; i++) {
		assert_int_equal(km_logstate_client_add(ls, client(i), "west"), KM_OK);
		for (int j = 0; j < 3; j++)
			connect_up(ls, i, b[j], 0);
	}
	for (int i = 1; i <= 2; i++) {
		report(ls, i, 6, "FAIL",
		       "[thrd:k2:9092/2]: k2:9092/2: Disconnected (after 9000ms in state UP)",
		       9000);
		state(ls, i, b[1], "DOWN", 9000);
	}
	for (int i = 1; i <= 2; i++) {
		report(
		    ls, i, 3, "FAIL",
		    "[thrd:k2:9092/2]: k2:9092/2: Connect to ipv4#10.0.0.2:9092 failed: Connection "
		    "refused (after 0ms in state CONNECT)",
		    9100 + i);
	}
	expect_lines(1);
	expect_line(
	    0, KM_LOG_WARNING,
	    "cluster west: broker k2:9092 unreachable, the others answer: k2:9092/2: Connect "
	    "to ipv4#10.0.0.2:9092 failed: Connection refused (after 0ms in state CONNECT) "
	    "(kmirror-e2w-producer-1#producer-3); retrying");
	/* then the last answering ones go too: the cluster is unreachable */
	for (int j = 0; j < 3; j += 2)
		for (int i = 1; i <= 2; i++)
			state(ls, i, b[j], "DOWN", 20000);
	report(ls, 1, 3, "FAIL",
	       "[thrd:k1:9092/1]: k1:9092/1: Connect to ipv4#10.0.0.1:9092 failed: Connection "
	       "refused (after 0ms in state CONNECT)",
	       20100);
	expect_lines(2);
	expect_line(1, KM_LOG_WARNING,
	            "cluster west: unreachable: k1:9092/1: Connect to ipv4#10.0.0.1:9092 failed: "
	            "Connection refused (after 0ms in state CONNECT) "
	            "(kmirror-e2w-producer-1#producer-3); retrying");
	connect_up(ls, 1, b[0], 30100);
	expect_lines(3);
	expect_line(2, KM_LOG_INFO, "cluster west: reachable again (unreachable for 10.0s)");
	/* k2 is still away: it says so by itself, once, then comes back */
	report(ls, 2, 3, "FAIL",
	       "[thrd:k2:9092/2]: k2:9092/2: Connect to ipv4#10.0.0.2:9092 failed: Connection "
	       "refused (after 0ms in state CONNECT, 3 identical error(s) suppressed)",
	       31000);
	report(ls, 1, 3, "FAIL",
	       "[thrd:k2:9092/2]: k2:9092/2: Connect to ipv4#10.0.0.2:9092 failed: Connection "
	       "refused (after 0ms in state CONNECT, 3 identical error(s) suppressed)",
	       31001);
	expect_lines(4);
	assert_int_equal(seen.level[3], KM_LOG_WARNING);
	assert_non_null(strstr(seen.text[3], "cluster west: broker k2:9092 unreachable, the others "
	                                     "answer: k2:9092/2: Connect"));
	connect_up(ls, 2, b[1], 43000);
	expect_lines(5);
	expect_line(4, KM_LOG_INFO,
	            "cluster west: broker k2:9092 reachable again (unreachable for 12.0s)");
	km_logstate_destroy(ls);
}

/* A connection that claims to be up (it hangs without a word) does not
 * hide attempts that keep failing for KM_LOGSTATE_GRACE_MS. */
static void test_connection_that_hangs(void **st) {
	km_logstate_t *ls = west_clients(0, 1);
	const char *fail = "[thrd:" WEST "/bootstrap]: " WEST "/1: Connect to ipv4#" WEST
	                   " failed: Connection timed out (after 30000ms in state CONNECT)";

	(void)st;
	connect_up(ls, 0, WEST, 0);
	connect_up(ls, 1, WEST, 0);
	state(ls, 1, WEST, "DOWN", 1000);
	report(ls, 1, 3, "FAIL", fail, 31000);
	report(ls, 1, 3, "FAIL", fail, 31000 + KM_LOGSTATE_GRACE_MS - 1);
	expect_lines(0);
	report(ls, 1, 3, "FAIL", fail, 31000 + KM_LOGSTATE_GRACE_MS);
	expect_lines(1);
	assert_int_equal(seen.level[0], KM_LOG_WARNING);
	assert_non_null(strstr(seen.text[0], "cluster west: unreachable: " WEST "/1: Connect"));
	/* the new connection of the client that failed is the answer */
	connect_up(ls, 1, WEST, 45000);
	expect_lines(2);
	expect_line(1, KM_LOG_INFO, "cluster west: reachable again (unreachable for 14.0s)");
	km_logstate_destroy(ls);
}

/* A cluster that is down when kmirrord starts: warned at the first failed
 * attempt, announced when it answers. A failed handshake counts as a failed
 * attempt: the warning says it once, with its reason. */
static void test_down_at_start_auth(void **st) {
	km_logstate_t *ls = west_clients(1, 1);
	const char *auth = "[thrd:sasl_ssl://" WEST "/bootstrap]: sasl_ssl://" WEST
	                   "/bootstrap: SASL authentication error: Authentication failed during "
	                   "authentication due to invalid credentials with SASL mechanism "
	                   "SCRAM-SHA-512 (after 5ms in state AUTH_REQ)";

	(void)st;
	state(ls, 1, WEST, "INIT", 0);
	state(ls, 1, WEST, "CONNECT", 10);
	state(ls, 1, WEST, "AUTH_REQ", 12);
	report(ls, 1, 3, "FAIL", auth, 15);
	for (int64_t t = 1000; t < 60000; t += 1000)
		report(ls, 1, 3, "FAIL", auth, t);
	expect_lines(1);
	expect_line(0, KM_LOG_WARNING,
	            "cluster west: unreachable: sasl_ssl://" WEST
	            "/bootstrap: SASL authentication error: Authentication failed during "
	            "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 "
	            "(after 5ms in state AUTH_REQ) (kmirror-e2w-producer-1#producer-3); the broker "
	            "refused the user name or password: check sasl.username and sasl.password (and "
	            "sasl.mechanisms); retrying");
	/* while it is unreachable, the PID retries are its consequence */
	for (int64_t t = 0; t <= 30000; t += 500)
		report(ls, 1, 4, "GETPID", GETPID_LOADING, 1000 + t);
	expect_lines(2);
	assert_int_equal(seen.level[1], KM_LOG_INFO);
	km_logstate_destroy(ls);
}

/* A client that goes (a flow stopped or reloaded) takes its connections
 * with it: the others alone say whether the cluster answers. What it
 * reports while it is being destroyed is its own closing. */
static void test_client_removed(void **st) {
	km_logstate_t *ls = west_clients(0, 1);
	km_logline_t l;

	(void)st;
	connect_up(ls, 0, WEST, 0);
	km_logstate_client_remove(ls, client(0), 100);
	/* its connections, torn down by its destruction: debug, and they do
	 * not count (seen: a consumer closed while its coordinator connection
	 * was still authenticating) */
	state(ls, 0, WEST, "DOWN", 110);
	report(ls, 0, 3, "FAIL",
	       "[thrd:GroupCoordinator]: GroupCoordinator: SASL authentication error: "
	       "SaslAuthenticateRequest failed: Local: Broker transport failure (after 0ms in "
	       "state DOWN)",
	       120);
	expect_lines(0);
	assert_int_equal(seen.debug, 1);
	/* anything else of it passes through at its level */
	report(ls, 0, 4, "CONFWARN", "[thrd:app]: late", 130);
	expect_lines(1);
	expect_line(0, KM_LOG_WARNING,
	            "kmirror-e2w-target-admin#producer-2: CONFWARN: [thrd:app]: late");
	seen_clear();
	report(ls, 1, 3, "FAIL",
	       "[thrd:" WEST "/bootstrap]: " WEST "/1: Connect to ipv4#" WEST
	       " failed: Connection refused (after 0ms in state CONNECT)",
	       200);
	expect_lines(1);
	assert_non_null(strstr(seen.text[0], "cluster west: unreachable: "));
	seen_clear();
	/* a new client at the closed one's address is followed afresh */
	assert_int_equal(km_logstate_client_add(ls, client(0), "west"), KM_OK);
	connect_up(ls, 0, WEST, 250);
	expect_lines(1);
	assert_non_null(strstr(seen.text[0], "cluster west: reachable again"));
	seen_clear();
	km_logstate_client_remove(ls, client(1), 300);
	km_logstate_client_remove(ls, client(1), 300);
	/* KM_LOGSTATE_CLOSING_MS later, closed clients are forgotten: a late
	 * report of one passes through at its level */
	km_logstate_client_remove(ls, client(0), 300 + KM_LOGSTATE_CLOSING_MS);
	km_logstate_log(ls, client(1), names[1], 3, "FAIL", "[thrd:main]: late",
	                400 + KM_LOGSTATE_CLOSING_MS, &l);
	assert_int_equal(l.level, KM_LOG_ERR);
	free(l.text);
	/* ...while the one closed just now is not */
	km_logstate_log(ls, client(0), names[0], 3, "FAIL", "[thrd:main]: late",
	                400 + KM_LOGSTATE_CLOSING_MS, &l);
	assert_int_equal(l.level, KM_LOG_DEBUG);
	free(l.text);
	km_logstate_destroy(ls);
}

/* Reports of a client it does not know, and those that are no state's
 * business, pass through at their level. */
static void test_pass_through(void **st) {
	km_logstate_t *ls = km_logstate_new();
	km_logline_t l;

	(void)st;
	km_logstate_log(ls, client(3), names[3], 3, "FAIL", "k1:9092/1: Connect failed", 0, &l);
	assert_int_equal(l.level, KM_LOG_ERR);
	assert_string_equal(l.text,
	                    "kmirror-e2w-producer-3#producer-5: FAIL: k1:9092/1: Connect failed");
	free(l.text);
	assert_int_equal(km_logstate_client_add(ls, client(3), "west"), KM_OK);
	km_logstate_log(ls, client(3), names[3], 5, "CONFWARN", "[thrd:app]: x", 0, &l);
	assert_int_equal(l.level, KM_LOG_INFO);
	assert_string_equal(l.text, "kmirror-e2w-producer-3#producer-5: CONFWARN: [thrd:app]: x");
	free(l.text);
	km_logstate_log(ls, client(3), names[3], 7, "FAIL", "k1:9092/1: debug", 0, &l);
	assert_int_equal(l.level, KM_LOG_DEBUG);
	free(l.text);
	/* a FAIL line that names no broker */
	km_logstate_log(ls, client(3), names[3], 3, "FAIL", "[thrd:main]: something", 0, &l);
	assert_int_equal(l.level, KM_LOG_INFO);
	assert_string_equal(l.text,
	                    "kmirror-e2w-producer-3#producer-5: FAIL: [thrd:main]: something");
	free(l.text);
	/* a client forgotten at once (its states could not be followed) */
	connect_up(ls, 3, WEST, 0);
	km_logstate_client_forget(ls, client(3));
	km_logstate_client_forget(ls, client(3));
	km_logstate_log(ls, client(3), names[3], 3, "FAIL", "[thrd:main]: something", 0, &l);
	assert_int_equal(l.level, KM_LOG_ERR);
	free(l.text);
	assert_int_equal(km_logstate_client_add(ls, client(2), "west"), KM_OK);
	report(ls, 2, 3, "FAIL",
	       "[thrd:" WEST "/bootstrap]: " WEST "/1: Connect to ipv4#" WEST
	       " failed: Connection refused (after 0ms in state CONNECT)",
	       10);
	expect_lines(1); /* its connection that was up no longer counts */
	assert_non_null(strstr(seen.text[0], "cluster west: unreachable: "));
	seen_clear();
	/* without a state at all (it could not be made) */
	km_logstate_log(NULL, client(3), names[3], 4, "GETPID", GETPID_LOADING, 0, &l);
	assert_int_equal(l.level, KM_LOG_WARNING);
	free(l.text);
	assert_int_equal(km_logstate_client_add(NULL, client(3), "west"), KM_ERR_INVALID);
	km_logstate_broker(NULL, client(3), WEST, "UP", 0, &l);
	assert_null(l.text);
	km_logstate_destroy(ls);
}

/* The error callback's twins of FAIL lines are debug lines; other errors
 * are warnings. */
/* A connection that TLS or SASL refuses: the one warning says what to
 * check, in kmirror's settings. */
static void test_tls_hints(void **st) {
	static const struct {
		const char *said, *check;
	} cases[] = {
	    {"Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert "
	     "number 42 (after 23ms in state APIVERSION_QUERY)",
	     "; the broker refused the client certificate: check that ssl.certificate.location and "
	     "ssl.key.location name a certificate signed by a CA the broker trusts; retrying"},
	    {"Receive failed: error:0A000416:SSL routines::sslv3 alert certificate unknown: SSL "
	     "alert number 46 (after 48ms in state APIVERSION_QUERY)",
	     "; the broker refused the client certificate: check that ssl.certificate.location "
	     "names a certificate that has not expired and is signed by a CA the broker trusts; "
	     "retrying"},
	    {"SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker "
	     "certificate could not be verified (after 18ms in state SSL_HANDSHAKE)",
	     "; the broker's certificate is not trusted: check that ssl.ca.location names the CA "
	     "that signed it, and that it has not expired; retrying"},
	    {"SASL authentication error: Authentication failed during authentication due to "
	     "invalid credentials with SASL mechanism SCRAM-SHA-512 (after 3ms in state "
	     "AUTH_REQ)",
	     "; the broker refused the user name or password: check sasl.username and "
	     "sasl.password (and sasl.mechanisms); retrying"},
	    {"Connect to ipv4#10.0.0.1:9092 failed: Connection refused (after 0ms in state "
	     "CONNECT)",
	     ") (kmirror-e2w-consumer#consumer-8); retrying"},
	};

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		km_logstate_t *ls = west_clients(CONSUMER, CONSUMER);
		char msg[512];
		size_t n, c;

		seen_clear();
		snprintf(msg, sizeof(msg), "[thrd:" WEST "/bootstrap]: " WEST "/1: %s",
		         cases[i].said);
		state(ls, CONSUMER, WEST, "TRY_CONNECT", 1000);
		report(ls, CONSUMER, 3, "FAIL", msg, 1000);
		/* librdkafka tries again: nothing more above debug */
		report(ls, CONSUMER, 3, "FAIL", msg, 2000);
		report(ls, CONSUMER, 3, "FAIL", msg, 3000);
		expect_lines(1);
		assert_int_equal(seen.level[0], KM_LOG_WARNING);
		assert_non_null(strstr(seen.text[0], "cluster west: unreachable: "));
		assert_non_null(strstr(seen.text[0], cases[i].said));
		n = strlen(seen.text[0]);
		c = strlen(cases[i].check);
		if (n < c || strcmp(seen.text[0] + n - c, cases[i].check))
			fail_msg("'%s' does not end with '%s'", seen.text[0], cases[i].check);
		km_logstate_destroy(ls);
	}
	seen_clear();
}

static void test_errors(void **st) {
	km_logline_t l;

	(void)st;
	km_logstate_error(RD_KAFKA_RESP_ERR__TRANSPORT,
	                  WEST "/1: Disconnected (after 15146ms in state UP)", "e2w", names[1], &l);
	assert_int_equal(l.level, KM_LOG_DEBUG);
	assert_string_equal(l.text, "flow e2w: kmirror-e2w-producer-1#producer-3: " WEST
	                            "/1: Disconnected (after 15146ms in state UP)");
	free(l.text);
	km_logstate_error(RD_KAFKA_RESP_ERR__TRANSPORT,
	                  "GroupCoordinator: " EAST ": Connect to ipv4#" EAST
	                  " failed: Connection refused (after 0ms in state CONNECT)",
	                  "e2w", names[CONSUMER], &l);
	assert_int_equal(l.level, KM_LOG_DEBUG);
	free(l.text);
	km_logstate_error(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "1/1 brokers are down", "e2w",
	                  names[1], &l);
	assert_int_equal(l.level, KM_LOG_DEBUG);
	free(l.text);
	/* the same code without a broker: not a connection report */
	km_logstate_error(RD_KAFKA_RESP_ERR__TRANSPORT, "Local: Broker transport failure", "e2w",
	                  names[1], &l);
	assert_int_equal(l.level, KM_LOG_WARNING);
	free(l.text);
	km_logstate_error(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
	                  "Broker: Topic authorization failed", "e2w", names[1], &l);
	assert_int_equal(l.level, KM_LOG_WARNING);
	assert_string_equal(l.text, "flow e2w: kmirror-e2w-producer-1#producer-3: Broker: Topic "
	                            "authorization failed");
	free(l.text);
}

static void test_duration(void **st) {
	char buf[32];
	const struct {
		int64_t ms;
		const char *text;
	} cases[] = {{-5, "0ms"},        {0, "0ms"},         {999, "999ms"},
	             {1000, "1.0s"},     {4049, "4.0s"},     {59999, "60.0s"},
	             {60000, "1m00s"},   {192000, "3m12s"},  {3599999, "59m59s"},
	             {3600000, "1h00m"}, {7500000, "2h05m"}, {90000000, "25h00m"}};

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		km_logstate_duration(buf, sizeof(buf), cases[i].ms);
		assert_string_equal(buf, cases[i].text);
	}
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_getpid_retry_at_start, teardown),
	    cmocka_unit_test_teardown(test_getpid_retry_lasts, teardown),
	    cmocka_unit_test_teardown(test_getpid_retry_per_client, teardown),
	    cmocka_unit_test_teardown(test_broker_restart, teardown),
	    cmocka_unit_test_teardown(test_source_down_long, teardown),
	    cmocka_unit_test_teardown(test_idle_disconnect, teardown),
	    cmocka_unit_test_teardown(test_one_broker_of_three, teardown),
	    cmocka_unit_test_teardown(test_connection_that_hangs, teardown),
	    cmocka_unit_test_teardown(test_down_at_start_auth, teardown),
	    cmocka_unit_test_teardown(test_client_removed, teardown),
	    cmocka_unit_test(test_pass_through),
	    cmocka_unit_test(test_tls_hints),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_duration),
	};
	return cmocka_run_group_tests_name("logstate", tests, NULL, NULL);
}
