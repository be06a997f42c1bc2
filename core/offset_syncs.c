/* Offset syncs and translation, the data thread's side: each acknowledged
 * record feeds its partition's runs (xlate.h); the offset syncs that MM2's
 * rules call for go to the offset-syncs topic, in MM2's bytes
 * (mm2_codec.h), through a producer of their own on the cluster that
 * offset-syncs.topic.location names; the delayed ones go out every
 * offset-syncs.flush.interval and when the flow stops; the control
 * thread's checkpoint task has committed offsets translated here (a
 * km_xjob_t), where the runs are.
 * @locality data thread */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flow_int.h"
#include "log.h"
#include "mm2_codec.h"

void km_osync_part_init(km_flow_t *f, km_part_t *p) {
	if (!f->xlate_on)
		return;
	if (!p->xl && !(p->xl = malloc(sizeof(*p->xl))))
		abort(); /* out of memory while adding partitions */
	km_xlate_init(p->xl);
}

/* Hands the sync (@p up, @p down) of @p p to the producer; 0 when it
 * could not take it (it stays the delayed sync). */
static int send_sync(km_flow_t *f, km_part_t *p, int64_t up, int64_t down) {
	km_data_t *d = &f->d;
	km_mm2_offset_sync_t s = {{p->st->name, strlen(p->st->name)}, p->partition, up, down};
	char key[KM_TOPIC_MAX + 8], val[KM_MM2_OFFSET_SYNC_VALUE_LEN];
	size_t kl, vl;
	rd_kafka_resp_err_t err;

	if (!atomic_load(&f->osync_ready))
		return 0;
	if (km_mm2_offset_sync_key_encode(&s, key, sizeof(key), &kl, NULL, 0) != KM_OK ||
	    km_mm2_offset_sync_value_encode(&s, val, sizeof(val), &vl, NULL, 0) != KM_OK)
		return 0; /* a name MM2 could not hold: never written */
	err = rd_kafka_producev(d->cl.oproducer, RD_KAFKA_V_TOPIC(f->osync_topic),
	                        RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(key, kl),
	                        RD_KAFKA_V_VALUE(val, vl), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	                        RD_KAFKA_V_OPAQUE(&d->osync_marker), RD_KAFKA_V_END);
	if (err) {
		d->osyncs_unsent++;
		return 0;
	}
	d->osyncs_inflight++;
	km_xlate_synced(p->xl, up, down);
	return 1;
}

void km_osync_note(km_flow_t *f, km_part_t *p, const km_entry_t *e) {
	if (km_xlate_add(p->xl, e->offset, e->dst_first, e->dst_offset, f->lag_max) && f->osync_on)
		send_sync(f, p, e->offset, e->dst_first);
}

void km_osync_flush(km_flow_t *f, int64_t now) {
	km_data_t *d = &f->d;

	d->osync_flushed_ms = now;
	if (!f->osync_on || !atomic_load(&f->osync_ready))
		return;
	for (km_stopic_t *st = d->topics; st; st = st->next)
		for (int32_t i = 0; i < st->cnt; i++) {
			km_part_t *p = st->parts[i];
			int64_t up, down;
			if (p->xl && km_xlate_take_delayed(p->xl, &up, &down))
				send_sync(f, p, up, down);
		}
}

void km_osync_report(km_flow_t *f, const rd_kafka_message_t *m) {
	km_data_t *d = &f->d;

	d->osyncs_inflight--;
	if (!m->err) {
		d->osyncs_written++;
		d->osync_last_ms = km_wall_ms();
		return;
	}
	/* Only the syncs MM2's readers use are lost: the next sync of the
	 * partition (at the latest the next flush) supersedes it. */
	if (d->osyncs_failed++ % 1000 == 0)
		km_warn("flow %s: writing offset syncs to %s on %s: %s (%" PRIu64
		        " failed so far)%s",
		        f->name, f->osync_topic, f->osync_cluster, rd_kafka_err2str(m->err),
		        d->osyncs_failed,
		        m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED
		            ? "; grant kmirror WRITE on it, or set offset-syncs.topic.location: "
		              "target"
		            : "");
}

void km_osync_translate(km_flow_t *f, km_xjob_t *job) {
	km_stopic_t *st = NULL;

	for (size_t i = 0; i < job->cnt; i++) {
		km_xitem_t *it = &job->items[i];
		km_part_t *p;
		it->down = -1;
		it->exact = 0;
		it->routed = 0;
		if (!st || strcmp(st->name, it->topic)) /* items come by group, then topic */
			st = km_data_topic(f, it->topic);
		if (!st || it->partition < 0 || it->partition >= st->cnt)
			continue;
		p = st->parts[it->partition];
		it->routed = p->routed > 0;
		if (!p->xl || p->next < 0 ||
		    km_xlate_translate(p->xl, it->offset, p->next, &it->down, &it->exact) != KM_OK)
			it->down = -1;
	}
	pthread_mutex_lock(&f->lock);
	if (job->state == KM_XJOB_ABANDONED) {
		km_xjob_free(job);
	} else {
		job->state = KM_XJOB_ANSWERED;
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);
}

void km_xjob_free(km_xjob_t *job) {
	if (!job)
		return;
	for (size_t i = 0; i < job->cnt; i++)
		free(job->items[i].topic);
	free(job->items);
	free(job);
}
