/* kmirrord against clusters reached over SASL_SSL with SCRAM-SHA-512, the
 * test bed's --sasl listeners and its CA: an exact copy with both clusters
 * authenticated; wrong credentials said plainly, and copying once a reload
 * brings the right ones; and a producer rebuild that cannot make its
 * producers (their CA file gone) tried again with a growing backoff until
 * the file is back, losing nothing. test_tls_mtls.c adds mutual TLS,
 * refused certificates and the secrets, in the same program.
 *
 * It needs a bed started with --sasl --mtls: under make check-kafka's
 * shared bed it runs itself again under a bed of its own
 * (ktest_require_sasl_testbed); by hand: tests/kafka/with-testbed --sasl
 * --mtls a b -- build/tests/kafka/test_tls.
 * Records are produced and read back over the bed's PLAINTEXT listeners;
 * only kmirrord uses the SASL_SSL ones. Every wait is on a condition with a
 * deadline. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ktest.h"
#include "test_tls.h"

#define COPY_TIMEOUT_MS 180000

/* The test bed's SCRAM users (tests/kafka/testbed). */
#define SUPER_USER     "kmirror"
#define SUPER_PASSWORD "kmirror-secret"
#define USER           "alice"
#define USER_PASSWORD  "alice-secret"

static const char *bed_ca(void) {
	const char *ca = getenv("KM_TESTBED_CA");

	if (!ca || !*ca)
		fail_msg("KM_TESTBED_CA is not set: run under tests/kafka/with-testbed --sasl");
	return ca;
}

void tls_add_cluster(char *buf, size_t size, const char *alias, const char *bed,
                     const char *listener, const char *props) {
	size_t len = strlen(buf);
	char var[32];

	snprintf(var, sizeof(var), "%s_%s", bed, listener);
	if (!len)
		len += (size_t)snprintf(buf, size, "clusters:\n");
	snprintf(buf + len, size - len,
	         "  %s:\n"
	         "    kafka:\n"
	         "      bootstrap.servers: %s\n"
	         "%s",
	         alias, ktest_bootstrap(var), props);
	if (strlen(buf) + 1 >= size)
		fail_msg("the clusters section does not fit %zu bytes", size);
}

void tls_add_sasl_cluster(char *buf, size_t size, const char *alias, const char *bed,
                          const char *user, const char *password) {
	char props[1024];

	snprintf(props, sizeof(props),
	         "      security.protocol: SASL_SSL\n"
	         "      sasl.mechanisms: SCRAM-SHA-512\n"
	         "      sasl.username: %s\n"
	         "      sasl.password: %s\n"
	         "      ssl.ca.location: %s\n",
	         user, password, bed_ca());
	tls_add_cluster(buf, size, alias, bed, "sasl", props);
}

/* Cluster a as the ordinary user, b as the super user: the two SCRAM users
 * of the bed, each on its side. */
static void both_clusters(char *buf, size_t size) {
	buf[0] = '\0';
	tls_add_sasl_cluster(buf, size, "a", "a", USER, USER_PASSWORD);
	tls_add_sasl_cluster(buf, size, "b", "b", SUPER_USER, SUPER_PASSWORD);
}

/* Clusters a and b as both_clusters, and a_cred and b_cred: the same two
 * with passwords @p a_password and @p b_password. */
static void cred_clusters(char *buf, size_t size, const char *a_password, const char *b_password) {
	both_clusters(buf, size);
	tls_add_sasl_cluster(buf, size, "a_cred", "a", USER, a_password);
	tls_add_sasl_cluster(buf, size, "b_cred", "b", SUPER_USER, b_password);
}

static void flow_yaml(char *buf, size_t size, const char *flow, const char *source,
                      const char *target, const char *topic, const char *extra) {
	size_t len = strlen(buf);

	snprintf(buf + len, size - len,
	         "%s"
	         "  - name: %s\n"
	         "    source: %s\n"
	         "    target: %s\n"
	         "    refresh.topics.interval: 500ms\n"
	         "    topics:\n"
	         "      include: ['%s']\n"
	         "    heartbeats.replication.enabled: false\n" /* its topic alone */
	         "%s",
	         len ? "" : "flows:\n", flow, source, target, topic, extra ? extra : "");
}

/* 20,000 varied records over 3 partitions, both clusters over SASL_SSL:
 * they arrive equal, in order, and nothing complains on the way. */
static void test_sasl_exact_copy(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], mirror[160], clusters[4096], yaml[1024] = "";
	rd_kafka_t *admin = ktest_producer("a", NULL);

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "tls");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(admin, topic, 3, NULL);
	ktest_produce_varied(topic, 3, 0, 20000, "t");
	both_clusters(clusters, sizeof(clusters));
	flow_yaml(yaml, sizeof(yaml), topic, "a", "b", topic, "    producer.connections: 2\n");
	ktest_daemon_config_clusters(d, clusters, yaml);
	tls_assert_clean_copy(d, admin, topic, mirror, 3, 20000);
	ktest_destroy(admin);
}

/* Lines of the log above debug that contain @p text, each shown as a TAP
 * comment. A client being closed (a flow's progress or checkpoint reader,
 * once read) may tear down a connection still authenticating; that says
 * "SASL authentication error: ... Broker transport failure" at debug, by
 * design, and is no refusal. */
static int above_debug(ktest_daemon_t *d, const char *text) {
	static const char *const levels[] = {"err", "warning", "notice", "info"};
	int n = 0;

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		n += ktest_log_lines(d, levels[i], text);
	return n;
}

void tls_assert_clean_copy(ktest_daemon_t *d, rd_kafka_t *admin, const char *topic,
                           const char *mirror, int partitions, int n) {
	ktest_daemon_start(d, NULL);
	ktest_status_wait_caught_up(d, topic, admin, topic, partitions, COPY_TIMEOUT_MS);
	ktest_status_wait(d, topic, "records", n, COPY_TIMEOUT_MS);
	ktest_status_wait_text(d, topic, "\"last_error\":\"\"", COPY_TIMEOUT_MS);
	assert_int_equal(ktest_daemon_stop(d, SIGTERM, 60000), 0);
	/* no complaint about TLS, SASL or a cluster, even in librdkafka's own
	 * words at debug */
	assert_int_equal(ktest_log_lines(d, "err", ""), 0);
	assert_int_equal(ktest_log_lines(d, "warning", "cluster "), 0);
	assert_int_equal(ktest_log_lines(d, "warning", "SSL"), 0);
	assert_int_equal(ktest_log_lines(d, "warning", "SASL"), 0);
	assert_int_equal(above_debug(d, "SASL authentication error"), 0);
	assert_int_equal(above_debug(d, "SSL handshake failed"), 0);
	ktest_assert_exact_copy(topic, mirror, partitions, (size_t)n);
}

#define INVALID_CREDENTIALS                                                                        \
	"SASL authentication error: Authentication failed during authentication due to invalid "   \
	"credentials with SASL mechanism SCRAM-SHA-512"

/* Lines of the log that hold both @p client (a client's name) and the
 * broker's refusal of the credentials. */
static int refusals(ktest_daemon_t *d, const char *client) {
	char *log = ktest_log_text(d), *line = log, *nl;
	int n = 0;

	for (; line && *line; line = nl ? nl + 1 : NULL) {
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		n += strstr(line, client) && strstr(line, INVALID_CREDENTIALS);
	}
	free(log);
	return n;
}

/* Waits until client @p client of flow @p flow ("consumer", "producer-1")
 * was refused @p min times: librdkafka tries again by itself. */
static void wait_refusals(ktest_daemon_t *d, const char *flow, const char *client, int min,
                          int timeout_ms) {
	int64_t deadline = ktest_now_ms() + timeout_ms;
	char name[256];

	snprintf(name, sizeof(name), "kmirror-%s-%s#", flow, client);
	while (refusals(d, name) < min) {
		if (ktest_now_ms() > deadline)
			fail_msg("%s was refused %d times, not %d, in %d ms", name,
			         refusals(d, name), min, timeout_ms);
		ktest_daemon_alive(d);
		ktest_pause();
	}
}

/* A wrong password, for the source of one flow and the target of another:
 * each cluster says once, at warning, that it refuses the credentials, and
 * the flow's last_error says the same, however often librdkafka tries
 * again; nothing is copied and kmirrord keeps running. The right password
 * and a restart are all it takes to copy everything. */
static void test_wrong_credentials(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char src_topic[128], dst_topic[128], src_mirror[160], dst_mirror[160];
	char clusters[4096], yaml[2048] = "";
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	size_t refused;
	char *st;

	(void)state;
	ktest_topic_name(src_topic, sizeof(src_topic), "badsrc");
	ktest_topic_name(dst_topic, sizeof(dst_topic), "baddst");
	/* the prefix policy names mirror topics after the source's alias */
	snprintf(src_mirror, sizeof(src_mirror), "a_cred.%s", src_topic);
	snprintf(dst_mirror, sizeof(dst_mirror), "a.%s", dst_topic);
	ktest_create_topic(admin, src_topic, 2, NULL);
	ktest_create_topic(admin, dst_topic, 2, NULL);
	ktest_produce_varied(src_topic, 2, 0, 1000, "s");
	ktest_produce_varied(dst_topic, 2, 0, 1000, "d");
	/* a_cred and b_cred: the bed's a and b, with a wrong password */
	cred_clusters(clusters, sizeof(clusters), "not-" USER_PASSWORD, "not-" SUPER_PASSWORD);
	flow_yaml(yaml, sizeof(yaml), src_topic, "a_cred", "b", src_topic, NULL);
	flow_yaml(yaml, sizeof(yaml), dst_topic, "a", "b_cred", dst_topic, NULL);
	ktest_daemon_config_clusters(d, clusters, yaml);
	ktest_daemon_start(d, NULL);

	ktest_status_wait_text(d, src_topic, INVALID_CREDENTIALS, COPY_TIMEOUT_MS);
	ktest_status_wait_text(d, dst_topic, INVALID_CREDENTIALS, COPY_TIMEOUT_MS);
	/* librdkafka tried again and again (each attempt is a debug line) */
	wait_refusals(d, src_topic, "consumer", 3, COPY_TIMEOUT_MS);
	wait_refusals(d, dst_topic, "producer-1", 3, COPY_TIMEOUT_MS);
	assert_true(ktest_daemon_alive(d));
	/* one warning per cluster, naming it and the broker's answer */
	assert_int_equal(ktest_log_lines(d, "warning", "cluster a_cred: unreachable: "), 1);
	assert_int_equal(ktest_log_lines(d, "warning", "cluster b_cred: unreachable: "), 1);
	assert_int_equal(ktest_log_lines(d, "warning", INVALID_CREDENTIALS), 2);
	assert_int_equal(ktest_log_lines(d, "err", INVALID_CREDENTIALS), 0);
	/* the clusters whose credentials are right are never said to fail */
	assert_int_equal(ktest_log_lines(d, "warning", "cluster a: "), 0);
	assert_int_equal(ktest_log_lines(d, "warning", "cluster b: "), 0);
	assert_int_equal(ktest_status_wait(d, src_topic, "records", 0, 1000), 0);
	assert_int_equal(ktest_status_wait(d, dst_topic, "records", 0, 1000), 0);
	st = ktest_status_flow(d, src_topic);
	ktest_note("while the source refuses the password: %s", st);
	free(st);
	st = ktest_status_flow(d, dst_topic);
	ktest_note("while the target refuses the password: %s", st);
	free(st);
	assert_int_equal(ktest_partitions(badmin, src_mirror), -1);
	assert_int_equal(ktest_partitions(badmin, dst_mirror), -1);

	/* the operator fixes the passwords and restarts kmirrord (the stop
	 * waits for the admin requests that the refusals left unanswered) */
	assert_int_equal(ktest_daemon_stop(d, SIGTERM, COPY_TIMEOUT_MS), 0);
	refused = ktest_log_count(d, INVALID_CREDENTIALS);
	cred_clusters(d->clusters, sizeof(d->clusters), USER_PASSWORD, SUPER_PASSWORD);
	ktest_daemon_rewrite(d, yaml);
	ktest_daemon_start(d, NULL);
	ktest_status_wait_caught_up(d, src_topic, admin, src_topic, 2, COPY_TIMEOUT_MS);
	ktest_status_wait_caught_up(d, dst_topic, admin, dst_topic, 2, COPY_TIMEOUT_MS);
	ktest_status_wait_text(d, src_topic, "\"last_error\":\"\"", COPY_TIMEOUT_MS);
	ktest_status_wait_text(d, dst_topic, "\"last_error\":\"\"", COPY_TIMEOUT_MS);
	assert_int_equal(ktest_daemon_stop(d, SIGTERM, 60000), 0);
	/* nothing was refused this time (the log goes on from the first run) */
	assert_int_equal(ktest_log_count(d, INVALID_CREDENTIALS), refused);
	ktest_assert_exact_copy(src_topic, src_mirror, 2, 1000);
	ktest_assert_exact_copy(dst_topic, dst_mirror, 2, 1000);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

/* Milliseconds since the epoch of log line @p line ("2026-01-02T03:04:05.678Z
 * ..."); -1 if it has no such time. */
static int64_t line_time(const char *line) {
	struct tm tm;
	int ms;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(line, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* The failed attempts to make new producers, from the log: when each was
 * (@p at, ms since the epoch, in attempt order) and the retry delay it
 * announced (@p delay_s). Returns how many lines there are; fails if
 * their attempt numbers are not 1, 2, 3, ... */
static int rebuild_failures(ktest_daemon_t *d, const char *flow, int64_t *at, int *delay_s,
                            int max) {
	char *log = ktest_log_text(d), *line = log, *nl, head[256];
	int n = 0;

	snprintf(head, sizeof(head), "flow %s: cannot make a new producer (attempt ", flow);
	for (; line && *line; line = nl ? nl + 1 : NULL) {
		const char *p, *again;
		int attempt;

		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		if (!(p = strstr(line, head)))
			continue;
		if (n == max)
			fail_msg("more than %d failed attempts to make a producer", max);
		attempt = atoi(p + strlen(head));
		if (attempt != n + 1)
			fail_msg("attempt %d logged as number %d: %s", n + 1, attempt, line);
		if (!(again = strstr(p, "; trying again in ")))
			fail_msg("the line does not say when it tries again: %s", line);
		at[n] = line_time(line);
		delay_s[n] = atoi(again + strlen("; trying again in "));
		ktest_note("%s", line);
		n++;
	}
	free(log);
	return n;
}

static void copy_file(const char *from, const char *to) {
	char tmp[600], buf[8192];
	FILE *in = fopen(from, "rb"), *out;
	size_t n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", to);
	assert_non_null(in);
	assert_non_null(out = fopen(tmp, "wb"));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	/* whole or not at all for the daemon's next attempt */
	assert_int_equal(rename(tmp, to), 0);
}

/* Waits until the log holds @p text, kmirrord running all along. */
static void wait_log_alive(ktest_daemon_t *d, const char *text) {
	int64_t deadline = ktest_now_ms() + COPY_TIMEOUT_MS;

	while (!ktest_log_contains(d, text)) {
		ktest_daemon_alive(d);
		if (ktest_now_ms() > deadline)
			fail_msg("the log never said \"%s\" within %d ms", text, COPY_TIMEOUT_MS);
		ktest_pause();
	}
}

/* Whether kmirrord survives a client that librdkafka refuses to make: a
 * flow whose producers' CA file holds no certificate, at start (one that
 * does not exist is refused with the configuration). Destroying the
 * conf that rd_kafka_new refused would free its interceptors (kmirror's
 * on_new, km_kafka_conf) a second time: librdkafka 2.0.2 has freed them
 * already (librdkafka issue #4142), a segmentation fault or a sanitizer's
 * report; core/kafka.c km_kafka_new keeps such confs instead. Sanitizer
 * reports go to the daemon's log here, where this looks for them. */
static int survives_refused_client(ktest_daemon_t *d) {
	char clusters[4096], yaml[1024] = "", env[1024], ca[400], extra[512];
	const char *tsan = getenv("TSAN_OPTIONS");
	int64_t deadline;
	FILE *fp;
	int st;

	both_clusters(clusters, sizeof(clusters));
	ktest_daemon_config_clusters(d, clusters, "");
	snprintf(ca, sizeof(ca), "%.*s/not-a-ca.pem", (int)sizeof(d->dir), d->dir);
	assert_non_null(fp = fopen(ca, "w"));
	fputs("not a certificate\n", fp);
	assert_int_equal(fclose(fp), 0);
	snprintf(extra, sizeof(extra), "    producer:\n      ssl.ca.location: %s\n", ca);
	flow_yaml(yaml, sizeof(yaml), "refused", "a", "b", "refused-nothing", extra);
	ktest_daemon_rewrite(d, yaml);
	snprintf(env, sizeof(env), "TSAN_OPTIONS=%s log_path=stderr", tsan ? tsan : "");
	ktest_daemon_start(d, env);
	/* it stops, saying why it cannot start the flow, or it crashes */
	deadline = ktest_now_ms() + 60000;
	while ((st = ktest_daemon_exited(d)) < 0 && ktest_now_ms() < deadline)
		ktest_pause();
	if (st < 0) { /* still running: it survived the refusal */
		ktest_daemon_stop(d, SIGKILL, 10000);
		st = 0;
	}
	ktest_note(
	    "kmirrord with a CA file that holds no certificate: exit status %d (128+N: signal "
	    "N)%s",
	    st, ktest_log_contains(d, "Sanitizer") ? ", a sanitizer's report" : "");
	return st < 128 && !ktest_log_contains(d, "Sanitizer");
}

#define FATAL_AFTER    1500
#define FIRST_RECORDS  1000
#define SECOND_RECORDS 2000
#define REBUILD_BOUND  5000

/* The target's producers trust a copy of the CA, which goes away while
 * they copy; then a fatal producer error (KMIRROR_TEST_FATAL_AFTER) makes
 * the flow build new producers, which librdkafka refuses without their CA
 * file. kmirrord keeps running, its status says "rebuilding" and why, and it
 * tries again after 1 s, 2 s, 4 s, ... (one line per attempt). With the
 * file back the next attempt makes them, copying resumes from the
 * acknowledged progress, the error clears and every record is on the
 * target, in order, equal to its source (duplicates bounded by the records
 * in flight). */
static void test_rebuild_retried(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], mirror[160], clusters[4096], yaml[1024] = "", extra[512], ca[400];
	char want[600], env[64], *st;
	rd_kafka_t *admin = ktest_producer("a", NULL);
	int64_t at[16];
	int delay_s[16], n;
	size_t dups = 0;

	(void)state;
	/* a client librdkafka refuses (librdkafka issue #4142: its
	 * configuration must not be freed, core/kafka.c km_kafka_new) */
	if (!survives_refused_client(d))
		fail_msg("kmirrord crashed, or a sanitizer reported, on a client librdkafka "
		         "refused (see the note above and the daemon's log)");
	ktest_daemon_cleanup(d);
	ktest_topic_name(topic, sizeof(topic), "rebuild");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(admin, topic, 2, NULL);
	ktest_produce_plain(topic, 2, 0, FIRST_RECORDS);
	both_clusters(clusters, sizeof(clusters));
	/* the copy lives in the daemon's directory, made with its config (the
	 * flows are written below, once the copy's path is known) */
	ktest_daemon_config_clusters(d, clusters, "");
	snprintf(ca, sizeof(ca), "%.*s/ca-copy.pem", (int)sizeof(d->dir), d->dir);
	copy_file(bed_ca(), ca);
	snprintf(extra, sizeof(extra),
	         "    max.inflight.records: %d\n"
	         "    producer.connections: 2\n"
	         "    producer:\n"
	         "      ssl.ca.location: %s\n",
	         REBUILD_BOUND, ca);
	flow_yaml(yaml, sizeof(yaml), topic, "a", "b", topic, extra);
	ktest_daemon_rewrite(d, yaml);
	snprintf(env, sizeof(env), "KMIRROR_TEST_FATAL_AFTER=%d", FATAL_AFTER);
	ktest_daemon_start(d, env);

	/* copying has begun, with fewer records than the fatal error needs */
	ktest_status_wait_caught_up(d, topic, admin, topic, 2, COPY_TIMEOUT_MS);
	assert_int_equal(ktest_status_wait(d, topic, "records", FIRST_RECORDS, 1000),
	                 FIRST_RECORDS);
	assert_int_equal(unlink(ca), 0);
	ktest_produce_plain(topic, 2, FIRST_RECORDS, SECOND_RECORDS);

	wait_log_alive(d, "KMIRROR_TEST_FATAL_AFTER: raising a fatal producer error");
	/* three attempts: 1 s, then 2 s apart */
	snprintf(want, sizeof(want), "flow %s: cannot make a new producer (attempt 3)", topic);
	wait_log_alive(d, want);
	ktest_status_wait_text(d, topic, "\"data_state\":\"rebuilding\"", COPY_TIMEOUT_MS);
	ktest_status_wait_text(d, topic,
	                       "\"last_error\":\"cannot make a new producer: ", COPY_TIMEOUT_MS);
	assert_true(ktest_daemon_alive(d));
	st = ktest_status_flow(d, topic);
	ktest_note("while the CA file is gone: %s", st);
	assert_non_null(strstr(st, "\"data_state\":\"rebuilding\""));
	assert_non_null(strstr(st, "\"producer_rebuilds\":0"));
	/* what failed: the CA file librdkafka could not load */
	if (!strstr(st, "ssl.ca.location"))
		fail_msg("last_error does not name the failure: %s", st);
	free(st);
	n = rebuild_failures(d, topic, at, delay_s, 16);
	assert_true(n >= 3);
	for (int i = 0; i < n; i++) {
		/* 1 s, then doubled */
		assert_int_equal(delay_s[i], 1 << i);
		if (i && at[i] - at[i - 1] < (int64_t)delay_s[i - 1] * 1000 - 50)
			fail_msg("attempt %d came %lld ms after attempt %d, not %d s", i + 1,
			         (long long)(at[i] - at[i - 1]), i, delay_s[i - 1]);
	}
	assert_int_equal(ktest_log_count(d, "cannot make a new producer (attempt "), (size_t)n);

	/* the file is back: the next attempt makes the producers */
	copy_file(bed_ca(), ca);
	ktest_status_wait(d, topic, "producer_rebuilds", 1, COPY_TIMEOUT_MS);
	ktest_status_wait_text(d, topic, "\"data_state\":\"running\"", COPY_TIMEOUT_MS);
	snprintf(want, sizeof(want), "flow %s: the new producer was made after ", topic);
	ktest_log_wait(d, want, COPY_TIMEOUT_MS);
	ktest_status_wait_caught_up(d, topic, admin, topic, 2, COPY_TIMEOUT_MS);
	ktest_status_wait_text(d, topic, "\"last_error\":\"\"", COPY_TIMEOUT_MS);
	assert_int_equal(ktest_daemon_stop(d, SIGTERM, 60000), 0);
	for (int p = 0; p < 2; p++)
		dups += ktest_check_at_least_once(topic, mirror, p, REBUILD_BOUND);
	ktest_note("rebuild: %d failed attempts, %zu duplicates after it", n, dups);
	ktest_destroy(admin);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_sasl_exact_copy, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_wrong_credentials, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_rebuild_retried, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_mtls_exact_copy, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_certificates_refused, ktest_daemon_teardown),
	    cmocka_unit_test_teardown(test_secrets_never_shown, ktest_daemon_teardown),
	};
	int failed;

	ktest_require_sasl_testbed();
	if (getenv("KTEST_ONLY")) /* e.g. KTEST_ONLY='*rebuild*' */
		cmocka_set_test_filter(getenv("KTEST_ONLY"));
	ktest_tap_begin();
	failed = cmocka_run_group_tests_name("tls", tests, NULL, NULL);
	ktest_tap_end();
	return failed;
}
