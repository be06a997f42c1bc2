/* The copy loop's source side: polls the consumer's queue a batch at a
 * time, turns its error events into actions (a refused position is looked
 * up by the control thread), and wakes librdkafka's stalled fetchers.
 * @locality data thread */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flow_int.h"
#include "log.h"

static km_part_t *msg_part(const rd_kafka_message_t *m) {
	km_stopic_t *st = m->rkt ? rd_kafka_topic_opaque(m->rkt) : NULL;

	if (!st || m->partition < 0 || m->partition >= st->cnt)
		return NULL;
	return st->parts[m->partition];
}

static void pause_resume(km_flow_t *f, km_part_t *p, int pause) {
	rd_kafka_topic_partition_list_t *l;

	if (!pause && p->paused)
		return; /* a mirror-topic command holds it: resuming is its */
	l = rd_kafka_topic_partition_list_new(1);

	rd_kafka_topic_partition_list_add(l, p->st->name, p->partition);
	if (pause)
		rd_kafka_pause_partitions(f->d.cl.consumer, l);
	else
		rd_kafka_resume_partitions(f->d.cl.consumer, l);
	rd_kafka_topic_partition_list_destroy(l);
}

void km_part_pause(km_flow_t *f, km_part_t *p) {
	pause_resume(f, p, 1);
}

void km_part_resume(km_flow_t *f, km_part_t *p) {
	pause_resume(f, p, 0);
}

/* The consumer could not go on where it was (the position is outside the
 * log): the partition waits, paused, while the control thread finds the
 * log's bounds (a query that can take seconds). */
static void position_refused(km_flow_t *f, km_part_t *p) {
	km_req_t *r;

	if (p->resetting)
		return;
	p->resetting = 1; /* the consumer stopped fetching it */
	km_part_set_reason(
	    p, "position %" PRId64 " is outside the source's log: finding its bounds", p->consumed);
	if (!(r = calloc(1, sizeof(*r))) || !(r->topic = strdup(p->st->name)))
		abort();
	r->type = KM_REQ_RESET;
	r->partition = p->partition;
	r->pos = p->consumed;
	km_flow_send_req(f, r);
}

/* A consumer error event (not a record). */
static void consumer_event(km_flow_t *f, rd_kafka_message_t *m) {
	km_part_t *p = msg_part(m);

	if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET && p) {
		position_refused(f, p);
	} else if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
	           m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
	           m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
		/* the control thread notices deleted topics */
		km_dbg("flow %s: %s", f->name, rd_kafka_message_errstr(m));
	} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		km_warn("flow %s: source: %s", f->name, rd_kafka_message_errstr(m));
		km_data_error(f, KM_ERRSRC_SOURCE, "source: %s", rd_kafka_message_errstr(m));
	}
	rd_kafka_message_destroy(m);
}

/* librdkafka 2.0.2 stops fetching every partition once the consumer queue
 * (shared by all of them) holds queued.min.messages records or
 * queued.max.messages.kbytes, and decides again only when its broker
 * thread wakes: after up to a second when nothing else wakes it. At
 * 100-byte records the first bound alone held kmirrord to a third of its
 * rate with the machine mostly idle. A queue that ran dry after full
 * batches is that stall: an asynchronous seek of one partition to the next
 * offset to copy (its queued records, none or a few, are fetched again)
 * wakes its broker thread, which then fetches every partition it leads
 * again. The partition taken turns, so a cluster's every leader gets its
 * turn. */
static void wake_fetchers(km_flow_t *f) {
	km_data_t *d = &f->d;
	size_t k = 0;

	for (km_stopic_t *st = d->topics; st; st = st->next)
		for (int32_t i = 0; i < st->cnt; i++, k++) {
			km_part_t *p = st->parts[i];
			rd_kafka_topic_partition_list_t *l;
			rd_kafka_error_t *error;

			if (k < d->wake_next || p->state != KM_PART_ACTIVE || p->consumed < 0 ||
			    p->resetting || p->paused)
				continue;
			l = rd_kafka_topic_partition_list_new(1);
			rd_kafka_topic_partition_list_add(l, st->name, i)->offset = p->consumed;
			if ((error = rd_kafka_seek_partitions(d->cl.consumer, l, 0)))
				rd_kafka_error_destroy(error); /* asynchronous: nothing to report */
			rd_kafka_topic_partition_list_destroy(l);
			d->wake_next = k + 1;
			d->fetch_wakes++;
			return;
		}
	if (d->wake_next) { /* past the last one: from the first again */
		d->wake_next = 0;
		wake_fetchers(f);
	}
}

size_t km_consume_poll(km_flow_t *f, rd_kafka_message_t **msgs, size_t max) {
	km_data_t *d = &f->d;
	/* With records in flight, come back soon to serve acknowledgements. */
	int timeout = d->ifl.cnt || d->pw.active || d->heldq_cnt ? 5 : 100;
	rd_kafka_message_t *first = rd_kafka_consume_queue(d->cl.cq, timeout);
	size_t got = 1, n = 0;

	if (!first) {
		if (d->backlog)
			wake_fetchers(f);
		d->backlog = 0;
		return 0;
	}
	msgs[0] = first;
	if (max > 1) { /* the rest of what is there, in one call */
		ssize_t more = rd_kafka_consume_batch_queue(d->cl.cq, 0, msgs + 1, max - 1);
		if (more > 0)
			got += (size_t)more;
	}
	if (got == max && max >= f->batch_records)
		d->backlog = 1; /* until the queue runs dry */
	for (size_t i = 0; i < got; i++) {
		rd_kafka_message_t *m = msgs[i];
		km_part_t *p;

		if (m->err) {
			consumer_event(f, m);
			continue;
		}
		p = msg_part(m);
		if (!p || p->state != KM_PART_ACTIVE || p->resetting || p->paused ||
		    (p->consumed >= 0 && m->offset < p->consumed)) {
			/* stopped, gone, paused or resetting partition, or a record
			 * from before a seek */
			rd_kafka_message_destroy(m);
			continue;
		}
		msgs[n++] = m;
	}
	if (n)
		km_data_error_ended(f, KM_ERRSRC_SOURCE);
	return n;
}
