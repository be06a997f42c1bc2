/* The copy loop's record path: admit consumed records into the in-flight
 * pool, run batches through the pipeline, produce them to the target, take
 * the delivery reports and pop what the target acknowledged; the stages'
 * timers. consume.c polls the source; waiting.c holds records the target
 * cannot take yet; failed.c decides what happens to records that failed
 * (on_error).
 *
 * In our code the hot path allocates nothing, takes no lock and makes no
 * syscall per record: pool entries, batch buffers and header views are
 * reused; a plugin sees whole batches. Only records that wait for the
 * target are copied to the heap (a rare path, bounded by the pool).
 * @locality data thread */
#include "config.h"

#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow_int.h"
#include "kafka.h"
#include "log.h"

void km_part_set_reason(km_part_t *p, const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	p->since_ms = km_wall_ms();
}

void km_data_error(km_flow_t *f, km_errsrc_t from, const char *fmt, ...) {
	va_list ap;

	f->d.last_error_from = (int)from;
	va_start(ap, fmt);
	vsnprintf(f->d.last_error, sizeof(f->d.last_error), fmt, ap);
	va_end(ap);
	f->d.last_error_ms = km_wall_ms();
}

/* A record's share of a librdkafka batch as batch.size counts it: key,
 * value, headers, and the record's framing (at most ~32 bytes). */
static size_t batch_cost(size_t key_len, size_t val_len, const rd_kafka_headers_t *h) {
	size_t n = key_len + val_len + 32, cnt = h ? rd_kafka_header_cnt(h) : 0;

	for (size_t i = 0; i < cnt; i++) {
		const char *name;
		const void *val;
		size_t len;
		if (!rd_kafka_header_get_all(h, i, &name, &val, &len))
			n += strlen(name) + len + 8;
	}
	return n;
}

static int window_on(const km_flow_t *f) {
	return f->d.ifl.part_cap != SIZE_MAX;
}

/* A produce request's opaque: its entry, with the low bits saying where
 * the record goes (entries are 8-byte aligned): 1, the dead-letter topic;
 * 2, a topic or partition other than the entry's mirror partition. Its
 * report is so told apart per record, whatever topic handle it shares. */
#define KM_TAG_BITS 3u
static void *send_opaque(km_entry_t *e, unsigned flags) {
	return (char *)e + (flags & KM_TAG_BITS);
}

void km_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
	km_flow_t *f = opaque;
	km_data_t *d = &f->d;
	uintptr_t tag = (uintptr_t)m->_private;
	km_entry_t *e = (km_entry_t *)(tag & ~(uintptr_t)KM_TAG_BITS);
	rd_kafka_headers_t *h = NULL;
	size_t cost = 0;

	(void)rk;
	if (m->_private == &d->progress_marker) {
		d->pw.pending--;
		if (m->err && !d->pw.failed) {
			d->pw.failed = 1;
			km_warn("flow %s: storing progress failed: %s (will retry)", f->name,
			        rd_kafka_err2str(m->err));
		}
		return;
	}
	if (m->_private == &d->osync_marker) {
		km_osync_report(f, m);
		return;
	}
	if (m->_private == &d->unsourced_marker) {
		d->unsourced_inflight--;
		if (m->err) {
			d->unsourced_failed++;
			km_warn("flow %s: a record a stage made on its own (no source record) was "
			        "refused by the target: %s",
			        f->name, rd_kafka_err2str(m->err));
		}
		return;
	}
	if (window_on(f) || m->err)
		rd_kafka_message_headers(m, &h);
	if (window_on(f))
		cost = batch_cost(m->key_len, m->len, h);
	if (!m->err)
		km_data_error_ended(f, KM_ERRSRC_TARGET);
	if (tag & KM_SEND_DEAD_LETTER) {
		/* the dead-letter topic's answer: no offset of a mirror */
		if (m->err && !km_rebuild_error(f, m->err))
			e->mark = KM_MARK_DLQ_REFUSED;
		km_inflight_ack(&d->ifl, e, m->err, -1, cost);
		return;
	}
	if (m->err && f->on_error == KM_ON_ERROR_DEAD_LETTER &&
	    km_fail_dead_letter_later(f, e, m->err, h)) {
		km_inflight_ack(&d->ifl, e, 0, -1, cost);
		return;
	}
	if (tag & KM_SEND_ROUTED) /* no offset pair of its mirror partition */
		e->routed = 1;
	km_inflight_ack(&d->ifl, e, m->err, m->err || (tag & KM_SEND_ROUTED) ? -1 : m->offset,
	                cost);
}

/* Pops one resolved head entry: progress moves past it. An entry that
 * failed because the producer is being rebuilt stays: the rebuild resumes
 * the partition before it, so nothing acknowledged after it moves the
 * partition past it. */
static int pop_entry(void *arg, km_entry_t *e) {
	km_flow_t *f = arg;
	km_part_t *p = e->q->owner;

	if (e->status && km_rebuild_error(f, e->status))
		return KM_POP_KEEP;
	if (p->state != KM_PART_ACTIVE)
		return KM_POP_TAKE;
	if (e->status) {
		km_fail_record(f, e);
		return KM_POP_TAKE;
	}
	p->next = e->offset + 1;
	if (e->dst_offset >= 0) {
		p->last_src = e->offset;
		p->last_dst = e->dst_offset;
		if (p->xl)
			km_osync_note(f, p, e);
	}
	if (e->routed)
		p->routed++;
	/* the next record to copy is the next entry, when there is one */
	p->next_ts = e->next >= 0 ? f->d.ifl.ring[e->next].ts : -1;
	km_progress_mark(f, p);
	if (e->mark == KM_MARK_DEAD_LETTERED) {
		p->dead_lettered++;
	} else if (e->mark == KM_MARK_PROV_DROPPED) {
		p->prov_dropped++;
	} else {
		p->records++;
		p->bytes += e->size;
		km_lat_hist_add(&f->d.latency, f->d.ack_wall_ms - e->ts);
	}
	return KM_POP_TAKE;
}

static void copy_entries(km_flow_t *f, km_entry_t **entries, size_t n);

/* Copies the deferred entries of partitions that have room again. */
static void go_on(km_flow_t *f) {
	km_data_t *d = &f->d;
	size_t n;

	while (!d->copying && d->ifl.ready_cnt &&
	       (n = km_inflight_take_ready(&d->ifl, d->work, f->batch_records)))
		copy_entries(f, d->work, n);
}

static int poll_producers(km_flow_t *f) {
	km_clients_t *cl = &f->d.cl;
	int served = 0, n;

	/* reports (or errors) say the connection answers (stall.c) */
	for (int i = 0; i < cl->nprod; i++) {
		if ((n = rd_kafka_poll(cl->producers[i], 0))) {
			km_stall_heard(f, i, km_mono_ms());
			served += n;
		}
	}
	if (cl->oproducer)
		served += rd_kafka_poll(cl->oproducer, 0);
	if ((n = rd_kafka_poll(cl->pproducer, 0))) {
		km_stall_heard(f, KM_STALL_PROGRESS, km_mono_ms());
		served += n;
	}
	return served;
}

void km_copy_serve_acks(km_flow_t *f, int timeout_ms) {
	km_data_t *d = &f->d;

	if (!poll_producers(f) && timeout_ms > 0) {
		char buf[64];
		struct pollfd pfd = {.fd = d->cl.wake[0], .events = POLLIN};

		while (read(d->cl.wake[0], buf, sizeof(buf)) > 0)
			;
		/* Events that came before the pipe was emptied signalled it
		 * already: serve them before waiting for the next. */
		if (!poll_producers(f) && poll(&pfd, 1, timeout_ms) > 0)
			poll_producers(f);
	}
	if (!atomic_load(&d->fatal)) /* the rebuild empties every queue */
		km_fail_drain(f);
	go_on(f);
	if (!atomic_load(&d->fatal)) {
		d->ack_wall_ms = km_wall_ms(); /* once per call: no clock read per record */
		km_inflight_pop(&d->ifl, pop_entry, f);
	}
	km_progress_settle(f);
}

/* Asks the producer to refresh @p rkt's metadata, without waiting: the
 * answer updates its cache, and the next retry sees it. */
static void refresh_metadata(rd_kafka_t *rk, rd_kafka_topic_t *rkt) {
	const struct rd_kafka_metadata *md;

	if (!rd_kafka_metadata(rk, 0, rkt, &md, 0))
		rd_kafka_metadata_destroy(md);
}

/* Sends one record. 0: sent (or failed for good: the entry has the error);
 * 1: the target does not know the topic or partition yet. */
int km_copy_send(km_flow_t *f, km_entry_t *e, int conn, rd_kafka_topic_t *rkt, int32_t partition,
                 const void *key, size_t key_len, const void *val, size_t val_len, int64_t ts,
                 rd_kafka_headers_t *hdrs, size_t cost, unsigned flags) {
	km_data_t *d = &f->d;
	int msgflags =
	    e && val == ((rd_kafka_message_t *)e->msg)->payload ? 0 : RD_KAFKA_MSG_F_COPY;
	rd_kafka_t *rk = d->cl.producers[conn]; /* @p rkt is one of its handles */
	void *opaque = e ? send_opaque(e, flags) : (void *)&d->unsourced_marker;
	rd_kafka_resp_err_t err;

	for (;;) {
		err = rd_kafka_producev(
		    rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
		    RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)val, val_len),
		    RD_KAFKA_V_MSGFLAGS(msgflags), RD_KAFKA_V_TIMESTAMP(ts),
		    RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		km_copy_serve_acks(f, 10); /* the producer's queue is full: wait for acks */
	}
	if (err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
	    err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
		refresh_metadata(rk, rkt);
		return 1;
	}
	if (err) {
		if (e)
			km_copy_send_failed(f, e, err, flags, hdrs);
		else
			d->unsourced_failed++;
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		return 0;
	}
	if (e) {
		km_inflight_hold(&d->ifl, e, cost);
	} else {
		d->unsourced_inflight++;
	}
	d->produced++;
	if (d->test_fatal_after && d->produced == (uint64_t)d->test_fatal_after) {
		km_warn("flow %s: KMIRROR_TEST_FATAL_AFTER: raising a fatal producer error",
		        f->name);
		rd_kafka_test_fatal_error(rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
		                          "test hook");
	}
	return 0;
}

/* A record with no source for a topic or partition the target lacks:
 * nothing can wait for it, so the topic is asked for and the record
 * dropped, counted. */
static void drop_unsourced(km_flow_t *f, const char *topic, int32_t partition,
                           rd_kafka_headers_t *hdrs) {
	if (hdrs)
		rd_kafka_headers_destroy(hdrs);
	f->d.unsourced_failed++;
	km_wait_request_topic(f, NULL, topic, partition);
	km_warn("flow %s: a record a stage made on its own goes to %s [%d], which the target "
	        "does not have: dropped",
	        f->name, topic, partition);
}

/* Produces one record made from @p e (NULL: a record with no source, from
 * @p p's connection or the first). The payload is sent without a copy when
 * it is the consumed message's own (it lives until the entry is popped).
 * @p hdrs is handed over. */
void km_copy_produce(km_flow_t *f, km_part_t *p, km_entry_t *e, const char *topic,
                     int32_t partition, const void *key, size_t key_len, const void *val,
                     size_t val_len, int64_t ts, rd_kafka_headers_t *hdrs, unsigned flags) {
	int conn = p ? p->conn : 0;
	size_t cost = e && window_on(f) ? batch_cost(key_len, val_len, hdrs) : 0;
	/* the dead-letter topic's partition is known, or it waits (-1) */
	int lacks =
	    (flags & KM_SEND_DEAD_LETTER) ? partition < 0 : km_wait_lacks(f, p, topic, partition);

	/* not to its mirror partition: no offset pair for translation (the
	 * mirror's name is the same pointer unless a stage set another) */
	if (e && p && !(flags & KM_SEND_DEAD_LETTER) &&
	    (partition != p->partition || (topic != p->st->target && strcmp(topic, p->st->target))))
		flags |= KM_SEND_ROUTED;
	if (p && p->failing) { /* it stops at a record a stage failed: nothing after it */
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		return;
	}
	if (!p && lacks) {
		drop_unsourced(f, topic, partition, hdrs);
		return;
	}
	if (p && (p->held || lacks)) {
		/* it waits for the target, or behind earlier records that do */
		km_wait_hold(f, p, e, topic, partition, key, key_len, val, val_len, ts, hdrs, cost,
		             flags);
		return;
	}
	if (km_copy_send(f, e, conn, km_copy_rkt(f, topic, p, conn), partition, key, key_len, val,
	                 val_len, ts, hdrs, cost, flags) != 1)
		return;
	if (p)
		km_wait_hold(f, p, e, topic, partition, key, key_len, val, val_len, ts, hdrs, cost,
		             flags);
	else
		drop_unsourced(f, topic, partition, hdrs);
}

/* ---- headers ahead --------------------------------------------------- */

/* How many records ahead of the one being copied its headers are asked for. */
#define KM_HEADERS_AHEAD 4

/* Asks the CPU to bring into its cache the headers of the record
 * KM_HEADERS_AHEAD records after @p i (of @p n entries), and at @p i 0
 * those of the first records too. A consumed record's headers follow its value in the
 * fetched batch, and librdkafka parses them only when the data thread
 * asks for them, long after the consumer's thread wrote the batch: without
 * this nearly every record's first header read waited for memory
 * (docs/BENCHMARKS.md has the profile). A hint: it never faults, and it
 * costs next to nothing where the headers are not there. */
static inline void headers_ahead(km_entry_t **entries, size_t n, size_t i) {
	for (size_t j = i ? i + KM_HEADERS_AHEAD : 0; j <= i + KM_HEADERS_AHEAD && j < n; j++) {
		const rd_kafka_message_t *m = entries[j]->msg;
		const char *h = (const char *)m->payload + m->len;

		if (m->payload) {
			__builtin_prefetch(h);
			__builtin_prefetch(h + 64);
		}
	}
}

/* ---- provenance headers (provenance.h) --------------------------------- */

/* What the record of @p e's provenance says of the target. KM_PROV_SEEN:
 * it came from the target, and is dropped, like a record a stage drops;
 * progress moves past it. A record with no headers costs one call. */
static km_prov_state_t came_from_target(km_flow_t *f, km_entry_t *e) {
	rd_kafka_headers_t *h;
	km_prov_state_t st;

	if (rd_kafka_message_headers(e->msg, &h))
		return KM_PROV_NONE;
	if ((st = km_prov_state(h, f->prov_name, f->d.prov.dst, f->d.prov.dst_len)) ==
	    KM_PROV_SEEN) {
		e->mark = KM_MARK_PROV_DROPPED;
		km_inflight_release(&f->d.ifl, e);
	}
	return st;
}

/* @p h (handed over, NULL: none) with the source's id added to the
 * provenance list; @p st what came_from_target() found in these very
 * headers (KM_PROV_NONE: no provenance header, so no second scan), or
 * KM_PROV_OTHER when it is not known. */
static rd_kafka_headers_t *with_provenance(km_flow_t *f, rd_kafka_headers_t *h,
                                           km_prov_state_t st) {
	if (!f->prov_on)
		return h;
	if (st == KM_PROV_NONE)
		return km_prov_append_new(h, f->prov_name, f->d.prov.src, f->d.prov.src_len);
	return km_prov_append(h, f->prov_name, f->d.prov.src, f->d.prov.src_len);
}

/* ---- the pipeline ------------------------------------------------------ */

/* The empty pipeline: every record goes to the same partition of its
 * mirror topic, untouched but for its provenance, without a copy of its
 * payload. */
static void copy_direct(km_flow_t *f, km_entry_t **entries, size_t n) {
	for (size_t i = 0; i < n; i++) {
		km_entry_t *e = entries[i];
		rd_kafka_message_t *m = e->msg;
		km_part_t *p = e->q->owner;
		rd_kafka_headers_t *hdrs = NULL;
		km_prov_state_t st = KM_PROV_OTHER;

		headers_ahead(entries, n, i);
		if (f->prov_on && (st = came_from_target(f, e)) == KM_PROV_SEEN)
			continue;
		rd_kafka_message_detach_headers(m, &hdrs);
		km_copy_produce(f, p, e, p->st->target, m->partition, m->key, m->key_len,
		                m->payload, m->len, km_msg_timestamp(m),
		                with_provenance(f, hdrs, st), 0);
		km_inflight_release(&f->d.ifl, e);
	}
}

/* Headers of a consumed message as km_header_t views in the batch arena. */
static int view_headers(km_batch_t *b, km_record_t *r, rd_kafka_message_t *m) {
	rd_kafka_headers_t *hdrs;
	km_header_t *h;
	size_t cnt;

	if (rd_kafka_message_headers(m, &hdrs) || !(cnt = rd_kafka_header_cnt(hdrs)))
		return 0;
	if (!(h = km_batch_arena_alloc(b, cnt * sizeof(*h))))
		return -1;
	for (size_t i = 0; i < cnt; i++)
		rd_kafka_header_get_all(hdrs, i, &h[i].name, &h[i].value, &h[i].value_len);
	r->headers = h;
	r->header_cnt = cnt;
	return 0;
}

/* The producer handle for @p topic on connection @p conn: the partition's
 * mirror topic, or a topic a stage routes to (one handle per name and
 * connection, kept for the flow's life; a routed record goes on its
 * source partition's connection, which keeps its order). */
rd_kafka_topic_t *km_copy_rkt(km_flow_t *f, const char *topic, km_part_t *p, int conn) {
	km_data_t *d = &f->d;
	struct km_reroute *rr;

	if (p && (topic == p->st->target || !strcmp(topic, p->st->target)))
		return p->st->dst_rkt[conn];
	for (rr = d->reroutes; rr < d->reroutes + d->reroute_cnt; rr++)
		if (!strcmp(rr->name, topic))
			break;
	if (rr == d->reroutes + d->reroute_cnt) {
		if (!(rr = realloc(d->reroutes, (d->reroute_cnt + 1) * sizeof(*rr))))
			abort();
		d->reroutes = rr;
		rr = &d->reroutes[d->reroute_cnt++];
		memset(rr, 0, sizeof(*rr));
		if (!(rr->name = strdup(topic)))
			abort();
	}
	if (!rr->rkt[conn])
		rr->rkt[conn] = rd_kafka_topic_new(d->cl.producers[conn], topic, NULL);
	return rr->rkt[conn];
}

void km_copy_drop_reroutes(km_flow_t *f) {
	km_data_t *d = &f->d;

	for (size_t i = 0; i < d->reroute_cnt; i++) {
		free(d->reroutes[i].name);
		for (int c = 0; c < KM_MAX_CONNECTIONS; c++)
			if (d->reroutes[i].rkt[c])
				rd_kafka_topic_destroy(d->reroutes[i].rkt[c]);
	}
	free(d->reroutes);
	d->reroutes = NULL;
	d->reroute_cnt = 0;
}

/* Headers of @p r for the producer: a copy of the consumed message's when
 * the stages left them as they were, else built from the stage's views. */
static rd_kafka_headers_t *record_headers(km_flow_t *f, const km_record_t *r, size_t i, size_t n) {
	rd_kafka_headers_t *hdrs, *orig;
	km_entry_t *e = r->km_opaque;

	if (!r->header_cnt)
		return NULL;
	if (e && i < n && r->headers == f->d.hviews[i] &&
	    !rd_kafka_message_headers(e->msg, &orig) && rd_kafka_header_cnt(orig) == r->header_cnt)
		return rd_kafka_headers_copy(orig);
	hdrs = rd_kafka_headers_new(r->header_cnt);
	for (size_t h = 0; h < r->header_cnt; h++)
		rd_kafka_header_add(hdrs, r->headers[h].name, -1, r->headers[h].value,
		                    (ssize_t)r->headers[h].value_len);
	return hdrs;
}

/* Produces what the stages left in @p b; the first @p n records are the
 * batch's source records, in order. */
static void produce_batch(km_flow_t *f, km_batch_t *b, size_t n) {
	for (size_t i = 0; i < b->cnt; i++) {
		km_record_t *r = km_batch_record(b, i);
		km_entry_t *e = r->km_opaque;

		if (r->flags & KM_RECORD_F_DROP)
			continue;
		if (r->flags & KM_RECORD_F_ERROR) {
			f->d.stage_errors++;
			if (e) {
				km_fail_stage(f, e, km_pipeline_failed_by(&f->pipeline, b, i),
				              r->error);
			} else {
				f->d.unsourced_failed++;
				km_warn("flow %s: a stage failed a record it made on its own: %s",
				        f->name, r->error ? r->error : "(no reason given)");
			}
			continue;
		}
		if (!r->topic) {
			f->d.unsourced_failed++;
			km_warn("flow %s: a stage made a record with no topic: dropped", f->name);
			continue;
		}
		km_copy_produce(f, e ? e->q->owner : NULL, e, r->topic, r->partition, r->key,
		                r->key_len, r->value, r->value_len, r->timestamp,
		                with_provenance(f, record_headers(f, r, i, n), KM_PROV_OTHER), 0);
	}
}

/* Runs the pipeline over the records of @p n entries. On KM_STAGE_ERROR,
 * *@p failed is the stage that failed the batch and @p msg its reason. */
static km_stage_action_t run_pipeline(km_flow_t *f, km_entry_t **entries, size_t n, size_t *failed,
                                      char *msg, size_t msg_size) {
	km_data_t *d = &f->d;
	km_batch_t *b = &d->bb.pub;

	km_batchbuf_reset(&d->bb);
	for (size_t i = 0; i < n; i++) {
		rd_kafka_message_t *m = entries[i]->msg;
		km_part_t *p = entries[i]->q->owner;
		km_record_t *r = km_batch_add(b, NULL);

		if (!f->prov_on) /* else the provenance pre-pass parsed them */
			headers_ahead(entries, n, i);
		r->km_opaque = entries[i];
		r->key = m->key;
		r->key_len = m->key_len;
		r->value = m->payload;
		r->value_len = m->len;
		r->timestamp = km_msg_timestamp(m);
		r->topic = p->st->target;
		r->partition = m->partition;
		r->source_topic = p->st->name;
		r->source_partition = m->partition;
		r->source_offset = m->offset;
		if (view_headers(b, r, m))
			r->headers = NULL, r->header_cnt = 0;
		d->hviews[i] = r->headers;
	}
	return km_pipeline_run(&f->pipeline, 0, b, failed, msg, msg_size);
}

/* Runs @p n entries through the pipeline and produces what it made. A
 * stage that fails the whole batch fails every record of it; when the
 * batch held several partitions, the pipeline is first given each
 * partition's records again on their own (every stage sees them again),
 * so that only the partitions whose records it fails are failed (stop,
 * skip or dead-letter, as on_error says). The batch's hold on each entry
 * goes when it was produced or failed. Returns 1 when records failed. */
static int copy_pipeline(km_flow_t *f, km_entry_t **entries, size_t n, int regroup) {
	km_data_t *d = &f->d;
	size_t failed = 0, k = 0;
	int any = 0;
	char msg[512];

	if (run_pipeline(f, entries, n, &failed, msg, sizeof(msg)) == KM_STAGE_OK) {
		if (regroup) /* a group's success says nothing of its siblings */
			km_data_error_ended(f, KM_ERRSRC_STAGE);
		produce_batch(f, &d->bb.pub, n);
		goto out;
	}
	if (regroup) {
		km_entry_t **group = d->work + f->batch_records, **rest = entries;
		size_t left = n;
		/* one partition at a time, each in its order; each group's
		 * entries are released by its own run, @p entries are not
		 * kept (a single partition's stay as they are) */
		while (left) {
			km_ifq_t *q = rest[0]->q;
			size_t g = 0, r = 0;
			for (size_t i = 0; i < left; i++)
				if (rest[i]->q == q)
					group[g++] = rest[i];
				else
					rest[r++] = rest[i];
			if (g == n) /* one partition: it stands failed as it is */
				break;
			left = r;
			any |= copy_pipeline(f, group, g, 0);
			k++;
		}
		if (k) {
			if (!any)
				km_data_error_ended(f, KM_ERRSRC_STAGE);
			return any;
		}
	}
	d->stage_errors++;
	if (km_fail_batch_logged(f))
		km_err("flow %s: stage %s failed a batch of %zu record(s) of %s [%d]%s: %s",
		       f->name, f->pipeline.stages[failed]->ctx.name, n,
		       ((km_part_t *)entries[0]->q->owner)->st->name,
		       ((km_part_t *)entries[0]->q->owner)->partition,
		       regroup ? "" : " (given on its own)", msg);
	km_data_error(f, KM_ERRSRC_STAGE, "stage %s failed: %s",
	              f->pipeline.stages[failed]->ctx.name, msg);
	for (size_t i = 0; i < n; i++)
		km_fail_stage(f, entries[i], f->pipeline.stages[failed], msg);
	any = 1;
out:
	for (size_t i = 0; i < n; i++)
		km_inflight_release(&d->ifl, entries[i]);
	return any;
}

/* Copies a batch of admitted entries, through the pipeline if there is
 * one. Not re-entered: a wait inside (a full producer queue) serves
 * acknowledgements but leaves deferred entries for later. */
static void copy_entries(km_flow_t *f, km_entry_t **entries, size_t n) {
	f->d.copying = 1;
	f->d.batches++;
	if (f->pipeline.cnt) {
		if (f->prov_on) { /* the stages never see records that came from the target */
			size_t k = 0;
			for (size_t i = 0; i < n; i++) {
				headers_ahead(entries, n, i);
				if (came_from_target(f, entries[i]) != KM_PROV_SEEN)
					entries[k++] = entries[i];
			}
			n = k;
		}
		if (n)
			copy_pipeline(f, entries, n, 1);
	} else {
		copy_direct(f, entries, n);
	}
	f->d.copying = 0;
}

void km_copy_ticks(km_flow_t *f, int64_t now) {
	km_data_t *d = &f->d;

	for (size_t i = 0; i < f->pipeline.cnt; i++) {
		km_instance_t *st = f->pipeline.stages[i];
		char msg[512];
		size_t failed = i;

		if (!st->plugin->stage->tick || d->copying)
			continue;
		if (!d->tick_due[i]) /* the first tick comes one interval after the start */
			d->tick_due[i] = now + st->tick_ms;
		if (now < d->tick_due[i])
			continue;
		d->tick_due[i] = now + st->tick_ms;
		d->ticks++;
		km_batchbuf_reset(&d->bb);
		/* the stage gets wall-clock time, for the records it makes */
		if (km_pipeline_tick(&f->pipeline, i, &d->bb.pub, km_wall_ms(), &failed, msg,
		                     sizeof(msg)) != KM_STAGE_OK) {
			const char *who = f->pipeline.stages[failed]->ctx.name;
			d->stage_errors++;
			if (failed == i) {
				km_err("flow %s: stage %s failed in its timer: %s", f->name, who,
				       msg);
				km_data_error(f, KM_ERRSRC_STAGE,
				              "stage %s failed in its timer: %s", who, msg);
			} else {
				km_err("flow %s: stage %s failed the records of %s's timer: %s",
				       f->name, who, st->ctx.name, msg);
				km_data_error(f, KM_ERRSRC_STAGE,
				              "stage %s failed the records of %s's timer: %s", who,
				              st->ctx.name, msg);
			}
			continue;
		}
		km_data_error_ended(f, KM_ERRSRC_STAGE);
		d->copying = 1;
		produce_batch(f, &d->bb.pub, 0);
		d->copying = 0;
	}
}

/* ---- admitting what the consumer gave --------------------------------- */

void km_copy_admit(km_flow_t *f, rd_kafka_message_t **msgs, size_t n) {
	km_data_t *d = &f->d;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		rd_kafka_message_t *m = msgs[i];
		km_stopic_t *st = rd_kafka_topic_opaque(m->rkt);
		km_part_t *p = st->parts[m->partition];
		size_t cost = 0;
		int64_t ts = km_msg_timestamp(m);
		km_entry_t *e;

		if (window_on(f)) {
			rd_kafka_headers_t *h = NULL;
			rd_kafka_message_headers(m, &h);
			cost = batch_cost(m->key_len, m->len, h);
		}
		if (p->q.head < 0 && (p->next < 0 || p->next == m->offset))
			p->next_ts = ts; /* it is the next record to copy */
		p->consumed = m->offset + 1;
		if ((e = km_inflight_push(&d->ifl, &p->q, m, m->offset, ts, m->len + m->key_len,
		                          cost)))
			d->work[k++] = e;
	}
	if (k) {
		/* the pushes are done: copying holds what they reserved */
		km_inflight_admitted(&d->ifl, d->work, k);
		copy_entries(f, d->work, k);
	}
}
