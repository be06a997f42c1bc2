/* Producers paused while the target does not answer (flow_int.h).
 *
 * librdkafka's idempotent producer lets a partition have a new request
 * out only while fewer than 5 of its messages are in flight, but sets its
 * broker thread's next wake-up to "now" as soon as the partition's next
 * batch is ready. While the batch before is not acknowledged, the thread
 * loops on poll(..., 0). Against a target broker that does not answer at
 * all (stopped, hung, or behind a link that drops packets) that is every
 * core for as long as it does not: the records never time out
 * (message.timeout.ms 0). A paused partition gets no wake-up time, so a
 * connection whose records go unacknowledged for KM_STALL_MS has its
 * partitions paused; the first delivery report, or error event, resumes
 * them. A report needs a request in flight; should none be left (its
 * connection closed without an event) nothing would resume them, so
 * every KM_STALL_PROBE_MS they are resumed anyway, and paused again if
 * they spin again.
 *
 * Silence alone is not enough to pause: a producer waiting for its
 * producer id, or for a partition's leader, holds records without a
 * report too, and does not spin. A connection is paused only while the
 * process also burns CPU: half a core or more over the last sample. */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "flow_int.h"
#include "log.h"

/* The checks run once per KM_STALL_CPU_MS, with a sample of the process's
 * CPU (a clock read five times a second, never per record). */
#define KM_STALL_CPU_MS 200
static int64_t process_cpu_ns(void) {
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* 1 when a sample is due at @p now: *@p busy is then the process's CPU
 * over wall time since the one before, as a share of one core (-1 for
 * the first, or when the clock cannot be read). */
static int sample(km_data_t *d, int64_t now, double *busy) {
	int64_t cpu_ns;

	if (d->stall.cpu_ms && now - d->stall.cpu_ms < KM_STALL_CPU_MS)
		return 0;
	cpu_ns = process_cpu_ns();
	*busy = d->stall.cpu_ms && cpu_ns >= 0 && d->stall.cpu_ns >= 0
	            ? (double)(cpu_ns - d->stall.cpu_ns) / 1e6 / (double)(now - d->stall.cpu_ms)
	            : -1;
	d->stall.cpu_ns = cpu_ns;
	d->stall.cpu_ms = now;
	return 1;
}

/* Every partition connection @p c writes to: the mirror partitions it
 * owns, and all partitions of the topics stages route records to (and of
 * the dead-letter topic), which go out on their source partition's
 * connection. A partition librdkafka does not know is refused in the
 * list, harmlessly. */
static rd_kafka_topic_partition_list_t *conn_partitions(km_data_t *d, int c) {
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);

	if (c == KM_STALL_PROGRESS) {
		rd_kafka_topic_partition_list_add(l, KM_PROGRESS_TOPIC, 0);
		return l;
	}
	for (km_stopic_t *st = d->topics; st; st = st->next)
		for (int32_t i = 0; i < st->cnt; i++)
			if (st->parts[i] && st->parts[i]->conn == c)
				rd_kafka_topic_partition_list_add(l, st->target,
				                                  st->parts[i]->partition);
	for (size_t r = 0; r < d->reroute_cnt; r++) {
		int32_t n = d->tmeta ? km_tmeta_partitions(d->tmeta, d->reroutes[r].name) : -1;

		if (!d->reroutes[r].rkt[c])
			continue;
		for (int32_t i = 0; i < n; i++)
			rd_kafka_topic_partition_list_add(l, d->reroutes[r].name, i);
	}
	return l;
}

static rd_kafka_t *conn_producer(km_data_t *d, int c) {
	return c == KM_STALL_PROGRESS ? d->cl.pproducer : d->cl.producers[c];
}

static void pause_conn(km_data_t *d, int c, int64_t now) {
	d->stall.paused[c] = conn_partitions(d, c);
	/* per-partition errors (one librdkafka does not know) change nothing */
	rd_kafka_pause_partitions(conn_producer(d, c), d->stall.paused[c]);
	d->stall.paused_ms[c] = now;
}

static void resume_conn(km_data_t *d, int c) {
	if (conn_producer(d, c))
		rd_kafka_resume_partitions(conn_producer(d, c), d->stall.paused[c]);
	rd_kafka_topic_partition_list_destroy(d->stall.paused[c]);
	d->stall.paused[c] = NULL;
	d->stall.paused_ms[c] = 0;
}

/* "producer connection N" or "the progress connection", for the log. */
static const char *conn_name(char *buf, size_t size, int c) {
	if (c == KM_STALL_PROGRESS)
		return "the progress connection";
	snprintf(buf, size, "producer connection %d", c + 1);
	return buf;
}

void km_stall_heard(km_flow_t *f, int c, int64_t now) {
	km_data_t *d = &f->d;

	d->stall.heard_ms[c] = now;
	if (d->stall.paused[c])
		resume_conn(d, c);
	if (d->stall.since_ms[c]) {
		char name[32];

		km_notice("flow %s: the target answers %s again, after %.1f s", f->name,
		          conn_name(name, sizeof(name), c),
		          (double)(now - d->stall.since_ms[c]) / 1000);
		d->stall.since_ms[c] = 0;
	}
}

void km_stall_check(km_flow_t *f, int64_t now) {
	km_data_t *d = &f->d;
	double busy;

	if (!sample(d, now, &busy))
		return;
	for (int i = 0; i <= d->cl.nprod; i++) {
		int c = i < d->cl.nprod ? i : KM_STALL_PROGRESS;
		rd_kafka_t *rk = conn_producer(d, c);
		char name[32];

		if (!rk)
			continue;
		if (d->stall.paused[c]) {
			if (now - d->stall.paused_ms[c] >= KM_STALL_PROBE_MS)
				resume_conn(d, c); /* the probe: paused again below if it spins */
			continue;
		}
		if (!rd_kafka_outq_len(rk) || !d->stall.heard_ms[c]) {
			d->stall.heard_ms[c] = now; /* nothing outstanding: nothing to hear */
			continue;
		}
		if (now - d->stall.heard_ms[c] < KM_STALL_MS || busy < 0.5)
			continue; /* not silent long enough, or silent but nothing spins */
		if (!d->stall.since_ms[c]) {
			d->stall.since_ms[c] = d->stall.heard_ms[c];
			km_notice("flow %s: the target has acknowledged nothing on %s for %.1f s "
			          "while it has records outstanding; its partitions are paused "
			          "until it does, so that librdkafka does not busy-wait meanwhile",
			          f->name, conn_name(name, sizeof(name), c),
			          (double)(now - d->stall.heard_ms[c]) / 1000);
		}
		pause_conn(d, c, now);
	}
}

void km_stall_reset(km_flow_t *f) {
	km_data_t *d = &f->d;

	for (int c = 0; c <= KM_STALL_PROGRESS; c++) {
		if (d->stall.paused[c]) /* its producer is gone: nothing to resume */
			rd_kafka_topic_partition_list_destroy(d->stall.paused[c]);
		d->stall.paused[c] = NULL;
		d->stall.paused_ms[c] = d->stall.heard_ms[c] = 0;
		d->stall.since_ms[c] = 0;
	}
}
