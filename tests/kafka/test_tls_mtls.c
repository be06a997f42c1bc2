/* Part of test_tls (the same program and bed, see test_tls.c): kmirrord
 * over the test bed's --mtls listeners (SSL with client certificates),
 * certificates the brokers or kmirrord refuse, and the secrets of a
 * configuration looked for everywhere kmirrord writes or answers.
 *
 * The bed's certificates are in KM_TESTBED_CERTS (tests/kafka/testbed:
 * client.crt/client.key, client-enc.key with its password in
 * client-key.password, expired.crt/.key, other-ca.pem and other.crt/.key
 * of a CA the brokers do not know). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_get.h"
#include "ktest.h"
#include "test_tls.h"

#define COPY_TIMEOUT_MS 180000
#define NO_HEARTBEATS   "    heartbeats.replication.enabled: false\n"

static const char *certs(void) {
	const char *c = getenv("KM_TESTBED_CERTS");

	if (!c || !*c)
		fail_msg("KM_TESTBED_CERTS is not set: run under tests/kafka/with-testbed --sasl "
		         "--mtls");
	return c;
}

/* Appends to @p buf (a `clusters:` section, "" to start one) cluster
 * @p alias: test-bed cluster @p bed over its MTLS listener with the bed's
 * certificate files @p cert and @p key, trusting CA file @p ca (names in
 * KM_TESTBED_CERTS), then @p extra (more properties, indented 6). */
static void add_mtls_cluster(char *buf, size_t size, const char *alias, const char *bed,
                             const char *cert, const char *key, const char *ca, const char *extra) {
	char props[2048];

	snprintf(props, sizeof(props),
	         "      security.protocol: SSL\n"
	         "      ssl.ca.location: %s/%s\n"
	         "      ssl.certificate.location: %s/%s\n"
	         "      ssl.key.location: %s/%s\n"
	         "%s",
	         certs(), ca, certs(), cert, certs(), key, extra ? extra : "");
	tls_add_cluster(buf, size, alias, bed, "mtls", props);
}

/* The password of client-enc.key, from its file: ${file:...}. */
static const char *key_password_ref(void) {
	static char ref[512];

	snprintf(ref, sizeof(ref), "      ssl.key.password: ${file:%s/client-key.password}\n",
	         certs());
	return ref;
}

/* 10,000 varied records over 3 partitions with both clusters over mutual
 * TLS: a with an unencrypted key, b with an encrypted one whose password
 * comes from ${file:}. They arrive equal and in order, and nothing
 * complains about TLS. */
void test_mtls_exact_copy(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], mirror[160], clusters[4096] = "", yaml[1024] = "";
	rd_kafka_t *admin = ktest_producer("a", NULL);

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "mtls");
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_create_topic(admin, topic, 3, NULL);
	ktest_produce_varied(topic, 3, 0, 10000, "m");
	add_mtls_cluster(clusters, sizeof(clusters), "a", "a", "client.crt", "client.key", "ca.pem",
	                 NULL);
	add_mtls_cluster(clusters, sizeof(clusters), "b", "b", "client.crt", "client-enc.key",
	                 "ca.pem", key_password_ref());
	ktest_flow_yaml(yaml, sizeof(yaml), topic, "a", "b", topic, NO_HEARTBEATS, NULL);
	ktest_daemon_config_clusters(d, clusters, yaml);
	tls_assert_clean_copy(d, admin, topic, mirror, 3, 10000);
	assert_false(ktest_log_contains(d, "client-key-secret"));
	ktest_destroy(admin);
}

/* Lines of the log that hold both @p a and @p b. */
static int lines_with(ktest_daemon_t *d, const char *a, const char *b) {
	char *log, *line, *nl;
	int n = 0;

	if (!ktest_log_contains(d, "")) /* not made yet: the daemon just started */
		return 0;
	log = line = ktest_log_text(d);
	for (; line && *line; line = nl ? nl + 1 : NULL) {
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		n += strstr(line, a) && strstr(line, b);
	}
	free(log);
	return n;
}

/* Waits until the log holds @p min lines with both @p a and @p b. */
static void wait_lines(ktest_daemon_t *d, const char *a, const char *b, int min) {
	int64_t deadline = ktest_now_ms() + COPY_TIMEOUT_MS;

	while (lines_with(d, a, b) < min) {
		if (ktest_now_ms() > deadline)
			fail_msg("%d lines with '%s' and '%s', not %d, in %d ms",
			         lines_with(d, a, b), a, b, min, COPY_TIMEOUT_MS);
		ktest_daemon_alive(d);
		ktest_pause();
	}
}

/* The one warning of cluster @p alias: it names the cluster, what TLS
 * said (@p said) and what to check (@p check); librdkafka's further
 * attempts (@p min at least, each a debug line of the consumer or
 * producer named by @p client) add none. */
static void assert_one_warning(ktest_daemon_t *d, const char *alias, const char *client,
                               const char *said, const char *check, int min) {
	char head[128];

	snprintf(head, sizeof(head), "cluster %s: unreachable: ", alias);
	wait_lines(d, head, check, 1);
	wait_lines(d, client, said, min);
	assert_int_equal(ktest_log_lines(d, "warning", head), 1);
	assert_int_equal(lines_with(d, head, said), 1);
	assert_int_equal(lines_with(d, head, check), 1);
}

#define CLIENT_REFUSED                                                                             \
	"the broker refused the client certificate: check that ssl.certificate.location"
#define BROKER_UNTRUSTED "the broker's certificate is not trusted: check that ssl.ca.location"

/* A client certificate from a CA the brokers do not know, an expired one,
 * and a broker certificate that kmirrord's ssl.ca.location does not trust:
 * each cluster says so once, at warning, with what to check, however
 * often librdkafka tries again; nothing is copied and the daemon runs on.
 * The clusters with good certificates are never said to fail. */
void test_certificates_refused(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char t_other[128], t_expired[128], t_untrusted[128], client[256];
	char clusters[8192] = "", yaml[2048] = "";
	rd_kafka_t *admin = ktest_producer("a", NULL);
	rd_kafka_t *badmin = ktest_producer("b", NULL);
	char mirror[200];

	(void)state;
	ktest_topic_name(t_other, sizeof(t_other), "unknownca");
	ktest_topic_name(t_expired, sizeof(t_expired), "expired");
	ktest_topic_name(t_untrusted, sizeof(t_untrusted), "untrusted");
	ktest_create_topic(admin, t_other, 1, NULL);
	ktest_create_topic(admin, t_expired, 1, NULL);
	ktest_create_topic(admin, t_untrusted, 1, NULL);
	ktest_produce_plain(t_other, 1, 0, 100);
	ktest_produce_plain(t_expired, 1, 0, 100);
	ktest_produce_plain(t_untrusted, 1, 0, 100);
	add_mtls_cluster(clusters, sizeof(clusters), "a", "a", "client.crt", "client.key", "ca.pem",
	                 NULL);
	add_mtls_cluster(clusters, sizeof(clusters), "b", "b", "client.crt", "client.key", "ca.pem",
	                 NULL);
	add_mtls_cluster(clusters, sizeof(clusters), "a_other", "a", "other.crt", "other.key",
	                 "ca.pem", NULL);
	add_mtls_cluster(clusters, sizeof(clusters), "a_expired", "a", "expired.crt", "expired.key",
	                 "ca.pem", NULL);
	add_mtls_cluster(clusters, sizeof(clusters), "b_untrusted", "b", "client.crt", "client.key",
	                 "other-ca.pem", NULL);
	ktest_flow_yaml(yaml, sizeof(yaml), t_other, "a_other", "b", t_other, NO_HEARTBEATS, NULL);
	ktest_flow_yaml(yaml, sizeof(yaml), t_expired, "a_expired", "b", t_expired, NO_HEARTBEATS,
	                NULL);
	ktest_flow_yaml(yaml, sizeof(yaml), t_untrusted, "a", "b_untrusted", t_untrusted,
	                NO_HEARTBEATS, NULL);
	ktest_daemon_config_clusters(d, clusters, yaml);
	ktest_daemon_start(d, NULL);

	/* the broker alerts; librdkafka tries again at least 3 times */
	snprintf(client, sizeof(client), "kmirror-%s-consumer#", t_other);
	assert_one_warning(d, "a_other", client, "alert", CLIENT_REFUSED, 3);
	snprintf(client, sizeof(client), "kmirror-%s-consumer#", t_expired);
	assert_one_warning(d, "a_expired", client, "alert", CLIENT_REFUSED, 3);
	snprintf(client, sizeof(client), "kmirror-%s-", t_untrusted);
	assert_one_warning(d, "b_untrusted", client, "certificate verify failed", BROKER_UNTRUSTED,
	                   3);
	assert_true(ktest_daemon_alive(d));
	/* three warnings in all about certificates, and not one error */
	assert_int_equal(ktest_log_lines(d, "warning", "certificate"), 3);
	assert_int_equal(ktest_log_lines(d, "err", "certificate"), 0);
	assert_int_equal(ktest_log_lines(d, "warning", "cluster a: "), 0);
	assert_int_equal(ktest_log_lines(d, "warning", "cluster b: "), 0);
	assert_int_equal(ktest_status_wait(d, t_other, "records", 0, 1000), 0);
	assert_int_equal(ktest_status_wait(d, t_expired, "records", 0, 1000), 0);
	assert_int_equal(ktest_status_wait(d, t_untrusted, "records", 0, 1000), 0);
	snprintf(mirror, sizeof(mirror), "a.%s", t_untrusted);
	assert_int_equal(ktest_partitions(badmin, mirror), -1);
	assert_int_equal(ktest_daemon_stop(d, SIGTERM, COPY_TIMEOUT_MS), 0);
	ktest_destroy(admin);
	ktest_destroy(badmin);
}

/* ---- secrets ------------------------------------------------------------ */

#define SASL_PASSWORD  "alice-secret"      /* the bed's, from ${env:} */
#define WRONG_PASSWORD "wr0ng-Pa55-q7Zx"   /* from ${file:}, refused */
#define KEY_PASSWORD   "client-key-secret" /* the bed's, from ${file:} */
#define REST_TOKEN     "tok-S3cr3t-77aa"   /* from ${env:} */

static const char *const secrets[] = {SASL_PASSWORD, WRONG_PASSWORD, KEY_PASSWORD, REST_TOKEN};

/* Fails when @p text (what @p where holds) shows any of the secrets. */
static void assert_no_secret(const char *where, const char *text) {
	assert_non_null(text);
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(text, secrets[i]))
			fail_msg("%s shows the secret '%s'", where, secrets[i]);
}

static char *read_whole(const char *path) {
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	assert_non_null(buf = calloc(1, (size_t)n + 1));
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

/* GET @p path of the REST API at @p url: its body, checked for secrets;
 * the caller frees it. */
static char *rest_get(const char *url, const char *path) {
	char errstr[512];
	km_http_resp_t r;

	if (km_http_do(url, "GET", path, NULL, NULL, 30000, &r, errstr, sizeof(errstr)))
		fail_msg("GET %s: %s", path, errstr);
	assert_int_equal(r.status, 200);
	assert_no_secret(path, r.body);
	return r.body;
}

/* What `kmirrord --check-config` prints for the daemon's configuration
 * (stdout and stderr), with @p env in its environment. */
static char *check_config(ktest_daemon_t *d, const char *env) {
	char cmd[2048], *out = calloc(1, 65536);
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "env %s %s/core/kmirrord --check-config -c %s 2>&1", env,
	         getenv("KM_TEST_BUILDDIR") ? getenv("KM_TEST_BUILDDIR") : ".", d->conf);
	assert_non_null(out);
	assert_non_null(p = popen(cmd, "r"));
	while (n < 65535 && fgets(out + n, (int)(65536 - n), p))
		n += strlen(out + n);
	pclose(p);
	return out;
}

/* kmirrord at log level debug with secrets from ${env:} and ${file:}: the
 * SASL password of the source, the password of the target's client key,
 * a wrong SASL password that a third cluster is refused with, and the REST
 * API's token. It copies, is refused, answers the REST API; then not one
 * of the secrets is in its log (every line, librdkafka's debug ones
 * included), its status file, GET /v1/config, /v1/flows, the refused
 * flow's /v1/flows/FLOW, /v1/internal and /metrics, or what --check-config
 * prints, of this configuration or of one it
 * refuses. */
void test_secrets_never_shown(void **state) {
	ktest_daemon_t *d = &ktest_the_daemon;
	char topic[128], refused[128], clusters[8192] = "", yaml[2048] = "", url[128];
	char pwfile[400], sasl[1024], env[256], mirror[160], path[200], *log, *p, *text;
	rd_kafka_t *admin = ktest_producer("a", NULL);
	int64_t t0;
	FILE *fp;

	(void)state;
	ktest_topic_name(topic, sizeof(topic), "secrets");
	ktest_topic_name(refused, sizeof(refused), "refused");
	ktest_create_topic(admin, topic, 2, NULL);
	ktest_create_topic(admin, refused, 1, NULL);
	ktest_produce_varied(topic, 2, 0, 1000, "s");
	ktest_produce_plain(refused, 1, 0, 10);
	/* the wrong password's file lives in the daemon's directory */
	ktest_daemon_config_clusters(d, "clusters: {}\n", "");
	snprintf(pwfile, sizeof(pwfile), "%.*s/wrong-password", (int)sizeof(d->dir), d->dir);
	assert_non_null(fp = fopen(pwfile, "w"));
	fputs(WRONG_PASSWORD "\n", fp);
	assert_int_equal(fclose(fp), 0);
	tls_add_sasl_cluster(clusters, sizeof(clusters), "a", "a", "alice",
	                     "${env:KM_T_SASL_PASSWORD}");
	add_mtls_cluster(clusters, sizeof(clusters), "b", "b", "client.crt", "client-enc.key",
	                 "ca.pem", key_password_ref());
	snprintf(sasl, sizeof(sasl), "${file:%s}", pwfile);
	tls_add_sasl_cluster(clusters, sizeof(clusters), "a_wrong", "a", "alice", sasl);
	snprintf(d->clusters, sizeof(d->clusters), "%s", clusters);
	snprintf(yaml, sizeof(yaml),
	         "rest:\n  listen: 127.0.0.1:0\n  token: ${env:KM_T_TOKEN}\nflows:\n");
	/* librdkafka's own debug lines too, those of its configuration and of
	 * SASL and TLS among them */
	ktest_flow_yaml(yaml, sizeof(yaml), topic, "a", "b", topic, NO_HEARTBEATS,
	                "    consumer: {debug: 'security,conf,broker'}\n"
	                "    producer: {debug: 'security,conf'}\n");
	ktest_flow_yaml(yaml, sizeof(yaml), refused, "a_wrong", "b", refused, NO_HEARTBEATS,
	                "    consumer: {debug: 'security,conf,broker'}\n");
	ktest_daemon_rewrite(d, yaml);
	snprintf(env, sizeof(env), "KM_T_SASL_PASSWORD=" SASL_PASSWORD " KM_T_TOKEN=" REST_TOKEN);
	/* ktest_daemon_start takes one NAME=VALUE: the token goes in the
	 * test's own environment, which the daemon inherits */
	setenv("KM_T_TOKEN", REST_TOKEN, 1);
	ktest_daemon_start(d, "KM_T_SASL_PASSWORD=" SASL_PASSWORD);

	ktest_status_wait_caught_up(d, topic, admin, topic, 2, COPY_TIMEOUT_MS);
	ktest_status_wait_text(d, refused, "invalid credentials", COPY_TIMEOUT_MS);
	wait_lines(d, "cluster a_wrong: unreachable: ", "invalid credentials", 1);
	ktest_log_wait(d, "REST API listening on http://", COPY_TIMEOUT_MS);
	log = ktest_log_text(d);
	assert_non_null(p = strstr(log, "REST API listening on "));
	sscanf(p + strlen("REST API listening on "), "%127s", url);
	free(log);
	/* what the API answers: the configuration shows the user, not the
	 * passwords */
	text = rest_get(url, "/v1/config");
	assert_non_null(strstr(text, "\"sasl.username\":\"alice\""));
	assert_non_null(strstr(text, "\"sasl.password\":\"(secret)\""));
	assert_non_null(strstr(text, "\"ssl.key.password\":\"(secret)\""));
	free(text);
	free(rest_get(url, "/v1/flows"));
	snprintf(path, sizeof(path), "/v1/flows/%s", refused);
	free(rest_get(url, path));
	free(rest_get(url, "/v1/internal"));
	free(rest_get(url, "/metrics"));
	text = read_whole(d->status);
	assert_non_null(strstr(text, "invalid credentials")); /* the refusal's error */
	assert_no_secret("the status file", text);
	free(text);

	t0 = ktest_now_ms();
	assert_int_equal(ktest_daemon_stop(d, SIGTERM, COPY_TIMEOUT_MS), 0);
	ktest_note("SIGTERM to exit, with a cluster that refuses the password: %lld ms",
	           (long long)(ktest_now_ms() - t0));
	text = ktest_log_text(d);
	/* librdkafka's debug lines are there: its configuration and SASL's */
	assert_non_null(strstr(text, " debug: "));
	if (!strstr(text, ": SASL") || !strstr(text, ": CONF: "))
		fail_msg("librdkafka's SASL and CONF debug lines are not in the log");
	assert_no_secret("the log", text);
	free(text);
	snprintf(mirror, sizeof(mirror), "a.%s", topic);
	ktest_assert_exact_copy(topic, mirror, 2, 1000);

	/* --check-config of this configuration, and of one it refuses
	 * because of a secret in the wrong place */
	text = check_config(d, env);
	assert_non_null(strstr(text, "configuration OK"));
	assert_no_secret("--check-config", text);
	free(text);
	snprintf(yaml + strlen(yaml), sizeof(yaml) - strlen(yaml),
	         "    max.inflight.records: ${env:KM_T_TOKEN}\n");
	ktest_daemon_rewrite(d, yaml);
	text = check_config(d, env);
	assert_non_null(strstr(text, "key 'max.inflight.records'"));
	assert_no_secret("--check-config of a refused configuration", text);
	free(text);
	unsetenv("KM_T_TOKEN");
	ktest_destroy(admin);
}
