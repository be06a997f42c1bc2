/* kbench: the benchmark's helpers around the contenders (tests/bench/run).
 *
 *   kbench create BROKERS TOPIC PARTITIONS
 *       creates TOPIC (replication factor 1) and waits until its metadata
 *       shows every partition
 *   kbench delete BROKERS TOPIC...
 *       deletes topics (errors are reported, not fatal)
 *   kbench load BROKERS TOPIC RECORDS SIZE PARTITIONS
 *       produces RECORDS records of SIZE value bytes round-robin over
 *       PARTITIONS, each with a key ("key-<n>") and two headers
 *       ("trace-id": 16 bytes, "origin": "kbench"); a value is pseudo-random
 *       letters and digits, its second half a window of a 64 KiB pool that
 *       all records share, so lz4 roughly halves it. Waits for every
 *       acknowledgement and checks that the topic's high watermarks add up.
 *   kbench watch BROKERS TOPIC PARTITIONS RECORDS [options]
 *       polls the sum of TOPIC's high watermarks every --interval-ms (20)
 *       and prints, as key=value lines, when it first became > 0 and when it
 *       reached RECORDS (monotonic seconds), with CPU samples at both moments:
 *         --pid-file F      the replicator's PID (read when it appears):
 *                           its CPU (/proc/PID/stat, all threads) and VmHWM
 *         --broker-pids L   comma-separated broker PIDs: their CPU
 *         --ready-file F    created after the first successful poll
 *         --timeout S       give up after S seconds (default 900): exit 1
 *       The machine's busy share over the window comes from /proc/stat.
 *
 * Every command prints its result on stdout and its errors on stderr and
 * exits non-zero on failure. */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "benchutil.h"

static void nap_ms(int ms) {
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *brokers, ...) {
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512];
	const char *k;
	rd_kafka_t *rk;
	va_list ap;

	bench_set(conf, "bootstrap.servers", brokers);
	va_start(ap, brokers);
	while ((k = va_arg(ap, const char *)))
		bench_set(conf, k, va_arg(ap, const char *));
	va_end(ap);
	if (!(rk = rd_kafka_new(type, conf, errstr, sizeof(errstr))))
		bench_fail(1, "%s", errstr);
	return rk;
}

/* The topic's partition count in metadata, -1 when unknown. */
static int partitions_of(rd_kafka_t *rk, const char *topic) {
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	int cnt = -1;

	if (!rd_kafka_metadata(rk, 0, rkt, &md, 5000)) {
		if (md->topic_cnt == 1 && !md->topics[0].err)
			cnt = md->topics[0].partition_cnt;
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	return cnt;
}

static int cmd_create(const char *brokers, const char *topic, int parts) {
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, brokers, NULL);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	char errstr[512];
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, parts, 1, errstr, sizeof(errstr));
	const rd_kafka_topic_result_t **res;
	rd_kafka_event_t *ev;
	size_t n;

	if (!nt)
		bench_fail(1, "topic %s: %s", topic, errstr);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	if (!(ev = rd_kafka_queue_poll(q, 60000)))
		bench_fail(1, "creating %s: no answer", topic);
	if (rd_kafka_event_error(ev))
		bench_fail(1, "creating %s: %s", topic, rd_kafka_event_error_string(ev));
	res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
	if (n != 1 || rd_kafka_topic_result_error(res[0]))
		bench_fail(1, "creating %s: %s", topic,
		           n ? rd_kafka_topic_result_error_string(res[0]) : "?");
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	for (int i = 0; i < 120 && partitions_of(rk, topic) != parts; i++)
		nap_ms(250);
	if (partitions_of(rk, topic) != parts)
		bench_fail(1, "%s: metadata does not show %d partitions", topic, parts);
	rd_kafka_destroy(rk);
	return 0;
}

static int cmd_delete(const char *brokers, char **topics, int cnt) {
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, brokers, NULL);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_DeleteTopic_t **dt = calloc((size_t)cnt, sizeof(*dt));
	const rd_kafka_topic_result_t **res;
	rd_kafka_event_t *ev;
	size_t n;

	for (int i = 0; i < cnt; i++)
		dt[i] = rd_kafka_DeleteTopic_new(topics[i]);
	rd_kafka_DeleteTopics(rk, dt, (size_t)cnt, NULL, q);
	if ((ev = rd_kafka_queue_poll(q, 60000))) {
		if (rd_kafka_event_error(ev)) {
			fprintf(stderr, "kbench: deleting topics: %s\n",
			        rd_kafka_event_error_string(ev));
		} else {
			res = rd_kafka_DeleteTopics_result_topics(
			    rd_kafka_event_DeleteTopics_result(ev), &n);
			for (size_t i = 0; i < n; i++)
				if (rd_kafka_topic_result_error(res[i]))
					fprintf(stderr, "kbench: deleting %s: %s\n",
					        rd_kafka_topic_result_name(res[i]),
					        rd_kafka_topic_result_error_string(res[i]));
		}
		rd_kafka_event_destroy(ev);
	}
	for (int i = 0; i < cnt; i++)
		rd_kafka_DeleteTopic_destroy(dt[i]);
	free(dt);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return 0;
}

/* Sum of the topic's high watermarks; -1 when not all are known yet. */
static int64_t hw_sum(rd_kafka_t *rk, const char *topic, int parts) {
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
	int64_t sum = 0;

	for (int i = 0; i < parts; i++)
		rd_kafka_topic_partition_list_add(l, topic, i)->offset = -1; /* latest */
	if (rd_kafka_offsets_for_times(rk, l, 5000)) {
		sum = -1;
	} else {
		for (int i = 0; i < l->cnt; i++) {
			if (l->elems[i].err || l->elems[i].offset < 0) {
				sum = -1;
				break;
			}
			sum += l->elems[i].offset;
		}
	}
	rd_kafka_topic_partition_list_destroy(l);
	return sum;
}

static uint64_t load_failed;
static char load_error[256];

static void load_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
	(void)rk;
	(void)opaque;
	if (m->err && !load_failed++)
		snprintf(load_error, sizeof(load_error), "%s", rd_kafka_err2str(m->err));
}

static int cmd_load(const char *brokers, const char *topic, uint64_t n, size_t size, int parts) {
	static const char alnum[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512], key[32], trace[16];
	/* A pool of random text; each value is a window of it at a random
	 * offset, so values differ without generating every byte. */
	size_t pool_len = size + 65536;
	char *pool = malloc(pool_len), *val = malloc(size ? size : 1);
	rd_kafka_topic_t *rkt;
	rd_kafka_t *rk;
	double t0 = bench_now_s(), dt;
	int64_t sum;

	if (!pool || !val)
		bench_fail(1, "out of memory");
	for (size_t i = 0; i < pool_len; i++)
		pool[i] = alnum[bench_rnd() % 62];
	bench_set(conf, "bootstrap.servers", brokers);
	bench_set(conf, "acks", "all");
	bench_set(conf, "enable.idempotence", "true");
	bench_set(conf, "compression.type", "lz4");
	bench_set(conf, "linger.ms", "20");
	bench_set(conf, "batch.size", "1000000");
	bench_set(conf, "batch.num.messages", "10000");
	bench_set(conf, "queue.buffering.max.kbytes", "1048576");
	bench_set(conf, "queue.buffering.max.messages", "500000");
	rd_kafka_conf_set_dr_msg_cb(conf, load_dr);
	if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr))))
		bench_fail(1, "%s", errstr);
	rkt = rd_kafka_topic_new(rk, topic, NULL);
	for (uint64_t i = 0; i < n; i++) {
		int kl = snprintf(key, sizeof(key), "key-%" PRIu64, i);
		rd_kafka_headers_t *h = rd_kafka_headers_new(2);
		rd_kafka_resp_err_t err;

		for (int j = 0; j < 16; j++)
			trace[j] = alnum[bench_rnd() % 62];
		/* first half fresh random text, second half a window of the pool
		 * that earlier records share: lz4 about halves it */
		for (size_t j = 0; j < size / 2; j++)
			val[j] = alnum[bench_rnd() % 62];
		memcpy(val + size / 2, pool + bench_rnd() % 65536, size - size / 2);
		rd_kafka_header_add(h, "trace-id", -1, trace, sizeof(trace));
		rd_kafka_header_add(h, "origin", -1, "kbench", 6);
		for (;;) {
			err = rd_kafka_producev(
			    rk, RD_KAFKA_V_RKT(rkt),
			    RD_KAFKA_V_PARTITION((int32_t)(i % (uint64_t)parts)),
			    RD_KAFKA_V_KEY(key, (size_t)kl), RD_KAFKA_V_VALUE(val, size),
			    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
			    RD_KAFKA_V_END);
			if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
				break;
			rd_kafka_poll(rk, 10);
		}
		if (err)
			bench_fail(1, "produce: %s", rd_kafka_err2str(err));
		if (!(i % 1000))
			rd_kafka_poll(rk, 0);
	}
	while (rd_kafka_outq_len(rk) > 0)
		rd_kafka_poll(rk, 100);
	dt = bench_now_s() - t0;
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	free(pool);
	free(val);
	if (load_failed)
		bench_fail(1, "%" PRIu64 " record(s) not written, first: %s", load_failed,
		           load_error);
	rk = client(RD_KAFKA_CONSUMER, brokers, "isolation.level", "read_uncommitted", NULL);
	sum = hw_sum(rk, topic, parts);
	rd_kafka_destroy(rk);
	if (sum != (int64_t)n)
		bench_fail(1, "%s holds %" PRId64 " records, not %" PRIu64, topic, sum, n);
	printf("load_records=%" PRIu64 "\nload_s=%.3f\nload_rate=%.0f\n", n, dt, (double)n / dt);
	return 0;
}

/* user+sys clock ticks of a process, all threads; -1 when gone. */
static long long proc_ticks(long pid) {
	char path[64], buf[2048], *p;
	unsigned long long ut, st;
	size_t len;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(fp = fopen(path, "r")))
		return -1;
	len = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	/* after "pid (comm) ": state is field 3, utime 14, stime 15 */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (long long)(ut + st);
}

static long proc_hwm_kb(long pid) {
	char path[64], line[256];
	long kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if (!(fp = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, "VmHWM:", 6))
			kb = atol(line + 6);
	fclose(fp);
	return kb;
}

/* The machine's busy and total jiffies (/proc/stat "cpu" line). */
static void sys_ticks(unsigned long long *busy, unsigned long long *total) {
	unsigned long long v[10] = {0};
	FILE *fp = fopen("/proc/stat", "r");

	*busy = *total = 0;
	if (!fp)
		return;
	if (fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	           &v[4], &v[5], &v[6], &v[7]) == 8) {
		for (int i = 0; i < 8; i++)
			*total += v[i];
		*busy = *total - v[3] - v[4]; /* less idle and iowait */
	}
	fclose(fp);
}

typedef struct sample {
	double t;
	long long cpu, brokers;
	unsigned long long busy, total;
} sample_t;

static long brokers[16];
static int nbrokers;

static void take(sample_t *s, long pid) {
	s->t = bench_now_s();
	s->cpu = pid > 0 ? proc_ticks(pid) : -1;
	s->brokers = 0;
	for (int i = 0; i < nbrokers; i++) {
		long long t = proc_ticks(brokers[i]);
		s->brokers += t > 0 ? t : 0;
	}
	sys_ticks(&s->busy, &s->total);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
	(void)sig;
	stop = 1;
}

static int cmd_watch(const char *brokers_addr, const char *topic, int parts, int64_t n, int argc,
                     char **argv) {
	const char *pid_file = NULL, *ready_file = NULL;
	int interval = 20;
	double timeout = 900, deadline, hz = (double)sysconf(_SC_CLK_TCK);
	long pid = 0, hwm = -1;
	int64_t sum = 0, first_sum = 0;
	sample_t a = {0}, b = {0};
	rd_kafka_t *rk;
	int ready = 0;

	for (int i = 0; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			bench_fail(1, "watch: %s needs a value", o);
		if (!strcmp(o, "--pid-file")) {
			pid_file = v;
		} else if (!strcmp(o, "--ready-file")) {
			ready_file = v;
		} else if (!strcmp(o, "--interval-ms")) {
			interval = atoi(v);
		} else if (!strcmp(o, "--timeout")) {
			timeout = atof(v);
		} else if (!strcmp(o, "--broker-pids")) {
			char *s = strdup(v), *tok, *save = NULL;
			for (tok = strtok_r(s, ",", &save); tok && nbrokers < 16;
			     tok = strtok_r(NULL, ",", &save))
				brokers[nbrokers++] = atol(tok);
			free(s);
		} else {
			bench_fail(1, "watch: unknown option %s", o);
		}
		i++;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	rk = client(RD_KAFKA_CONSUMER, brokers_addr, "isolation.level", "read_uncommitted",
	            "topic.metadata.refresh.interval.ms", "1000", NULL);
	deadline = bench_now_s() + timeout;
	while (!stop && bench_now_s() < deadline) {
		int64_t s;

		if (!pid && pid_file) {
			FILE *fp = fopen(pid_file, "r");
			if (fp) {
				if (fscanf(fp, "%ld", &pid) != 1)
					pid = 0;
				fclose(fp);
			}
		}
		s = hw_sum(rk, topic, parts);
		if (s < 0)
			/* not there yet: ask for its metadata now, rather than
			 * wait for the cache's periodic refresh */
			partitions_of(rk, topic);
		if (!ready) {
			/* the target topic may not exist yet (kmirrord creates it):
			 * the first answer, known or not, means we are polling */
			if (ready_file) {
				FILE *fp = fopen(ready_file, "w");
				if (fp)
					fclose(fp);
			}
			ready = 1;
		}
		if (s > 0 && !a.t) {
			take(&a, pid);
			first_sum = s;
		}
		if (s >= n) {
			take(&b, pid);
			if (pid > 0)
				hwm = proc_hwm_kb(pid);
			sum = s;
			break;
		}
		if (s > sum)
			sum = s;
		nap_ms(interval);
	}
	rd_kafka_destroy(rk);
	if (!b.t) {
		fprintf(stderr, "kbench: watch: %s reached %" PRId64 " of %" PRId64 " records%s\n",
		        topic, sum, n, stop ? " (stopped)" : " before the timeout");
		return 1;
	}
	printf("first_t=%.3f\nlast_t=%.3f\nwindow_s=%.3f\nfirst_sum=%" PRId64 "\nlast_sum=%" PRId64
	       "\n",
	       a.t, b.t, b.t - a.t, first_sum, sum);
	if (a.cpu >= 0)
		printf("cpu_at_first_s=%.2f\n", (double)a.cpu / hz);
	if (b.cpu >= 0)
		printf("cpu_at_last_s=%.2f\n", (double)b.cpu / hz);
	if (a.cpu >= 0 && b.cpu >= 0)
		printf("window_cpu_s=%.2f\n", (double)(b.cpu - a.cpu) / hz);
	if (hwm >= 0)
		printf("hwm_kb=%ld\n", hwm);
	if (nbrokers)
		printf("brokers_window_cpu_s=%.2f\n", (double)(b.brokers - a.brokers) / hz);
	if (b.total > a.total)
		printf("machine_busy_pct=%.1f\n",
		       100.0 * (double)(b.busy - a.busy) / (double)(b.total - a.total));
	return 0;
}

int main(int argc, char **argv) {
	bench_prog = "kbench";
	if (argc >= 5 && !strcmp(argv[1], "create"))
		return cmd_create(argv[2], argv[3], atoi(argv[4]));
	if (argc >= 4 && !strcmp(argv[1], "delete"))
		return cmd_delete(argv[2], argv + 3, argc - 3);
	if (argc >= 7 && !strcmp(argv[1], "load"))
		return cmd_load(argv[2], argv[3], strtoull(argv[4], NULL, 10),
		                (size_t)strtoull(argv[5], NULL, 10), atoi(argv[6]));
	if (argc >= 6 && !strcmp(argv[1], "watch"))
		return cmd_watch(argv[2], argv[3], atoi(argv[4]), atoll(argv[5]), argc - 6,
		                 argv + 6);
	fprintf(stderr, "usage: kbench create BROKERS TOPIC PARTITIONS\n"
	                "       kbench delete BROKERS TOPIC...\n"
	                "       kbench load BROKERS TOPIC RECORDS SIZE PARTITIONS\n"
	                "       kbench watch BROKERS TOPIC PARTITIONS RECORDS [--pid-file F] "
	                "[--ready-file F] [--broker-pids P,P] [--interval-ms MS] [--timeout S]\n");
	return 2;
}
