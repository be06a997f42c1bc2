/* The heartbeats task: MirrorMaker 2's heartbeats. Every
 * emit.heartbeats.interval, a flow a -> b writes one record keyed (a, b)
 * into the target's heartbeats topic, and one keyed (b, a) into the
 * source's own, as MirrorMaker 2's heartbeat connector of the reverse pair
 * does; the flow then copies the source's heartbeats topic to the target
 * (a.heartbeats), which is how MirrorClient finds the clusters upstream.
 * Records: partition 0, no headers, the record's timestamp that of its
 * value (mm2_codec.h). Both topics are internal topics (compacted, one
 * partition): created, or their shape checked, before the first record;
 * a cluster whose topic is missing and cannot be made, or has another
 * shape, gets no heartbeats (the error is in the status and retried with a
 * backoff), while the other cluster's and the flow's data go on.
 *
 * The control thread's producers (km_ctl_t.dst_producer, src_producer)
 * are made and ended here too, and their delivery reports served.
 * @locality control thread */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "flow_int.h"
#include "internal_topics.h"
#include "log.h"
#include "mm2_codec.h"

#define KM_HB_RETRY_MIN_MS 1000
#define KM_HB_RETRY_MAX_MS 60000

/* ---- the control thread's producers ------------------------------------- */

static void sent_failed(km_flow_t *f, km_ctl_sent_t *s, rd_kafka_resp_err_t err) {
	uint64_t held = km_ratelimit_roll(&s->log, km_mono_ms());

	s->failed++;
	s->last_err = err;
	if (held)
		km_warn("flow %s: %" PRIu64 " more failures of %s not logged", f->name, held,
		        s->what);
	if (km_ratelimit_allow(&s->log))
		km_warn("flow %s: %s failed: %s (%" PRIu64 " failure%s so far)", f->name, s->what,
		        rd_kafka_err2str(err), s->failed, s->failed == 1 ? "" : "s");
}

void km_ctl_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
	km_ctl_sent_t *s = m->_private;
	int64_t ts;

	(void)rk;
	if (!s)
		return;
	if (m->err) {
		sent_failed(opaque, s, m->err);
		return;
	}
	s->delivered++;
	if ((ts = rd_kafka_message_timestamp(m, NULL)) > s->last_ts)
		s->last_ts = ts;
}

static rd_kafka_t *ctl_producer(km_flow_t *f, const char *role, const km_cluster_conf_t *cl,
                                const km_kvlist_t *over) {
	/* Small records now and then: no waiting for batches, a bounded queue
	 * (a full one fails a record, never blocks the thread) and a bounded
	 * wait for the cluster, so that a failure is counted and seen. */
	const char *defaults[] = {"acks",
	                          "all",
	                          "linger.ms",
	                          "5",
	                          "message.timeout.ms",
	                          "30000",
	                          "queue.buffering.max.messages",
	                          "10000",
	                          NULL};
	char errstr[512];
	rd_kafka_t *rk = km_client_new(f, RD_KAFKA_PRODUCER, role, cl, over, defaults, NULL, errstr,
	                               sizeof(errstr));

	if (!rk) {
		km_err("flow %s: %s", f->name, errstr);
		km_ctl_error(f, "%s", errstr);
	}
	return rk;
}

void km_ctl_producers_open(km_flow_t *f) {
	f->c.dst_producer = ctl_producer(f, "control-target", f->fc->target, &f->fc->producer);
	f->c.src_producer = ctl_producer(f, "control-source", f->fc->source, NULL);
}

void km_ctl_producers_close(km_flow_t *f) {
	rd_kafka_t **all[] = {&f->c.dst_producer, &f->c.src_producer};

	for (size_t i = 0; i < 2; i++) {
		if (!*all[i])
			continue;
		rd_kafka_flush(*all[i], 2000); /* what is in flight, briefly */
		rd_kafka_destroy(*all[i]);
		*all[i] = NULL;
	}
}

/* ---- heartbeats ------------------------------------------------------------ */

static void hb_init(km_flow_t *f) {
	km_hb_t *hb = &f->c.hb;
	const km_instance_t *pol = f->policy;

	if (pol->plugin->policy->heartbeats_topic(pol->data, hb->topic, sizeof(hb->topic)) != KM_OK)
		snprintf(hb->topic, sizeof(hb->topic), "heartbeats");
	for (int i = 0; i < 2; i++) {
		km_hb_side_t *s = &hb->side[i];
		s->cluster = i ? f->source : f->target;
		s->key_src = i ? f->target : f->source;
		s->key_dst = i ? f->source : f->target;
		snprintf(s->sent.what, sizeof(s->sent.what), "heartbeat (%s -> %s) to %s on %s",
		         s->key_src, s->key_dst, hb->topic, s->cluster);
		s->sent.log = (km_ratelimit_t)KM_RATELIMIT_INIT(60000, 3);
	}
}

/* Makes sure side @p i's topic is there, of the right shape. */
static km_err_t side_ensure(km_flow_t *f, int i, int64_t now) {
	km_hb_side_t *s = &f->c.hb.side[i];
	char msg[384], full[sizeof(s->error)];
	km_err_t err;

	if (now < s->retry_ms) {
		km_ctl_error(f, "%s", s->error); /* still */
		return s->err;
	}
	err = km_internal_topic_ensure(i ? f->c.src_admin : f->c.dst_admin, f->c.hb.topic,
	                               f->internal_rf, KM_ADMIN_TIMEOUT_MS, msg, sizeof(msg));
	if (err == KM_OK) {
		if (s->error[0])
			km_info("flow %s: heartbeats topic %s on %s is usable again", f->name,
			        f->c.hb.topic, s->cluster);
		s->error[0] = '\0';
		s->ready = 1;
		s->backoff_ms = 0;
		return KM_OK;
	}
	snprintf(full, sizeof(full), "flow %s: on cluster %s, %.384s%s", f->name, s->cluster, msg,
	         err == KM_ERR_EXISTS || err > 0 ? " (or set emit.heartbeats: false)" : "");
	if (strcmp(full, s->error))
		km_warn("%s; no heartbeats are written there until this is fixed", full);
	memcpy(s->error, full, sizeof(s->error));
	km_ctl_error(f, "%s", s->error);
	s->err = err;
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : KM_HB_RETRY_MIN_MS;
	if (s->backoff_ms > KM_HB_RETRY_MAX_MS)
		s->backoff_ms = KM_HB_RETRY_MAX_MS;
	s->retry_ms = now + s->backoff_ms;
	return err;
}

static void side_emit(km_flow_t *f, km_hb_side_t *s, rd_kafka_t *rk, int64_t ts) {
	km_mm2_heartbeat_t h = {.source = {s->key_src, strlen(s->key_src)},
	                        .target = {s->key_dst, strlen(s->key_dst)},
	                        .timestamp_ms = ts};
	unsigned char key[2 * KM_TOPIC_MAX + 8], val[16];
	size_t kl, vl;
	rd_kafka_resp_err_t err;

	if (km_mm2_heartbeat_key_encode(&h, key, sizeof(key), &kl, NULL, 0) != KM_OK ||
	    km_mm2_heartbeat_value_encode(&h, val, sizeof(val), &vl, NULL, 0) != KM_OK) {
		sent_failed(f, &s->sent, RD_KAFKA_RESP_ERR__INVALID_ARG); /* aliases are short */
		return;
	}
	err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(f->c.hb.topic), RD_KAFKA_V_PARTITION(0),
	                        RD_KAFKA_V_KEY(key, kl), RD_KAFKA_V_VALUE(val, vl),
	                        RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	                        RD_KAFKA_V_OPAQUE(&s->sent), RD_KAFKA_V_END);
	if (err)
		sent_failed(f, &s->sent, err);
}

km_err_t km_task_heartbeats(void *arg, int64_t now) {
	km_flow_t *f = arg;
	km_hb_t *hb = &f->c.hb;
	rd_kafka_t *prod[2] = {f->c.dst_producer, f->c.src_producer};
	km_err_t ret = KM_OK;
	int64_t ts = km_wall_ms();

	if (!hb->topic[0])
		hb_init(f);
	for (int i = 0; i < 2; i++) {
		km_hb_side_t *s = &hb->side[i];
		km_err_t err;
		if (!prod[i]) {
			km_ctl_error(f, "flow %s: no producer for %s: heartbeats are not written",
			             f->name, s->cluster);
			ret = KM_ERR_KAFKA;
			continue;
		}
		rd_kafka_poll(prod[i], 0); /* delivery reports */
		/* a topic deleted under it: made again */
		if (s->sent.last_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
		    s->sent.last_err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
			s->ready = 0;
			s->sent.last_err = RD_KAFKA_RESP_ERR_NO_ERROR;
		}
		if (!s->ready && (err = side_ensure(f, i, now)) != KM_OK) {
			ret = err;
			continue;
		}
		side_emit(f, s, prod[i], ts);
	}
	return ret;
}
