/* bare_pipe: the ceiling for kmirrord's data path.
 *
 * The least a replicator can do with librdkafka: assign every partition of
 * a source topic (no group management), consume, and produce each record to
 * the same partition of a target topic, with the librdkafka settings that
 * kmirrord uses by default (core/flow.c make_producer()/make_consumer()).
 * The payload is not copied: the consumed message is kept until its
 * delivery report and destroyed there. One thread, woken by whichever of the
 * consumer's queue and the producer's delivery reports has something
 * (io-event pipes), so it never sleeps while there is work. Key, headers and timestamp are
 * passed through. Exits 0 once N records are acknowledged by the target, or,
 * with --until-stopped, once SIGTERM or SIGINT stopped it and what it had
 * consumed is acknowledged (the latency workload: it runs like a daemon).
 *
 *   bare_pipe -s SRC_BROKERS -d DST_BROKERS -t SRC_TOPIC -T DST_TOPIC
 *             (-n N | --until-stopped) [--connections C]
 *             [--max-inflight RECORDS] [--max-inflight-bytes BYTES]
 *             [-X consumer.PROP=VAL] [-X producer.PROP=VAL] [--add-header NAME=VALUE]
 *
 * Like kmirrord's producer.connections (default 4), it produces through C
 * idempotent producers, partition p through producer p % C (kmirrord hands
 * a topic's partitions out round-robin in the same order).
 *
 * It holds at most --max-inflight records (default 100000) and
 * --max-inflight-bytes (default 64 MiB) consumed but not yet acknowledged:
 * kmirrord's defaults of max.inflight.records and max.inflight.bytes, so that
 * memory is compared like for like. On exit it prints key=value lines on
 * stdout: records, elapsed_s, cpu_s (user+sys, all threads), maxrss_kb.
 *
 * --add-header adds one header to every record, as kmirrord's provenance
 * header does (bare_prov in tests/bench/run): what such a header costs
 * librdkafka and the brokers, without kmirrord's code. */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "benchutil.h"

#define BATCH     1000 /* kmirrord's default batch.records */
#define MAX_CONNS 16

static volatile sig_atomic_t stop;
static uint64_t delivered, failed, inflight;
static size_t inflight_bytes;
static char first_error[512];

static void on_signal(int sig) {
	(void)sig;
	stop = 1;
}

/* The consumed message rides as the produced record's opaque. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
	rd_kafka_message_t *src = m->_private;

	(void)rk;
	(void)opaque;
	if (m->err) {
		if (!failed++)
			snprintf(first_error, sizeof(first_error), "[%d]: %s", (int)m->partition,
			         rd_kafka_err2str(m->err));
	} else {
		delivered++;
	}
	inflight--;
	inflight_bytes -= src->len + src->key_len;
	rd_kafka_message_destroy(src);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
	(void)opaque;
	fprintf(stderr, "bare_pipe: %s: %s%s\n", rd_kafka_name(rk), reason,
	        err == RD_KAFKA_RESP_ERR__FATAL ? " (fatal)" : "");
	if (err == RD_KAFKA_RESP_ERR__FATAL)
		stop = 2;
}

int main(int argc, char **argv) {
	const char *src = NULL, *dst = NULL, *stopic = NULL, *dtopic = NULL;
	uint64_t n = 0, max_inflight = 100000;
	int until_stopped = 0;
	size_t max_bytes = 64u << 20;
	char errstr[512], qmsgs[32];
	rd_kafka_conf_t *cconf = rd_kafka_conf_new(), *pconf = rd_kafka_conf_new();
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_partition_list_t *parts;
	rd_kafka_message_t *msgs[BATCH];
	rd_kafka_queue_t *cq, *pq[MAX_CONNS];
	struct pollfd pfds[2];
	int cfd[2], pfd[2];
	rd_kafka_topic_t *rkt[MAX_CONNS], *srkt;
	rd_kafka_t *consumer, *producer[MAX_CONNS];
	int conns = 4;
	struct rusage ru;
	double t0;
	int32_t pcnt;
	int64_t *next; /* per partition: the next offset to take */
	int32_t wake_next = 0;
	int c, backlog = 0;
	const char *add_name = NULL, *add_value = NULL; /* --add-header */
	static const struct option opts[] = {{"source", required_argument, 0, 's'},
	                                     {"target", required_argument, 0, 'd'},
	                                     {"topic", required_argument, 0, 't'},
	                                     {"target-topic", required_argument, 0, 'T'},
	                                     {"records", required_argument, 0, 'n'},
	                                     {"max-inflight", required_argument, 0, 'i'},
	                                     {"max-inflight-bytes", required_argument, 0, 'b'},
	                                     {"until-stopped", no_argument, 0, 'u'},
	                                     {"connections", required_argument, 0, 'c'},
	                                     {"add-header", required_argument, 0, 'H'},
	                                     {0, 0, 0, 0}};

	bench_prog = "bare_pipe";
	/* kmirrord's consumer: defaults, then what it forces. */
	bench_set(cconf, "client.id", "kmirror-bench-bare-consumer");
	bench_set(cconf, "queued.max.messages.kbytes", "65536");
	bench_set(cconf, "fetch.wait.max.ms", "500");
	bench_set(cconf, "group.id", "kmirror.bench-bare");
	bench_set(cconf, "enable.auto.commit", "false");
	bench_set(cconf, "enable.auto.offset.store", "false");
	bench_set(cconf, "enable.partition.eof", "false");
	bench_set(cconf, "auto.offset.reset", "error");
	bench_set(cconf, "isolation.level", "read_committed");
	/* kmirrord's producer. */
	bench_set(pconf, "acks", "all");
	bench_set(pconf, "enable.idempotence", "true");
	bench_set(pconf, "compression.type", "lz4");
	bench_set(pconf, "linger.ms", "5");
	bench_set(pconf, "batch.size", "1040000");
	bench_set(pconf, "message.max.bytes", "1048576");
	bench_set(pconf, "batch.num.messages", "10000");
	bench_set(pconf, "message.timeout.ms", "0");
	bench_set(pconf, "queue.buffering.max.kbytes", "1048576");
	bench_set(pconf, "partitioner", "murmur2_random");

	while ((c = getopt_long(argc, argv, "s:d:t:T:n:X:", opts, NULL)) != -1) {
		char *eq;
		switch (c) {
		case 's':
			src = optarg;
			break;
		case 'd':
			dst = optarg;
			break;
		case 't':
			stopic = optarg;
			break;
		case 'T':
			dtopic = optarg;
			break;
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'i':
			max_inflight = strtoull(optarg, NULL, 10);
			break;
		case 'b':
			max_bytes = strtoull(optarg, NULL, 10);
			break;
		case 'u':
			until_stopped = 1;
			break;
		case 'c':
			conns = atoi(optarg);
			if (conns < 1 || conns > MAX_CONNS)
				bench_fail(2, "--connections %s: expected 1 to %d", optarg,
				           MAX_CONNS);
			break;
		case 'H':
			if (!(eq = strchr(optarg, '=')))
				bench_fail(2, "--add-header %s: expected NAME=VALUE", optarg);
			*eq = '\0';
			add_name = optarg;
			add_value = eq + 1;
			break;
		case 'X':
			if (!(eq = strchr(optarg, '=')))
				bench_fail(2,
				           "-X %s: expected consumer.PROP=VAL or producer.PROP=VAL",
				           optarg);
			*eq = '\0';
			if (!strncmp(optarg, "consumer.", 9))
				bench_set(cconf, optarg + 9, eq + 1);
			else if (!strncmp(optarg, "producer.", 9))
				bench_set(pconf, optarg + 9, eq + 1);
			else
				bench_fail(2,
				           "-X %s: prefix the property with consumer. or producer.",
				           optarg);
			break;
		default:
			fprintf(stderr,
			        "usage: bare_pipe -s SRC -d DST -t TOPIC -T TARGET_TOPIC "
			        "(-n N | --until-stopped) [--connections C] [--max-inflight R] "
			        "[--max-inflight-bytes B] [-X consumer.|producer.PROP=VAL]\n");
			return 2;
		}
	}
	if (!src || !dst || !stopic || !dtopic || (!n && !until_stopped))
		bench_fail(2, "-s, -d, -t, -T and -n (or --until-stopped) are required");
	snprintf(qmsgs, sizeof(qmsgs), "%" PRIu64, max_inflight + 100000);
	bench_set(pconf, "queue.buffering.max.messages", qmsgs);
	bench_set(cconf, "bootstrap.servers", src);
	bench_set(pconf, "bootstrap.servers", dst);
	rd_kafka_conf_set_error_cb(cconf, error_cb);
	rd_kafka_conf_set_error_cb(pconf, error_cb);
	rd_kafka_conf_set_dr_msg_cb(pconf, dr_cb);

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (int i = 0; i < conns; i++) {
		rd_kafka_conf_t *conf = i + 1 < conns ? rd_kafka_conf_dup(pconf) : pconf;
		char id[64];

		snprintf(id, sizeof(id), "kmirror-bench-bare-producer-%d", i + 1);
		bench_set(conf, "client.id", id);
		if (!(producer[i] = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr))))
			bench_fail(2, "producer: %s", errstr);
	}
	if (!(consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, errstr, sizeof(errstr))))
		bench_fail(2, "consumer: %s", errstr);
	rd_kafka_poll_set_consumer(consumer);
	cq = rd_kafka_queue_get_consumer(consumer);
	for (int i = 0; i < conns; i++)
		rkt[i] = rd_kafka_topic_new(producer[i], dtopic, NULL);

	/* every partition of the source topic, from its beginning */
	srkt = rd_kafka_topic_new(consumer, stopic, NULL);
	if (rd_kafka_metadata(consumer, 0, srkt, &md, 30000) || md->topic_cnt != 1 ||
	    md->topics[0].err)
		bench_fail(2, "no metadata for source topic %s", stopic);
	pcnt = md->topics[0].partition_cnt;
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(srkt);
	parts = rd_kafka_topic_partition_list_new(pcnt);
	for (int32_t i = 0; i < pcnt; i++)
		rd_kafka_topic_partition_list_add(parts, stopic, i)->offset =
		    RD_KAFKA_OFFSET_BEGINNING;
	if (rd_kafka_assign(consumer, parts))
		bench_fail(2, "assign %s failed", stopic);
	rd_kafka_topic_partition_list_destroy(parts);
	if (!(next = malloc((size_t)pcnt * sizeof(*next))))
		bench_fail(2, "out of memory");
	for (int32_t i = 0; i < pcnt; i++)
		next[i] = -1;

	/* Wake on whichever comes first, a fetched record or a delivery
	 * report: each queue writes a byte to its pipe when it stops being
	 * empty. */
	if (pipe(cfd) || pipe(pfd))
		bench_fail(2, "pipe failed");
	fcntl(cfd[0], F_SETFL, O_NONBLOCK);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	rd_kafka_queue_io_event_enable(cq, cfd[1], "c", 1);
	for (int i = 0; i < conns; i++) {
		pq[i] = rd_kafka_queue_get_main(producer[i]);
		rd_kafka_queue_io_event_enable(pq[i], pfd[1], "p", 1);
	}
	pfds[0] = (struct pollfd){.fd = pfd[0], .events = POLLIN};
	pfds[1] = (struct pollfd){.fd = cfd[0], .events = POLLIN};

	t0 = bench_now_s();
	while (!stop && (until_stopped || delivered + failed < n)) {
		char drain[64];
		ssize_t got;

		for (int i = 0; i < conns; i++)
			rd_kafka_poll(producer[i], 0);
		if (inflight >= max_inflight || inflight_bytes >= max_bytes) {
			/* back-pressure: wait for delivery reports only */
			if (poll(pfds, 1, 100) > 0)
				while (read(pfd[0], drain, sizeof(drain)) > 0)
					;
			continue;
		}
		got = rd_kafka_consume_batch_queue(cq, 0, msgs, BATCH);
		if (got <= 0 && backlog) {
			/* the queue ran dry after full batches: librdkafka 2.0.2's
			 * fetch stall, woken as kmirrord does (core/flow.c,
			 * wake_fetchers): a seek of one partition, in turn */
			for (int32_t k = 0; k < pcnt; k++) {
				int32_t i = (wake_next + k) % pcnt;
				rd_kafka_topic_partition_list_t *l;
				rd_kafka_error_t *error;
				if (next[i] < 0)
					continue;
				l = rd_kafka_topic_partition_list_new(1);
				rd_kafka_topic_partition_list_add(l, stopic, i)->offset = next[i];
				if ((error = rd_kafka_seek_partitions(consumer, l, 0)))
					rd_kafka_error_destroy(error);
				rd_kafka_topic_partition_list_destroy(l);
				wake_next = i + 1;
				break;
			}
			backlog = 0;
		}
		if (got == BATCH)
			backlog = 1;
		if (got <= 0) {
			if (poll(pfds, 2, 100) > 0) {
				while (read(pfd[0], drain, sizeof(drain)) > 0)
					;
				while (read(cfd[0], drain, sizeof(drain)) > 0)
					;
			}
			continue;
		}
		for (ssize_t i = 0; i < got; i++) {
			rd_kafka_message_t *m = msgs[i];
			rd_kafka_headers_t *hdrs = NULL;
			rd_kafka_resp_err_t err;
			int k = m->partition % conns;

			if (m->err) {
				fprintf(stderr, "bare_pipe: source: %s\n",
				        rd_kafka_message_errstr(m));
				rd_kafka_message_destroy(m);
				continue;
			}
			if (m->partition >= 0 && m->partition < pcnt)
				next[m->partition] = m->offset + 1;
			rd_kafka_message_detach_headers(m, &hdrs);
			if (add_name) {
				if (!hdrs)
					hdrs = rd_kafka_headers_new(1);
				rd_kafka_header_add(hdrs, add_name, -1, add_value, -1);
			}
			inflight++;
			inflight_bytes += m->len + m->key_len;
			for (;;) {
				err = rd_kafka_producev(
				    producer[k], RD_KAFKA_V_RKT(rkt[k]),
				    RD_KAFKA_V_PARTITION(m->partition),
				    RD_KAFKA_V_KEY(m->key, m->key_len),
				    RD_KAFKA_V_VALUE(m->payload, m->len), RD_KAFKA_V_MSGFLAGS(0),
				    RD_KAFKA_V_TIMESTAMP(rd_kafka_message_timestamp(m, NULL)),
				    RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(m), RD_KAFKA_V_END);
				if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
					break;
				rd_kafka_poll(producer[k], 10);
			}
			if (err) {
				fprintf(stderr, "bare_pipe: produce: %s\n", rd_kafka_err2str(err));
				if (hdrs)
					rd_kafka_headers_destroy(hdrs);
				inflight--;
				inflight_bytes -= m->len + m->key_len;
				rd_kafka_message_destroy(m);
				failed++;
			}
		}
	}
	if (until_stopped && stop == 1) {
		/* stopped on purpose: what was consumed is delivered first (for
		 * at most 30 s) */
		double deadline = bench_now_s() + 30;

		while (inflight && bench_now_s() < deadline)
			for (int i = 0; i < conns; i++)
				rd_kafka_poll(producer[i], 10);
	}
	while (!stop && inflight)
		for (int i = 0; i < conns; i++)
			rd_kafka_poll(producer[i], 10);

	getrusage(RUSAGE_SELF, &ru);
	printf("records=%" PRIu64 "\nfailed=%" PRIu64
	       "\nelapsed_s=%.3f\ncpu_s=%.3f\nmaxrss_kb=%ld\n",
	       delivered, failed, bench_now_s() - t0,
	       (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	           ru.ru_stime.tv_usec / 1e6,
	       ru.ru_maxrss);
	fflush(stdout);
	if (failed)
		fprintf(stderr,
		        "bare_pipe: %" PRIu64 " record(s) refused by the target, first %s\n",
		        failed, first_error);

	rd_kafka_queue_io_event_enable(cq, -1, NULL, 0);
	for (int i = 0; i < conns; i++) {
		rd_kafka_queue_io_event_enable(pq[i], -1, NULL, 0);
		rd_kafka_queue_destroy(pq[i]);
	}
	rd_kafka_queue_destroy(cq);
	rd_kafka_consumer_close(consumer);
	rd_kafka_destroy(consumer);
	free(next);
	for (int i = 0; i < conns; i++) {
		rd_kafka_purge(producer[i], RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(producer[i], 0);
		rd_kafka_topic_destroy(rkt[i]);
		rd_kafka_destroy(producer[i]);
	}
	if (until_stopped)
		return failed || inflight || stop != 1 ? 1 : 0;
	return failed || stop ? 1 : 0;
}
