/* klat: the benchmark's end-to-end latency workload (tests/bench/run).
 *
 *   klat -s SRC_BROKERS -t SRC_TOPIC -d DST_BROKERS -T DST_TOPIC
 *        -r BYTES_PER_SEC -z SIZE -p PARTITIONS --seconds D
 *        [--warmup S] [--hist FILE] [--wait-topic-s W] [--drain-s S]
 *        [-X producer.PROP=VAL]... [-X consumer.PROP=VAL]...
 *
 * Produces SIZE-byte values to SRC_TOPIC at BYTES_PER_SEC value bytes a
 * second for D seconds while a consumer of DST_TOPIC (the replicator's target;
 * it may be the same topic on the same cluster, which measures produce to
 * consume alone) timestamps every record that comes back.
 *
 * Producer: record n is due n * SIZE / BYTES_PER_SEC seconds after the start
 * (so ceil(D * BYTES_PER_SEC / SIZE) records in all); the producer wakes when
 * the next record is due, at most once a millisecond, and produces every
 * record due by then, so bursts last at most a millisecond. A record has the
 * key "key-<n>" (n is its sequence number, which detects duplicates), goes to
 * partition n % PARTITIONS of SRC_TOPIC, and has two headers: "klat.ts", the
 * CLOCK_REALTIME of its produce call in nanoseconds, 8 bytes big-endian, and
 * "origin": "klat". Its value is printable pseudo-random text, the second
 * half a window of a 64 KiB pool shared by all records (lz4 about halves it,
 * as with kbench load). acks=all, idempotent, lz4, linger.ms=0. Before the
 * clock starts, one probe record (key "klat-probe", no klat.ts) to partition
 * 0 is acknowledged, so that the first measured records do not wait for the
 * connection or the producer id.
 *
 * Consumer: waits up to W seconds (default 60) for DST_TOPIC's metadata and
 * high watermarks, then assigns every partition of it at its high watermark,
 * before the first record is produced: only this run's records are counted.
 * fetch.wait.max.ms=5, fetch.min.bytes=1. Latency = CLOCK_REALTIME when the
 * record is handed to klat - klat.ts, so the producer and the consumer must
 * share a clock (run klat on one machine). Records due in the first S seconds
 * (--warmup, default 0) are consumed but not measured. Latencies go to a
 * histogram of 10 us buckets up to 10 s (and an overflow bucket); percentiles
 * are the upper edge of their bucket (at most the exact maximum); min, max
 * and mean are exact.
 *
 * It stops once every measured record acknowledged by SRC_BROKERS was
 * consumed, or S seconds (--drain-s, default 30) after the last produce call;
 * then prints key=value lines on stdout:
 *   sent             measured records acknowledged by the source cluster
 *   received         distinct measured records consumed from DST_TOPIC
 *   missing          sent - received (when > 0 the missing records are
 *                    listed per source partition on stderr)
 *   duplicates       extra copies of records consumed (of any record of this
 *                    run, seen before klat stopped)
 *   warmup_records   records produced during --warmup (not measured)
 *   other_records    records on DST_TOPIC without klat.ts or a valid key
 *   delivery_errors  records the source did not acknowledge
 *   p50_ms p90_ms p99_ms p999_ms max_ms min_ms mean_ms   ("-" with no record)
 *   rate_bytes_s     value bytes produced / seconds spent producing
 *   target_rate_bytes_s, records_s, produce_s
 *   produce_late_max_ms  worst delay of a produce call after its due time
 *                        (large: the producer could not keep the rate, and
 *                        latencies are stamped at the late call)
 * With --hist FILE, FILE gets "latency_ms cumulative_fraction" lines, one per
 * non-empty bucket (its upper edge), for a CDF plot.
 *
 * -X producer.PROP=VAL and -X consumer.PROP=VAL set librdkafka properties of
 * klat's producer or consumer after its own (to try other settings).
 *
 * Exit status: 0 when every sent record was received and every produced one
 * acknowledged; 1 otherwise (or when the topics do not appear, or on
 * SIGINT/SIGTERM, after reporting); 2 on a usage error. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "benchutil.h"

#define BUCKET_NS   10000LL   /* 10 us */
#define NBUCKETS    1000000LL /* up to 10 s; then the overflow bucket */
#define MAX_RECORDS 200000000ULL
#define MAX_SIZE    900000 /* value, key and headers within Kafka's 1 MB */
#define POOL        65536

static const char usage_text[] =
    "usage: klat -s SRC_BROKERS -t SRC_TOPIC -d DST_BROKERS -T DST_TOPIC -r BYTES_PER_SEC\n"
    "            -z SIZE -p PARTITIONS --seconds D [--warmup S] [--hist FILE]\n"
    "            [--wait-topic-s W] [--drain-s S] [-X producer.PROP=VAL] [-X consumer.PROP=VAL]\n";

/* options */
static const char *src_brokers, *src_topic, *dst_brokers, *dst_topic, *hist_file;
static double rate, seconds, warmup, wait_s = 60, drain_s = 30;
static size_t size;
static int parts;

/* derived: records in all, and how many of them fall in the warm-up */
static uint64_t total, warm_n;

static volatile sig_atomic_t stop;

/* written by the producer thread, read by the consumer (main) thread */
static atomic_uint_fast64_t produced, acked_measured, acked, failed;
static atomic_int producer_done;
static atomic_llong last_produce_ns; /* monotonic */
static long long start_ns, late_max_ns;
static uint8_t *acked_bits; /* read by main only after the producer is joined */
static char first_delivery_error[256];

static void on_signal(int sig) {
	(void)sig;
	stop = 1;
}

static long long clock_ns(clockid_t id) {
	struct timespec ts;

	clock_gettime(id, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until_ns(long long mono_ns) {
	struct timespec ts = {.tv_sec = (time_t)(mono_ns / 1000000000LL),
	                      .tv_nsec = (long)(mono_ns % 1000000000LL)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
		;
}

/* -X producer.PROP=VAL, -X consumer.PROP=VAL: after klat's own settings */
static char *xprops[32];
static int nx;

static void extra_props(rd_kafka_conf_t *conf, const char *prefix) {
	for (int i = 0; i < nx; i++) {
		char *eq = strchr(xprops[i], '=');
		if (strncmp(xprops[i], prefix, strlen(prefix)))
			continue;
		*eq = '\0';
		bench_set(conf, xprops[i] + strlen(prefix), eq + 1);
		*eq = '=';
	}
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
	(void)opaque;
	fprintf(stderr, "klat: %s: %s%s\n", rd_kafka_name(rk), reason,
	        err == RD_KAFKA_RESP_ERR__FATAL ? " (fatal)" : "");
	if (err == RD_KAFKA_RESP_ERR__FATAL)
		stop = 1;
}

/* A number within [lo, hi] (a whole one if whole), else a usage error. */
static double number(const char *opt, const char *s, double lo, double hi, int whole) {
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi ||
	    (whole && v != floor(v)))
		bench_fail(2, "%s: expected %s from %g to %g, not '%s'", opt,
		           whole ? "a whole number" : "a number", lo, hi, s);
	return v;
}

static int bit_test_set(uint8_t *bits, uint64_t i) {
	uint8_t m = (uint8_t)(1u << (i & 7));
	int was = (bits[i >> 3] & m) != 0;

	bits[i >> 3] |= m;
	return was;
}

static int bit_test(const uint8_t *bits, uint64_t i) {
	return (bits[i >> 3] >> (i & 7)) & 1;
}

/* ------------------------------------------------------------ metadata -- */

/* The partition count of TOPIC if every partition has a leader, else -1. */
static int ready_partitions(rd_kafka_t *rk, const char *topic) {
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	const struct rd_kafka_metadata *md;
	int cnt = -1;

	if (!rd_kafka_metadata(rk, 0, rkt, &md, 5000)) {
		if (md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0) {
			cnt = md->topics[0].partition_cnt;
			for (int i = 0; i < md->topics[0].partition_cnt; i++)
				if (md->topics[0].partitions[i].leader < 0)
					cnt = -1;
		}
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	return cnt;
}

/* Waits until TOPIC has at least MIN partitions, all with a leader; returns
 * their count, or exits 1 after the deadline. */
static int wait_topic(rd_kafka_t *rk, const char *what, const char *brokers, const char *topic,
                      int min, long long deadline_ns) {
	int cnt;

	while ((cnt = ready_partitions(rk, topic)) < min) {
		if (stop)
			bench_fail(1, "interrupted");
		if (clock_ns(CLOCK_MONOTONIC) > deadline_ns) {
			if (cnt < 0)
				bench_fail(1,
				           "%s topic %s on %s: not found, or a partition without a "
				           "leader, after %g s",
				           what, topic, brokers, wait_s);
			bench_fail(1, "%s topic %s on %s has %d partitions, fewer than -p %d", what,
			           topic, brokers, cnt, min);
		}
		struct timespec ts = {.tv_nsec = 200000000L};
		nanosleep(&ts, NULL);
	}
	return cnt;
}

/* Every partition of TOPIC at its high watermark, or NULL while one of them
 * is not known. */
static rd_kafka_topic_partition_list_t *at_end(rd_kafka_t *rk, const char *topic, int cnt) {
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(cnt);

	for (int i = 0; i < cnt; i++)
		rd_kafka_topic_partition_list_add(l, topic, i)->offset = -1; /* latest */
	if (!rd_kafka_offsets_for_times(rk, l, 5000)) {
		int ok = 1;
		for (int i = 0; i < l->cnt; i++)
			if (l->elems[i].err || l->elems[i].offset < 0)
				ok = 0;
		if (ok)
			return l;
	}
	rd_kafka_topic_partition_list_destroy(l);
	return NULL;
}

/* ------------------------------------------------------------ producer -- */

static const char chars64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* N printable pseudo-random bytes, ten from each 64-bit draw. */
static void fill(char *p, size_t n) {
	while (n) {
		uint64_t r = bench_rnd();
		for (int k = 0; k < 10 && n; k++, n--, r >>= 6)
			*p++ = chars64[r & 63];
	}
}

#define PROBE ((void *)UINTPTR_MAX)
static int probe_done; /* producer's own thread until the clock starts */
static rd_kafka_resp_err_t probe_err;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
	uint64_t seq = (uint64_t)(uintptr_t)m->_private;

	(void)rk;
	(void)opaque;
	if (m->_private == PROBE) {
		probe_err = m->err;
		probe_done = 1;
		return;
	}
	if (m->err) {
		if (!atomic_fetch_add(&failed, 1))
			snprintf(first_delivery_error, sizeof(first_delivery_error), "[%d]: %s",
			         (int)m->partition, rd_kafka_err2str(m->err));
		return;
	}
	atomic_fetch_add(&acked, 1);
	if (seq < total) {
		bit_test_set(acked_bits, seq);
		if (seq >= warm_n)
			atomic_fetch_add(&acked_measured, 1);
	}
}

/* One record before the clock starts, acknowledged, so that the first
 * measured ones do not wait for the connection or the idempotent producer's
 * id. Key "klat-probe", no klat.ts: a consumer of the target ignores it (it
 * counts in other_records if it reaches the target after the consumer's
 * start). */
static void probe(rd_kafka_t *rk, long long deadline) {
	rd_kafka_resp_err_t err;

	err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(src_topic), RD_KAFKA_V_PARTITION(0),
	                        RD_KAFKA_V_KEY("klat-probe", 10), RD_KAFKA_V_VALUE("probe", 5),
	                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	                        RD_KAFKA_V_HEADER("origin", "klat", 4), RD_KAFKA_V_OPAQUE(PROBE),
	                        RD_KAFKA_V_END);
	if (err)
		bench_fail(1, "producing the probe record to %s: %s", src_topic,
		           rd_kafka_err2str(err));
	while (!probe_done && !stop && clock_ns(CLOCK_MONOTONIC) < deadline)
		rd_kafka_poll(rk, 50);
	if (stop)
		bench_fail(1, "interrupted");
	if (!probe_done)
		bench_fail(1, "the probe record to %s on %s was not acknowledged within %g s",
		           src_topic, src_brokers, wait_s);
	if (probe_err)
		bench_fail(1, "the probe record to %s on %s failed: %s", src_topic, src_brokers,
		           rd_kafka_err2str(probe_err));
}

/* Start time (monotonic, ns) of record SEQ. */
static long long due_ns(uint64_t seq) {
	return start_ns + (long long)((double)seq * (double)size / rate * 1e9);
}

static void *producer_main(void *arg) {
	rd_kafka_t *rk = arg;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, src_topic, NULL);
	char *pool = malloc(POOL + size), *val = malloc(size), key[32];
	size_t half = size / 2;
	long long last_wake = 0, drain_end;
	uint64_t seq = 0;

	if (!pool || !val)
		bench_fail(1, "out of memory");
	fill(pool, POOL + size);
	start_ns = clock_ns(CLOCK_MONOTONIC);
	while (seq < total && !stop) {
		long long now = clock_ns(CLOCK_MONOTONIC), wake;

		last_wake = now;
		/* every record due by now */
		for (; seq < total && due_ns(seq) <= now && !stop; seq++) {
			int kl = snprintf(key, sizeof(key), "key-%" PRIu64, seq);
			rd_kafka_resp_err_t err;
			unsigned char ts[8];
			long long t, late;

			fill(val, half);
			memcpy(val + half, pool + bench_rnd() % POOL, size - half);
			for (;;) {
				uint64_t u = (uint64_t)clock_ns(CLOCK_REALTIME);
				for (int k = 7; k >= 0; k--, u >>= 8)
					ts[k] = (unsigned char)(u & 0xff);
				err = rd_kafka_producev(
				    rk, RD_KAFKA_V_RKT(rkt),
				    RD_KAFKA_V_PARTITION((int32_t)(seq % (uint64_t)parts)),
				    RD_KAFKA_V_KEY(key, (size_t)kl), RD_KAFKA_V_VALUE(val, size),
				    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				    RD_KAFKA_V_HEADER("klat.ts", ts, 8),
				    RD_KAFKA_V_HEADER("origin", "klat", 4),
				    RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq), RD_KAFKA_V_END);
				if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || stop)
					break;
				rd_kafka_poll(rk, 1);
			}
			if (err) {
				fprintf(stderr, "klat: produce: %s\n", rd_kafka_err2str(err));
				stop = 1;
				break;
			}
			t = clock_ns(CLOCK_MONOTONIC);
			late = t - due_ns(seq);
			if (late > late_max_ns)
				late_max_ns = late;
			atomic_store(&last_produce_ns, t);
			atomic_fetch_add(&produced, 1);
		}
		rd_kafka_poll(rk, 0);
		if (seq >= total)
			break;
		/* the next record's due time, but at most once a millisecond
		 * and at least every 100 ms (to notice a signal) */
		wake = due_ns(seq);
		if (wake < last_wake + 1000000)
			wake = last_wake + 1000000;
		if (wake > now + 100000000)
			wake = now + 100000000;
		sleep_until_ns(wake);
	}
	/* wait for the acknowledgements, up to the drain timeout */
	drain_end = atomic_load(&last_produce_ns) + (long long)(drain_s * 1e9);
	while (rd_kafka_outq_len(rk) > 0 && !stop && clock_ns(CLOCK_MONOTONIC) < drain_end)
		rd_kafka_poll(rk, 50);
	rd_kafka_topic_destroy(rkt);
	free(pool);
	free(val);
	atomic_store(&producer_done, 1);
	return NULL;
}

/* ------------------------------------------------------------ consumer -- */

static uint8_t *seen;
static uint64_t *hist, received, duplicates, warm_received, others, negatives;
static long long lat_min = -1, lat_max = -1;
static double lat_sum;

/* One consumed record, handed to klat at NOW_RT (CLOCK_REALTIME, ns). */
static void consumed(const rd_kafka_message_t *m, long long now_rt) {
	const unsigned char *b;
	rd_kafka_headers_t *h;
	uint64_t seq = 0, ts = 0;
	const void *v;
	long long lat;
	size_t vs;

	if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, "klat.ts", &v, &vs) ||
	    vs != 8 || !m->key || m->key_len < 5 || m->key_len > 24 || memcmp(m->key, "key-", 4)) {
		others++;
		return;
	}
	for (size_t i = 4; i < m->key_len; i++) {
		char c = ((const char *)m->key)[i];
		if (c < '0' || c > '9') {
			others++;
			return;
		}
		seq = seq * 10 + (uint64_t)(c - '0');
	}
	if (seq >= total) {
		others++;
		return;
	}
	if (bit_test_set(seen, seq)) {
		duplicates++;
		return;
	}
	if (seq < warm_n) {
		warm_received++;
		return;
	}
	b = v;
	for (int k = 0; k < 8; k++)
		ts = ts << 8 | b[k];
	lat = now_rt - (long long)ts;
	if (lat < 0) { /* the clock was stepped back */
		negatives++;
		lat = 0;
	}
	hist[lat / BUCKET_NS < NBUCKETS ? lat / BUCKET_NS : NBUCKETS]++;
	if (lat_min < 0 || lat < lat_min)
		lat_min = lat;
	if (lat > lat_max)
		lat_max = lat;
	lat_sum += (double)lat;
	received++;
}

/* The upper edge of the bucket holding the P-quantile, at most the maximum,
 * in ms. */
static double quantile_ms(double p) {
	uint64_t rank = (uint64_t)ceil(p * (double)received), cum = 0;
	long long edge = lat_max;

	if (rank < 1)
		rank = 1;
	for (long long b = 0; b < NBUCKETS; b++) {
		cum += hist[b];
		if (cum >= rank) {
			edge = (b + 1) * BUCKET_NS;
			break;
		}
	}
	return (double)(edge < lat_max ? edge : lat_max) / 1e6;
}

static void write_hist(const char *path) {
	FILE *fp = fopen(path, "w");
	uint64_t cum = 0;

	if (!fp) {
		fprintf(stderr, "klat: %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(fp, "# klat: latency CDF of %" PRIu64 " records, %lld us buckets\n", received,
	        BUCKET_NS / 1000);
	fprintf(fp, "# latency_ms cumulative_fraction\n");
	for (long long b = 0; b <= NBUCKETS && received; b++) {
		long long edge = b < NBUCKETS ? (b + 1) * BUCKET_NS : lat_max;
		if (!hist[b])
			continue;
		cum += hist[b];
		fprintf(fp, "%.3f %.6f\n", (double)(edge < lat_max ? edge : lat_max) / 1e6,
		        (double)cum / (double)received);
	}
	if (fclose(fp))
		fprintf(stderr, "klat: %s: %s\n", path, strerror(errno));
}

/* Lists, on stderr, the records acknowledged by the source but not consumed,
 * per source partition. */
static void report_missing(uint64_t missing) {
	uint64_t *per = calloc((size_t)parts, sizeof(*per)), first[10];
	int nfirst = 0;

	if (!per)
		return;
	for (uint64_t s = warm_n; s < total; s++)
		if (bit_test(acked_bits, s) && !bit_test(seen, s)) {
			per[s % (uint64_t)parts]++;
			if (nfirst < 10)
				first[nfirst++] = s;
		}
	if (stop)
		fprintf(stderr, "klat: interrupted: ");
	else
		fprintf(stderr, "klat: %g s after the last produce call: ", drain_s);
	fprintf(stderr,
	        "%" PRIu64 " sent record(s) not received on %s; per source partition:", missing,
	        dst_topic);
	for (int i = 0; i < parts; i++)
		if (per[i])
			fprintf(stderr, " %d:%" PRIu64, i, per[i]);
	fprintf(stderr, "; first:");
	for (int i = 0; i < nfirst; i++)
		fprintf(stderr, " key-%" PRIu64, first[i]);
	fputc('\n', stderr);
	free(per);
}

int main(int argc, char **argv) {
	static const struct option opts[] = {{"seconds", required_argument, 0, 'D'},
	                                     {"warmup", required_argument, 0, 'W'},
	                                     {"hist", required_argument, 0, 'H'},
	                                     {"wait-topic-s", required_argument, 0, 'w'},
	                                     {"drain-s", required_argument, 0, 'R'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	rd_kafka_conf_t *pconf = rd_kafka_conf_new(), *cconf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *assignment = NULL;
	char errstr[512], group[64];
	long long deadline, produce_end;
	uint64_t sent, missing, produced_n, unacked;
	double produce_s;
	rd_kafka_t *producer, *consumer;
	int c, dst_parts, consume_errors = 0, status = 0;
	pthread_t thread;

	bench_prog = "klat";
	bench_usage = usage_text;
	while ((c = getopt_long(argc, argv, "s:t:d:T:r:z:p:X:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			src_brokers = optarg;
			break;
		case 't':
			src_topic = optarg;
			break;
		case 'd':
			dst_brokers = optarg;
			break;
		case 'T':
			dst_topic = optarg;
			break;
		case 'r':
			rate = number("-r BYTES_PER_SEC", optarg, 1, 1e10, 0);
			break;
		case 'z':
			size = (size_t)number("-z SIZE", optarg, 1, MAX_SIZE, 1);
			break;
		case 'p':
			parts = (int)number("-p PARTITIONS", optarg, 1, 100000, 1);
			break;
		case 'D':
			seconds = number("--seconds", optarg, 0.001, 1e6, 0);
			break;
		case 'W':
			warmup = number("--warmup", optarg, 0, 1e6, 0);
			break;
		case 'H':
			hist_file = optarg;
			break;
		case 'w':
			wait_s = number("--wait-topic-s", optarg, 0, 1e6, 0);
			break;
		case 'R':
			drain_s = number("--drain-s", optarg, 0.001, 1e6, 0);
			break;
		case 'X':
			if (nx == sizeof(xprops) / sizeof(xprops[0]))
				bench_fail(2, "too many -X");
			if (!strchr(optarg, '=') ||
			    (strncmp(optarg, "producer.", 9) && strncmp(optarg, "consumer.", 9)))
				bench_fail(2,
				           "-X %s: expected producer.PROP=VAL or consumer.PROP=VAL",
				           optarg);
			xprops[nx++] = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default: /* getopt_long said what is wrong */
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind < argc)
		bench_fail(2, "unexpected argument '%s'", argv[optind]);
	{
		const char *missing_opt = !src_brokers   ? "-s SRC_BROKERS"
		                          : !src_topic   ? "-t SRC_TOPIC"
		                          : !dst_brokers ? "-d DST_BROKERS"
		                          : !dst_topic   ? "-T DST_TOPIC"
		                          : !rate        ? "-r BYTES_PER_SEC"
		                          : !size        ? "-z SIZE"
		                          : !parts       ? "-p PARTITIONS"
		                          : !seconds     ? "--seconds D"
		                                         : NULL;
		if (missing_opt)
			bench_fail(2, "%s is required", missing_opt);
	}
	if (!*src_brokers || !*src_topic || !*dst_brokers || !*dst_topic)
		bench_fail(2, "brokers and topics must not be empty");
	if (warmup >= seconds)
		bench_fail(2, "--warmup %g must be shorter than --seconds %g", warmup, seconds);
	if (seconds * rate / (double)size > (double)MAX_RECORDS)
		bench_fail(2,
		           "%.0f records (--seconds x -r / -z) is more than %llu: lower -r or "
		           "--seconds, or raise -z",
		           ceil(seconds * rate / (double)size), MAX_RECORDS);
	total = (uint64_t)ceil(seconds * rate / (double)size);
	warm_n = (uint64_t)ceil(warmup * rate / (double)size);
	if (warm_n >= total)
		bench_fail(2,
		           "no record would be measured (%" PRIu64 " records, %" PRIu64
		           " in the warm-up): raise -r or --seconds, or lower -z or --warmup",
		           total, warm_n);
	if (!(seen = calloc(total / 8 + 1, 1)) || !(acked_bits = calloc(total / 8 + 1, 1)) ||
	    !(hist = calloc(NBUCKETS + 1, sizeof(*hist))))
		bench_fail(1, "out of memory");

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	deadline = clock_ns(CLOCK_MONOTONIC) + (long long)(wait_s * 1e9);

	/* The producer first, connected and with its producer id (the probe)
	 * before its clock starts. */
	bench_set(pconf, "bootstrap.servers", src_brokers);
	bench_set(pconf, "client.id", "klat-producer");
	bench_set(pconf, "acks", "all");
	bench_set(pconf, "enable.idempotence", "true");
	bench_set(pconf, "compression.type", "lz4");
	bench_set(pconf, "linger.ms", "0");
	bench_set(pconf, "queue.buffering.max.kbytes", "1048576");
	bench_set(pconf, "queue.buffering.max.messages", "1000000");
	extra_props(pconf, "producer.");
	rd_kafka_conf_set_error_cb(pconf, error_cb);
	rd_kafka_conf_set_dr_msg_cb(pconf, dr_cb);
	if (!(producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof(errstr))))
		bench_fail(1, "producer: %s", errstr);
	wait_topic(producer, "source", src_brokers, src_topic, parts, deadline);
	probe(producer, deadline);

	/* Then the consumer, at the target's end, before the first measured record
	 * is produced. */
	snprintf(group, sizeof(group), "klat-%ld", (long)getpid());
	bench_set(cconf, "bootstrap.servers", dst_brokers);
	bench_set(cconf, "client.id", "klat-consumer");
	bench_set(cconf, "group.id", group); /* never joined: assign() only */
	bench_set(cconf, "enable.auto.commit", "false");
	bench_set(cconf, "enable.auto.offset.store", "false");
	bench_set(cconf, "enable.partition.eof", "false");
	bench_set(cconf, "auto.offset.reset", "latest");
	bench_set(cconf, "isolation.level", "read_uncommitted");
	bench_set(cconf, "fetch.wait.max.ms", "5");
	bench_set(cconf, "fetch.min.bytes", "1");
	bench_set(cconf, "fetch.error.backoff.ms", "50");
	extra_props(cconf, "consumer.");
	rd_kafka_conf_set_error_cb(cconf, error_cb);
	if (!(consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, errstr, sizeof(errstr))))
		bench_fail(1, "consumer: %s", errstr);
	rd_kafka_poll_set_consumer(consumer);
	dst_parts = wait_topic(consumer, "target", dst_brokers, dst_topic, 1, deadline);
	while (!(assignment = at_end(consumer, dst_topic, dst_parts))) {
		if (stop || clock_ns(CLOCK_MONOTONIC) > deadline)
			bench_fail(1, "target topic %s on %s: high watermarks unknown after %g s",
			           dst_topic, dst_brokers, wait_s);
		struct timespec ts = {.tv_nsec = 200000000L};
		nanosleep(&ts, NULL);
	}
	if (rd_kafka_assign(consumer, assignment))
		bench_fail(1, "assigning %s failed", dst_topic);
	rd_kafka_topic_partition_list_destroy(assignment);

	if (pthread_create(&thread, NULL, producer_main, producer))
		bench_fail(1, "cannot start the producer thread");
	for (;;) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 100);
		long long now = clock_ns(CLOCK_REALTIME);

		if (m) {
			if (!m->err)
				consumed(m, now);
			else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
			         consume_errors++ < 10)
				fprintf(stderr, "klat: consuming %s: %s\n", dst_topic,
				        rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
		}
		if (stop)
			break;
		if (atomic_load(&producer_done)) {
			if (received >= atomic_load(&acked_measured))
				break;
			if (clock_ns(CLOCK_MONOTONIC) >
			    atomic_load(&last_produce_ns) + (long long)(drain_s * 1e9))
				break;
		}
	}
	pthread_join(thread, NULL);
	rd_kafka_consumer_close(consumer);
	rd_kafka_destroy(consumer);
	/* produced but neither acknowledged nor failed (yet) */
	unacked = atomic_load(&produced) - atomic_load(&acked) - atomic_load(&failed);
	rd_kafka_destroy(producer);

	produced_n = atomic_load(&produced);
	produce_end = atomic_load(&last_produce_ns);
	produce_s = produced_n ? (double)(produce_end - start_ns) / 1e9 : 0;
	if (produce_s < seconds && produced_n == total)
		produce_s = seconds; /* the last record is due just before D */
	sent = atomic_load(&acked_measured);
	missing = sent > received ? sent - received : 0;
	printf("sent=%" PRIu64 "\nreceived=%" PRIu64 "\nmissing=%" PRIu64 "\nduplicates=%" PRIu64
	       "\nwarmup_records=%" PRIu64 "\nother_records=%" PRIu64 "\ndelivery_errors=%" PRIu64
	       "\n",
	       sent, received, missing, duplicates, warm_n < produced_n ? warm_n : produced_n,
	       others, (uint64_t)atomic_load(&failed) + unacked);
	if (received) {
		printf("p50_ms=%.3f\np90_ms=%.3f\np99_ms=%.3f\np999_ms=%.3f\nmax_ms=%.3f\n"
		       "min_ms=%.3f\nmean_ms=%.3f\n",
		       quantile_ms(0.5), quantile_ms(0.9), quantile_ms(0.99), quantile_ms(0.999),
		       (double)lat_max / 1e6, (double)lat_min / 1e6,
		       lat_sum / (double)received / 1e6);
	} else {
		printf("p50_ms=-\np90_ms=-\np99_ms=-\np999_ms=-\nmax_ms=-\nmin_ms=-\nmean_ms=-\n");
	}
	printf("rate_bytes_s=%.0f\ntarget_rate_bytes_s=%.0f\nrecords_s=%.1f\nproduce_s=%.3f\n"
	       "produce_late_max_ms=%.3f\n",
	       produce_s > 0 ? (double)produced_n * (double)size / produce_s : 0, rate,
	       produce_s > 0 ? (double)produced_n / produce_s : 0, produce_s,
	       (double)late_max_ns / 1e6);
	if (hist_file)
		write_hist(hist_file);

	if (negatives)
		fprintf(stderr,
		        "klat: %" PRIu64 " record(s) arrived before their klat.ts (the realtime "
		        "clock was stepped?): counted as 0 ms\n",
		        negatives);
	if (atomic_load(&failed) || unacked) {
		fprintf(stderr, "klat: %" PRIu64 " record(s) not acknowledged by %s%s%s\n",
		        (uint64_t)atomic_load(&failed) + unacked, src_brokers,
		        atomic_load(&failed) ? ", first: " : "", first_delivery_error);
		status = 1;
	}
	if (produced_n < total) {
		fprintf(stderr, "klat: %s after %" PRIu64 " of %" PRIu64 " records\n",
		        stop ? "interrupted" : "producing stopped", produced_n, total);
		status = 1;
	}
	if (missing) {
		report_missing(missing);
		status = 1;
	}
	if (stop)
		status = 1;
	free(seen);
	free(acked_bits);
	free(hist);
	return status;
}
