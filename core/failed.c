/* Records that failed: a stage failed them, or the target (or the
 * dead-letter topic) refused them. The flow's on_error decides: stop the
 * partition at the record, skip it, or send it unchanged to the
 * dead-letter topic; the lines that say so are rate-limited. copy.c calls
 * in here from the record path and the delivery reports; nothing here runs
 * for a record that did not fail.
 * @locality data thread */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_int.h"
#include "kafka.h"
#include "log.h"

/* Whether the target refused @p err for the record itself (its size, its
 * format, its timestamp, a partition a stage chose that the topic lacks),
 * not for its topic (authorization, the topic's state): on_error skip and
 * dead-letter apply only to those; the others stop the partition, or
 * they would skip or dead-letter the whole stream. */
static int record_level(int32_t err) {
	switch (err) {
	case RD_KAFKA_RESP_ERR_INVALID_MSG: /* CORRUPT_MESSAGE */
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
	case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
	case RD_KAFKA_RESP_ERR_INVALID_RECORD:
	case RD_KAFKA_RESP_ERR__BAD_MSG:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
		return 1;
	default:
		return 0;
	}
}

#define KM_SKIP_LOG_WINDOW_MS 10000
#define KM_SKIP_LOG_LINES     10

/* Says how many skipped or dead-lettered records, and batches a stage
 * failed, were not logged one by one, once their window is over. */
void km_copy_skips_said(km_flow_t *f, int64_t now) {
	uint64_t held;
	int dlq = f->on_error == KM_ON_ERROR_DEAD_LETTER;

	if (!f->d.skip_log.window_ms) {
		f->d.skip_log =
		    (km_ratelimit_t)KM_RATELIMIT_INIT(KM_SKIP_LOG_WINDOW_MS, KM_SKIP_LOG_LINES);
		f->d.batch_log =
		    (km_ratelimit_t)KM_RATELIMIT_INIT(KM_SKIP_LOG_WINDOW_MS, KM_SKIP_LOG_LINES);
	}
	if ((held = km_ratelimit_roll(&f->d.batch_log, now)))
		km_err("flow %s: %" PRIu64
		       " more batch(es) failed by a stage in the last %d s, not "
		       "logged one by one; the status counts every one (stage_errors)",
		       f->name, held, KM_SKIP_LOG_WINDOW_MS / 1000);
	if ((held = km_ratelimit_roll(&f->d.skip_log, now)))
		km_warn("flow %s: %" PRIu64 " more record(s) %s in the last %d s, not logged one "
		        "by one; the status counts every one (%s)",
		        f->name, held,
		        dlq ? "sent to the dead-letter topic (on_error: dead-letter)"
		            : "skipped (on_error: skip)",
		        KM_SKIP_LOG_WINDOW_MS / 1000, dlq ? "dead_lettered" : "skipped");
}

/* Whether the skip of a record may be logged: at most KM_SKIP_LOG_LINES
 * lines per KM_SKIP_LOG_WINDOW_MS and flow. */
static int skip_logged(km_flow_t *f) {
	km_copy_skips_said(f, km_mono_ms());
	return km_ratelimit_allow(&f->d.skip_log);
}

/* ---- dead-letter ------------------------------------------------------- */

int32_t km_copy_dead_letter_partition(km_flow_t *f, const km_part_t *p) {
	int32_t cnt = km_tmeta_partitions(f->d.tmeta, f->dlq_topic);

	return cnt > 0 ? p->partition % cnt : -1;
}

/* Sends the source record of @p e, unchanged, to the dead-letter topic:
 * its key, value, timestamp and headers (@p hdrs, handed over, when they
 * are no longer on the consumed message; NULL: a copy of the message's),
 * then headers that say who failed it (stage @p st; NULL: the target),
 * with which code and why. Its partition there is its source partition
 * modulo the topic's count, chosen when it is sent: while the count is
 * not known (a topic the target lacks is created as routed topics are)
 * the record waits. @p e is done when the dead-letter topic acknowledged
 * it, and stops its partition when that topic refuses it too. */
static void dead_letter(km_flow_t *f, km_entry_t *e, const km_instance_t *st, km_err_t code,
                        const char *msg, rd_kafka_headers_t *hdrs) {
	rd_kafka_message_t *m = e->msg;
	km_part_t *p = e->q->owner;
	rd_kafka_headers_t *src;
	char part[16], off[24];

	e->mark = KM_MARK_DEAD_LETTERED;
	if (!hdrs)
		hdrs = rd_kafka_message_headers(m, &src) ? rd_kafka_headers_new(8)
		                                         : rd_kafka_headers_copy(src);
	snprintf(part, sizeof(part), "%d", p->partition);
	snprintf(off, sizeof(off), "%" PRId64, e->offset);
	rd_kafka_header_add(hdrs, "kmirror.error.flow", -1, f->name, -1);
	rd_kafka_header_add(hdrs, "kmirror.error.source.cluster", -1, f->source, -1);
	rd_kafka_header_add(hdrs, "kmirror.error.source.topic", -1, p->st->name, -1);
	rd_kafka_header_add(hdrs, "kmirror.error.source.partition", -1, part, -1);
	rd_kafka_header_add(hdrs, "kmirror.error.source.offset", -1, off, -1);
	rd_kafka_header_add(hdrs, "kmirror.error.stage", -1, st ? st->ctx.name : "target", -1);
	rd_kafka_header_add(hdrs, "kmirror.error.code", -1, km_err2name(code), -1);
	rd_kafka_header_add(hdrs, "kmirror.error.message", -1, msg, -1);
	if (skip_logged(f))
		km_warn("flow %s: %s [%d] offset %" PRId64 ": %s%s %s the record (%s); sent it to "
		        "the dead-letter topic %s (on_error: dead-letter)",
		        f->name, p->st->name, p->partition, e->offset, st ? "stage " : "the target",
		        st ? st->ctx.name : "", st ? "failed" : "refused", msg, f->dlq_topic);
	km_copy_produce(f, p, e, f->dlq_topic, km_copy_dead_letter_partition(f, p), m->key,
	                m->key_len, m->payload, m->len, km_msg_timestamp(m), hdrs,
	                KM_SEND_DEAD_LETTER);
}

/* A record made from @p e failed for good with @p err (the target
 * refused it, or it could not be sent), with on_error dead-letter: its
 * source record goes to the dead-letter topic after the poll (a delivery
 * report must not produce: a full queue would poll again). @p sent: the
 * failed record's headers (borrowed), which are the source record's when
 * there is no pipeline (they were handed to the producer with it). Returns
 * 1 when the failure is taken care of (@p e is held until it is sent, or
 * was dead-lettered already), 0 when it stands: the producer is being
 * rebuilt, the partition stopped, the error is not the record's own, or
 * the dead-letter topic refused it already. */
int km_fail_dead_letter_later(km_flow_t *f, km_entry_t *e, int32_t err,
                              const rd_kafka_headers_t *sent) {
	km_data_t *d = &f->d;
	km_part_t *p = e->q->owner;
	const rd_kafka_headers_t *from = NULL;
	rd_kafka_headers_t *src;
	struct km_dlq_todo *t;

	if (km_rebuild_error(f, err) || p->state != KM_PART_ACTIVE || !record_level(err) ||
	    e->mark == KM_MARK_DLQ_REFUSED)
		return 0;
	if (e->mark == KM_MARK_DEAD_LETTERED) /* another record made from it failed */
		return 1;
	if (d->dlq_todo_cnt == d->dlq_todo_cap) {
		/* bounded by the pool: each entry is on it once */
		size_t ncap = d->dlq_todo_cap ? d->dlq_todo_cap * 2 : 64;
		if (!(t = realloc(d->dlq_todo, ncap * sizeof(*t))))
			abort();
		d->dlq_todo = t;
		d->dlq_todo_cap = ncap;
	}
	if (!f->pipeline.cnt)
		from = sent;
	else if (!rd_kafka_message_headers(e->msg, &src))
		from = src;
	t = &d->dlq_todo[d->dlq_todo_cnt++];
	t->e = e;
	t->err = err;
	if (from && from == sent && f->prov_on) /* the source's, with its provenance added */
		t->hdrs = km_prov_strip(from, f->prov_name, d->prov.src, d->prov.src_len);
	else
		t->hdrs = from ? rd_kafka_headers_copy(from) : rd_kafka_headers_new(8);
	e->mark = KM_MARK_DEAD_LETTERED;
	km_inflight_hold(&d->ifl, e, 0); /* its message lives until it is sent */
	return 1;
}

void km_copy_send_failed(km_flow_t *f, km_entry_t *e, int32_t err, unsigned flags,
                         const rd_kafka_headers_t *sent) {
	if (flags & KM_SEND_DEAD_LETTER) {
		if (!km_rebuild_error(f, err))
			e->mark = KM_MARK_DLQ_REFUSED;
	} else if (f->on_error == KM_ON_ERROR_DEAD_LETTER &&
	           km_fail_dead_letter_later(f, e, err, sent)) {
		return;
	}
	km_inflight_fail(&f->d.ifl, e, err);
}

/* Sends the records that failed at the target to the dead-letter topic. */
void km_fail_drain(km_flow_t *f) {
	km_data_t *d = &f->d;
	int copying = d->copying;

	if (d->dlq_draining || !d->dlq_todo_cnt)
		return;
	d->dlq_draining = 1;
	d->copying = 1; /* a full queue's wait serves acks, nothing else */
	/* a wait inside may add to the list: it is read anew each time */
	for (size_t i = 0; i < d->dlq_todo_cnt; i++) {
		struct km_dlq_todo t = d->dlq_todo[i];

		if (((km_part_t *)t.e->q->owner)->state != KM_PART_ACTIVE) {
			/* it stopped meanwhile: the failure stands, nothing goes out */
			rd_kafka_headers_destroy(t.hdrs);
			km_inflight_fail(&d->ifl, t.e, t.err);
		} else {
			dead_letter(f, t.e, NULL, km_kafka_err2km(t.err), rd_kafka_err2str(t.err),
			            t.hdrs);
		}
		km_inflight_release(&d->ifl, t.e); /* the hold dead_letter_later took */
	}
	d->dlq_todo_cnt = 0;
	d->copying = copying;
	d->dlq_draining = 0;
}

void km_copy_drop_dead_letters(km_flow_t *f) {
	km_data_t *d = &f->d;

	for (size_t i = 0; i < d->dlq_todo_cnt; i++)
		rd_kafka_headers_destroy(d->dlq_todo[i].hdrs);
	d->dlq_todo_cnt = 0;
}

/* ---- failed records ---------------------------------------------------- */

/* What a record's failure is called: "stage NAME" for a stage's. */
static const char *stage_label(const km_instance_t *st) {
	return st ? st->ctx.name : "(unknown stage)";
}

/* Stage @p st failed a record of @p e with @p msg: the flow's on_error
 * decides. With stop, the first reason is kept for the partition's. */
void km_fail_stage(km_flow_t *f, km_entry_t *e, const km_instance_t *st, const char *msg) {
	km_part_t *p = e->q->owner;

	if (!msg || !*msg)
		msg = "(no reason given)";
	switch (f->on_error) {
	case KM_ON_ERROR_DEAD_LETTER:
		if (p->state != KM_PART_ACTIVE || e->mark == KM_MARK_DLQ_REFUSED)
			break;
		if (e->mark != KM_MARK_DEAD_LETTERED) /* once per source record */
			dead_letter(f, e, st, KM_ERR_STAGE, msg, NULL);
		return;
	case KM_ON_ERROR_SKIP:
		/* said now: by the time it is popped, another record of the
		 * partition may have failed with another reason */
		if (!e->status && skip_logged(f))
			km_warn("flow %s: %s [%d] offset %" PRId64
			        ": stage %s failed the record (%s); skipped it (on_error: skip)",
			        f->name, p->st->name, p->partition, e->offset, stage_label(st),
			        msg);
		break;
	case KM_ON_ERROR_STOP:
		/* it stops at its first failed record: nothing after it goes out */
		if (!p->failing)
			snprintf(p->fail_msg, sizeof(p->fail_msg),
			         "stage %s failed the record at offset %" PRId64 ": %s",
			         stage_label(st), e->offset, msg);
		p->failing = 1;
		break;
	}
	km_inflight_fail(&f->d.ifl, e, KM_ERR_STAGE);
}

/* A record the target refused, a stage failed, or the dead-letter topic
 * refused: the flow's on_error decides, for a stage's failure and a
 * record the target refused for itself; anything else stops the
 * partition. */
void km_fail_record(km_flow_t *f, km_entry_t *e) {
	km_part_t *p = e->q->owner;
	int dlq = e->mark == KM_MARK_DLQ_REFUSED, stage = e->status == KM_ERR_STAGE;
	int own = stage || record_level(e->status);
	char why[400];

	if (dlq)
		snprintf(why, sizeof(why),
		         "the dead-letter topic %s refused the record at offset %" PRId64 ": %s",
		         f->dlq_topic, e->offset, rd_kafka_err2str(e->status));
	else if (stage)
		snprintf(why, sizeof(why), "%s", p->fail_msg);
	else
		snprintf(why, sizeof(why),
		         "the target refused the record at offset %" PRId64 ": %s", e->offset,
		         rd_kafka_err2str(e->status));
	if (f->on_error == KM_ON_ERROR_SKIP && own) {
		p->skipped++;
		p->next = e->offset + 1;
		km_progress_mark(f, p);
		/* a stage's failure was said already */
		if (!stage && skip_logged(f))
			km_warn("flow %s: %s [%d] offset %" PRId64
			        ": the target refused the record "
			        "(%s); skipped it (on_error: skip)",
			        f->name, p->st->name, p->partition, e->offset,
			        rd_kafka_err2str(e->status));
		return;
	}
	p->state = KM_PART_STOPPED;
	p->q.stopped = 1;
	km_inflight_kick(&f->d.ifl, &p->q); /* its deferred entries are let go */
	p->next_ts = e->ts;
	km_part_set_reason(p, "%s", why);
	km_err("flow %s: partition %s [%d] stopped: %s. The other partitions go on; fix the "
	       "cause (%s) and restart kmirrord%s",
	       f->name, p->st->name, p->partition, p->reason,
	       dlq     ? "the dead-letter topic: e.g. its max.message.bytes or ACLs"
	       : stage ? "the stage, or the records it fails"
	       : own   ? "e.g. the target topic's max.message.bytes"
	               : "the target refused the topic, not the record: e.g. its ACLs; on_error "
	                 "applies only to records refused for themselves",
	       own && f->on_error == KM_ON_ERROR_STOP ? ", or set on_error: skip or dead-letter"
	                                              : "");
	km_part_pause(f, p);
}

/* Whether a stage's failure of a batch may be logged: every one with
 * on_error stop (its partition stops), at most KM_SKIP_LOG_LINES per
 * KM_SKIP_LOG_WINDOW_MS and flow otherwise (km_copy_skips_said says how
 * many more there were). */
int km_fail_batch_logged(km_flow_t *f) {
	if (f->on_error == KM_ON_ERROR_STOP)
		return 1;
	km_copy_skips_said(f, km_mono_ms());
	return km_ratelimit_allow(&f->d.batch_log);
}
