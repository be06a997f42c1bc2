/* The progress writer: stores each partition's next source offset in the
 * progress topic on the target, once the target acknowledged every record
 * before it (progress.h has the format). One write is in flight at a time;
 * when it is acknowledged, every record popped before it counts as stored,
 * which frees room under max.inflight.records.
 *
 * Each partition also keeps the offset pair of its last acknowledged record
 * (last_src -> last_dst, set by the copy loop from the delivery reports);
 * the whole mapping, for offset syncs and checkpoints, is offset_syncs.c's.
 * @locality data thread */
#include "config.h"

#include <string.h>

#include "flow_int.h"
#include "log.h"

/* The partition's progress moved: it goes out with the next write. The
 * list has room for every partition (the data thread grows it as
 * partitions are added). */
void km_progress_mark(km_flow_t *f, km_part_t *p) {
	km_data_t *d = &f->d;

	d->progress_dirty = 1;
	if (p->dirty)
		return;
	p->dirty = 1;
	d->dirty[d->dirty_cnt++] = p;
}

void km_progress_mark_all(km_flow_t *f) {
	for (km_stopic_t *st = f->d.topics; st; st = st->next)
		for (int32_t i = 0; i < st->cnt; i++) {
			st->parts[i]->sent = -1;
			if (st->parts[i]->next >= 0)
				km_progress_mark(f, st->parts[i]);
		}
}

void km_progress_settle(km_flow_t *f) {
	km_data_t *d = &f->d;

	if (!d->pw.active || d->pw.pending)
		return;
	if (!d->pw.failed && d->pw.snapshot > d->ifl.stored)
		d->ifl.stored = d->pw.snapshot;
	if (d->pw.failed) /* send every partition again */
		km_progress_mark_all(f);
	d->pw.active = 0;
	d->pw.failed = 0;
}

void km_progress_write(km_flow_t *f) {
	km_data_t *d = &f->d;
	char key[KM_TOPIC_MAX + 300], val[32];
	size_t i;
	int n = 0;

	if (d->pw.active)
		return;
	d->progress_dirty = 0;
	for (i = 0; i < d->dirty_cnt; i++) {
		km_part_t *p = d->dirty[i];
		rd_kafka_resp_err_t err;
		int kl, vl;

		if (p->next < 0 || p->next == p->sent) {
			p->dirty = 0;
			continue;
		}
		kl = km_progress_key(key, sizeof(key), f->name, p->st->name, p->partition);
		vl = km_progress_value(val, sizeof(val), p->next);
		if (kl < 0 || vl < 0) {
			p->dirty = 0;
			continue;
		}
		err = rd_kafka_producev(d->cl.pproducer, RD_KAFKA_V_TOPIC(KM_PROGRESS_TOPIC),
		                        RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(key, (size_t)kl),
		                        RD_KAFKA_V_VALUE(val, (size_t)vl),
		                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		                        RD_KAFKA_V_OPAQUE(&d->progress_marker), RD_KAFKA_V_END);
		if (err) {
			km_warn("flow %s: storing progress: %s (will retry)", f->name,
			        rd_kafka_err2str(err));
			d->pw.failed = 1;
			break;
		}
		p->dirty = 0;
		p->sent = p->next;
		d->pw.pending++;
		n++;
	}
	/* what was not written stays on the list */
	if (i < d->dirty_cnt) /* (no list at all before the first partition) */
		memmove(d->dirty, d->dirty + i, (d->dirty_cnt - i) * sizeof(*d->dirty));
	d->dirty_cnt -= i;
	/* Everything popped so far is covered once these are acknowledged
	 * (a stopped or skipped record's progress is what it is). */
	if (n || d->pw.failed) {
		d->pw.active = 1;
		d->pw.snapshot = d->ifl.popped;
	} else if (d->ifl.popped > d->ifl.stored) {
		d->ifl.stored = d->ifl.popped;
	}
	d->last_progress_ms = km_mono_ms();
}
