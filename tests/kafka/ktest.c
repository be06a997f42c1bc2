/* Helpers for the tests that run against real Kafka brokers. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "ktest.h"

struct ktest_dr {
	int failures;
	char first_error[256];
};

const char *ktest_bootstrap(const char *name) {
	char var[128];
	const char *addr;

	snprintf(var, sizeof(var), "KM_TESTBED_%s", name);
	addr = getenv(var);
	if (!addr || !*addr)
		fail_msg("%s is not set: run this test under tests/kafka/with-testbed "
		         "(make check-kafka)",
		         var);
	return addr;
}

void ktest_require_testbed(const char *name, ...) {
	const char *n;
	va_list ap;

	va_start(ap, name);
	for (n = name; n; n = va_arg(ap, const char *)) {
		char var[128];

		snprintf(var, sizeof(var), "KM_TESTBED_%s", n);
		if (!getenv(var)) {
			printf("1..0 # SKIP no Kafka test bed (%s unset): run make check-kafka\n",
			       var);
			va_end(ap);
			exit(0);
		}
	}
	va_end(ap);
}

void ktest_require_sasl_testbed(void) {
	extern char **environ;
	const char *src = getenv("KM_TEST_SRCDIR");
	char tool[1024], self[1024], *names[64];
	size_t cnt = 0;
	ssize_t n;

	if (getenv("KM_TESTBED_a_sasl") && getenv("KM_TESTBED_b_sasl") && getenv("KM_TESTBED_CA") &&
	    getenv("KM_TESTBED_a_mtls") && getenv("KM_TESTBED_b_mtls") &&
	    getenv("KM_TESTBED_CERTS"))
		return;
	ktest_require_testbed("a", "b", NULL);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (!src || n <= 0 || (size_t)n >= sizeof(self) - 1) {
		printf("Bail out! the test bed has no SASL_SSL or MTLS listeners and "
		       "KM_TEST_SRCDIR or "
		       "/proc/self/exe is missing: run it with tests/kafka/with-testbed --sasl "
		       "--mtls a "
		       "b\n");
		exit(1);
	}
	self[n] = '\0';
	snprintf(tool, sizeof(tool), "%s/tests/kafka/with-testbed", src);
	/* the shared bed's clusters are not those of the new one */
	for (char **e = environ; *e && cnt < sizeof(names) / sizeof(names[0]); e++)
		if (!strncmp(*e, "KM_TESTBED_", 11) && strchr(*e, '='))
			names[cnt++] = strndup(*e, (size_t)(strchr(*e, '=') - *e));
	for (size_t i = 0; i < cnt; i++) {
		unsetenv(names[i]);
		free(names[i]);
	}
	fflush(stdout);
	execl(tool, tool, "--sasl", "--mtls", "a", "b", "--", self, (char *)NULL);
	printf("Bail out! cannot run %s: %s\n", tool, strerror(errno));
	exit(1);
}

static void conf_set(rd_kafka_conf_t *conf, const char *key, const char *val) {
	char errstr[512];

	if (rd_kafka_conf_set(conf, key, val, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
		fail_msg("rd_kafka_conf_set(%s=%s): %s", key, val, errstr);
}

rd_kafka_conf_t *ktest_vconf(const char *name, va_list ap) {
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const char *key;

	conf_set(conf, "bootstrap.servers", ktest_bootstrap(name));
	while ((key = va_arg(ap, const char *))) {
		const char *val = va_arg(ap, const char *);
		conf_set(conf, key, val);
	}
	return conf;
}

rd_kafka_conf_t *ktest_conf(const char *name, ...) {
	rd_kafka_conf_t *conf;
	va_list ap;

	va_start(ap, name);
	conf = ktest_vconf(name, ap);
	va_end(ap);
	return conf;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
	struct ktest_dr *dr = opaque;

	(void)rk;
	if (m->err) {
		if (!dr->failures++)
			snprintf(dr->first_error, sizeof(dr->first_error), "%s [%d]: %s",
			         rd_kafka_topic_name(m->rkt), (int)m->partition,
			         rd_kafka_err2str(m->err));
	}
}

rd_kafka_t *ktest_producer(const char *name, ...) {
	char errstr[512];
	rd_kafka_conf_t *conf;
	struct ktest_dr *dr;
	rd_kafka_t *rk;
	va_list ap;

	va_start(ap, name);
	conf = ktest_vconf(name, ap);
	va_end(ap);
	dr = calloc(1, sizeof(*dr));
	assert_non_null(dr);
	rd_kafka_conf_set_opaque(conf, dr);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk)
		fail_msg("producer for %s: %s", name, errstr);
	return rk;
}

rd_kafka_t *ktest_consumer(const char *name, ...) {
	char errstr[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	va_list ap;

	va_start(ap, name);
	conf = ktest_vconf(name, ap);
	va_end(ap);
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk)
		fail_msg("consumer for %s: %s", name, errstr);
	return rk;
}

const char *ktest_topic_name(char *buf, size_t size, const char *prefix) {
	static int n;

	snprintf(buf, size, "%s-%d-%d", prefix, (int)getpid(), ++n);
	return buf;
}

static int topic_partitions(rd_kafka_t *rk, const char *topic) {
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	int cnt = -1;

	if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (md->topic_cnt == 1 && !md->topics[0].err)
			cnt = md->topics[0].partition_cnt;
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	return cnt;
}

void ktest_create_topic(rd_kafka_t *rk, const char *topic, int partitions, ...) {
	char errstr[512];
	rd_kafka_NewTopic_t *nt;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	const rd_kafka_CreateTopics_result_t *res;
	const rd_kafka_topic_result_t **tres;
	size_t n;
	const char *key;
	va_list ap;
	int i;

	nt = rd_kafka_NewTopic_new(topic, partitions, 1, errstr, sizeof(errstr));
	if (!nt)
		fail_msg("NewTopic %s: %s", topic, errstr);
	va_start(ap, partitions);
	while ((key = va_arg(ap, const char *))) {
		const char *val = va_arg(ap, const char *);
		assert_int_equal(rd_kafka_NewTopic_set_config(nt, key, val), 0);
	}
	va_end(ap);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, KTEST_TIMEOUT_MS);
	if (!ev)
		fail_msg("CreateTopics %s: no answer in %d ms", topic, KTEST_TIMEOUT_MS);
	if (rd_kafka_event_error(ev))
		fail_msg("CreateTopics %s: %s", topic, rd_kafka_event_error_string(ev));
	res = rd_kafka_event_CreateTopics_result(ev);
	tres = rd_kafka_CreateTopics_result_topics(res, &n);
	assert_int_equal(n, 1);
	if (rd_kafka_topic_result_error(tres[0]))
		fail_msg("CreateTopics %s: %s", topic, rd_kafka_topic_result_error_string(tres[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);

	/* The controller answered; wait until metadata shows every partition. */
	for (i = 0; i < 60; i++) {
		if (topic_partitions(rk, topic) == partitions)
			return;
		rd_kafka_poll(rk, 500);
	}
	fail_msg("topic %s not visible with %d partitions in metadata", topic, partitions);
}

void ktest_destroy(rd_kafka_t *rk) {
	if (rd_kafka_type(rk) == RD_KAFKA_CONSUMER) {
		rd_kafka_consumer_close(rk);
		rd_kafka_destroy(rk);
		return;
	}
	free(rd_kafka_opaque(rk));
	rd_kafka_destroy(rk);
}

int ktest_delivery_failures(rd_kafka_t *rk) {
	return ((struct ktest_dr *)rd_kafka_opaque(rk))->failures;
}

void ktest_flush(rd_kafka_t *rk) {
	struct ktest_dr *dr = rd_kafka_opaque(rk);
	rd_kafka_resp_err_t err = rd_kafka_flush(rk, KTEST_TIMEOUT_MS);

	if (err)
		fail_msg("flush: %s (%d messages still queued)", rd_kafka_err2str(err),
		         rd_kafka_outq_len(rk));
	if (dr->failures)
		fail_msg("%d deliveries failed, first: %s", dr->failures, dr->first_error);
}

void ktest_produce_seq(const char *cluster, const char *topic, int32_t partition,
                       const char *key_prefix, const char *tag, int first, int n) {
	/* idempotent: a retried request cannot reorder what the tests compare */
	rd_kafka_t *rk =
	    ktest_producer(cluster, "linger.ms", "5", "enable.idempotence", "true", NULL);
	char key[64], val[64];

	for (int i = first; i < first + n; i++) {
		snprintf(key, sizeof(key), "%s-%d", key_prefix, i);
		snprintf(val, sizeof(val), "%s-%d", tag, i);
		assert_int_equal(
		    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
		                      RD_KAFKA_V_KEY(key, strlen(key)),
		                      RD_KAFKA_V_VALUE(val, strlen(val)),
		                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
		    0);
	}
	ktest_flush(rk);
	ktest_destroy(rk);
}

int64_t ktest_high_watermark(rd_kafka_t *rk, const char *topic, int32_t partition) {
	int64_t lo, hi;
	rd_kafka_resp_err_t err =
	    rd_kafka_query_watermark_offsets(rk, topic, partition, &lo, &hi, KTEST_TIMEOUT_MS);

	if (err)
		fail_msg("watermarks %s [%d]: %s", topic, (int)partition, rd_kafka_err2str(err));
	return hi;
}

/* ---- kmirrord under test ------------------------------------------------ */

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

int64_t ktest_now_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polling interval of the waits below: they wait on a condition with a
 * deadline; the interval only bounds how late they notice it. */
static void nap(void) {
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 50 * 1000000};

	nanosleep(&ts, NULL);
}

void ktest_note(const char *fmt, ...) {
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void ktest_pause(void) {
	nap();
}

pid_t ktest_broker_pid(const char *cluster) {
	const char *bed = getenv("KM_TESTBED_DIR");
	char path[512];
	long pid = 0;
	FILE *fp;

	if (!bed)
		return 0;
	snprintf(path, sizeof(path), "%s/%s/pid", bed, cluster);
	if (!(fp = fopen(path, "r")))
		return 0;
	if (fscanf(fp, "%ld", &pid) != 1 || pid < 0)
		pid = 0;
	fclose(fp);
	return (pid_t)pid;
}

int ktest_testbed(const char *args, char *out, size_t out_size) {
	const char *src = getenv("KM_TEST_SRCDIR");
	char cmd[1024], line[256] = "";
	FILE *fp;
	int st;

	if (!src || !*src)
		fail_msg("KM_TEST_SRCDIR is not set: run the test through make");
	if (snprintf(cmd, sizeof(cmd), "'%s/tests/kafka/testbed' %s", src, args) >=
	    (int)sizeof(cmd))
		fail_msg("testbed %s: the command is longer than %zu bytes", args, sizeof(cmd) - 1);
	fflush(stdout);
	if (!(fp = popen(cmd, "r")))
		fail_msg("popen %s: %s", cmd, strerror(errno));
	if (!fgets(line, sizeof(line), fp))
		line[0] = '\0';
	while (fgetc(fp) != EOF) /* the rest of its output, unread: not wanted */
		;
	st = pclose(fp);
	line[strcspn(line, "\n")] = '\0';
	if (out && out_size)
		snprintf(out, out_size, "%s", line);
	if (st == -1) {
		ktest_note("testbed %s: cannot wait for it: %s", args, strerror(errno));
		return -1;
	}
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (st)
		ktest_note("testbed %s failed with exit status %d (its messages are above)", args,
		           st);
	return st;
}

ktest_daemon_t ktest_the_daemon;

int ktest_daemon_teardown(void **state) {
	(void)state;
	if (ktest_the_daemon.dir[0])
		ktest_daemon_cleanup(&ktest_the_daemon);
	memset(&ktest_the_daemon, 0, sizeof(ktest_the_daemon));
	return 0;
}

void ktest_daemon_finish(ktest_daemon_t *d) {
	assert_int_equal(ktest_daemon_stop(d, SIGTERM, 60000), 0);
	ktest_daemon_cleanup(d);
	memset(d, 0, sizeof(*d));
}

static const char *builddir(void) {
	const char *b = getenv("KM_TEST_BUILDDIR");

	if (!b)
		fail_msg("KM_TEST_BUILDDIR is not set: run the test through make");
	return b;
}

void ktest_daemon_config(ktest_daemon_t *d, const char *flows_yaml) {
	ktest_daemon_config_clusters(d, NULL, flows_yaml);
}

void ktest_daemon_config_clusters(ktest_daemon_t *d, const char *clusters_yaml,
                                  const char *flows_yaml) {
	memset(d, 0, sizeof(*d));
	if (clusters_yaml && snprintf(d->clusters, sizeof(d->clusters), "%s", clusters_yaml) >=
	                         (int)sizeof(d->clusters))
		fail_msg("the clusters section is longer than %zu bytes", sizeof(d->clusters));
	snprintf(d->dir, sizeof(d->dir), "%s/ktest-daemon-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(d->dir))
		fail_msg("mkdtemp: %s", strerror(errno));
	snprintf(d->conf, sizeof(d->conf), "%s/kmirror.yaml", d->dir);
	snprintf(d->status, sizeof(d->status), "%s/status.json", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/kmirrord.log", d->dir);
	ktest_daemon_rewrite(d, flows_yaml);
}

/* The test bed's clusters a and b, and `old` when the bed has it (the
 * older Kafka line, make check-kafka), reached over PLAINTEXT. */
static void write_bed_clusters(FILE *fp) {
	const char *old = getenv("KM_TESTBED_old");

	fprintf(fp,
	        "clusters:\n"
	        "  a:\n"
	        "    kafka:\n"
	        "      bootstrap.servers: %s\n"
	        "  b:\n"
	        "    kafka:\n"
	        "      bootstrap.servers: %s\n",
	        ktest_bootstrap("a"), ktest_bootstrap("b"));
	if (old && *old)
		fprintf(fp,
		        "  old:\n"
		        "    kafka:\n"
		        "      bootstrap.servers: %s\n",
		        old);
}

void ktest_daemon_rewrite(ktest_daemon_t *d, const char *flows_yaml) {
	char tmp[320];
	FILE *fp;

	/* written aside and renamed: a reload never reads half a file */
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->conf);
	assert_non_null(fp = fopen(tmp, "w"));
	fprintf(fp,
	        "plugin_dirs: [%s/policies/.libs, %s/plugins/.libs, %s/lua/.libs, "
	        "%s/tests/kafka/.libs]\n"
	        "log_level: debug\n",
	        builddir(), builddir(), builddir(), builddir());
	if (d->clusters[0])
		fputs(d->clusters, fp);
	else
		write_bed_clusters(fp);
	/* suites run side by side: the REST API on a free port, unless the
	 * test sets rest: itself */
	if (strncmp(flows_yaml, "rest:", 5) && !strstr(flows_yaml, "\nrest:"))
		fputs("rest:\n  listen: 127.0.0.1:0\n", fp);
	fputs(flows_yaml, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(rename(tmp, d->conf), 0);
}

void ktest_daemon_start(ktest_daemon_t *d, const char *env) {
	ktest_daemon_start_under(d, env, NULL);
}

void ktest_daemon_start_under(ktest_daemon_t *d, const char *env, const char *const *wrapper) {
	char bin[512];
	const char *argv[64];
	size_t n = 0;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/core/kmirrord", builddir());
	for (; wrapper && wrapper[n] && n < 58; n++)
		argv[n] = wrapper[n];
	argv[n++] = bin;
	argv[n++] = "-c";
	argv[n++] = d->conf;
	argv[n++] = "--status-file";
	argv[n++] = d->status;
	argv[n] = NULL;

	unlink(d->status);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		/* a test that fails leaves no daemon behind: it dies with us */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0)
			_exit(126);
		dup2(fd, 2);
		dup2(fd, 1);
		close(fd);
		if (env)
			putenv((char *)env);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	d->pid = pid;
}

int ktest_daemon_stop(ktest_daemon_t *d, int sig, int timeout_ms) {
	int64_t deadline = ktest_now_ms() + timeout_ms;
	int st;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, sig);
	for (;;) {
		pid_t r = waitpid(d->pid, &st, WNOHANG);
		if (r == d->pid)
			break;
		if (ktest_now_ms() > deadline) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &st, 0);
			d->pid = 0;
			fail_msg("kmirrord did not exit within %d ms of signal %d (log: %s)",
			         timeout_ms, sig, d->log);
		}
		nap();
	}
	d->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void ktest_daemon_cleanup(ktest_daemon_t *d) {
	char cmd[600];

	if (d->pid > 0)
		ktest_daemon_stop(d, SIGKILL, 10000);
	if (getenv("KTEST_KEEP"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
	if (system(cmd) != 0)
		print_message("could not remove %s\n", d->dir);
}

static char *slurp(const char *path) {
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[65536];

	if (!fp)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		char *nb = realloc(buf, len + n + 1);
		assert_non_null(nb);
		buf = nb;
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(fp);
	if (buf)
		buf[len] = '\0';
	return buf;
}

char *ktest_status_flow(ktest_daemon_t *d, const char *flow) {
	char *all = slurp(d->status), needle[256], *start, *end, *out;
	int depth = 0;

	if (!all)
		return NULL;
	snprintf(needle, sizeof(needle), "{\"name\":\"%s\"", flow);
	if (!(start = strstr(all, needle))) {
		free(all);
		return NULL;
	}
	for (end = start; *end; end++) {
		if (*end == '{')
			depth++;
		else if (*end == '}' && --depth == 0)
			break;
	}
	out = strndup(start, (size_t)(end - start + 1));
	free(all);
	return out;
}

static void show_failure(ktest_daemon_t *d, const char *flow) {
	char *st = ktest_status_flow(d, flow), *log = slurp(d->log);
	size_t len = log ? strlen(log) : 0;

	print_error("status of %s: %s\n", flow, st ? st : "(none)");
	print_error("last of %s:\n%s\n", d->log, log ? log + (len > 3000 ? len - 3000 : 0) : "");
	free(st);
	free(log);
}

int ktest_daemon_exited(ktest_daemon_t *d) {
	int st;

	if (d->pid > 0) {
		if (waitpid(d->pid, &st, WNOHANG) != d->pid)
			return -1;
		d->pid = 0;
		d->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	return d->exit_status;
}

int ktest_daemon_alive(ktest_daemon_t *d) {
	int st = ktest_daemon_exited(d);

	if (st < 0)
		return 1;
	show_failure(d, "");
	fail_msg("kmirrord is gone: exit status %d (128+N: signal N; log: %s)", st, d->log);
	return 0;
}

int64_t ktest_status_wait(ktest_daemon_t *d, const char *flow, const char *key, int64_t min,
                          int timeout_ms) {
	int64_t deadline = ktest_now_ms() + timeout_ms, v = -1;
	char needle[128];

	snprintf(needle, sizeof(needle), "\"%s\":", key);
	for (;;) {
		char *st = ktest_status_flow(d, flow), *p;
		if (st && (p = strstr(st, needle)))
			v = strtoll(p + strlen(needle), NULL, 10);
		free(st);
		if (v >= min)
			return v;
		if (ktest_now_ms() > deadline) {
			show_failure(d, flow);
			fail_msg("flow %s: %s stayed at %lld, below %lld, for %d ms", flow, key,
			         (long long)v, (long long)min, timeout_ms);
		}
		nap();
	}
}

void ktest_let_flows_look(ktest_daemon_t *d, const char *const *flows, int cnt, int more,
                          int timeout_ms) {
	for (int i = 0; i < cnt; i++)
		ktest_status_wait(d, flows[i], "runs",
		                  ktest_status_wait(d, flows[i], "runs", 1, timeout_ms) + more,
		                  timeout_ms);
}

void ktest_status_wait_text(ktest_daemon_t *d, const char *flow, const char *text, int timeout_ms) {
	int64_t deadline = ktest_now_ms() + timeout_ms;

	for (;;) {
		char *st = ktest_status_flow(d, flow);
		int found = st && strstr(st, text);
		free(st);
		if (found)
			return;
		if (ktest_now_ms() > deadline) {
			show_failure(d, flow);
			fail_msg("flow %s: the status never held %s within %d ms", flow, text,
			         timeout_ms);
		}
		nap();
	}
}

int64_t ktest_status_part(ktest_daemon_t *d, const char *flow, const char *topic, int32_t partition,
                          const char *key) {
	char *st = ktest_status_flow(d, flow), needle[400], *p, *end;
	int64_t v = -1;

	snprintf(needle, sizeof(needle), "{\"topic\":\"%s\",\"partition\":%d,", topic, partition);
	if (st && (p = strstr(st, needle)) && (end = strchr(p, '}'))) {
		char kn[128], *k;
		snprintf(kn, sizeof(kn), "\"%s\":", key);
		*end = '\0';
		if ((k = strstr(p, kn)))
			v = strtoll(k + strlen(kn), NULL, 10);
	}
	free(st);
	return v;
}

void ktest_status_wait_caught_up(ktest_daemon_t *d, const char *flow, rd_kafka_t *src,
                                 const char *topic, int32_t cnt, int timeout_ms) {
	int64_t deadline = ktest_now_ms() + timeout_ms;

	for (int32_t p = 0; p < cnt; p++) {
		int64_t end = ktest_high_watermark(src, topic, p), next;
		while ((next = ktest_status_part(d, flow, topic, p, "next")) < end) {
			if (ktest_now_ms() > deadline) {
				show_failure(d, flow);
				fail_msg(
				    "flow %s: %s [%d] is at %lld, not at the source's end %lld "
				    "after %d ms",
				    flow, topic, p, (long long)next, (long long)end, timeout_ms);
			}
			nap();
		}
	}
}

char *ktest_log_text(ktest_daemon_t *d) {
	char *log = slurp(d->log);

	if (!log)
		fail_msg("cannot read the log %s", d->log);
	return log;
}

/* Lines of the log at @p level ("warning") that contain @p text ("" for
 * all), each shown as a TAP comment. */
int ktest_log_lines(ktest_daemon_t *d, const char *level, const char *text) {
	char *log = ktest_log_text(d), *line = log, *nl = NULL, tag[32];
	int cnt = 0;

	snprintf(tag, sizeof(tag), "Z %s: ", level);
	for (; line; line = nl ? nl + 1 : NULL) {
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		if (strstr(line, tag) && strstr(line, text)) {
			ktest_note("%s", line);
			cnt++;
		}
	}
	free(log);
	return cnt;
}

int ktest_log_contains(ktest_daemon_t *d, const char *text) {
	char *log = slurp(d->log);
	int found = log && strstr(log, text);

	free(log);
	return found;
}

size_t ktest_log_count(ktest_daemon_t *d, const char *text) {
	char *log = slurp(d->log);
	size_t n = 0;

	for (const char *p = log; p && (p = strstr(p, text)); p += strlen(text))
		n++;
	free(log);
	return n;
}

void ktest_log_wait(ktest_daemon_t *d, const char *text, int timeout_ms) {
	int64_t deadline = ktest_now_ms() + timeout_ms;

	while (!ktest_log_contains(d, text)) {
		if (ktest_now_ms() > deadline) {
			show_failure(d, "");
			fail_msg("the log never said \"%s\" within %d ms", text, timeout_ms);
		}
		nap();
	}
}

static void *dup_bytes(const void *p, size_t len) {
	void *d;

	if (!p)
		return NULL;
	d = malloc(len ? len : 1);
	assert_non_null(d);
	memcpy(d, p, len);
	return d;
}

ktest_rec_t *ktest_read_partition(const char *cluster, const char *topic, int32_t partition,
                                  size_t *cnt) {
	rd_kafka_t *rk = ktest_consumer(cluster, "group.id", "ktest-reader", "enable.auto.commit",
	                                "false", "enable.partition.eof", "true", NULL);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	ktest_rec_t *recs = NULL;
	size_t n = 0, cap = 0;
	int64_t lo, hi;

	assert_int_equal(
	    rd_kafka_query_watermark_offsets(rk, topic, partition, &lo, &hi, KTEST_TIMEOUT_MS), 0);
	if (hi > lo) {
		rd_kafka_topic_partition_list_add(l, topic, partition)->offset = lo;
		assert_int_equal(rd_kafka_assign(rk, l), 0);
		for (;;) {
			rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, KTEST_TIMEOUT_MS);
			rd_kafka_headers_t *h;
			ktest_rec_t *r;

			if (!m)
				fail_msg("%s [%d]: no record within %d ms after %zu", topic,
				         partition, KTEST_TIMEOUT_MS, n);
			if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				int done = m->offset >= hi;
				rd_kafka_message_destroy(m);
				if (done)
					break;
				continue;
			}
			if (m->err)
				fail_msg("%s [%d]: %s", topic, partition,
				         rd_kafka_message_errstr(m));
			/* written after the watermark was read: a partition written
			 * to all the time (heartbeats) never reports its end */
			if (m->offset >= hi) {
				rd_kafka_message_destroy(m);
				break;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				recs = realloc(recs, cap * sizeof(*recs));
				assert_non_null(recs);
			}
			r = &recs[n++];
			r->offset = m->offset;
			r->timestamp = rd_kafka_message_timestamp(m, NULL);
			r->key = dup_bytes(m->key, m->key_len);
			r->key_len = m->key_len;
			r->value = dup_bytes(m->payload, m->len);
			r->value_len = m->len;
			r->headers = NULL;
			if (!rd_kafka_message_headers(m, &h))
				r->headers = rd_kafka_headers_copy(h);
			rd_kafka_message_destroy(m);
			if (r->offset == hi - 1)
				break;
		}
	}
	rd_kafka_topic_partition_list_destroy(l);
	ktest_destroy(rk);
	*cnt = n;
	return recs;
}

void ktest_recs_free(ktest_rec_t *recs, size_t cnt) {
	for (size_t i = 0; i < cnt; i++) {
		free(recs[i].key);
		free(recs[i].value);
		if (recs[i].headers)
			rd_kafka_headers_destroy(recs[i].headers);
	}
	free(recs);
}

int ktest_partitions(rd_kafka_t *rk, const char *topic) {
	return topic_partitions(rk, topic);
}

int64_t ktest_count(rd_kafka_t *rk, const char *topic) {
	int n = topic_partitions(rk, topic);
	int64_t total = 0;

	for (int p = 0; p < n; p++) {
		int64_t lo, hi;
		if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, KTEST_TIMEOUT_MS))
			return -1;
		total += hi - lo;
	}
	return n < 0 ? -1 : total;
}

int64_t ktest_wait_count(rd_kafka_t *rk, const char *topic, int64_t min, int timeout_ms) {
	int64_t deadline = ktest_now_ms() + timeout_ms, c;

	while ((c = ktest_count(rk, topic)) < min) {
		if (ktest_now_ms() > deadline)
			fail_msg("%s holds %lld records, not %lld, after %d ms", topic,
			         (long long)c, (long long)min, timeout_ms);
		nap();
	}
	return c;
}

static rd_kafka_event_t *admin_result(rd_kafka_queue_t *q, const char *what) {
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, KTEST_TIMEOUT_MS);

	if (!ev)
		fail_msg("%s: no answer in %d ms", what, KTEST_TIMEOUT_MS);
	if (rd_kafka_event_error(ev))
		fail_msg("%s: %s", what, rd_kafka_event_error_string(ev));
	return ev;
}

void ktest_alter_topic_configs(rd_kafka_t *rk, const char *topic, ...) {
	rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	const rd_kafka_ConfigResource_t **res;
	rd_kafka_event_t *ev;
	const char *key;
	size_t n;
	va_list ap;

	va_start(ap, topic);
	while ((key = va_arg(ap, const char *)))
		rd_kafka_ConfigResource_set_config(cr, key, va_arg(ap, const char *));
	va_end(ap);
	rd_kafka_AlterConfigs(rk, &cr, 1, NULL, q);
	ev = admin_result(q, "AlterConfigs");
	res = rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &n);
	assert_int_equal(n, 1);
	if (rd_kafka_ConfigResource_error(res[0]))
		fail_msg("AlterConfigs %s: %s", topic,
		         rd_kafka_ConfigResource_error_string(res[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_ConfigResource_destroy(cr);
	rd_kafka_queue_destroy(q);
}

char *ktest_topic_config(rd_kafka_t *rk, const char *topic, const char *name) {
	rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	const rd_kafka_ConfigResource_t **res;
	const rd_kafka_ConfigEntry_t **ents;
	rd_kafka_event_t *ev;
	char *val = NULL;
	size_t n, ecnt;

	rd_kafka_DescribeConfigs(rk, &cr, 1, NULL, q);
	ev = admin_result(q, "DescribeConfigs");
	res = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev),
	                                                &n);
	assert_int_equal(n, 1);
	ents = rd_kafka_ConfigResource_configs(res[0], &ecnt);
	for (size_t i = 0; i < ecnt; i++)
		if (!strcmp(rd_kafka_ConfigEntry_name(ents[i]), name) &&
		    rd_kafka_ConfigEntry_source(ents[i]) ==
		        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG)
			val = strdup(rd_kafka_ConfigEntry_value(ents[i]));
	rd_kafka_event_destroy(ev);
	rd_kafka_ConfigResource_destroy(cr);
	rd_kafka_queue_destroy(q);
	return val;
}

void ktest_delete_topic(rd_kafka_t *rk, const char *topic) {
	rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	const rd_kafka_topic_result_t **res;
	rd_kafka_event_t *ev;
	size_t n;

	rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
	ev = admin_result(q, "DeleteTopics");
	res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
	assert_int_equal(n, 1);
	if (rd_kafka_topic_result_error(res[0]))
		fail_msg("DeleteTopics %s: %s", topic, rd_kafka_topic_result_error_string(res[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_DeleteTopic_destroy(dt);
	rd_kafka_queue_destroy(q);
}

void ktest_create_partitions(rd_kafka_t *rk, const char *topic, int total) {
	char errstr[256];
	rd_kafka_NewPartitions_t *np =
	    rd_kafka_NewPartitions_new(topic, (size_t)total, errstr, sizeof(errstr));
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	const rd_kafka_topic_result_t **res;
	rd_kafka_event_t *ev;
	size_t n;

	assert_non_null(np);
	rd_kafka_CreatePartitions(rk, &np, 1, NULL, q);
	ev = admin_result(q, "CreatePartitions");
	res =
	    rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
	assert_int_equal(n, 1);
	if (rd_kafka_topic_result_error(res[0]))
		fail_msg("CreatePartitions %s: %s", topic,
		         rd_kafka_topic_result_error_string(res[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_NewPartitions_destroy(np);
	rd_kafka_queue_destroy(q);
}

/* The flows section of ktest_flow_start. */
static void flow_yaml(char *buf, size_t size, const char *flow, const char *source,
                      const char *target, const char *topic, const char *extra) {
	if (snprintf(buf, size,
	             "flows:\n"
	             "  - name: %s\n"
	             "    source: %s\n"
	             "    target: %s\n"
	             "    refresh.topics.interval: 1s\n"
	             "    sync.topic.configs.interval: 2s\n"
	             "    topics: {include: ['%s']}\n"
	             "    heartbeats.replication.enabled: false\n"
	             "%s",
	             flow, source, target, topic, extra ? extra : "") >= (int)size)
		fail_msg("the flows section of flow %s is longer than %zu bytes", flow, size - 1);
}

static void flow_started(ktest_daemon_t *d, const char *flow, int timeout_ms) {
	char ready[300];

	ktest_daemon_start(d, NULL);
	snprintf(ready, sizeof(ready), "flow %s: loaded progress", flow);
	ktest_log_wait(d, ready, timeout_ms);
}

void ktest_flow_start(ktest_daemon_t *d, const char *flow, const char *topic, const char *extra,
                      int timeout_ms) {
	char yaml[2048];

	flow_yaml(yaml, sizeof(yaml), flow, "a", "b", topic, extra);
	ktest_daemon_config(d, yaml);
	flow_started(d, flow, timeout_ms);
}

void ktest_clusters_yaml(char *buf, size_t size, const char *alias1, const char *bed1,
                         const char *alias2, const char *bed2) {
	snprintf(buf, size,
	         "clusters:\n"
	         "  %s:\n"
	         "    kafka:\n"
	         "      bootstrap.servers: %s\n"
	         "  %s:\n"
	         "    kafka:\n"
	         "      bootstrap.servers: %s\n",
	         alias1, ktest_bootstrap(bed1), alias2, ktest_bootstrap(bed2));
}

void ktest_flow_start_as(ktest_daemon_t *d, const char *flow, const char *source,
                         const char *target, const char *topic, const char *extra, int timeout_ms) {
	char yaml[2048], clusters[1024];

	ktest_clusters_yaml(clusters, sizeof(clusters), source, "a", target, "b");
	flow_yaml(yaml, sizeof(yaml), flow, source, target, topic, extra);
	ktest_daemon_config_clusters(d, clusters, yaml);
	flow_started(d, flow, timeout_ms);
}

void ktest_produce_big(const char *topic, int32_t partition, size_t len) {
	rd_kafka_t *rk = ktest_producer("a", "message.max.bytes", "2000000", NULL);
	unsigned char *val = malloc(len);
	uint32_t x = 2463534242u;

	assert_non_null(val);
	for (size_t i = 0; i < len; i++) { /* xorshift: lz4 cannot shrink it */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		val[i] = (unsigned char)x;
	}
	assert_int_equal(
	    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
	                      RD_KAFKA_V_KEY("big", 3), RD_KAFKA_V_VALUE(val, len),
	                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
	    0);
	ktest_flush(rk);
	ktest_destroy(rk);
	free(val);
}

void ktest_wait_topic_config(rd_kafka_t *rk, const char *topic, const char *name, const char *want,
                             int timeout_ms) {
	int64_t deadline = ktest_now_ms() + timeout_ms;

	for (;;) {
		char *v = ktest_topic_config(rk, topic, name);
		int ok = want ? v && !strcmp(v, want) : !v;
		if (ok) {
			free(v);
			return;
		}
		if (ktest_now_ms() > deadline)
			fail_msg("%s: %s is %s, not %s, after %d ms", topic, name,
			         v ? v : "(unset)", want ? want : "(unset)", timeout_ms);
		free(v);
		ktest_pause();
	}
}

const char *ktest_header(const ktest_rec_t *r, const char *name, char *buf, size_t size) {
	const void *val;
	size_t sz;

	if (!r->headers || rd_kafka_header_get_last(r->headers, name, &val, &sz) || sz >= size)
		return NULL;
	memcpy(buf, val, sz);
	buf[sz] = '\0';
	return buf;
}

void ktest_assert_header(const ktest_rec_t *r, const char *name, const char *want) {
	char buf[512];

	if (!ktest_header(r, name, buf, sizeof(buf)))
		fail_msg("record at offset %" PRId64 " has no header %s", r->offset, name);
	if (strcmp(buf, want))
		fail_msg("record at offset %" PRId64 ": header %s is '%s', not '%s'", r->offset,
		         name, buf, want);
}

ktest_rec_t *ktest_read_all(const char *cluster, const char *topic, size_t *cnt) {
	rd_kafka_t *rk = ktest_producer(cluster, NULL);
	int parts = ktest_partitions(rk, topic);
	ktest_rec_t *all = NULL;

	*cnt = 0;
	for (int p = 0; p < parts; p++) {
		size_t n;
		ktest_rec_t *r = ktest_read_partition(cluster, topic, p, &n);
		all = realloc(all, (*cnt + n + 1) * sizeof(*all));
		assert_non_null(all);
		if (n)
			memcpy(all + *cnt, r, n * sizeof(*r));
		*cnt += n;
		free(r); /* the records moved to @p all */
	}
	ktest_destroy(rk);
	return all;
}

const char *ktest_cluster_id(const char *cluster, char *buf, size_t size) {
	rd_kafka_t *rk = ktest_producer(cluster, NULL);
	char *id = rd_kafka_clusterid(rk, KTEST_TIMEOUT_MS);

	if (!id)
		fail_msg("cluster %s gave no cluster id", cluster);
	snprintf(buf, size, "%s", id);
	rd_kafka_mem_free(rk, id);
	ktest_destroy(rk);
	return buf;
}

int ktest_tagged_index(const ktest_rec_t *r, char *buf, size_t size, size_t *tag_len) {
	size_t len = r->value_len < size ? r->value_len : size - 1;
	const char *dash;
	char *end;
	long i;

	buf[0] = '\0';
	if (!r->value)
		return -1;
	memcpy(buf, r->value, len);
	buf[len] = '\0';
	if (len < r->value_len || !(dash = strrchr(buf, '-')) || dash[1] < '0' || dash[1] > '9')
		return -1;
	errno = 0;
	i = strtol(dash + 1, &end, 10);
	if (*end || errno || i > INT_MAX)
		return -1;
	*tag_len = (size_t)(dash - buf);
	return (int)i;
}

void ktest_assert_tagged_once(const char *cluster, const char *topic, const char *header,
                              const ktest_tagged_t *want, int cnt) {
	size_t rn, total = 0, twice = 0, bad_prov = 0,
	           *base = calloc((size_t)cnt + 1, sizeof(*base));
	ktest_rec_t *r = ktest_read_all(cluster, topic, &rn);
	unsigned char *seen;
	char buf[1100];

	assert_non_null(base);
	for (int k = 0; k < cnt; k++)
		base[k + 1] = base[k] + (size_t)(want[k].n - want[k].from);
	assert_non_null(seen = calloc(base[cnt] + 1, 1));
	for (size_t j = 0; j < rn; j++) {
		char v[64];
		const char *h;
		size_t tag_len = 0;
		int k, i = ktest_tagged_index(&r[j], v, sizeof(v), &tag_len);
		for (k = 0; i >= 0 && k < cnt &&
		            (strlen(want[k].tag) != tag_len || memcmp(want[k].tag, v, tag_len));
		     k++)
			;
		if (i < 0 || k == cnt || i < want[k].from || i >= want[k].n)
			fail_msg("%s on %s offset %" PRId64 ": unexpected value '%s'", topic,
			         cluster, r[j].offset, r[j].value ? v : "(null)");
		if (seen[base[k] + (size_t)(i - want[k].from)]++)
			twice++;
		h = ktest_header(&r[j], header, buf, sizeof(buf));
		if (want[k].prov ? !h || strcmp(h, want[k].prov) : h != NULL) {
			if (!bad_prov++)
				ktest_note("%s on %s: '%s' has %s '%s', not '%s'", topic, cluster,
				           v, header, h ? h : "(none)",
				           want[k].prov ? want[k].prov : "(none)");
		}
		total++;
	}
	for (int k = 0; k < cnt; k++)
		for (int i = want[k].from; i < want[k].n; i++)
			if (!seen[base[k] + (size_t)(i - want[k].from)])
				fail_msg("%s on %s: '%s-%d' is missing", topic, cluster,
				         want[k].tag, i);
	if (twice || bad_prov)
		fail_msg("%s on %s: %zu records twice, %zu with the wrong provenance", topic,
		         cluster, twice, bad_prov);
	assert_int_equal(total, base[cnt]);
	free(seen);
	free(base);
	ktest_recs_free(r, rn);
}

const ktest_rec_t *ktest_find_key(const ktest_rec_t *recs, size_t n, const char *key) {
	for (size_t i = 0; i < n; i++)
		if (recs[i].key && recs[i].key_len == strlen(key) &&
		    !memcmp(recs[i].key, key, recs[i].key_len))
			return &recs[i];
	fail_msg("no record keyed %s among %zu", key, n);
	return NULL;
}

void ktest_keys_of(const char *cluster, const char *topic, int32_t partition, char *buf,
                   size_t size) {
	size_t n, len = 0;
	ktest_rec_t *r = ktest_read_partition(cluster, topic, partition, &n);

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(buf + len, size - len, "%s%.*s", i ? "," : "",
		                        (int)r[i].key_len, r[i].key ? (const char *)r[i].key : "");
		if (len >= size)
			fail_msg("the keys of %s [%d] (%zu records) do not fit in %zu bytes", topic,
			         (int)partition, n, size);
	}
	ktest_recs_free(r, n);
}

void ktest_produce_msgs(const char *cluster, const char *topic, int32_t partition,
                        const ktest_msg_t *m, size_t n) {
	rd_kafka_t *rk = ktest_producer(cluster, "enable.idempotence", "true", NULL);

	for (size_t i = 0; i < n; i++) {
		rd_kafka_headers_t *h = rd_kafka_headers_new(4); /* none: an empty list */
		for (size_t j = 0; m[i].headers[j]; j += 2)
			rd_kafka_header_add(h, m[i].headers[j], -1, m[i].headers[j + 1],
			                    m[i].headers[j + 1] ? -1 : 0);
		assert_int_equal(
		    rd_kafka_producev(
		        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
		        RD_KAFKA_V_KEY(m[i].key, m[i].key ? strlen(m[i].key) : 0),
		        RD_KAFKA_V_VALUE((void *)m[i].value, m[i].value ? strlen(m[i].value) : 0),
		        RD_KAFKA_V_TIMESTAMP(m[i].timestamp),
		        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
		        RD_KAFKA_V_END),
		    0);
	}
	ktest_flush(rk);
	ktest_destroy(rk);
}

/* ---- copies checked record by record --------------------------------- */

/* Explicit timestamps: an hour before the first use, so the brokers'
 * retention (7 days by default) keeps every record during the test. */
static int64_t base_ts(void) {
	static int64_t ts;

	if (!ts)
		ts = (int64_t)time(NULL) * 1000 - 3600 * 1000;
	return ts;
}

/* Produces @p n records to @p topic over @p partitions partitions, record i
 * to partition i % partitions, value "<tag>-<i>" (unique), with the
 * varieties the copy must keep: null keys, null and empty values, no
 * headers, a null-valued header, a repeated header name, explicit
 * timestamps. */
void ktest_produce_varied(const char *topic, int partitions, int first, int n, const char *tag) {
	rd_kafka_t *rk = ktest_producer("a", "enable.idempotence", "true", "linger.ms", "20", NULL);
	char key[32], val[64], num[16];

	for (int i = first; i < first + n; i++) {
		rd_kafka_headers_t *hdrs = NULL;
		rd_kafka_resp_err_t err;
		const void *v = val;
		size_t vlen;

		snprintf(key, sizeof(key), "k%d", i % 997);
		snprintf(val, sizeof(val), "%s-%d", tag, i);
		vlen = strlen(val);
		if (i % 11 == 3)
			v = NULL, vlen = 0; /* tombstone */
		else if (i % 13 == 5)
			vlen = 0; /* empty, not null */
		if (i % 5) {
			hdrs = rd_kafka_headers_new(3);
			snprintf(num, sizeof(num), "%d", i);
			rd_kafka_header_add(hdrs, "h1", -1, num, -1);
			rd_kafka_header_add(hdrs, "hnull", -1, NULL, 0);
			rd_kafka_header_add(hdrs, "h1", -1, "again", -1);
		}
		do {
			err = rd_kafka_producev(
			    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % partitions),
			    RD_KAFKA_V_KEY((i % 7 ? key : NULL), (i % 7 ? strlen(key) : 0)),
			    RD_KAFKA_V_VALUE((void *)v, vlen),
			    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			    RD_KAFKA_V_TIMESTAMP(base_ts() + i), RD_KAFKA_V_HEADERS(hdrs),
			    RD_KAFKA_V_END);
			if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
				rd_kafka_poll(rk, 100);
		} while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
		if (err)
			fail_msg("produce %d: %s", i, rd_kafka_err2str(err));
		rd_kafka_poll(rk, 0);
	}
	ktest_flush(rk);
	ktest_destroy(rk);
}

int ktest_bytes_equal(const void *a, size_t alen, const void *b, size_t blen) {
	if ((a == NULL) != (b == NULL) || alen != blen)
		return 0;
	return alen == 0 || !memcmp(a, b, alen);
}

/* The @p i-th header of @p h that is not a provenance header (which
 * kmirror adds to each copy, docs/active-active.md); 0 when there is one. */
static int ktest_header_nth(const rd_kafka_headers_t *h, size_t i, const char **name,
                            const void **val, size_t *size) {
	size_t cnt = h ? rd_kafka_header_cnt(h) : 0;

	for (size_t k = 0; k < cnt; k++) {
		rd_kafka_header_get_all(h, k, name, val, size);
		if (!strcmp(*name, KTEST_PROV_HEADER))
			continue;
		if (!i--)
			return 0;
	}
	return -1;
}

/* Whether two records carry the same key, value, headers and timestamp;
 * provenance headers do not count. */
int ktest_same_record(const ktest_rec_t *s, const ktest_rec_t *t) {
	size_t i;

	if (!ktest_bytes_equal(s->key, s->key_len, t->key, t->key_len) ||
	    !ktest_bytes_equal(s->value, s->value_len, t->value, t->value_len) ||
	    s->timestamp != t->timestamp)
		return 0;
	for (i = 0;; i++) {
		const char *sn, *tn;
		const void *sv, *tv;
		size_t ss, ts;
		int sr = ktest_header_nth(s->headers, i, &sn, &sv, &ss),
		    tr = ktest_header_nth(t->headers, i, &tn, &tv, &ts);
		if (sr || tr)
			return sr && tr;
		if (strcmp(sn, tn) || !ktest_bytes_equal(sv, ss, tv, ts))
			return 0;
	}
}

/* Every partition of the mirror topic equals its source partition record
 * for record, in order. */
void ktest_assert_exact_copy(const char *topic, const char *mirror, int partitions,
                             int64_t expected) {
	int64_t total = 0;

	for (int p = 0; p < partitions; p++) {
		size_t sn, tn;
		ktest_rec_t *s = ktest_read_partition("a", topic, p, &sn);
		ktest_rec_t *t = ktest_read_partition("b", mirror, p, &tn);

		if (sn != tn)
			fail_msg("partition %d: %zu records on the source, %zu on the target", p,
			         sn, tn);
		for (size_t i = 0; i < sn; i++)
			if (!ktest_same_record(&s[i], &t[i]))
				fail_msg("partition %d: record %zu differs (source offset "
				         "%" PRId64 ", target offset %" PRId64 ")",
				         p, i, s[i].offset, t[i].offset);
		total += (int64_t)sn;
		ktest_recs_free(s, sn);
		ktest_recs_free(t, tn);
	}
	assert_int_equal(total, expected);
}

/* The index i of a value "<tag>-<i>" (-1: not of that form). */
static int64_t value_index(const ktest_rec_t *r) {
	char num[32] = "";
	const char *dash = r->value ? memchr(r->value, '-', r->value_len) : NULL;
	size_t nlen = dash ? r->value_len - (size_t)(dash + 1 - (const char *)r->value) : 0;

	if (!dash || !nlen || nlen >= sizeof(num))
		return -1;
	memcpy(num, dash + 1, nlen);
	return strtoll(num, NULL, 10);
}

/* Checks a mirror partition after crashes: every source record is there,
 * the first occurrences are in source order, and the duplicates number at
 * most @p bound. Returns the duplicates. Values are unique per partition;
 * the source's own order is whatever the source holds (a retried produce
 * there may have reordered it), so positions, not values, are compared. */
size_t ktest_check_at_least_once(const char *topic, const char *mirror, int p, size_t bound) {
	return ktest_check_at_least_once_tag(topic, mirror, p, bound, NULL);
}

/* Keeps the records of @p t whose value starts with @p tag; returns how
 * many are kept. */
static size_t keep_tagged(ktest_rec_t *t, size_t tn, const char *tag) {
	size_t kept = 0, tlen = strlen(tag);

	for (size_t i = 0; i < tn; i++) {
		if (t[i].value && t[i].value_len > tlen && !memcmp(t[i].value, tag, tlen) &&
		    ((const char *)t[i].value)[tlen] == '-') {
			ktest_rec_t r = t[kept];
			t[kept++] = t[i];
			t[i] = r;
		}
	}
	return kept;
}

size_t ktest_check_at_least_once_tag(const char *topic, const char *mirror, int p, size_t bound,
                                     const char *tag) {
	size_t sn, tn, all, dups, si = 0;
	ktest_rec_t *s = ktest_read_partition("a", topic, p, &sn);
	ktest_rec_t *t = ktest_read_partition("b", mirror, p, &all);
	int64_t max_index = -1, *pos;

	tn = tag ? keep_tagged(t, all, tag) : all;

	assert_true(tn >= sn);
	dups = tn - sn;
	for (size_t k = 0; k < sn; k++) {
		int64_t i = value_index(&s[k]);
		assert_true(i >= 0);
		if (i > max_index)
			max_index = i;
	}
	/* pos[i]: where the value with index i is in the source */
	pos = malloc((size_t)(max_index + 1) * sizeof(*pos));
	assert_non_null(pos);
	for (int64_t i = 0; i <= max_index; i++)
		pos[i] = -1;
	for (size_t k = 0; k < sn; k++)
		pos[value_index(&s[k])] = (int64_t)k;
	/* A target record whose source position was reached already is a
	 * duplicate; any other must be exactly the next source record. */
	for (size_t ti = 0; ti < tn; ti++) {
		int64_t i = value_index(&t[ti]), at = i >= 0 && i <= max_index ? pos[i] : -1;

		if (at < 0)
			fail_msg("partition %d: target record %zu is not in the source", p, ti);
		if ((size_t)at < si)
			continue;
		if ((size_t)at != si || !ktest_same_record(&s[si], &t[ti]))
			fail_msg("partition %d: target record %zu (source position %" PRId64
			         ") is not the next source record %zu",
			         p, ti, at, si);
		si++;
	}
	assert_int_equal(si, sn);
	if (dups > bound)
		fail_msg("partition %d: %zu duplicates, more than the in-flight bound %zu", p, dups,
		         bound);
	free(pos);
	ktest_recs_free(s, sn);
	ktest_recs_free(t, all);
	return dups;
}

/* Produces records whose values never are null or empty (the duplicate
 * check reads their index). Not idempotent, as many real sources are not:
 * a retried request can land after later ones, and kmirror must copy the
 * source's order as it is. */
void ktest_produce_plain(const char *topic, int partitions, int first, int n) {
	rd_kafka_t *rk = ktest_producer("a", "linger.ms", "20", NULL);
	char val[64];

	for (int i = first; i < first + n; i++) {
		rd_kafka_resp_err_t err;
		snprintf(val, sizeof(val), "c-%d", i);
		do {
			err = rd_kafka_producev(
			    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % partitions),
			    RD_KAFKA_V_VALUE(val, strlen(val)),
			    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
			if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
				rd_kafka_poll(rk, 100);
		} while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
		assert_int_equal(err, 0);
		rd_kafka_poll(rk, 0);
	}
	ktest_flush(rk);
	ktest_destroy(rk);
}

/* ---- TAP output ----------------------------------------------------------- */

/* cmocka 1.1.5 (Debian 12) prints a skipped test as "not ok N # SKIP name",
 * which automake's TAP driver counts as a failure (a SKIP directive on a
 * "not ok" line). Between ktest_tap_begin and ktest_tap_end, stdout goes
 * through this filter, which prints such lines as "ok N # SKIP name" and
 * everything else as is. */
struct tap_filter {
	FILE *out;
	size_t len;
	char line[4096];
};

static void tap_filter_line(struct tap_filter *f) {
	f->line[f->len] = '\0';
	if (!strncmp(f->line, "not ok ", 7) && strstr(f->line, " # SKIP"))
		fputs(f->line + 4, f->out);
	else
		fputs(f->line, f->out);
	f->len = 0;
}

static ssize_t tap_filter_write(void *cookie, const char *buf, size_t size) {
	struct tap_filter *f = cookie;

	for (size_t i = 0; i < size; i++) {
		f->line[f->len++] = buf[i];
		if (buf[i] == '\n' || f->len == sizeof(f->line) - 1)
			tap_filter_line(f);
	}
	fflush(f->out);
	return (ssize_t)size;
}

static int tap_filter_close(void *cookie) {
	struct tap_filter *f = cookie;

	if (f->len)
		tap_filter_line(f);
	return fflush(f->out);
}

static struct tap_filter tap_filter;
static FILE *tap_stream;

void ktest_tap_begin(void) {
	const cookie_io_functions_t io = {.write = tap_filter_write, .close = tap_filter_close};

	tap_filter.out = stdout;
	if (!(tap_stream = fopencookie(&tap_filter, "w", io))) {
		perror("fopencookie");
		exit(1);
	}
	setvbuf(tap_stream, NULL, _IOLBF, 0);
	stdout = tap_stream;
}

void ktest_tap_end(void) {
	if (!tap_stream)
		return;
	stdout = tap_filter.out;
	fclose(tap_stream);
	tap_stream = NULL;
}

void ktest_commit(const char *cluster, const char *group, const char *topic, int32_t part,
                  int64_t offset) {
	rd_kafka_t *rk = ktest_producer(cluster, NULL);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_AlterConsumerGroupOffsets_t *req;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	const rd_kafka_group_result_t **res;
	rd_kafka_event_t *ev;
	size_t n = 0;

	rd_kafka_topic_partition_list_add(l, topic, part)->offset = offset;
	req = rd_kafka_AlterConsumerGroupOffsets_new(group, l);
	rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, NULL, q);
	rd_kafka_AlterConsumerGroupOffsets_destroy(req);
	ev = rd_kafka_queue_poll(q, 60000);
	assert_non_null(ev);
	res = rd_kafka_AlterConsumerGroupOffsets_result_groups(
	    rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
	if (rd_kafka_event_error(ev) || n != 1 || rd_kafka_group_result_error(res[0]))
		fail_msg("committing %s for %s on %s: %s", topic, group, cluster,
		         rd_kafka_event_error(ev) ? rd_kafka_event_error_string(ev)
		                                  : "the group's result has an error");
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_topic_partition_list_destroy(l);
	ktest_destroy(rk);
}

void ktest_assert_resumes_exactly(const char *topic, const ktest_rec_t *s, size_t ns,
                                  const ktest_rec_t *t, size_t nt, int32_t part, int64_t committed,
                                  int64_t down, int (*kept)(const ktest_rec_t *r)) {
	size_t j = 0;

	while (j < nt && t[j].offset < down)
		j++;
	for (size_t i = 0; i < ns; i++) {
		if (s[i].offset < committed || (kept && !kept(&s[i])))
			continue;
		if (j >= nt)
			fail_msg(
			    "%s [%d]: the source record at %lld is not on the target after the "
			    "checkpoint's offset %lld",
			    topic, part, (long long)s[i].offset, (long long)down);
		if (!ktest_bytes_equal(s[i].key, s[i].key_len, t[j].key, t[j].key_len) ||
		    !ktest_bytes_equal(s[i].value, s[i].value_len, t[j].value, t[j].value_len))
			fail_msg(
			    "%s [%d]: resuming at %lld gives target offset %lld (key %.*s) where "
			    "source offset %lld (key %.*s) was due",
			    topic, part, (long long)down, (long long)t[j].offset, (int)t[j].key_len,
			    (char *)t[j].key, (long long)s[i].offset, (int)s[i].key_len,
			    (char *)s[i].key);
		j++;
	}
	if (j != nt)
		fail_msg("%s [%d]: %zu record(s) on the target after the last one due", topic, part,
		         nt - j);
}

/* ---- MirrorMaker 2's Java client code (tests/interop/run) ---------------- */

#include <poll.h>

/* tests/interop/run in the source tree, from KM_TEST_SRCDIR (make sets it). */
static void interop_tool(char *buf, size_t size) {
	const char *src = getenv("KM_TEST_SRCDIR");

	if (!src || !*src)
		fail_msg("KM_TEST_SRCDIR is not set: run the test through make");
	if (strchr(src, '\''))
		fail_msg("the source directory %s holds a quote: the shell commands of "
		         "ktest_interop cannot quote it",
		         src);
	if (snprintf(buf, size, "%s/tests/interop/run", src) >= (int)size)
		fail_msg("the source directory path is too long: %s", src);
}

/* A temporary file for the tool's stderr, in @p buf. */
static void interop_errfile(char *buf, size_t size) {
	int fd;

	snprintf(buf, size, "%s/ktest-interop-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if ((fd = mkstemp(buf)) < 0)
		fail_msg("mkstemp %s: %s", buf, strerror(errno));
	close(fd);
}

/* The last lines of the tool's stderr (a Java client may log a lot before
 * it gives up), for a failure message; caller frees. */
static char *interop_err_tail(const char *path) {
	char *text = slurp(path);
	size_t len;

	unlink(path);
	if (!text)
		return strdup("(no stderr)");
	len = strlen(text);
	if (len > 3000) {
		char *from = text + len - 3000, *nl = strchr(from, '\n');

		if (nl)
			from = nl + 1;
		memmove(text, from, strlen(from) + 1);
	}
	return text;
}

static void interop_status_check(int st, const char *what, const char *errfile) {
	char *err;

	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		unlink(errfile);
		return;
	}
	err = interop_err_tail(errfile);
	if (st == -1)
		fail_msg("tests/interop/run %s: cannot wait for it: %s", what, strerror(errno));
	else if (WIFEXITED(st))
		fail_msg("tests/interop/run %s: exit status %d; stderr:\n%s", what, WEXITSTATUS(st),
		         err);
	else
		fail_msg("tests/interop/run %s: killed by signal %d; stderr:\n%s", what,
		         WIFSIGNALED(st) ? WTERMSIG(st) : 0, err);
}

char *ktest_interop(const char *fmt, ...) {
	char tool[1024], errfile[256], args[4096], *cmd = NULL, *out = NULL;
	size_t len = 0, n;
	char chunk[4096];
	va_list ap;
	FILE *fp;
	int st;

	interop_tool(tool, sizeof(tool));
	va_start(ap, fmt);
	n = (size_t)vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (n >= sizeof(args))
		fail_msg("ktest_interop: arguments longer than %zu bytes", sizeof(args) - 1);
	interop_errfile(errfile, sizeof(errfile));
	if (asprintf(&cmd, "'%s' %s 2>'%s'", tool, args, errfile) < 0)
		fail_msg("asprintf: out of memory");
	if (!(fp = popen(cmd, "r")))
		fail_msg("popen %s: %s", cmd, strerror(errno));
	free(cmd);
	assert_non_null(out = malloc(1));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		char *nb = realloc(out, len + n + 1);
		assert_non_null(nb);
		out = nb;
		memcpy(out + len, chunk, n);
		len += n;
	}
	out[len] = '\0';
	st = pclose(fp);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		free(out);
		interop_status_check(st, args, errfile);
	}
	unlink(errfile);
	return out;
}

void ktest_interop_hold_start(ktest_hold_t *h, const char *bootstrap, const char *topic,
                              const char *group, const char *protocol) {
	int64_t deadline = ktest_now_ms() + 120000;
	char tool[1024], *cmd = NULL, buf[512];
	int in[2], out[2];
	size_t len = 0;
	pid_t pid;

	memset(h, 0, sizeof(*h));
	h->pid = -1;
	interop_tool(tool, sizeof(tool));
	interop_errfile(h->errfile, sizeof(h->errfile));
	snprintf(h->what, sizeof(h->what), "hold %s %s %s %s", bootstrap, topic, group, protocol);
	if (asprintf(&cmd, "exec '%s' %s 2>'%s'", tool, h->what, h->errfile) < 0)
		fail_msg("asprintf: out of memory");
	/* close-on-exec: no other child keeps the tool's stdin open, so closing
	 * ours is the EOF that ends the hold */
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		fail_msg("pipe2: %s", strerror(errno));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a test that dies leaves no member behind */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	free(cmd);
	close(in[0]);
	close(out[1]);
	h->pid = pid;
	h->in_fd = in[1];
	h->out_fd = out[0];
	/* "ready" once the member has its assignment; EOF if the tool failed */
	for (;;) {
		struct pollfd pfd = {.fd = h->out_fd, .events = POLLIN};
		int64_t left = deadline - ktest_now_ms();
		ssize_t n;

		if (left <= 0) {
			ktest_interop_hold_stop(h);
			fail_msg("tests/interop/run %s: not ready within 120 s", h->what);
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(h->out_fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			int st = -1;

			close(h->in_fd);
			close(h->out_fd);
			waitpid(h->pid, &st, 0);
			h->pid = -1;
			interop_status_check(st, h->what, h->errfile);
			fail_msg("tests/interop/run %s: exited before it was ready", h->what);
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "ready\n"))
			return;
		if (len == sizeof(buf) - 1)
			fail_msg("tests/interop/run %s: said %s, not ready", h->what, buf);
	}
}

void ktest_interop_hold_stop(ktest_hold_t *h) {
	int64_t deadline = ktest_now_ms() + 60000;
	int st = -1;

	if (h->pid <= 0)
		return;
	close(h->in_fd);
	for (;;) {
		pid_t r = waitpid(h->pid, &st, WNOHANG);
		if (r == h->pid)
			break;
		if (r < 0 || ktest_now_ms() > deadline) {
			kill(h->pid, SIGKILL);
			waitpid(h->pid, &st, 0);
			close(h->out_fd);
			h->pid = -1;
			fail_msg(
			    "tests/interop/run %s: did not exit within 60 s of its stdin's end",
			    h->what);
		}
		nap();
	}
	close(h->out_fd);
	h->pid = -1;
	interop_status_check(st, h->what, h->errfile);
}

void ktest_start_aliased(ktest_daemon_t *d, const char *prefix, const char *third,
                         const char *flows) {
	char cl[1024];
	int n = snprintf(cl, sizeof(cl),
	                 "clusters:\n"
	                 "  %sA:\n    kafka: {bootstrap.servers: '%s'}\n"
	                 "  %sB:\n    kafka: {bootstrap.servers: '%s'}\n",
	                 prefix, ktest_bootstrap("a"), prefix, ktest_bootstrap("b"));

	if (third)
		snprintf(cl + n, sizeof(cl) - (size_t)n,
		         "  %sC:\n    kafka: {bootstrap.servers: '%s'}\n", prefix,
		         ktest_bootstrap(third));
	ktest_daemon_config_clusters(d, cl, flows);
	ktest_daemon_start(d, NULL);
}

void ktest_flow_yaml(char *buf, size_t size, const char *name, const char *src, const char *dst,
                     const char *topic, const char *common, const char *extra) {
	size_t len = strlen(buf);

	snprintf(buf + len, size - len,
	         "%s  - name: %s\n"
	         "    source: %s\n"
	         "    target: %s\n"
	         "    refresh.topics.interval: 1s\n"
	         "    topics: {include: ['%s']}\n"
	         "%s%s",
	         len ? "" : "flows:\n", name, src, dst, topic, common ? common : "",
	         extra ? extra : "");
}

int64_t ktest_committed(const char *cluster, const char *group, const char *topic, int32_t part) {
	rd_kafka_t *rk =
	    ktest_consumer(cluster, "group.id", group, "enable.auto.commit", "false", NULL);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	int64_t off;

	rd_kafka_topic_partition_list_add(l, topic, part);
	assert_int_equal(rd_kafka_committed(rk, l, 30000), 0);
	off = l->elems[0].err ? -1 : l->elems[0].offset < 0 ? -1 : l->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_consumer_close(rk);
	ktest_destroy(rk);
	return off;
}
