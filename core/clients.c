/* A flow's client set: the source consumer, the producer connections and
 * the progress producer (the data thread's), the admin clients (the
 * control thread's), and the rebuild of the producers after a fatal
 * error.
 * @locality km_clients_open/close: main thread, before and after the flow's
 *           threads; the rest: data thread */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_int.h"
#include "kafka.h"
#include "log.h"

/* Served by the poll of the handle's queue: the data thread's clients are
 * all polled by the data thread. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
	km_flow_t *f = opaque;

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		atomic_store(&f->d.fatal, 1);
		km_err("flow %s: %s: fatal error: %s", f->name, rd_kafka_name(rk), reason);
		return;
	}
	/* librdkafka retries these by itself. A connection failure is also in
	 * its log, where the cluster's state says it once (kafka.c). */
	km_kafka_error(rk, err, reason, f->name);
	km_data_error(f,
	              rd_kafka_type(rk) == RD_KAFKA_CONSUMER ? KM_ERRSRC_SOURCE : KM_ERRSRC_TARGET,
	              "%s: %s", rd_kafka_name(rk), reason);
}

/* The admin clients' errors: served by the control thread's poll. */
static void admin_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
	km_flow_t *f = opaque;

	km_kafka_error(rk, err, reason, f->name);
	km_ctl_admin_error(f, rk, reason);
}

rd_kafka_t *km_client_new(km_flow_t *f, rd_kafka_type_t type, const char *role,
                          const km_cluster_conf_t *cl, const km_kvlist_t *over,
                          const char *const *defaults, const char *const *forced, char *errstr,
                          size_t errstr_size) {
	char who[256];
	rd_kafka_conf_t *conf;
	/* "control-...": a producer of the control thread (km_ctl_t), whose
	 * errors and delivery reports that thread serves */
	int control = !strncmp(role, "control-", 8);
	int data_client = strncmp(role, "source-admin", 12) && strncmp(role, "target-admin", 12) &&
	                  strcmp(role, "progress-reader") && !control;

	snprintf(who, sizeof(who), "kmirror-%s-%s", f->name, role);
	if (!(conf = km_kafka_conf(who, defaults, &cl->kafka, over, forced, errstr, errstr_size)))
		return NULL;
	/* A metadata request must never create a topic (a producer's default
	 * is to allow it): kmirror creates what it writes, with the source's
	 * partitions and configs. The config refuses the key. */
	if (rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", errstr, errstr_size) !=
	    RD_KAFKA_CONF_OK) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_opaque(conf, f);
	if (data_client)
		rd_kafka_conf_set_error_cb(conf, error_cb);
	else if (!strncmp(role, "source-admin", 12) || !strncmp(role, "target-admin", 12) ||
	         control)
		rd_kafka_conf_set_error_cb(conf, admin_error_cb);
	if (type == RD_KAFKA_PRODUCER && data_client)
		rd_kafka_conf_set_dr_msg_cb(conf, km_dr_cb);
	else if (type == RD_KAFKA_PRODUCER && control)
		rd_kafka_conf_set_dr_msg_cb(conf, km_ctl_dr_cb);
	return km_kafka_new(type, conf, errstr, errstr_size);
}

/* Producer connection @p idx of the flow; with several, each is its own
 * idempotent producer (own connection, own window of 5 requests in flight)
 * that owns a fixed share of the partitions. */
static rd_kafka_t *make_producer(km_flow_t *f, int idx, char *errstr, size_t errstr_size) {
	char qmsgs[32], role[32];
	/* kmirror's defaults; the config's properties override them.
	 * Batches of 1,040,000 bytes (librdkafka caps one at the lesser of
	 * batch.size and message.max.bytes, before compression): a source
	 * batch a librdkafka producer filled to its default 1,000,000 bytes
	 * still fits in one with the provenance header added to every record
	 * when they are 1 KiB or more. At 1,000,000 it did not, and each went
	 * out as a full batch and a small one, a produce request more
	 * (docs/BENCHMARKS.md). Brokers take a batch of up to max.message.bytes
	 * (1,048,588 by default) after compression; lz4, zstd and gzip grow
	 * incompressible data by less than the 8 KiB left. */
	const char *defaults[] = {"acks", "all", "enable.idempotence", "true", "compression.type",
	                          "lz4", "linger.ms", "5", "batch.size", "1040000",
	                          "message.max.bytes", "1048576", "batch.num.messages", "10000",
	                          /* never give up on a record: the in-flight bound holds
	                           * the source back while the target is away */
	                          "message.timeout.ms", "0", "queue.buffering.max.kbytes",
	                          "1048576", "queue.buffering.max.messages", qmsgs, NULL};
	const char *forced[] = {"partitioner", "murmur2_random", NULL};

	snprintf(qmsgs, sizeof(qmsgs), "%zu", f->max_inflight + 100000);
	if (f->nprod > 1)
		snprintf(role, sizeof(role), "producer-%d", idx + 1);
	else
		snprintf(role, sizeof(role), "producer");
	return km_client_new(f, RD_KAFKA_PRODUCER, role, f->fc->target, &f->fc->producer, defaults,
	                     forced, errstr, errstr_size);
}

static rd_kafka_t *make_progress_producer(km_flow_t *f, char *errstr, size_t errstr_size) {
	const char *defaults[] = {"acks",      "all", "enable.idempotence", "true",
	                          "linger.ms", "0",   "message.timeout.ms", "0",
	                          NULL};

	return km_client_new(f, RD_KAFKA_PRODUCER, "progress", f->fc->target, &f->fc->producer,
	                     defaults, NULL, errstr, errstr_size);
}

/* The offset syncs' producer: a plain one (MM2's is too), on the cluster
 * offset-syncs.topic.location names, with the flow's producer properties
 * when that is the target. Not rebuilt with the data producers: it raises
 * no fatal error. */
static rd_kafka_t *make_osync_producer(km_flow_t *f, char *errstr, size_t errstr_size) {
	const char *defaults[] = {"acks", "all", "linger.ms", "10", NULL};

	return km_client_new(f, RD_KAFKA_PRODUCER, "offset-syncs",
	                     f->osync_on_target ? f->fc->target : f->fc->source,
	                     f->osync_on_target ? &f->fc->producer : NULL, defaults, NULL, errstr,
	                     errstr_size);
}

/* Every producer's event queue (delivery reports, errors) signals the wake
 * pipe when it gets events, so the data thread can wait on all at once. */
static void wake_on_events(km_flow_t *f, rd_kafka_t *rk) {
	rd_kafka_queue_t *q = rd_kafka_queue_get_main(rk);

	rd_kafka_queue_io_event_enable(q, f->d.cl.wake[1], "1", 1);
	rd_kafka_queue_destroy(q);
}

void km_producers_destroy(km_flow_t *f) {
	km_clients_t *cl = &f->d.cl;

	km_stall_reset(f);
	for (int i = 0; i < cl->nprod; i++) {
		if (cl->producers[i])
			rd_kafka_destroy(cl->producers[i]);
		cl->producers[i] = NULL;
	}
	if (cl->pproducer)
		rd_kafka_destroy(cl->pproducer);
	cl->pproducer = NULL;
}

/* A client librdkafka would not make (km_client_new says why in errstr)
 * is KM_ERR_KAFKA. */
km_err_t km_producers_make(km_flow_t *f, char *errstr, size_t errstr_size) {
	km_clients_t *cl = &f->d.cl;

	cl->nprod = f->nprod;
	for (int i = 0; i < cl->nprod; i++) {
		if (!(cl->producers[i] = make_producer(f, i, errstr, errstr_size)))
			goto fail;
		wake_on_events(f, cl->producers[i]);
	}
	if (!(cl->pproducer = make_progress_producer(f, errstr, errstr_size)))
		goto fail;
	wake_on_events(f, cl->pproducer);
	return KM_OK;
fail:
	km_producers_destroy(f);
	return KM_ERR_KAFKA;
}

size_t km_producer_batch_size(rd_kafka_t *rk) {
	char buf[32];
	size_t len = sizeof(buf);
	long long v;

	if (rd_kafka_conf_get(rd_kafka_conf(rk), "batch.size", buf, &len) != RD_KAFKA_CONF_OK ||
	    (v = atoll(buf)) <= 0)
		return 1040000;
	return (size_t)v;
}

static rd_kafka_t *make_consumer(km_flow_t *f, char *errstr, size_t errstr_size) {
	char group[300];
	/* 64 MB of prefetch. librdkafka 2.0.2 stops fetching for up to a second
	 * whenever this queue is over its bound (or over queued.min.messages);
	 * the fetch wake-up (copy.c) cuts that stall short, so the queue need
	 * not hold a second of records (docs/BENCHMARKS.md).
	 * fetch.wait.max.ms 500, as MirrorMaker 2's consumer: an idle
	 * partition costs a fetch every half second, and a record still comes
	 * back as soon as it is there. */
	const char *defaults[] = {"queued.max.messages.kbytes", "65536", "fetch.wait.max.ms", "500",
	                          NULL};
	const char *forced[] = {"group.id", group, "enable.auto.commit", "false",
	                        "enable.auto.offset.store", "false", "enable.partition.eof",
	                        "false",
	                        /* a position outside the log is kmirror's to handle */
	                        "auto.offset.reset", "error", "isolation.level",
	                        km_params_str(f->fc->params, "isolation"), NULL};

	snprintf(group, sizeof(group), "kmirror.%s", f->name);
	return km_client_new(f, RD_KAFKA_CONSUMER, "consumer", f->fc->source, &f->fc->consumer,
	                     defaults, forced, errstr, errstr_size);
}

km_err_t km_clients_open(km_flow_t *f, char *errstr, size_t errstr_size) {
	km_clients_t *cl = &f->d.cl;
	rd_kafka_resp_err_t err;

	if (!(f->c.src_admin = km_client_new(f, RD_KAFKA_PRODUCER, "source-admin", f->fc->source,
	                                     NULL, NULL, NULL, errstr, errstr_size)) ||
	    !(f->c.dst_admin = km_client_new(f, RD_KAFKA_PRODUCER, "target-admin", f->fc->target,
	                                     NULL, NULL, NULL, errstr, errstr_size)) ||
	    km_producers_make(f, errstr, errstr_size) != KM_OK ||
	    !(cl->consumer = make_consumer(f, errstr, errstr_size)) ||
	    (f->osync_on && !(cl->oproducer = make_osync_producer(f, errstr, errstr_size))))
		return KM_ERR_KAFKA; /* librdkafka would not make a client */
	if (cl->oproducer)
		wake_on_events(f, cl->oproducer);
	if ((err = rd_kafka_poll_set_consumer(cl->consumer))) {
		snprintf(errstr, errstr_size, "flow %s: %s", f->name, rd_kafka_err2str(err));
		return km_kafka_err2km(err);
	}
	cl->cq = rd_kafka_queue_get_consumer(cl->consumer);
	return KM_OK;
}

void km_clients_close(km_flow_t *f) {
	km_clients_t *cl = &f->d.cl;

	if (cl->cq)
		rd_kafka_queue_destroy(cl->cq);
	cl->cq = NULL;
	if (cl->consumer)
		km_kafka_consumer_destroy(cl->consumer);
	cl->consumer = NULL;
	km_producers_destroy(f);
	if (cl->oproducer) {
		rd_kafka_flush(cl->oproducer, 5000); /* the last delayed syncs */
		rd_kafka_destroy(cl->oproducer);
	}
	cl->oproducer = NULL;
	if (f->c.src_admin)
		rd_kafka_destroy(f->c.src_admin);
	if (f->c.dst_admin)
		rd_kafka_destroy(f->c.dst_admin);
	f->c.src_admin = f->c.dst_admin = NULL;
}

/* Drops what a producer holds, its delivery reports served (failed). */
static void purge_producer(rd_kafka_t *rk) {
	rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	for (int i = 0; i < 100 && rd_kafka_outq_len(rk) > 0; i++)
		rd_kafka_poll(rk, 100);
}

/* Everything the old producers held goes: queued entries are copied again
 * from their partition's progress; nothing in them counts as copied,
 * nothing is in flight or deferred. */
static void producers_tear_down(km_flow_t *f) {
	km_data_t *d = &f->d;
	km_clients_t *cl = &d->cl;
	char reason[512] = "";

	for (int i = 0; i < cl->nprod && !reason[0]; i++)
		rd_kafka_fatal_error(cl->producers[i], reason, sizeof(reason));
	if (!reason[0])
		rd_kafka_fatal_error(cl->pproducer, reason, sizeof(reason));
	km_warn("flow %s: rebuilding the producer after a fatal error (%s); resuming from the "
	        "acknowledged progress",
	        f->name, reason);
	for (int i = 0; i < cl->nprod; i++)
		purge_producer(cl->producers[i]);
	purge_producer(cl->pproducer);
	km_inflight_clear_lists(&d->ifl);
	km_copy_drop_dead_letters(f);
	for (km_stopic_t *st = d->topics; st; st = st->next)
		for (int32_t i = 0; i < st->cnt; i++) {
			km_part_t *p = st->parts[i];
			int64_t first;
			km_copy_drop_held(f, p);
			p->failing = 0; /* what a stage failed is copied (and failed) again */
			first = km_inflight_drop_queue(&d->ifl, &p->q);
			/* a partition that never had a record acknowledged goes
			 * again from its first one consumed */
			if (p->next < 0 && first >= 0)
				p->next = first;
			if (p->xl && p->next >= 0) /* what is copied again lands anew */
				km_xlate_rewind(p->xl, p->next);
		}
	d->pw.active = d->pw.pending = d->pw.failed = 0;
	for (km_stopic_t *st = d->topics; st; st = st->next)
		for (int i = 0; i < cl->nprod; i++) {
			if (st->dst_rkt[i])
				rd_kafka_topic_destroy(st->dst_rkt[i]);
			st->dst_rkt[i] = NULL;
		}
	km_copy_drop_reroutes(f);
	km_producers_destroy(f);
	atomic_store(&d->fatal, 0);
	d->rb.torn_down = 1;
	d->rb.failures = 0;
	d->rb.due_ms = 0;
	d->rb.backoff_ms = 1000;
}

/* The new producers are there: every active partition goes again from its
 * acknowledged progress. */
static void producers_resume(km_flow_t *f) {
	km_data_t *d = &f->d;
	km_clients_t *cl = &d->cl;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
	rd_kafka_error_t *error;

	for (km_stopic_t *st = d->topics; st; st = st->next) {
		for (int i = 0; i < cl->nprod; i++)
			st->dst_rkt[i] = rd_kafka_topic_new(cl->producers[i], st->target, NULL);
		for (int32_t i = 0; i < st->cnt; i++) {
			km_part_t *p = st->parts[i];
			if (p->state != KM_PART_ACTIVE || p->next < 0)
				continue;
			p->consumed = p->next;
			rd_kafka_topic_partition_list_add(l, st->name, i)->offset = p->next;
		}
	}
	km_progress_mark_all(f);
	/* asynchronous (timeout 0): a failure comes back as a consumer event */
	if (l->cnt && (error = rd_kafka_seek_partitions(cl->consumer, l, 0))) {
		km_warn("flow %s: seek after rebuild: %s", f->name, rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

km_err_t km_producers_rebuild(km_flow_t *f) {
	km_data_t *d = &f->d;
	char errstr[512];
	km_err_t err;

	if (!d->rb.torn_down)
		producers_tear_down(f);
	if ((err = km_producers_make(f, errstr, sizeof(errstr))) != KM_OK) {
		d->rb.failures++;
		d->rb.due_ms = km_mono_ms() + d->rb.backoff_ms;
		km_err("flow %s: cannot make a new producer (attempt %d): %s; trying again in "
		       "%" PRId64 " s",
		       f->name, d->rb.failures, errstr, d->rb.backoff_ms / 1000);
		km_data_error(f, KM_ERRSRC_TARGET, "cannot make a new producer: %s", errstr);
		if (d->rb.backoff_ms < 60000)
			d->rb.backoff_ms =
			    d->rb.backoff_ms * 2 < 60000 ? d->rb.backoff_ms * 2 : 60000;
		return err;
	}
	if (d->rb.failures)
		km_info("flow %s: the new producer was made after %d failed attempt(s)", f->name,
		        d->rb.failures);
	d->rb.torn_down = 0;
	d->rebuilds++;
	producers_resume(f);
	return KM_OK;
}
