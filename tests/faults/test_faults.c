/* The fault suite: kmirrord copies a topic from cluster a to cluster b
 * through toxiproxy (tests/faults/run starts it and the test bed) while
 * records keep arriving and a fault hits: kill -9, broker restarts,
 * network cuts, latency with packet loss, a full disk on the target, the
 * source topic deleted and recreated, SIGHUP. Each case checks that the
 * status showed the fault while it lasted, that copying resumed by itself,
 * and then every record: none lost, order kept, duplicates counted and
 * bounded. Each prints one "fault:" line with its figures.
 *
 * KM_FAULTS_LONG=1 runs the long variants (more records, more rounds). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../kafka/ktest.h"

#define PARTS      3
#define BOUND      5000 /* max.inflight.records: duplicates per crash */
#define TIMEOUT_MS 300000

static int long_run;
static int64_t min_records; /* records each case loads at least */
static int rate;            /* records per second the load offers */

/* ---- the load: an idempotent producer paced at `rate` ------------------ */

struct load {
	pthread_t thr;
	char topic[128];
	const char *tag;
	atomic_int stop;       /* set: end once min_records are produced */
	atomic_int quit;       /* set: end now (a failed case) */
	atomic_llong produced; /* handed to the producer */
	int running;
};

static void *load_run(void *arg) {
	struct load *l = arg;
	rd_kafka_t *rk = ktest_producer("a", "enable.idempotence", "true", "linger.ms", "20", NULL);
	int64_t t0 = ktest_now_ms();
	char val[64];

	for (int64_t i = 0; (i < min_records || !atomic_load(&l->stop)) && !atomic_load(&l->quit);
	     i++) {
		rd_kafka_resp_err_t err;
		/* pacing: a load of `rate` records a second, served by poll */
		while (i % 1000 == 0 && i > (ktest_now_ms() - t0) * rate / 1000)
			rd_kafka_poll(rk, 10);
		snprintf(val, sizeof(val), "%s-%lld", l->tag, (long long)i);
		while ((err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(l->topic),
		                                RD_KAFKA_V_PARTITION((int32_t)(i % PARTS)),
		                                RD_KAFKA_V_VALUE(val, strlen(val)),
		                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		                                RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 100);
		assert_int_equal(err, 0);
		rd_kafka_poll(rk, 0);
		atomic_store(&l->produced, i + 1);
	}
	ktest_flush(rk);
	ktest_destroy(rk);
	return NULL;
}

static void load_start(struct load *l, const char *topic, const char *tag) {
	snprintf(l->topic, sizeof(l->topic), "%s", topic);
	l->tag = tag;
	atomic_store(&l->stop, 0);
	atomic_store(&l->quit, 0);
	atomic_store(&l->produced, 0);
	assert_int_equal(pthread_create(&l->thr, NULL, load_run, l), 0);
	l->running = 1;
}

static int64_t load_end(struct load *l) {
	atomic_store(&l->stop, 1);
	assert_int_equal(pthread_join(l->thr, NULL), 0);
	l->running = 0;
	return atomic_load(&l->produced);
}

/* Ends the load now, whatever it produced; returns that. */
static int64_t load_quit(struct load *l) {
	atomic_store(&l->quit, 1);
	return load_end(l);
}

/* ---- toxiproxy and the test bed ----------------------------------------- */

/* Runs a shell command; fails the test when it fails. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...) {
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (status %d): %s", rc, cmd);
}

static const char *api(void) {
	const char *a = getenv("KM_FAULTS_API");

	if (!a)
		fail_msg("KM_FAULTS_API is not set: run the suite with tests/faults/run");
	return a;
}

/* Adds toxic @p name of @p type to proxy @p proxy (a test-bed cluster's
 * name) on @p stream (upstream, downstream), with @p attrs (JSON). */
static void toxic_add(const char *proxy, const char *name, const char *type, const char *stream,
                      const char *attrs) {
	sh("curl -sSf -o /dev/null -X POST -H 'Content-Type: application/json' "
	   "--data '{\"name\":\"%s\",\"type\":\"%s\",\"stream\":\"%s\",\"toxicity\":1.0,"
	   "\"attributes\":%s}' %s/proxies/%s/toxics",
	   name, type, stream, attrs, api(), proxy);
}

static void toxic_del(const char *proxy, const char *name) {
	sh("curl -sSf -o /dev/null -X DELETE %s/proxies/%s/toxics/%s", api(), proxy, name);
}

/* A toxic on both directions of @p proxy, named after @p type. */
static void toxic_both(const char *proxy, const char *type, const char *attrs) {
	char name[64];

	snprintf(name, sizeof(name), "%s_up", type);
	toxic_add(proxy, name, type, "upstream", attrs);
	snprintf(name, sizeof(name), "%s_down", type);
	toxic_add(proxy, name, type, "downstream", attrs);
}

static void toxic_both_del(const char *proxy, const char *type) {
	char name[64];

	snprintf(name, sizeof(name), "%s_up", type);
	toxic_del(proxy, name);
	snprintf(name, sizeof(name), "%s_down", type);
	toxic_del(proxy, name);
}

/* testbed stop|start for each of @p clusters (NULL-terminated), all at
 * once. */
static void testbed(const char *verb, const char **clusters) {
	char cmd[2048];
	size_t len = 0;
	int k = 0;

	for (const char **n = clusters; *n; n++, k++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
		                        "'%s/tests/kafka/testbed' %s %s >/dev/null & p%d=$!; ",
		                        getenv("KM_TEST_SRCDIR"), verb, *n, k);
	/* each one's status: any failure fails the command */
	len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "r=0; ");
	while (k-- > 0)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "wait $p%d || r=1; ", k);
	snprintf(cmd + len, sizeof(cmd) - len, "exit $r");
	sh("%s", cmd);
}

/* The broker process of test-bed cluster @p cluster runs. */
static int broker_alive(const char *cluster) {
	pid_t pid = ktest_broker_pid(cluster);

	return pid > 0 && kill(pid, 0) == 0;
}

/* ---- one case ------------------------------------------------------------ */

typedef struct fcase {
	const char *name;
	char topic[128], mirror[160];
	ktest_daemon_t d;
	struct load load;
	rd_kafka_t *admin, *badmin;
	double resumed_s; /* the longest time from a fault's end to copying again */
	int64_t t0;       /* when the case started */
	int faults;       /* faults the case made */
} fcase_t;

/* The case that runs, for the teardown. */
static fcase_t *current;

/* The flow's YAML: a to b through the proxies, the in-flight bound, then
 * @p extra. */
static void case_yaml(fcase_t *c, char *buf, size_t size, const char *extra) {
	char more[512];

	buf[0] = '\0';
	snprintf(more, sizeof(more),
	         "    heartbeats.replication.enabled: false\n"
	         "    max.inflight.records: %d\n"
	         "%s",
	         BOUND, extra ? extra : "");
	ktest_flow_yaml(buf, size, c->name, "a", "b", c->topic, more, NULL);
}

static void case_config(fcase_t *c, const char *extra) {
	char clusters[512], yaml[1024];

	ktest_clusters_yaml(clusters, sizeof(clusters), "a", "a_via", "b", "b_via");
	case_yaml(c, yaml, sizeof(yaml), extra);
	ktest_daemon_config_clusters(&c->d, clusters, yaml);
}

/* Creates the case's topic, starts the daemon through the proxies and the
 * load, and waits until records are copied. */
static void case_start(fcase_t *c, const char *name, const char *extra) {
	memset(c, 0, sizeof(*c));
	current = c;
	c->name = name;
	c->t0 = ktest_now_ms();
	c->admin = ktest_producer("a", NULL);
	c->badmin = ktest_producer("b", NULL);
	ktest_topic_name(c->topic, sizeof(c->topic), name);
	snprintf(c->mirror, sizeof(c->mirror), "a.%s", c->topic);
	ktest_create_topic(c->admin, c->topic, PARTS, NULL);
	case_config(c, extra);
	ktest_daemon_start(&c->d, NULL);
	load_start(&c->load, c->topic, "c");
	ktest_status_wait(&c->d, c->name, "records", 1000, TIMEOUT_MS);
	/* no error before the fault: the one the status shows is the fault's */
	ktest_status_wait_text(&c->d, c->name, "\"last_error\":\"\"", TIMEOUT_MS);
}

static int64_t records_now(fcase_t *c) {
	return ktest_status_wait(&c->d, c->name, "records", 0, TIMEOUT_MS);
}

/* A fault ended at @p since_ms: waits until the flow copies again (its
 * records count passes what it was then) and its last_error is cleared;
 * keeps the longest such time. */
static void case_resumed(fcase_t *c, int64_t since_ms) {
	int64_t was = records_now(c);
	double s;

	ktest_status_wait(&c->d, c->name, "records", was + 1, TIMEOUT_MS);
	s = (double)(ktest_now_ms() - since_ms) / 1000.0;
	ktest_status_wait_text(&c->d, c->name, "\"last_error\":\"\"", TIMEOUT_MS);
	ktest_note("%s: copying again %.1f s after fault %d ended", c->name, s, c->faults + 1);
	if (s > c->resumed_s)
		c->resumed_s = s;
	c->faults++;
}

/* Waits until the flow's status shows an error (last_error_at set) and
 * prints it. */
static void case_fault_shown(fcase_t *c) {
	char *st, *e;

	ktest_status_wait(&c->d, c->name, "last_error_at", 1, TIMEOUT_MS);
	st = ktest_status_flow(&c->d, c->name);
	if (st && (e = strstr(st, "\"last_error\":")))
		ktest_note("%s: the status shows %.200s", c->name, e);
	free(st);
}

/* Ends the load, waits until everything is copied, stops the daemon
 * (SIGTERM, exit 0) and checks every record: none lost, in order, at most
 * @p bound duplicates. */
static void case_finish(fcase_t *c, size_t bound) {
	int64_t produced = load_end(&c->load);
	size_t dups = 0;

	ktest_status_wait_caught_up(&c->d, c->name, c->admin, c->topic, PARTS, TIMEOUT_MS);
	assert_int_equal(ktest_daemon_stop(&c->d, SIGTERM, 60000), 0);
	for (int p = 0; p < PARTS; p++)
		dups += ktest_check_at_least_once(c->topic, c->mirror, p, bound);
	assert_true(dups <= bound);
	print_message("fault: %s: %lld records, 0 lost, order kept, %zu duplicated (bound %zu), "
	              "%d fault(s), resumed within %.1f s; the case took %lld s\n",
	              c->name, (long long)produced, dups, bound, c->faults, c->resumed_s,
	              (long long)((ktest_now_ms() - c->t0) / 1000));
	ktest_daemon_cleanup(&c->d);
	ktest_destroy(c->admin);
	ktest_destroy(c->badmin);
	current = NULL;
}

/* After a case, passed or failed: no load, no daemon, no toxic, no
 * packet loss left for the next one. */
static int case_teardown(void **state) {
	fcase_t *c = current;
	const char *toxics[] = {"timeout_up",      "timeout_down", "reset_peer_up",
	                        "reset_peer_down", "latency_up",   "latency_down"};
	char cmd[512];

	(void)state;
	current = NULL;
	if (!c)
		return 0;
	if (c->load.running) {
		atomic_store(&c->load.quit, 1);
		pthread_join(c->load.thr, NULL);
		c->load.running = 0;
	}
	if (c->d.pid > 0)
		ktest_daemon_cleanup(&c->d);
	for (size_t i = 0; i < sizeof(toxics) / sizeof(*toxics); i++)
		for (const char *n = "a"; n; n = *n == 'a' ? "b" : NULL) {
			snprintf(cmd, sizeof(cmd),
			         "curl -s -o /dev/null -X DELETE %s/proxies/%s/toxics/%s", api(), n,
			         toxics[i]);
			if (system(cmd) != 0)
				print_message("could not run: %s\n", cmd);
		}
	/* the loss rules, if the case left them (absent ones: an error, ignored) */
	for (const char *n = "a"; n; n = *n == 'a' ? "b" : NULL) {
		const char *port = strrchr(ktest_bootstrap(*n == 'a' ? "a_via" : "b_via"), ':') + 1;
		for (int k = 0; k < 2; k++) {
			snprintf(
			    cmd, sizeof(cmd),
			    "iptables -D INPUT -i lo -p tcp --%s %s -m statistic --mode random "
			    "--probability 0.01 -j DROP 2>/dev/null",
			    k ? "sport" : "dport", port);
			while (system(cmd) == 0)
				;
		}
	}
	/* brokers a case stopped, started again */
	for (const char *n = "a"; n; n = *n == 'a' ? "b" : NULL)
		if (!broker_alive(n)) {
			snprintf(cmd, sizeof(cmd),
			         "rm -f '%s/filler'; '%s/tests/kafka/testbed' start %s",
			         getenv("KM_TESTBED_b_tmpfs"), getenv("KM_TEST_SRCDIR"), n);
			if (system(cmd) != 0)
				print_message("could not start broker %s again\n", n);
		}
	if (c->admin)
		ktest_destroy(c->admin);
	if (c->badmin)
		ktest_destroy(c->badmin);
	return 0;
}

/* ---- the cases ------------------------------------------------------------ */

/* kill -9 of kmirrord every few seconds: each restart loads its progress
 * and copies on; duplicates at most max.inflight.records per kill. */
static void test_kill9(void **state) {
	int rounds = long_run ? 20 : 6;
	static fcase_t c; /* static: the teardown reads it after a failure */

	(void)state;
	case_start(&c, "kill9", "    batch.records: 500\n");
	for (int r = 0; r < rounds; r++) {
		int64_t at;
		/* a few seconds of copying before each kill */
		ktest_status_wait(&c.d, c.name, "records", (int64_t)rate * 2, TIMEOUT_MS);
		assert_int_equal(ktest_daemon_stop(&c.d, SIGKILL, 30000), 128 + SIGKILL);
		at = ktest_now_ms();
		ktest_daemon_start(&c.d, NULL);
		ktest_status_wait_text(&c.d, c.name, "\"state\":\"running\"", TIMEOUT_MS);
		case_resumed(&c, at);
	}
	/* every start loaded the progress of its partitions */
	assert_int_equal(ktest_log_count(&c.d, "loaded progress of 3 partition(s)"), rounds);
	case_finish(&c, (size_t)BOUND * (size_t)rounds);
}

/* Stops the brokers of @p clusters (NULL-terminated), waits until the
 * status shows the fault, then starts them again. */
static void brokers_down_up(fcase_t *c, const char **clusters) {
	int64_t at;

	testbed("stop", clusters);
	case_fault_shown(c);
	testbed("start", clusters);
	at = ktest_now_ms();
	case_resumed(c, at);
}

/* A case whose fault is the brokers of @p clusters stopped and started. */
static void restart_run(const char *name, const char **clusters) {
	static fcase_t c; /* static: the teardown reads it after a failure */

	case_start(&c, name, NULL);
	brokers_down_up(&c, clusters);
	case_finish(&c, BOUND);
}

static void test_source_restart(void **state) {
	const char *which[] = {"a", NULL};

	(void)state;
	restart_run("srcrestart", which);
}

static void test_target_restart(void **state) {
	const char *which[] = {"b", NULL};

	(void)state;
	restart_run("dstrestart", which);
}

static void test_both_restart(void **state) {
	const char *which[] = {"a", "b", NULL};

	(void)state;
	restart_run("bothrestart", which);
}

#define CUT_MS 30000

/* A 30 s cut between the daemon and @p cluster with toxics of @p type
 * (timeout: bytes swallowed, connections left hanging; reset_peer:
 * connections reset): the status shows it, copying resumes after it. */
static void cut_run(const char *name, const char *cluster, const char *type) {
	int64_t until, at;
	static fcase_t c; /* static: the teardown reads it after a failure */

	case_start(&c, name, NULL);
	toxic_both(cluster, type, "{\"timeout\":0}");
	until = ktest_now_ms() + CUT_MS;
	case_fault_shown(&c);
	while (ktest_now_ms() < until)
		ktest_pause(); /* the cut lasts its 30 s; the load goes on */
	toxic_both_del(cluster, type);
	at = ktest_now_ms();
	case_resumed(&c, at);
	case_finish(&c, BOUND);
}

static void test_cut_target(void **state) {
	(void)state;
	cut_run("cutdst", "b", "timeout");
}

static void test_cut_source(void **state) {
	(void)state;
	cut_run("cutsrc", "a", "reset_peer");
}

/* 200 ms more per round trip (100 ms each way, toxiproxy) and 1 % of the
 * packets to and from the proxies dropped (iptables on lo: this kernel
 * has no netem, see docs/RELIABILITY.md) while the load runs. */
static void loss(const char *op) {
	const char *ports[] = {ktest_bootstrap("a_via"), ktest_bootstrap("b_via")};

	for (int i = 0; i < 2; i++) {
		const char *port = strrchr(ports[i], ':') + 1;
		sh("iptables -%s INPUT -i lo -p tcp --dport %s -m statistic --mode random "
		   "--probability 0.01 -j DROP",
		   op, port);
		sh("iptables -%s INPUT -i lo -p tcp --sport %s -m statistic --mode random "
		   "--probability 0.01 -j DROP",
		   op, port);
	}
}

/* The flow's latency count and sum (ms) from its status. */
static void latency_now(fcase_t *c, int64_t *count, int64_t *sum) {
	char *st = ktest_status_flow(&c->d, c->name), *p;

	*count = *sum = -1;
	if (st && (p = strstr(st, "\"latency\":{\"count\":")) &&
	    sscanf(p, "\"latency\":{\"count\":%" SCNd64 ",\"sum_ms\":%" SCNd64, count, sum) != 2)
		*count = *sum = -1;
	free(st);
}

/* Waits until the records copied from now on took @p ms on average from
 * their source timestamp to the target's acknowledgement. */
static void latency_shown(fcase_t *c, int64_t ms) {
	int64_t n0, s0, n, s, deadline = ktest_now_ms() + TIMEOUT_MS;

	latency_now(c, &n0, &s0);
	assert_true(n0 >= 0);
	for (;;) {
		latency_now(c, &n, &s);
		if (n - n0 >= 1000 && (s - s0) / (n - n0) >= ms)
			break;
		if (ktest_now_ms() > deadline)
			fail_msg(
			    "%s: the mean latency stayed below %lld ms (%lld records, %lld ms)",
			    c->name, (long long)ms, (long long)(n - n0), (long long)(s - s0));
		ktest_pause();
	}
	ktest_note("%s: the status shows a mean latency of %lld ms over %lld records", c->name,
	           (long long)((s - s0) / (n - n0)), (long long)(n - n0));
}

static void test_latency_loss(void **state) {
	int64_t at;
	static fcase_t c; /* static: the teardown reads it after a failure */

	(void)state;
	case_start(&c, "lossy", NULL);
	toxic_both("a", "latency", "{\"latency\":100,\"jitter\":0}");
	toxic_both("b", "latency", "{\"latency\":100,\"jitter\":0}");
	loss("A");
	/* the status shows records waiting longer than the added delay */
	/* the status shows records taking longer than the added delay: the
	 * mean latency of those copied since (its lag_ms is null while the
	 * oldest record waiting is not fetched yet, as under a long backlog) */
	latency_shown(&c, 200);
	/* the load goes on through the slow link for min_records more */
	ktest_wait_count(c.badmin, c.mirror, ktest_count(c.badmin, c.mirror) + min_records / 2,
	                 TIMEOUT_MS);
	loss("D");
	toxic_both_del("a", "latency");
	toxic_both_del("b", "latency");
	at = ktest_now_ms();
	case_resumed(&c, at);
	case_finish(&c, BOUND);
}

/* Fills the tmpfs under the target broker's log directory to @p keep
 * bytes free with a file of its own; returns its path in @p path. */
static void fill_disk(char *path, size_t size, int64_t keep) {
	struct statvfs sv;
	int64_t free_b;
	int fd, rc;

	assert_int_equal(statvfs(ktest_bootstrap("b_tmpfs"), &sv), 0);
	free_b = (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
	snprintf(path, size, "%s/filler", ktest_bootstrap("b_tmpfs"));
	assert_true(free_b > keep);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	rc = posix_fallocate(fd, 0, free_b - keep);
	if (rc)
		fail_msg("posix_fallocate of %lld bytes in %s: %s", (long long)(free_b - keep),
		         path, strerror(rc));
	close(fd);
}

/* The target broker's log directory fills up: the broker halts; the
 * harness frees the space and starts it again; nothing is lost. */
static void test_disk_full(void **state) {
	char filler[512];
	int64_t at, deadline;
	static fcase_t c; /* static: the teardown reads it after a failure */

	(void)state;
	if (!getenv("KM_TESTBED_b_tmpfs"))
		skip();
	case_start(&c, "diskfull", NULL);
	fill_disk(filler, sizeof(filler), 2 << 20);
	deadline = ktest_now_ms() + TIMEOUT_MS;
	while (broker_alive("b")) {
		if (ktest_now_ms() > deadline)
			fail_msg("the target broker did not stop with its log directory full");
		ktest_pause();
	}
	case_fault_shown(&c);
	assert_int_equal(unlink(filler), 0);
	testbed("start", (const char *[]){"b", NULL});
	at = ktest_now_ms();
	case_resumed(&c, at);
	case_finish(&c, BOUND);
}

/* The source topic is deleted while the daemon copies it and created
 * again: the flow shows its partitions gone, then copies the new topic
 * from its start; every record of the new topic is there, in order. */
static void test_topic_recreate(void **state) {
	int64_t g1, at, copied1;
	size_t dups = 0;
	static fcase_t c; /* static: the teardown reads it after a failure */

	(void)state;
	case_start(&c, "recreate", NULL);
	/* the load stops (a producer to a deleted topic fails) and the topic
	 * goes at once, records still arriving at the daemon */
	while (atomic_load(&c.load.produced) < min_records / 2)
		ktest_pause();
	g1 = load_quit(&c.load);
	ktest_delete_topic(c.admin, c.topic);
	ktest_status_wait(&c.d, c.name, "gone", PARTS, TIMEOUT_MS);
	copied1 = ktest_count(c.badmin, c.mirror);
	ktest_create_topic(c.admin, c.topic, PARTS, NULL);
	load_start(&c.load, c.topic, "g2");
	at = ktest_now_ms();
	ktest_status_wait(&c.d, c.name, "active", PARTS, TIMEOUT_MS);
	case_resumed(&c, at);
	load_end(&c.load);
	ktest_status_wait_caught_up(&c.d, c.name, c.admin, c.topic, PARTS, TIMEOUT_MS);
	assert_int_equal(ktest_daemon_stop(&c.d, SIGTERM, 60000), 0);
	for (int p = 0; p < PARTS; p++)
		dups += ktest_check_at_least_once_tag(c.topic, c.mirror, p, BOUND, "g2");
	print_message("fault: %s: first topic %lld records (%lld copies before the delete), "
	              "new topic %lld records, 0 lost, order kept, %zu duplicated, "
	              "resumed within %.1f s; the case took %lld s\n",
	              c.name, (long long)g1, (long long)copied1,
	              (long long)(ktest_count(c.admin, c.topic)), dups, c.resumed_s,
	              (long long)((ktest_now_ms() - c.t0) / 1000));
	ktest_daemon_cleanup(&c.d);
	ktest_destroy(c.admin);
	ktest_destroy(c.badmin);
	current = NULL;
}

/* SIGHUP every few seconds under load, every other one with a changed
 * config (batch.records) that restarts the flow: nothing lost. */
static void test_sighup(void **state) {
	int rounds = long_run ? 30 : 8, changed = 0;
	static fcase_t c; /* static: the teardown reads it after a failure */

	(void)state;
	case_start(&c, "sighup", "    batch.records: 500\n");
	for (int r = 1; r <= rounds; r++) {
		int64_t at, was = records_now(&c);
		char yaml[1024];

		/* a few seconds of copying between reloads */
		ktest_status_wait(&c.d, c.name, "records", was + rate, TIMEOUT_MS);
		if (r % 2 == 0) {
			case_yaml(&c, yaml, sizeof(yaml),
			          (r / 2) % 2 ? "    batch.records: 1000\n"
			                      : "    batch.records: 500\n");
			ktest_daemon_rewrite(&c.d, yaml);
			changed++;
		}
		assert_int_equal(kill(c.d.pid, SIGHUP), 0);
		at = ktest_now_ms();
		while (ktest_log_count(&c.d, "reload done") < (size_t)r) {
			assert_true(ktest_daemon_alive(&c.d));
			ktest_pause();
		}
		case_resumed(&c, at);
	}
	/* the log shows each reload and each restart of the changed flow */
	assert_int_equal(ktest_log_count(&c.d, "SIGHUP: reloading"), rounds);
	assert_int_equal(ktest_log_count(&c.d, "changed: restarting it"), changed);
	case_finish(&c, BOUND);
}

int main(void) {
	const char *only = getenv("KM_FAULTS_ONLY");
	int rc;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_kill9, case_teardown),
	    cmocka_unit_test_teardown(test_source_restart, case_teardown),
	    cmocka_unit_test_teardown(test_target_restart, case_teardown),
	    cmocka_unit_test_teardown(test_both_restart, case_teardown),
	    cmocka_unit_test_teardown(test_cut_target, case_teardown),
	    cmocka_unit_test_teardown(test_cut_source, case_teardown),
	    cmocka_unit_test_teardown(test_latency_loss, case_teardown),
	    cmocka_unit_test_teardown(test_disk_full, case_teardown),
	    cmocka_unit_test_teardown(test_topic_recreate, case_teardown),
	    cmocka_unit_test_teardown(test_sighup, case_teardown),
	};

	ktest_require_testbed("a", "b", "a_via", "b_via", NULL);
	long_run = getenv("KM_FAULTS_LONG") && !strcmp(getenv("KM_FAULTS_LONG"), "1");
	min_records = long_run ? 1000000 : 200000;
	rate = long_run ? 25000 : 15000;
	if (only && *only)
		cmocka_set_test_filter(only);
	ktest_tap_begin();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ktest_tap_end();
	return rc;
}
