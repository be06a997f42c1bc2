/* A flow's runtime: the data thread (consume, pipeline, produce, progress)
 * and the control thread (mirror topics).
 *
 * In-flight accounting. Every consumed source record takes one entry of a
 * fixed pool (no allocation per record), queued on its partition in consume
 * order, and holds its librdkafka message (whose payload the producer sends
 * without a copy) until the target acknowledged every record made from it.
 * Each partition pops its own resolved head entries, in its order, so a
 * slow partition holds back nobody else; popping moves the partition's
 * `next` offset. A partition's progress is stored by producing it to the
 * progress topic; `stored_total` counts the records whose progress the
 * target acknowledged. The consumer stops taking records while
 * consumed_total - stored_total reaches max.inflight.records (or the bytes
 * bound), so a crash re-copies at most that many records, and librdkafka's
 * own fetch queue (bounded by queued.max.messages.kbytes) fills and stops
 * fetching: back-pressure reaches the source. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "flow.h"
#include "kafka.h"
#include "log.h"
#include "pipeline.h"
#include "policy.h"
#include "progress.h"

#define KM_TOPIC_MAX            256
#define KM_ADMIN_TIMEOUT_MS     30000
#define KM_PROGRESS_INTERVAL_MS 500
#define KM_MAX_CONNECTIONS      16
#define KM_STATUS_INTERVAL_MS   1000

enum km_part_state { KM_PART_ACTIVE, KM_PART_STOPPED, KM_PART_GONE };
static const char *const part_state_names[] = {"active", "stopped", "gone"};

typedef struct km_stopic km_stopic_t;

typedef struct km_part {
	km_stopic_t *st;
	int32_t partition;
	int state;
	int64_t next;       /* next source offset not yet acknowledged; -1: unknown */
	int64_t sent;       /* progress value last produced (-1: none) */
	int64_t consumed;   /* next offset expected from the consumer; -1: unknown */
	int conn;           /* the producer connection that owns the partition */
	int dirty;          /* on the flow's list of partitions whose progress moved */
	size_t unacked;     /* bytes produced from it, not yet acknowledged */
	int32_t head, tail; /* its entries in the pool, in consume order (-1: none) */
	int32_t dhead;      /* the first of them deferred; the rest up to tail are too */
	int ready;          /* on the flow's list of partitions to go on with */
	int popq;           /* on the flow's list of partitions whose head resolved */
	uint64_t records, bytes, lost, skipped;
	char reason[256];
} km_part_t;

struct km_stopic {
	char *name;   /* on the source */
	char *target; /* on the target */
	rd_kafka_topic_t *src_rkt;
	rd_kafka_topic_t **dst_rkt; /* one handle per producer connection */
	km_part_t **parts;
	int32_t cnt;
	km_stopic_t *next;
};

/* One consumed source record not yet resolved. */
typedef struct km_inflight {
	rd_kafka_message_t *m;
	km_part_t *part;
	int64_t offset;
	size_t bytes;    /* held until acknowledged */
	size_t size;     /* the record's key and value bytes, for the counters */
	int32_t pending; /* produce requests not yet reported, +1 while producing */
	rd_kafka_resp_err_t status;
	int32_t next; /* the partition's next entry, or the next free one (-1: none) */
} km_inflight_t;

/* A command from the control thread to the data thread. */
typedef struct km_cmd {
	enum { KM_CMD_ADD, KM_CMD_GONE } type;
	char *topic, *target;
	int32_t cnt;     /* ADD: the topic's partition count now */
	int64_t *starts; /* ADD: start offset per partition (RD_KAFKA_OFFSET_*) */
	struct km_cmd *next;
} km_cmd_t;

/* The control thread's view of one selected source topic. */
typedef struct km_ctopic {
	char *name, *target;
	int32_t assigned; /* partitions handed to the data thread */
	int gone;         /* seen deleted on the source */
	int warned_more;  /* target has more partitions: reported once */
	struct km_ctopic *next;
} km_ctopic_t;

struct km_flow {
	const km_flow_conf_t *fc;
	char *name, *source, *target;
	km_instance_t *policy, *filter;
	km_pipeline_t pipeline;
	pcre2_code **cfg_exclude;
	size_t cfg_exclude_cnt;
	pcre2_match_data *cfg_md;       /* one for every exclude match (control thread) */
	struct km_cfgset *target_known; /* config names the target's Kafka has */
	int64_t target_known_tried_ms;

	/* options */
	int start_latest, on_error_skip, rf;
	int64_t refresh_ms, sync_configs_ms;
	int sync_configs;
	size_t batch_records, max_inflight, max_inflight_bytes;
	int nprod; /* producer connections */
	int64_t test_fatal_after;

	/* threads and their coordination */
	pthread_t data_thr, control_thr;
	int started;
	pthread_mutex_t lock; /* cmds, stop, status */
	pthread_cond_t cond;
	km_cmd_t *cmds, **cmds_tail;
	_Atomic int cmds_pending;
	_Atomic int stop;
	int drain_ms;
	int clean_exit;

	/* data thread */
	rd_kafka_t *consumer;
	rd_kafka_t *producers[KM_MAX_CONNECTIONS]; /* each owns fixed partitions */
	rd_kafka_t *pproducer; /* progress records: their own connection, so they
	                          never wait behind megabytes of data */
	int wake[2];           /* a pipe the producers' event queues signal */
	int next_conn;         /* the connection the next new partition gets */
	rd_kafka_queue_t *cq;
	int progress_dirty;
	km_part_t **dirty; /* partitions whose progress moved since last written */
	size_t dirty_cnt, dirty_cap;
	size_t part_cap;   /* unacknowledged bytes of a partition before deferring */
	km_part_t **ready; /* partitions with deferred entries and room again */
	size_t ready_cnt;
	km_inflight_t **work; /* the entries of one batch being copied */
	int copying;          /* inside copy_entries */
	km_part_t **popq;     /* partitions whose head entry may be popped */
	size_t popq_cnt;
	km_stopic_t *topics;
	km_inflight_t *ring; /* the entry pool: ring_cap entries, ring_cnt in use */
	size_t ring_cap, ring_cnt;
	int32_t ring_free; /* the first free entry (-1: none) */
	uint64_t consumed_total, popped_total, stored_total;
	size_t inflight_bytes;
	_Atomic int fatal;
	struct {
		int active, pending, failed;
		uint64_t snapshot; /* popped_total when it was written */
	} pw;                      /* the progress write in flight */
	int progress_marker;
	int64_t last_progress_ms, last_status_ms;
	uint64_t produced_total, rebuilds, stage_errors;
	uint64_t deferred_total; /* records held back by one.batch.per.partition */
	int backlog;             /* a poll took a full batch since the queue last ran dry */
	uint64_t fetch_wakes;    /* partitions sought by wake_fetchers */
	size_t wake_next;        /* where wake_fetchers looks first */
	km_batchbuf_t bb;
	const km_header_t **hviews; /* per batch record: its header views as made */
	struct km_reroute {
		char *name;
		rd_kafka_topic_t *rkt[KM_MAX_CONNECTIONS];
	} * reroutes; /* producer handles of topics stages route records to */
	size_t reroute_cnt;

	/* control thread */
	rd_kafka_t *src_admin, *dst_admin;
	km_ctopic_t *ctopics;
	km_progress_map_t *progress;
	int progress_loaded;
	int64_t next_sync_ms;
	uint64_t topics_created, partitions_created, configs_synced;

	/* status, published by the data thread under lock */
	char *status_json;
	char state[32];
	char last_error[512];
};

static int64_t now_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_state(km_flow_t *f, const char *state) {
	pthread_mutex_lock(&f->lock);
	snprintf(f->state, sizeof(f->state), "%s", state);
	pthread_mutex_unlock(&f->lock);
}

static void set_error(km_flow_t *f, const char *fmt, ...) KM_PRINTF(2, 3);
static void set_error(km_flow_t *f, const char *fmt, ...) {
	va_list ap;

	pthread_mutex_lock(&f->lock);
	va_start(ap, fmt);
	vsnprintf(f->last_error, sizeof(f->last_error), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&f->lock);
}

/* ------------------------------------------------------------------------ */
/* Setup                                                                     */
/* ------------------------------------------------------------------------ */

const char *km_flow_name(const km_flow_t *f) {
	return f->name;
}

km_flow_t *km_flow_new(const km_flow_conf_t *fc, km_plugin_host_t *host, char *errstr,
                       size_t errstr_size) {
	const km_params_t *p = fc->params;
	const char *const *items;
	km_flow_t *f = calloc(1, sizeof(*f));
	const char *env;
	size_t n;

	if (!f)
		goto oom;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->wake[0] = f->wake[1] = -1;
	f->cmds_tail = &f->cmds;
	f->fc = fc;
	if (!(f->name = strdup(fc->name)) || !(f->source = strdup(fc->source->alias)) ||
	    !(f->target = strdup(fc->target->alias)))
		goto oom;
	snprintf(f->state, sizeof(f->state), "new");

	f->start_latest = !strcmp(km_params_str(p, "start"), "latest");
	f->on_error_skip = !strcmp(km_params_str(p, "on_error"), "skip");
	f->rf = (int)km_params_int(p, "replication.factor");
	f->refresh_ms = km_params_int(p, "refresh.topics.interval");
	f->sync_configs = km_params_bool(p, "sync.topic.configs");
	f->sync_configs_ms = km_params_int(p, "sync.topic.configs.interval");
	f->batch_records = (size_t)km_params_int(p, "batch.records");
	f->max_inflight = (size_t)km_params_int(p, "max.inflight.records");
	f->max_inflight_bytes = (size_t)km_params_int(p, "max.inflight.bytes");
	f->nprod = (int)km_params_int(p, "producer.connections"); /* the schema caps it */
	if (f->nprod > KM_MAX_CONNECTIONS)
		f->nprod = KM_MAX_CONNECTIONS;
	/* A test hook: raise a fatal idempotent-producer error once after N
	 * records, to prove the producer is rebuilt without loss. */
	f->test_fatal_after = (env = getenv("KMIRROR_TEST_FATAL_AFTER")) ? atoll(env) : 0;

	n = km_params_list(p, "config.properties.exclude", &items);
	if (n && !(f->cfg_exclude = calloc(n, sizeof(*f->cfg_exclude))))
		goto oom;
	for (size_t i = 0; i < n; i++) {
		int err;
		PCRE2_SIZE off;
		f->cfg_exclude[i] =
		    pcre2_compile((PCRE2_SPTR)items[i], PCRE2_ZERO_TERMINATED,
		                  PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF, &err, &off, NULL);
		if (!f->cfg_exclude[i]) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(err, msg, sizeof(msg));
			snprintf(errstr, errstr_size,
			         "flow %s: config.properties.exclude: '%s': %s at offset %zu",
			         f->name, items[i], (char *)msg, (size_t)off);
			goto fail;
		}
		f->cfg_exclude_cnt++;
	}
	if (!(f->cfg_md = pcre2_match_data_create(1, NULL)))
		goto oom;

	if (!(f->policy = km_instance_new(host, &fc->policy, KM_PLUGIN_POLICY, f->name, f->source,
	                                  f->target, errstr, errstr_size)) ||
	    !(f->filter = km_instance_new(host, &fc->topics, KM_PLUGIN_TOPIC_FILTER, f->name,
	                                  f->source, f->target, errstr, errstr_size)))
		goto fail;
	if (fc->pipeline_cnt &&
	    !(f->pipeline.stages = calloc(fc->pipeline_cnt, sizeof(*f->pipeline.stages))))
		goto oom;
	for (size_t i = 0; i < fc->pipeline_cnt; i++) {
		if (!(f->pipeline.stages[i] =
		          km_instance_new(host, &fc->pipeline[i], KM_PLUGIN_STAGE, f->name,
		                          f->source, f->target, errstr, errstr_size)))
			goto fail;
		f->pipeline.cnt++;
	}
	return f;
oom:
	snprintf(errstr, errstr_size, "out of memory");
fail:
	km_flow_destroy(f);
	return NULL;
}

struct km_cfgset;
static void cfgset_free(struct km_cfgset *s);

static void free_cmd(km_cmd_t *c) {
	free(c->topic);
	free(c->target);
	free(c->starts);
	free(c);
}

void km_flow_destroy(km_flow_t *f) {
	if (!f)
		return;
	km_flow_join(f); /* what a start made, if it failed half-way */
	for (size_t i = 0; i < f->cfg_exclude_cnt; i++)
		pcre2_code_free(f->cfg_exclude[i]);
	free(f->cfg_exclude);
	pcre2_match_data_free(f->cfg_md);
	if (f->target_known) {
		cfgset_free(f->target_known);
		free(f->target_known);
	}
	km_instance_destroy(f->policy);
	km_instance_destroy(f->filter);
	for (size_t i = 0; i < f->pipeline.cnt; i++)
		km_instance_destroy(f->pipeline.stages[i]);
	free(f->pipeline.stages);
	while (f->cmds) {
		km_cmd_t *c = f->cmds;
		f->cmds = c->next;
		free_cmd(c);
	}
	while (f->ctopics) {
		km_ctopic_t *c = f->ctopics;
		f->ctopics = c->next;
		free(c->name);
		free(c->target);
		free(c);
	}
	km_progress_map_destroy(f->progress);
	free(f->status_json);
	free(f->name);
	free(f->source);
	free(f->target);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	free(f);
}

/* ------------------------------------------------------------------------ */
/* Clients                                                                   */
/* ------------------------------------------------------------------------ */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
	km_flow_t *f = opaque;

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		atomic_store(&f->fatal, 1);
		km_err("flow %s: %s: fatal error: %s", f->name, rd_kafka_name(rk), reason);
		return;
	}
	/* librdkafka retries these by itself; they say a cluster is unreachable. */
	km_warn("flow %s: %s: %s", f->name, rd_kafka_name(rk), reason);
	set_error(f, "%s: %s", rd_kafka_name(rk), reason);
}

static rd_kafka_t *make_client(km_flow_t *f, rd_kafka_type_t type, const char *role,
                               const km_cluster_conf_t *cl, const km_kvlist_t *over,
                               const char *const *defaults, const char *const *forced, char *errstr,
                               size_t errstr_size) {
	char who[256];
	rd_kafka_conf_t *conf;

	snprintf(who, sizeof(who), "kmirror-%s-%s", f->name, role);
	if (!(conf = km_kafka_conf(who, defaults, &cl->kafka, over, forced, errstr, errstr_size)))
		return NULL;
	rd_kafka_conf_set_opaque(conf, f);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	if (type == RD_KAFKA_PRODUCER &&
	    (!strncmp(role, "producer", 8) || !strcmp(role, "progress")))
		rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	return km_kafka_new(type, conf, errstr, errstr_size);
}

/* Producer connection @p idx of the flow; with several, each is its own
 * idempotent producer (own connection, own window of 5 requests in flight)
 * that owns a fixed share of the partitions. */
static rd_kafka_t *make_producer(km_flow_t *f, int idx, char *errstr, size_t errstr_size) {
	char qmsgs[32], role[32];
	/* kmirror's defaults; the config's properties override them. */
	const char *defaults[] = {"acks", "all", "enable.idempotence", "true", "compression.type",
	                          "lz4", "linger.ms", "5", "batch.size", "1000000",
	                          "batch.num.messages", "10000",
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
	return make_client(f, RD_KAFKA_PRODUCER, role, f->fc->target, &f->fc->producer, defaults,
	                   forced, errstr, errstr_size);
}

static rd_kafka_t *make_progress_producer(km_flow_t *f, char *errstr, size_t errstr_size) {
	const char *defaults[] = {"acks",      "all", "enable.idempotence", "true",
	                          "linger.ms", "0",   "message.timeout.ms", "0",
	                          NULL};

	return make_client(f, RD_KAFKA_PRODUCER, "progress", f->fc->target, &f->fc->producer,
	                   defaults, NULL, errstr, errstr_size);
}

/* Every producer's event queue (delivery reports, errors) signals the wake
 * pipe when it gets events, so the data thread can wait on all at once. */
static void wake_on_events(km_flow_t *f, rd_kafka_t *rk) {
	rd_kafka_queue_t *q = rd_kafka_queue_get_main(rk);

	rd_kafka_queue_io_event_enable(q, f->wake[1], "1", 1);
	rd_kafka_queue_destroy(q);
}

static void destroy_producers(km_flow_t *f) {
	for (int i = 0; i < f->nprod; i++) {
		if (f->producers[i])
			rd_kafka_destroy(f->producers[i]);
		f->producers[i] = NULL;
	}
	if (f->pproducer)
		rd_kafka_destroy(f->pproducer);
	f->pproducer = NULL;
}

static int make_producers(km_flow_t *f, char *errstr, size_t errstr_size) {
	for (int i = 0; i < f->nprod; i++) {
		if (!(f->producers[i] = make_producer(f, i, errstr, errstr_size)))
			goto fail;
		wake_on_events(f, f->producers[i]);
	}
	if (!(f->pproducer = make_progress_producer(f, errstr, errstr_size)))
		goto fail;
	wake_on_events(f, f->pproducer);
	return 0;
fail:
	destroy_producers(f);
	return -1;
}

/* The producer's batch.size, the unit of the per-partition window. */
static size_t batch_size(rd_kafka_t *rk) {
	char buf[32];
	size_t len = sizeof(buf);
	long long v;

	if (rd_kafka_conf_get(rd_kafka_conf(rk), "batch.size", buf, &len) != RD_KAFKA_CONF_OK ||
	    (v = atoll(buf)) <= 0)
		return 1000000;
	return (size_t)v;
}

static rd_kafka_t *make_consumer(km_flow_t *f, char *errstr, size_t errstr_size) {
	char group[300];
	/* 64 MB of prefetch. librdkafka 2.0.2 stops fetching for up to a second
	 * whenever this queue is over its bound (or over queued.min.messages);
	 * wake_fetchers cuts that stall short, so the queue need not hold a
	 * second of records (docs/BENCHMARKS.md). fetch.wait.max.ms 500, as
	 * MirrorMaker 2's consumer: an idle partition costs a fetch every half
	 * second, and a record still comes back as soon as it is there. */
	const char *defaults[] = {"queued.max.messages.kbytes", "65536", "fetch.wait.max.ms", "500",
	                          NULL};
	const char *forced[] = {"group.id", group, "enable.auto.commit", "false",
	                        "enable.auto.offset.store", "false", "enable.partition.eof",
	                        "false",
	                        /* a position outside the log is kmirror's to handle */
	                        "auto.offset.reset", "error", "isolation.level",
	                        km_params_str(f->fc->params, "isolation"), NULL};

	snprintf(group, sizeof(group), "kmirror.%s", f->name);
	return make_client(f, RD_KAFKA_CONSUMER, "consumer", f->fc->source, &f->fc->consumer,
	                   defaults, forced, errstr, errstr_size);
}

/* ------------------------------------------------------------------------ */
/* Data thread: delivery reports, ring, progress                             */
/* ------------------------------------------------------------------------ */

/* Every record made from @p e is acknowledged (or failed): the consumed
 * message and its bytes are let go now, not when the ring's head reaches
 * it, so acknowledged memory never waits behind a slower partition. */
static void entry_done(km_flow_t *f, km_inflight_t *e) {
	f->inflight_bytes -= e->bytes;
	e->bytes = 0;
	rd_kafka_message_destroy(e->m);
	e->m = NULL;
}

/* The last hold on @p e went: let its memory go, and when it heads its
 * partition's queue, the partition pops it with the next serve_acks. */
static void entry_resolved(km_flow_t *f, km_inflight_t *e) {
	km_part_t *p = e->part;

	entry_done(f, e);
	if (&f->ring[p->head] == e && !p->popq) {
		p->popq = 1;
		f->popq[f->popq_cnt++] = p;
	}
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

/* A partition with deferred entries and nothing unacknowledged goes on
 * (its entries are copied after this poll). */
static void maybe_ready(km_flow_t *f, km_part_t *p) {
	if (p->dhead >= 0 && !p->ready && !p->unacked) {
		p->ready = 1;
		f->ready[f->ready_cnt++] = p;
	}
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
	km_flow_t *f = opaque;
	km_inflight_t *e = m->_private;

	(void)rk;
	if (m->_private == &f->progress_marker) {
		f->pw.pending--;
		if (m->err && !f->pw.failed) {
			f->pw.failed = 1;
			km_warn("flow %s: storing progress failed: %s (will retry)", f->name,
			        rd_kafka_err2str(m->err));
		}
		return;
	}
	if (m->err && !e->status)
		e->status = m->err;
	if (f->part_cap != SIZE_MAX) { /* one.batch.per.partition */
		rd_kafka_headers_t *h = NULL;
		rd_kafka_message_headers(m, &h);
		e->part->unacked -= batch_cost(m->key_len, m->len, h);
	}
	maybe_ready(f, e->part);
	if (--e->pending == 0)
		entry_resolved(f, e);
}

/* The partition's progress moved: it goes out with the next write. The list
 * has room for every partition (apply_add grows it). */
static void mark_dirty(km_flow_t *f, km_part_t *p) {
	f->progress_dirty = 1;
	if (p->dirty)
		return;
	p->dirty = 1;
	f->dirty[f->dirty_cnt++] = p;
}

/* Progress of every partition is to be written again. */
static void mark_all_unsent(km_flow_t *f) {
	for (km_stopic_t *st = f->topics; st; st = st->next)
		for (int32_t i = 0; i < st->cnt; i++) {
			st->parts[i]->sent = -1;
			if (st->parts[i]->next >= 0)
				mark_dirty(f, st->parts[i]);
		}
}

static int is_rebuild_error(km_flow_t *f, rd_kafka_resp_err_t err) {
	return err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT ||
	       err == RD_KAFKA_RESP_ERR__FATAL || atomic_load(&f->fatal);
}

static void pause_part(km_flow_t *f, km_part_t *p) {
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);

	rd_kafka_topic_partition_list_add(l, p->st->name, p->partition);
	rd_kafka_pause_partitions(f->consumer, l);
	rd_kafka_topic_partition_list_destroy(l);
}

/* A record the target refused: the flow's on_error decides. */
static void record_failed(km_flow_t *f, km_inflight_t *e) {
	km_part_t *p = e->part;

	if (f->on_error_skip) {
		p->skipped++;
		p->next = e->offset + 1;
		mark_dirty(f, p);
		km_warn("flow %s: %s [%d] offset %" PRId64 ": the target refused the record (%s); "
		        "skipped it (on_error: skip)",
		        f->name, p->st->name, p->partition, e->offset, rd_kafka_err2str(e->status));
		return;
	}
	p->state = KM_PART_STOPPED;
	snprintf(p->reason, sizeof(p->reason),
	         "the target refused the record at offset %" PRId64 ": %s", e->offset,
	         rd_kafka_err2str(e->status));
	km_err("flow %s: partition %s [%d] stopped: %s. The other partitions go on; fix the "
	       "cause (e.g. the target topic's max.message.bytes) and restart kmirrord, or set "
	       "on_error: skip",
	       f->name, p->st->name, p->partition, p->reason);
	pause_part(f, p);
}

/* Takes @p p's head entry off its queue and gives it back to the pool. */
static void unqueue_head(km_flow_t *f, km_part_t *p) {
	int32_t idx = p->head;
	km_inflight_t *e = &f->ring[idx];

	if ((p->head = e->next) < 0)
		p->tail = -1;
	if (p->dhead == idx)
		p->dhead = p->head;
	if (e->m)
		entry_done(f, e);
	e->next = f->ring_free;
	f->ring_free = idx;
	f->ring_cnt--;
}

/* Pops the resolved head entries of the partitions that have them, each
 * partition in its own order. An entry that failed because the producer
 * is being rebuilt stays: the rebuild resumes the partition before it, so
 * nothing acknowledged after it moves the partition past it. */
static void pop_ring(km_flow_t *f) {
	if (atomic_load(&f->fatal))
		return; /* the rebuild empties every queue */
	for (size_t i = 0; i < f->popq_cnt; i++) {
		km_part_t *p = f->popq[i];

		p->popq = 0;
		while (p->head >= 0) {
			km_inflight_t *e = &f->ring[p->head];
			if (e->pending > 0 || (e->status && is_rebuild_error(f, e->status)))
				break;
			if (p->state == KM_PART_ACTIVE) {
				if (!e->status) {
					p->next = e->offset + 1;
					mark_dirty(f, p);
					p->records++;
					p->bytes += e->size;
				} else {
					record_failed(f, e);
				}
			}
			unqueue_head(f, p);
			f->popped_total++;
		}
	}
	f->popq_cnt = 0;
}

static void go_on(km_flow_t *f);

static int poll_producers(km_flow_t *f) {
	int served = 0;

	for (int i = 0; i < f->nprod; i++)
		served += rd_kafka_poll(f->producers[i], 0);
	return served + rd_kafka_poll(f->pproducer, 0);
}

/* Serves delivery reports of every producer connection, waiting up to
 * @p timeout_ms for the first when there is none. */
static void serve_acks(km_flow_t *f, int timeout_ms) {
	if (!poll_producers(f) && timeout_ms > 0) {
		char buf[64];
		struct pollfd pfd = {.fd = f->wake[0], .events = POLLIN};

		while (read(f->wake[0], buf, sizeof(buf)) > 0)
			;
		/* Events that came before the pipe was emptied signalled it
		 * already: serve them before waiting for the next. */
		if (!poll_producers(f) && poll(&pfd, 1, timeout_ms) > 0)
			poll_producers(f);
	}
	go_on(f);
	pop_ring(f);
	if (f->pw.active && !f->pw.pending) {
		if (!f->pw.failed && f->pw.snapshot > f->stored_total)
			f->stored_total = f->pw.snapshot;
		if (f->pw.failed) /* send every partition again */
			mark_all_unsent(f);
		f->pw.active = 0;
		f->pw.failed = 0;
	}
}

/* Produces the progress of every partition that moved since its last
 * write. One write is in flight at a time. */
static void write_progress(km_flow_t *f) {
	char key[KM_TOPIC_MAX + 300], val[32];
	size_t i;
	int n = 0;

	if (f->pw.active)
		return;
	f->progress_dirty = 0;
	for (i = 0; i < f->dirty_cnt; i++) {
		km_part_t *p = f->dirty[i];
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
		err = rd_kafka_producev(f->pproducer, RD_KAFKA_V_TOPIC(KM_PROGRESS_TOPIC),
		                        RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(key, (size_t)kl),
		                        RD_KAFKA_V_VALUE(val, (size_t)vl),
		                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		                        RD_KAFKA_V_OPAQUE(&f->progress_marker), RD_KAFKA_V_END);
		if (err) {
			km_warn("flow %s: storing progress: %s (will retry)", f->name,
			        rd_kafka_err2str(err));
			f->pw.failed = 1;
			break;
		}
		p->dirty = 0;
		p->sent = p->next;
		f->pw.pending++;
		n++;
	}
	/* what was not written stays on the list */
	memmove(f->dirty, f->dirty + i, (f->dirty_cnt - i) * sizeof(*f->dirty));
	f->dirty_cnt -= i;
	/* Everything popped so far is covered once these are acknowledged
	 * (a stopped or skipped record's progress is what it is). */
	if (n || f->pw.failed) {
		f->pw.active = 1;
		f->pw.snapshot = f->popped_total;
	} else if (f->popped_total > f->stored_total) {
		f->stored_total = f->popped_total;
	}
	f->last_progress_ms = now_ms();
}

/* ------------------------------------------------------------------------ */
/* Data thread: commands from the control thread                             */
/* ------------------------------------------------------------------------ */

static km_stopic_t *find_stopic(km_flow_t *f, const char *name) {
	for (km_stopic_t *st = f->topics; st; st = st->next)
		if (!strcmp(st->name, name))
			return st;
	return NULL;
}

/* The control thread made or grew the mirror topic; the producer may still
 * have older metadata and would refuse the new partitions as unknown. Ask
 * until it sees them (bounded: produce() copes with the rest). */
static void wait_target_partitions(km_flow_t *f, km_stopic_t *st, int32_t cnt) {
	for (int i = 0; i < 20 && !atomic_load(&f->stop); i++) {
		const struct rd_kafka_metadata *md;
		int have = -1;

		if (!rd_kafka_metadata(f->producers[0], 0, st->dst_rkt[0], &md, 1000)) {
			if (md->topic_cnt == 1 && !md->topics[0].err)
				have = md->topics[0].partition_cnt;
			rd_kafka_metadata_destroy(md);
		}
		if (have >= cnt)
			return;
		serve_acks(f, 100); /* the target is catching up: serve acks meanwhile */
	}
}

static void apply_add(km_flow_t *f, km_cmd_t *c) {
	km_stopic_t *st = find_stopic(f, c->topic);
	rd_kafka_topic_partition_list_t *l, *again;
	rd_kafka_error_t *error;
	km_part_t **parts;
	int32_t first;

	if (!st) {
		/* The consumer's own topic defaults (auto.offset.reset=error):
		 * a fresh topic conf would silently reset to the log's end. */
		rd_kafka_topic_conf_t *tc = rd_kafka_default_topic_conf_dup(f->consumer);
		if (!(st = calloc(1, sizeof(*st))) || !(st->name = strdup(c->topic)) ||
		    !(st->target = strdup(c->target)))
			abort(); /* out of memory while setting up */
		/* The opaque maps a consumed message to its topic in O(1). */
		rd_kafka_topic_conf_set_opaque(tc, st);
		st->src_rkt = rd_kafka_topic_new(f->consumer, st->name, tc);
		if (!(st->dst_rkt = calloc((size_t)f->nprod, sizeof(*st->dst_rkt))))
			abort();
		for (int i = 0; i < f->nprod; i++)
			st->dst_rkt[i] = rd_kafka_topic_new(f->producers[i], st->target, NULL);
		st->next = f->topics;
		f->topics = st;
	}
	first = st->cnt;
	wait_target_partitions(f, st, c->cnt);
	if (c->cnt > st->cnt) {
		size_t need = f->dirty_cap + (size_t)(c->cnt - st->cnt);
		if (!(parts = realloc(st->parts, (size_t)c->cnt * sizeof(*parts))))
			abort();
		st->parts = parts;
		if (!(parts = realloc(f->dirty, need * sizeof(*parts))))
			abort();
		f->dirty = parts;
		if (!(parts = realloc(f->ready, need * sizeof(*parts))))
			abort();
		f->ready = parts;
		if (!(parts = realloc(f->popq, need * sizeof(*parts))))
			abort();
		f->popq = parts;
		f->dirty_cap = need;
	}
	/* A recreated topic: its partitions (still assigned, paused since the
	 * deletion) start again from where the command says. */
	again = rd_kafka_topic_partition_list_new(c->cnt);
	for (int32_t i = 0; i < st->cnt && i < c->cnt; i++) {
		km_part_t *p = st->parts[i];
		if (p->state != KM_PART_GONE)
			continue;
		p->state = KM_PART_ACTIVE;
		p->next = c->starts[i] >= 0 ? c->starts[i] : -1;
		p->consumed = p->next;
		p->sent = -1;
		p->reason[0] = '\0';
		if (p->next >= 0)
			mark_dirty(f, p);
		rd_kafka_topic_partition_list_add(again, st->name, i)->offset = c->starts[i];
	}
	if (again->cnt) {
		rd_kafka_resume_partitions(f->consumer, again);
		if ((error = rd_kafka_seek_partitions(f->consumer, again, KM_ADMIN_TIMEOUT_MS))) {
			km_warn("flow %s: seek %s: %s", f->name, st->name,
			        rd_kafka_error_string(error));
			rd_kafka_error_destroy(error);
		}
	}
	rd_kafka_topic_partition_list_destroy(again);
	l = rd_kafka_topic_partition_list_new(c->cnt);
	for (int32_t i = 0; i < c->cnt; i++) {
		km_part_t *p;
		if (i >= first) {
			if (!(p = calloc(1, sizeof(*p))))
				abort();
			p->st = st;
			p->partition = i;
			p->sent = -1;
			p->head = p->tail = p->dhead = -1;
			p->conn = f->next_conn++ % f->nprod;
			st->parts[i] = p;
		} else {
			continue; /* already assigned */
		}
		p = st->parts[i];
		p->next = c->starts[i] >= 0 ? c->starts[i] : -1;
		p->consumed = p->next;
		if (p->next >= 0)
			mark_dirty(f, p);
		rd_kafka_topic_partition_list_add(l, st->name, i)->offset = c->starts[i];
	}
	if (c->cnt > st->cnt)
		st->cnt = c->cnt;
	if (l->cnt && (error = rd_kafka_incremental_assign(f->consumer, l))) {
		km_err("flow %s: assigning %s: %s", f->name, st->name,
		       rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	} else if (l->cnt) {
		km_info("flow %s: copying %d partition(s) of %s to %s", f->name, l->cnt, st->name,
		        st->target);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

static void apply_gone(km_flow_t *f, km_cmd_t *c) {
	km_stopic_t *st = find_stopic(f, c->topic);
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;

	if (!st)
		return;
	l = rd_kafka_topic_partition_list_new(st->cnt);
	for (int32_t i = 0; i < st->cnt; i++) {
		km_part_t *p = st->parts[i];
		if (p->state != KM_PART_GONE)
			rd_kafka_topic_partition_list_add(l, st->name, i);
		p->state = KM_PART_GONE;
		snprintf(p->reason, sizeof(p->reason),
		         "the source topic was deleted; the mirror topic is kept");
	}
	/* Paused, not unassigned: librdkafka 2.0.2 can hang on destroy after
	 * a deleted topic's partitions were unassigned and assigned again. */
	if (l->cnt && (err = rd_kafka_pause_partitions(f->consumer, l)))
		km_warn("flow %s: pausing %s: %s", f->name, st->name, rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(l);
	km_warn("flow %s: source topic %s was deleted: its partitions stopped, the mirror topic "
	        "%s is kept",
	        f->name, st->name, st->target);
}

static void apply_cmds(km_flow_t *f) {
	km_cmd_t *c, *next;

	if (!atomic_load(&f->cmds_pending))
		return;
	pthread_mutex_lock(&f->lock);
	c = f->cmds;
	f->cmds = NULL;
	f->cmds_tail = &f->cmds;
	atomic_store(&f->cmds_pending, 0);
	pthread_mutex_unlock(&f->lock);
	for (; c; c = next) {
		next = c->next;
		if (c->type == KM_CMD_ADD)
			apply_add(f, c);
		else
			apply_gone(f, c);
		free_cmd(c);
	}
}

/* ------------------------------------------------------------------------ */
/* Data thread: consume, pipeline, produce                                   */
/* ------------------------------------------------------------------------ */

/* The consumer could not continue a partition where it was (the position
 * is outside the log): retention ran past it, or the topic was recreated. */
static void offset_reset(km_flow_t *f, km_part_t *p) {
	int64_t lo, hi, pos = p->consumed;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *error;
	rd_kafka_resp_err_t err;

	err = rd_kafka_query_watermark_offsets(f->consumer, p->st->name, p->partition, &lo, &hi,
	                                       KM_ADMIN_TIMEOUT_MS);
	if (err) {
		km_warn(
		    "flow %s: %s [%d]: position out of range and the log's bounds unknown (%s); "
		    "retrying",
		    f->name, p->st->name, p->partition, rd_kafka_err2str(err));
		lo = pos;
	} else if (pos >= 0 && pos < lo) {
		p->lost += (uint64_t)(lo - pos);
		km_warn("flow %s: %s [%d]: the source's retention deleted offsets %" PRId64
		        "..%" PRId64 " before they were copied: %" PRId64
		        " records lost at the source; continuing from %" PRId64,
		        f->name, p->st->name, p->partition, pos, lo - 1, lo - pos, lo);
	} else {
		km_warn("flow %s: %s [%d]: position %" PRId64 " is past the log's end %" PRId64
		        " (topic recreated or truncated): starting again from offset %" PRId64,
		        f->name, p->st->name, p->partition, pos, hi, lo);
	}
	p->consumed = lo;
	if (p->next < lo) {
		p->next = lo;
		mark_dirty(f, p);
	}
	/* After the error the partition is no longer fetched (a seek would be
	 * refused): assign it again at the new position. */
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, p->st->name, p->partition)->offset = lo;
	if ((error = rd_kafka_incremental_unassign(f->consumer, l))) {
		km_warn("flow %s: %s [%d]: unassign: %s", f->name, p->st->name, p->partition,
		        rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	if ((error = rd_kafka_incremental_assign(f->consumer, l))) {
		km_warn("flow %s: %s [%d]: assign at %" PRId64 ": %s", f->name, p->st->name,
		        p->partition, lo, rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

static km_part_t *msg_part(const rd_kafka_message_t *m) {
	km_stopic_t *st = m->rkt ? rd_kafka_topic_opaque(m->rkt) : NULL;

	if (!st || m->partition < 0 || m->partition >= st->cnt)
		return NULL;
	return st->parts[m->partition];
}

/* A consumer error event (not a record). */
static void consumer_event(km_flow_t *f, rd_kafka_message_t *m) {
	km_part_t *p = msg_part(m);

	if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET && p) {
		offset_reset(f, p);
	} else if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
	           m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
	           m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
		/* the control thread notices deleted topics */
		km_dbg("flow %s: %s", f->name, rd_kafka_message_errstr(m));
	} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		km_warn("flow %s: source: %s", f->name, rd_kafka_message_errstr(m));
		set_error(f, "source: %s", rd_kafka_message_errstr(m));
	}
	rd_kafka_message_destroy(m);
}

/* Takes a free pool entry for @p m and queues it on its partition. The
 * caller made sure one is free (inflight_full). */
static km_inflight_t *ring_push(km_flow_t *f, rd_kafka_message_t *m, km_part_t *p) {
	int32_t idx = f->ring_free;
	km_inflight_t *e = &f->ring[idx];

	f->ring_free = e->next;
	e->next = -1;
	if (p->tail >= 0)
		f->ring[p->tail].next = idx;
	else
		p->head = idx;
	p->tail = idx;
	e->m = m;
	e->part = p;
	e->offset = m->offset;
	e->bytes = e->size = m->len + m->key_len;
	e->pending = 1; /* held by the batch until every record of it is produced */
	e->status = RD_KAFKA_RESP_ERR_NO_ERROR;
	f->ring_cnt++;
	f->consumed_total++;
	f->inflight_bytes += e->bytes;
	p->consumed = m->offset + 1;
	return e;
}

/* Produces one record. The payload is sent without a copy when it is the
 * consumed message's own (it lives until the entry is popped); the
 * consumed message's headers are handed over when unchanged. */
static void produce(km_flow_t *f, km_inflight_t *e, rd_kafka_topic_t *rkt, int32_t partition,
                    const void *key, size_t key_len, const void *val, size_t val_len, int64_t ts,
                    rd_kafka_headers_t *hdrs) {
	int flags = val == e->m->payload ? 0 : RD_KAFKA_MSG_F_COPY, unknown_retries = 0;
	size_t cost = f->part_cap == SIZE_MAX ? 0 : batch_cost(key_len, val_len, hdrs);
	rd_kafka_t *rk = f->producers[e->part->conn]; /* @p rkt is one of its handles */
	rd_kafka_resp_err_t err;

	for (;;) {
		err = rd_kafka_producev(
		    rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
		    RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)val, val_len),
		    RD_KAFKA_V_MSGFLAGS(flags), RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_HEADERS(hdrs),
		    RD_KAFKA_V_OPAQUE(e), RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			serve_acks(f, 10); /* the producer's queue is full: wait for acks */
			continue;
		}
		/* Metadata older than the mirror topic's growth: not a refusal. */
		if ((err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
		     err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) &&
		    unknown_retries++ < 30 && !atomic_load(&f->stop)) {
			const struct rd_kafka_metadata *md;
			if (!rd_kafka_metadata(rk, 0, rkt, &md, 1000))
				rd_kafka_metadata_destroy(md);
			serve_acks(f, 100);
			continue;
		}
		break;
	}
	if (err) {
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		if (!e->status)
			e->status = err;
		/* no delivery report will come for it: do not wait for one */
		maybe_ready(f, e->part);
		return;
	}
	e->pending++;
	e->part->unacked += cost;
	f->produced_total++;
	if (f->test_fatal_after && f->produced_total == (uint64_t)f->test_fatal_after) {
		km_warn("flow %s: KMIRROR_TEST_FATAL_AFTER: raising a fatal producer error",
		        f->name);
		rd_kafka_test_fatal_error(rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
		                          "test hook");
	}
}

static int64_t msg_timestamp(const rd_kafka_message_t *m) {
	int64_t ts = rd_kafka_message_timestamp(m, NULL);

	return ts < 0 ? 0 : ts;
}

/* Drops the batch's hold on @p e: its records are all produced. */
static void entry_release(km_flow_t *f, km_inflight_t *e) {
	if (--e->pending == 0)
		entry_resolved(f, e);
}

/* The empty pipeline: every record goes to the same partition of its
 * mirror topic, untouched, without a copy of its payload. */
static void copy_direct(km_flow_t *f, km_inflight_t **entries, size_t n) {
	for (size_t i = 0; i < n; i++) {
		km_inflight_t *e = entries[i];
		rd_kafka_message_t *m = e->m;
		km_part_t *p = e->part;
		rd_kafka_headers_t *hdrs = NULL;

		rd_kafka_message_detach_headers(m, &hdrs);
		produce(f, e, p->st->dst_rkt[p->conn], m->partition, m->key, m->key_len, m->payload,
		        m->len, msg_timestamp(m), hdrs);
		entry_release(f, e);
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

static rd_kafka_topic_t *route_rkt(km_flow_t *f, const km_record_t *r, km_part_t *p) {
	struct km_reroute *rr;

	if (r->topic == p->st->target || !strcmp(r->topic, p->st->target))
		return p->st->dst_rkt[p->conn];
	/* A re-routed record goes on its source partition's connection, which
	 * keeps its order: one handle per name and connection, kept for the
	 * flow's life. */
	for (rr = f->reroutes; rr < f->reroutes + f->reroute_cnt; rr++)
		if (!strcmp(rr->name, r->topic))
			break;
	if (rr == f->reroutes + f->reroute_cnt) {
		if (!(rr = realloc(f->reroutes, (f->reroute_cnt + 1) * sizeof(*rr))))
			abort();
		f->reroutes = rr;
		rr = &f->reroutes[f->reroute_cnt++];
		memset(rr, 0, sizeof(*rr));
		if (!(rr->name = strdup(r->topic)))
			abort();
	}
	if (!rr->rkt[p->conn])
		rr->rkt[p->conn] = rd_kafka_topic_new(f->producers[p->conn], r->topic, NULL);
	return rr->rkt[p->conn];
}

static void drop_reroutes(km_flow_t *f) {
	for (size_t i = 0; i < f->reroute_cnt; i++) {
		free(f->reroutes[i].name);
		for (int c = 0; c < KM_MAX_CONNECTIONS; c++)
			if (f->reroutes[i].rkt[c])
				rd_kafka_topic_destroy(f->reroutes[i].rkt[c]);
	}
	free(f->reroutes);
	f->reroutes = NULL;
	f->reroute_cnt = 0;
}

/* Drops the batch's hold on each of its entries. */
static void release_batch(km_flow_t *f, km_inflight_t **entries, size_t n) {
	for (size_t i = 0; i < n; i++)
		entry_release(f, entries[i]);
}

static void copy_pipeline(km_flow_t *f, km_inflight_t **entries, size_t n) {
	km_batch_t *b = &f->bb.pub;
	char errstr[512];

	km_batchbuf_reset(&f->bb);
	for (size_t i = 0; i < n; i++) {
		rd_kafka_message_t *m = entries[i]->m;
		km_part_t *p = entries[i]->part;
		km_record_t *r = km_batch_add(b);

		r->km_opaque = entries[i];
		r->key = m->key;
		r->key_len = m->key_len;
		r->value = m->payload;
		r->value_len = m->len;
		r->timestamp = msg_timestamp(m);
		r->topic = p->st->target;
		r->partition = m->partition;
		r->source_topic = p->st->name;
		r->source_partition = m->partition;
		r->source_offset = m->offset;
		if (view_headers(b, r, m))
			r->headers = NULL, r->header_cnt = 0;
		f->hviews[i] = r->headers;
	}
	if (km_pipeline_run(&f->pipeline, b, errstr, sizeof(errstr)) != KM_STAGE_OK) {
		f->stage_errors++;
		km_err("flow %s: %s", f->name, errstr);
		set_error(f, "%s", errstr);
		for (size_t i = 0; i < n; i++) {
			km_inflight_t *e = b->records[i].km_opaque;
			if (!e->status)
				e->status = RD_KAFKA_RESP_ERR__INVALID_ARG;
		}
		release_batch(f, entries, n);
		return;
	}
	for (size_t i = 0; i < b->cnt; i++) {
		km_record_t *r = &b->records[i];
		km_inflight_t *e = r->km_opaque;
		rd_kafka_headers_t *hdrs = NULL;

		if (r->flags & KM_RECORD_F_DROP)
			continue;
		if (r->header_cnt) {
			rd_kafka_headers_t *orig;
			/* Headers a stage left as they were: a copy of the consumed
			 * ones; otherwise built from the stage's views. */
			if (i < n && r->headers == f->hviews[i] &&
			    !rd_kafka_message_headers(e->m, &orig) &&
			    rd_kafka_header_cnt(orig) == r->header_cnt) {
				hdrs = rd_kafka_headers_copy(orig);
			} else {
				hdrs = rd_kafka_headers_new(r->header_cnt);
				for (size_t h = 0; h < r->header_cnt; h++)
					rd_kafka_header_add(hdrs, r->headers[h].name, -1,
					                    r->headers[h].value,
					                    (ssize_t)r->headers[h].value_len);
			}
		}
		produce(f, e, route_rkt(f, r, e->part), r->partition, r->key, r->key_len, r->value,
		        r->value_len, r->timestamp, hdrs);
	}
	release_batch(f, entries, n);
}

/* Copies a batch of admitted entries, through the pipeline if there is
 * one. Not re-entered: a wait inside (a full producer queue) serves
 * acknowledgements but leaves deferred entries for later. */
static void copy_entries(km_flow_t *f, km_inflight_t **entries, size_t n) {
	f->copying = 1;
	if (f->pipeline.cnt)
		copy_pipeline(f, entries, n);
	else
		copy_direct(f, entries, n);
	f->copying = 0;
}

/* Per-partition window. librdkafka 2.0.2's idempotent producer lets a
 * partition have a new request out only while fewer than 5 *messages* of it
 * are in flight, so in practice one request (one batch) per partition per
 * round trip; and while a partition has a ready batch that may not go out,
 * its broker thread spins, which on a long link burns most of a core per
 * connection. So a partition hands librdkafka at most one batch (part_cap =
 * batch.size bytes) and then waits for all of it to be acknowledged; its
 * further records are deferred, in order, in the ring, and go out together
 * as the next batch. On a long link that is what librdkafka allows anyway,
 * without the spinning; on a short one the wait for each acknowledgement
 * (and linger.ms for each batch) costs throughput, so it is the flow option
 * one.batch.per.partition, off by default (part_cap SIZE_MAX: no window).
 * A partition's deferred entries are the end of its queue, from dhead on. */
static void defer_entry(km_flow_t *f, km_part_t *p, km_inflight_t *e) {
	f->deferred_total++;
	if (p->dhead < 0)
		p->dhead = (int32_t)(e - f->ring);
}

static km_inflight_t *undefer_entry(km_flow_t *f, km_part_t *p) {
	km_inflight_t *e = &f->ring[p->dhead];

	p->dhead = e->next;
	return e;
}

/* Takes polled records into the ring and copies them, deferring those of
 * a partition over its window (or with records deferred before them). */
static void admit(km_flow_t *f, rd_kafka_message_t **msgs, size_t n) {
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		km_part_t *p = msg_part(msgs[i]);
		km_inflight_t *e = ring_push(f, msgs[i], p);

		if (p->dhead >= 0 || p->unacked >= f->part_cap)
			defer_entry(f, p, e);
		else
			f->work[k++] = e;
	}
	if (k)
		copy_entries(f, f->work, k);
}

/* Copies the deferred entries of partitions that have room again. */
static void go_on(km_flow_t *f) {
	while (f->ready_cnt && !f->copying) {
		size_t n = 0;

		for (size_t i = 0; i < f->ready_cnt && n < f->batch_records;) {
			km_part_t *p = f->ready[i];
			size_t budget = p->unacked < f->part_cap ? f->part_cap - p->unacked : 0;

			if (p->state != KM_PART_ACTIVE) {
				/* stopped or gone meanwhile: nothing more goes out */
				while (p->dhead >= 0)
					entry_release(f, undefer_entry(f, p));
				budget = 0;
			}
			while (p->dhead >= 0 && budget > 0 && n < f->batch_records) {
				km_inflight_t *e = undefer_entry(f, p);
				rd_kafka_headers_t *h = NULL;
				size_t cost;

				/* counted as produce() will count it, headers and framing
				 * included, so the batch handed over fits batch.size */
				rd_kafka_message_headers(e->m, &h);
				cost = batch_cost(e->m->key_len, e->m->len, h);
				budget = budget > cost ? budget - cost : 0;
				f->work[n++] = e;
			}
			if (p->dhead < 0 || !budget) {
				p->ready = 0; /* an acknowledgement puts it back */
				f->ready[i] = f->ready[--f->ready_cnt];
			} else {
				i++;
			}
		}
		if (!n)
			break;
		copy_entries(f, f->work, n);
	}
}

/* Takes up to @p max records: waits for the first, then takes what is
 * already there. Error events are handled on the way. */
/* librdkafka 2.0.2 stops fetching every partition once the consumer queue
 * (shared by all of them) holds queued.min.messages records or
 * queued.max.messages.kbytes, and decides again only when its broker
 * thread wakes: after up to a second when nothing else wakes it. At
 * 100-byte records the first bound alone held kmirrord to a third of its
 * rate with the machine mostly idle. A queue that ran dry after full
 * batches is that stall: a seek of one partition to the next offset to copy
 * (its queued records, none or a few, are fetched again) wakes its broker
 * thread, which then fetches every partition it leads again. The partition
 * taken turns, so a cluster's every leader gets its turn. */
static void wake_fetchers(km_flow_t *f) {
	size_t k = 0;

	for (km_stopic_t *st = f->topics; st; st = st->next)
		for (int32_t i = 0; i < st->cnt; i++, k++) {
			km_part_t *p = st->parts[i];
			rd_kafka_topic_partition_list_t *l;
			rd_kafka_error_t *error;

			if (k < f->wake_next || p->state != KM_PART_ACTIVE || p->consumed < 0)
				continue;
			l = rd_kafka_topic_partition_list_new(1);
			rd_kafka_topic_partition_list_add(l, st->name, i)->offset = p->consumed;
			if ((error = rd_kafka_seek_partitions(f->consumer, l, 0)))
				rd_kafka_error_destroy(error); /* asynchronous: nothing to report */
			rd_kafka_topic_partition_list_destroy(l);
			f->wake_next = k + 1;
			f->fetch_wakes++;
			return;
		}
	if (f->wake_next) { /* past the last one: from the first again */
		f->wake_next = 0;
		wake_fetchers(f);
	}
}

static size_t poll_batch(km_flow_t *f, rd_kafka_message_t **msgs, size_t max) {
	/* With records in flight, come back soon to serve acknowledgements. */
	int timeout = f->ring_cnt || f->pw.active ? 5 : 100;
	rd_kafka_message_t *first = rd_kafka_consume_queue(f->cq, timeout);
	size_t got = 1, n = 0;

	if (!first) {
		if (f->backlog)
			wake_fetchers(f);
		f->backlog = 0;
		return 0;
	}
	msgs[0] = first;
	if (max > 1) { /* the rest of what is there, in one call */
		ssize_t more = rd_kafka_consume_batch_queue(f->cq, 0, msgs + 1, max - 1);
		if (more > 0)
			got += (size_t)more;
	}
	if (got == max && max >= f->batch_records)
		f->backlog = 1; /* until the queue runs dry */
	for (size_t i = 0; i < got; i++) {
		rd_kafka_message_t *m = msgs[i];
		km_part_t *p;

		if (m->err) {
			consumer_event(f, m);
			continue;
		}
		p = msg_part(m);
		if (!p || p->state != KM_PART_ACTIVE ||
		    (p->consumed >= 0 && m->offset < p->consumed)) {
			/* stopped or gone partition, or a record from before a seek */
			rd_kafka_message_destroy(m);
			continue;
		}
		msgs[n++] = m;
	}
	return n;
}

/* The producer hit a fatal error: it cannot go on. Drop what it holds,
 * make a new one, and continue every partition from its progress. */
static void purge_producer(rd_kafka_t *rk) {
	rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	for (int i = 0; i < 100 && rd_kafka_outq_len(rk) > 0; i++)
		rd_kafka_poll(rk, 100);
}

/* A producer connection hit a fatal error: it cannot go on. Drop what
 * every connection holds, make new ones, and continue every partition
 * from its progress. */
static int rebuild_producer(km_flow_t *f) {
	char reason[512] = "", errstr[512];
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *error;

	for (int i = 0; i < f->nprod && !reason[0]; i++)
		rd_kafka_fatal_error(f->producers[i], reason, sizeof(reason));
	if (!reason[0])
		rd_kafka_fatal_error(f->pproducer, reason, sizeof(reason));
	km_warn("flow %s: rebuilding the producer after a fatal error (%s); resuming from the "
	        "acknowledged progress",
	        f->name, reason);
	for (int i = 0; i < f->nprod; i++)
		purge_producer(f->producers[i]);
	purge_producer(f->pproducer);
	/* Every entry still queued goes again from its partition's progress;
	 * nothing in it counts as copied, nothing is in flight or deferred. */
	f->ready_cnt = 0;
	f->popq_cnt = 0;
	for (km_stopic_t *st = f->topics; st; st = st->next)
		for (int32_t i = 0; i < st->cnt; i++) {
			km_part_t *p = st->parts[i];
			/* a partition that never had a record acknowledged goes
			 * again from its first one consumed */
			if (p->next < 0 && p->head >= 0)
				p->next = f->ring[p->head].offset;
			while (p->head >= 0) {
				unqueue_head(f, p);
				f->consumed_total--;
			}
			p->unacked = 0;
			p->ready = 0;
			p->popq = 0;
		}
	f->pw.active = 0;
	f->pw.pending = 0;
	f->pw.failed = 0;
	for (km_stopic_t *st = f->topics; st; st = st->next)
		for (int i = 0; i < f->nprod; i++) {
			rd_kafka_topic_destroy(st->dst_rkt[i]);
			st->dst_rkt[i] = NULL;
		}
	drop_reroutes(f);
	destroy_producers(f);
	if (make_producers(f, errstr, sizeof(errstr))) {
		km_err("flow %s: cannot make a new producer: %s", f->name, errstr);
		return -1;
	}
	atomic_store(&f->fatal, 0);
	f->rebuilds++;
	l = rd_kafka_topic_partition_list_new(8);
	for (km_stopic_t *st = f->topics; st; st = st->next) {
		for (int i = 0; i < f->nprod; i++)
			st->dst_rkt[i] = rd_kafka_topic_new(f->producers[i], st->target, NULL);
		for (int32_t i = 0; i < st->cnt; i++) {
			km_part_t *p = st->parts[i];
			if (p->state != KM_PART_ACTIVE || p->next < 0)
				continue;
			p->consumed = p->next;
			rd_kafka_topic_partition_list_add(l, st->name, i)->offset = p->next;
		}
	}
	mark_all_unsent(f);
	if (l->cnt && (error = rd_kafka_seek_partitions(f->consumer, l, KM_ADMIN_TIMEOUT_MS))) {
		km_warn("flow %s: seek after rebuild: %s", f->name, rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	rd_kafka_topic_partition_list_destroy(l);
	return 0;
}

static void publish_status(km_flow_t *f);

/* Records consumed whose progress is not yet stored on the target. */
static uint64_t inflight(const km_flow_t *f) {
	return f->consumed_total > f->stored_total ? f->consumed_total - f->stored_total : 0;
}

static int inflight_full(const km_flow_t *f) {
	return inflight(f) >= f->max_inflight || f->inflight_bytes >= f->max_inflight_bytes ||
	       f->ring_cnt >= f->ring_cap;
}

static void *data_main(void *arg) {
	km_flow_t *f = arg;
	rd_kafka_message_t **msgs = calloc(f->batch_records, sizeof(*msgs));
	int64_t deadline;

	if (!msgs)
		abort();
	set_state(f, "running");
	while (!atomic_load(&f->stop)) {
		int64_t now;
		size_t n, room;

		apply_cmds(f);
		if (atomic_load(&f->fatal) && rebuild_producer(f)) {
			set_state(f, "failed");
			break;
		}
		serve_acks(f, 0);
		now = now_ms();
		/* Progress goes out as soon as the last write is acknowledged and
		 * something moved: the in-flight bound then tracks the target's
		 * acknowledgements closely. */
		if (f->progress_dirty || now - f->last_progress_ms >= KM_PROGRESS_INTERVAL_MS)
			write_progress(f);
		if (now - f->last_status_ms >= KM_STATUS_INTERVAL_MS)
			publish_status(f);
		if (inflight_full(f)) {
			serve_acks(f, 50); /* back-pressure: wait for acknowledgements */
			continue;
		}
		room = f->max_inflight - (size_t)inflight(f);
		if (room > f->ring_cap - f->ring_cnt)
			room = f->ring_cap - f->ring_cnt;
		n = poll_batch(f, msgs, room < f->batch_records ? room : f->batch_records);
		if (n)
			admit(f, msgs, n);
	}

	/* Stopping: nothing more is consumed; wait for the target to
	 * acknowledge what is in flight, then store the progress. */
	set_state(f, "draining");
	deadline = now_ms() + f->drain_ms;
	while ((f->ring_cnt || f->pw.active || f->stored_total < f->popped_total) &&
	       now_ms() < deadline) {
		if (atomic_load(&f->fatal) && rebuild_producer(f))
			break;
		serve_acks(f, 50);
		if (!f->ring_cnt)
			write_progress(f);
	}
	f->clean_exit = !f->ring_cnt && !f->pw.active && f->stored_total >= f->popped_total;
	if (!f->clean_exit)
		km_err("flow %s: stopped with %zu record(s) not acknowledged by the target; they "
		       "will be copied again at the next start",
		       f->name, f->ring_cnt);
	publish_status(f);
	set_state(f, "stopped");
	free(msgs);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Status                                                                    */
/* ------------------------------------------------------------------------ */

static void json_str(FILE *fp, const char *s) {
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(fp, "\\u%04x", *s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

/* Builds the status JSON on the data thread, from its own state. */
static void publish_status(km_flow_t *f) {
	uint64_t records = 0, bytes = 0, lost = 0, skipped = 0;
	int64_t lag = 0, position = 0;
	int counts[3] = {0, 0, 0}, ntopics = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (!fp)
		return;
	f->last_status_ms = now_ms();
	for (km_stopic_t *st = f->topics; st; st = st->next) {
		ntopics++;
		for (int32_t i = 0; i < st->cnt; i++) {
			km_part_t *p = st->parts[i];
			int64_t lo, hi;
			records += p->records;
			bytes += p->bytes;
			lost += p->lost;
			skipped += p->skipped;
			counts[p->state]++;
			if (p->next > 0)
				position += p->next;
			if (p->state == KM_PART_ACTIVE && p->next >= 0 &&
			    !rd_kafka_get_watermark_offsets(f->consumer, st->name, i, &lo, &hi) &&
			    hi > p->next)
				lag += hi - p->next;
		}
	}
	fprintf(
	    fp,
	    "\"topics\":%d,\"partitions\":{\"active\":%d,\"stopped\":%d,\"gone\":%d},"
	    "\"records\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"position\":%" PRId64
	    ",\"lag\":%" PRId64 ",\"inflight\":%" PRIu64 ",\"lost_at_source\":%" PRIu64
	    ",\"skipped\":%" PRIu64 ",\"producer_rebuilds\":%" PRIu64 ",\"stage_errors\":%" PRIu64
	    ",\"deferred\":%" PRIu64 ",\"fetch_wakes\":%" PRIu64 ",\"problems\":[",
	    ntopics, counts[0], counts[1], counts[2], records, bytes, position, lag, inflight(f),
	    lost, skipped, f->rebuilds, f->stage_errors, f->deferred_total, f->fetch_wakes);
	{
		int first = 1;
		for (km_stopic_t *st = f->topics; st; st = st->next) {
			for (int32_t i = 0; i < st->cnt; i++) {
				km_part_t *p = st->parts[i];
				if (p->state == KM_PART_ACTIVE && !p->lost)
					continue;
				fprintf(fp, "%s{\"topic\":", first ? "" : ",");
				json_str(fp, st->name);
				fprintf(fp,
				        ",\"partition\":%d,\"state\":\"%s\",\"next\":%" PRId64
				        ",\"lost\":%" PRIu64 ",\"reason\":",
				        p->partition, part_state_names[p->state], p->next, p->lost);
				json_str(fp, p->reason);
				fputc('}', fp);
				first = 0;
			}
		}
	}
	fputc(']', fp);
	fclose(fp);
	pthread_mutex_lock(&f->lock);
	free(f->status_json);
	f->status_json = buf;
	pthread_mutex_unlock(&f->lock);
}

void km_flow_status_json(km_flow_t *f, FILE *fp) {
	pthread_mutex_lock(&f->lock);
	fputs("{\"name\":", fp);
	json_str(fp, f->name);
	fputs(",\"source\":", fp);
	json_str(fp, f->source);
	fputs(",\"target\":", fp);
	json_str(fp, f->target);
	fprintf(fp,
	        ",\"state\":\"%s\",\"topics_created\":%" PRIu64 ",\"partitions_created\":%" PRIu64
	        ",\"configs_synced\":%" PRIu64 ",\"last_error\":",
	        f->state, f->topics_created, f->partitions_created, f->configs_synced);
	json_str(fp, f->last_error);
	if (f->status_json)
		fprintf(fp, ",%s", f->status_json);
	fputs("}", fp);
	pthread_mutex_unlock(&f->lock);
}

void km_flow_status_log(km_flow_t *f) {
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (!fp)
		return;
	km_flow_status_json(f, fp);
	fclose(fp);
	km_info("status %s", buf);
	free(buf);
}

/* ------------------------------------------------------------------------ */
/* Control thread                                                            */
/* ------------------------------------------------------------------------ */

static void send_cmd(km_flow_t *f, km_cmd_t *c) {
	pthread_mutex_lock(&f->lock);
	*f->cmds_tail = c;
	f->cmds_tail = &c->next;
	atomic_store(&f->cmds_pending, 1);
	pthread_mutex_unlock(&f->lock);
}

/* Waits until @p ms passed or the flow is asked to stop. Returns 1 when
 * stopping. */
static int control_wait(km_flow_t *f, int64_t ms) {
	struct timespec ts;
	int stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&f->lock);
	while (!(stop = atomic_load(&f->stop)))
		if (pthread_cond_timedwait(&f->cond, &f->lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&f->lock);
	return stop || atomic_load(&f->stop);
}

static km_ctopic_t *find_ctopic(km_flow_t *f, const char *name) {
	for (km_ctopic_t *c = f->ctopics; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* Admin request/response on a temporary queue. */
static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type) {
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, KM_ADMIN_TIMEOUT_MS + 5000);

	if (ev && rd_kafka_event_type(ev) != type) {
		rd_kafka_event_destroy(ev);
		return NULL;
	}
	return ev;
}

static int excluded_config(const km_flow_t *f, const char *name) {
	for (size_t i = 0; i < f->cfg_exclude_cnt; i++)
		if (pcre2_match(f->cfg_exclude[i], (PCRE2_SPTR)name, PCRE2_ZERO_TERMINATED, 0, 0,
		                f->cfg_md, NULL) >= 0)
			return 1;
	return 0;
}

/* A topic's configs as a list of name/value pairs, from DescribeConfigs.
 * @p dynamic_only keeps the topic's own settings (DYNAMIC_TOPIC_CONFIG),
 * @p filter also drops sensitive, read-only and excluded entries. */
typedef struct km_cfgset {
	size_t cnt;
	char **names, **values;
	int has_sensitive;
} km_cfgset_t;

static void cfgset_free(struct km_cfgset *s) {
	for (size_t i = 0; i < s->cnt; i++) {
		free(s->names[i]);
		free(s->values[i]);
	}
	free(s->names);
	free(s->values);
	memset(s, 0, sizeof(*s));
}

static const char *cfgset_get(const km_cfgset_t *s, const char *name) {
	for (size_t i = 0; i < s->cnt; i++)
		if (!strcmp(s->names[i], name))
			return s->values[i];
	return NULL;
}

static void cfgset_put(km_cfgset_t *s, const char *name, const char *value) {
	for (size_t i = 0; i < s->cnt; i++) {
		if (!strcmp(s->names[i], name)) {
			free(s->values[i]);
			s->values[i] = strdup(value ? value : "");
			return;
		}
	}
	s->names = realloc(s->names, (s->cnt + 1) * sizeof(*s->names));
	s->values = realloc(s->values, (s->cnt + 1) * sizeof(*s->values));
	if (!s->names || !s->values)
		abort();
	s->names[s->cnt] = strdup(name);
	s->values[s->cnt] = strdup(value ? value : "");
	s->cnt++;
}

/* What describe_configs keeps. */
enum { KM_CFG_OWN, KM_CFG_COPYABLE, KM_CFG_KNOWN };

/* Describes the configs of @p cnt topics on @p rk; out[i] gets topic i's:
 * KM_CFG_OWN the topic's own settings, KM_CFG_COPYABLE those without the
 * read-only and excluded ones, KM_CFG_KNOWN every config name the broker
 * has (values ignored). Sensitive settings are never kept. */
static int describe_configs(km_flow_t *f, rd_kafka_t *rk, char **topics, size_t cnt,
                            km_cfgset_t *out, int filter) {
	rd_kafka_ConfigResource_t **res = calloc(cnt, sizeof(*res));
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	const rd_kafka_ConfigResource_t **rres;
	rd_kafka_event_t *ev;
	size_t rcnt;
	int ret = -1;

	if (!res)
		abort();
	for (size_t i = 0; i < cnt; i++)
		res[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topics[i]);
	rd_kafka_DescribeConfigs(rk, res, cnt, NULL, q);
	if (!(ev = admin_wait(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT)) ||
	    rd_kafka_event_error(ev)) {
		km_warn("flow %s: DescribeConfigs on %s: %s", f->name, rd_kafka_name(rk),
		        ev ? rd_kafka_event_error_string(ev) : "no answer");
		goto out;
	}
	rres = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev),
	                                                 &rcnt);
	for (size_t r = 0; r < rcnt; r++) {
		const rd_kafka_ConfigEntry_t **ents;
		size_t ecnt, i;
		for (i = 0; i < cnt; i++)
			if (!strcmp(rd_kafka_ConfigResource_name(rres[r]), topics[i]))
				break;
		if (i == cnt || rd_kafka_ConfigResource_error(rres[r]))
			continue;
		ents = rd_kafka_ConfigResource_configs(rres[r], &ecnt);
		for (size_t e = 0; e < ecnt; e++) {
			const char *name = rd_kafka_ConfigEntry_name(ents[e]);
			if (filter == KM_CFG_KNOWN) {
				cfgset_put(&out[i], name, "");
				continue;
			}
			if (rd_kafka_ConfigEntry_source(ents[e]) !=
			    RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG)
				continue;
			if (rd_kafka_ConfigEntry_is_sensitive(ents[e])) {
				out[i].has_sensitive = 1;
				continue;
			}
			if (filter == KM_CFG_COPYABLE &&
			    (rd_kafka_ConfigEntry_is_read_only(ents[e]) ||
			     excluded_config(f, name)))
				continue;
			cfgset_put(&out[i], name, rd_kafka_ConfigEntry_value(ents[e]));
		}
	}
	ret = 0;
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	for (size_t i = 0; i < cnt; i++)
		rd_kafka_ConfigResource_destroy(res[i]);
	free(res);
	rd_kafka_queue_destroy(q);
	return ret;
}

/* 1 when the target's Kafka has a topic config named @p name (4.x dropped
 * some 3.x ones, which would fail a creation or a sync). The names are
 * read once, from the progress topic's description; until that worked,
 * every name counts as known. */
static int target_knows(km_flow_t *f, const char *name) {
	char *progress = KM_PROGRESS_TOPIC;

	if (!f->target_known && !(f->target_known = calloc(1, sizeof(*f->target_known))))
		abort();
	/* at most one try per refresh round while the target does not answer */
	if (!f->target_known->cnt && now_ms() - f->target_known_tried_ms >= f->refresh_ms) {
		f->target_known_tried_ms = now_ms();
		describe_configs(f, f->dst_admin, &progress, 1, f->target_known, KM_CFG_KNOWN);
	}
	return !f->target_known->cnt || cfgset_get(f->target_known, name) != NULL;
}

/* What to do with one source topic this round. */
typedef struct km_plan {
	const char *name; /* borrowed from metadata */
	char target[KM_TOPIC_MAX];
	int32_t src_cnt, dst_cnt; /* dst_cnt -1: missing */
} km_plan_t;

static int create_topics(km_flow_t *f, km_plan_t **todo, size_t n) {
	char **names = calloc(n, sizeof(*names)), msg[512];
	km_cfgset_t *cfg = calloc(n, sizeof(*cfg));
	rd_kafka_NewTopic_t **nts = calloc(n, sizeof(*nts));
	rd_kafka_queue_t *q = rd_kafka_queue_new(f->dst_admin);
	const rd_kafka_topic_result_t **res;
	rd_kafka_event_t *ev;
	size_t rcnt;

	if (!names || !cfg || !nts)
		abort();
	for (size_t i = 0; i < n; i++)
		names[i] = (char *)todo[i]->name;
	describe_configs(f, f->src_admin, names, n, cfg, KM_CFG_COPYABLE);
	for (size_t i = 0; i < n; i++) {
		nts[i] = rd_kafka_NewTopic_new(todo[i]->target, todo[i]->src_cnt, f->rf, msg,
		                               sizeof(msg));
		for (size_t c = 0; nts[i] && c < cfg[i].cnt; c++) {
			if (!target_knows(f, cfg[i].names[c])) {
				km_notice(
				    "flow %s: %s: config %s is not known to the target's Kafka; "
				    "not copied",
				    f->name, todo[i]->target, cfg[i].names[c]);
				continue;
			}
			rd_kafka_NewTopic_set_config(nts[i], cfg[i].names[c], cfg[i].values[c]);
		}
	}
	rd_kafka_CreateTopics(f->dst_admin, nts, n, NULL, q);
	if (!(ev = admin_wait(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT)) || rd_kafka_event_error(ev)) {
		km_warn("flow %s: creating mirror topics: %s (will retry)", f->name,
		        ev ? rd_kafka_event_error_string(ev) : "no answer from the target");
	} else {
		res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev),
		                                          &rcnt);
		for (size_t r = 0; r < rcnt; r++) {
			rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[r]);
			const char *t = rd_kafka_topic_result_name(res[r]);
			for (size_t i = 0; i < n; i++) {
				if (strcmp(todo[i]->target, t))
					continue;
				if (!err || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
					todo[i]->dst_cnt = todo[i]->src_cnt;
					if (!err) {
						f->topics_created++;
						km_info("flow %s: created mirror topic %s (%d "
						        "partitions, %zu configs from %s)",
						        f->name, t, todo[i]->src_cnt, cfg[i].cnt,
						        todo[i]->name);
					}
				} else {
					km_warn("flow %s: creating mirror topic %s: %s", f->name, t,
					        rd_kafka_topic_result_error_string(res[r]));
					set_error(f, "creating mirror topic %s: %s", t,
					          rd_kafka_topic_result_error_string(res[r]));
				}
			}
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	for (size_t i = 0; i < n; i++) {
		if (nts[i])
			rd_kafka_NewTopic_destroy(nts[i]);
		cfgset_free(&cfg[i]);
	}
	free(nts);
	free(cfg);
	free(names);
	rd_kafka_queue_destroy(q);
	return 0;
}

static void create_partitions(km_flow_t *f, km_plan_t **todo, size_t n) {
	rd_kafka_NewPartitions_t **nps = calloc(n, sizeof(*nps));
	rd_kafka_queue_t *q = rd_kafka_queue_new(f->dst_admin);
	const rd_kafka_topic_result_t **res;
	rd_kafka_event_t *ev;
	char msg[256];
	size_t rcnt;

	if (!nps)
		abort();
	for (size_t i = 0; i < n; i++)
		nps[i] = rd_kafka_NewPartitions_new(todo[i]->target, (size_t)todo[i]->src_cnt, msg,
		                                    sizeof(msg));
	rd_kafka_CreatePartitions(f->dst_admin, nps, n, NULL, q);
	if (!(ev = admin_wait(q, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT)) ||
	    rd_kafka_event_error(ev)) {
		km_warn("flow %s: adding partitions: %s (will retry)", f->name,
		        ev ? rd_kafka_event_error_string(ev) : "no answer from the target");
	} else {
		res = rd_kafka_CreatePartitions_result_topics(
		    rd_kafka_event_CreatePartitions_result(ev), &rcnt);
		for (size_t r = 0; r < rcnt; r++) {
			const char *t = rd_kafka_topic_result_name(res[r]);
			rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[r]);
			for (size_t i = 0; i < n; i++) {
				if (strcmp(todo[i]->target, t))
					continue;
				if (!err) {
					f->partitions_created +=
					    (uint64_t)(todo[i]->src_cnt - todo[i]->dst_cnt);
					km_info("flow %s: mirror topic %s grown from %d to %d "
					        "partitions",
					        f->name, t, todo[i]->dst_cnt, todo[i]->src_cnt);
					todo[i]->dst_cnt = todo[i]->src_cnt;
				} else {
					km_warn("flow %s: adding partitions to %s: %s", f->name, t,
					        rd_kafka_topic_result_error_string(res[r]));
				}
			}
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	for (size_t i = 0; i < n; i++)
		rd_kafka_NewPartitions_destroy(nps[i]);
	free(nps);
	rd_kafka_queue_destroy(q);
}

/* Config sync: the target topic gets the source topic's own settings
 * (filtered) merged over its own, so a setting made on the target alone
 * survives. librdkafka 2.0.2 has only the non-incremental AlterConfigs,
 * which replaces the whole set: hence the merge. */
static void sync_configs(km_flow_t *f, km_plan_t *plans, size_t n) {
	char **src = calloc(n ? n : 1, sizeof(*src)), **dst = calloc(n ? n : 1, sizeof(*dst));
	km_cfgset_t *scfg = calloc(n ? n : 1, sizeof(*scfg)),
	            *dcfg = calloc(n ? n : 1, sizeof(*dcfg));
	rd_kafka_ConfigResource_t **alter = calloc(n ? n : 1, sizeof(*alter));
	size_t m = 0, acnt = 0;

	if (!src || !dst || !scfg || !dcfg || !alter)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (plans[i].dst_cnt < 0)
			continue;
		src[m] = (char *)plans[i].name;
		dst[m] = plans[i].target;
		m++;
	}
	if (m && !describe_configs(f, f->src_admin, src, m, scfg, KM_CFG_COPYABLE) &&
	    !describe_configs(f, f->dst_admin, dst, m, dcfg, KM_CFG_OWN)) {
		for (size_t i = 0; i < m; i++) {
			int differs = 0;
			rd_kafka_ConfigResource_t *cr;

			for (size_t c = 0; c < scfg[i].cnt; c++) {
				const char *cur = cfgset_get(&dcfg[i], scfg[i].names[c]);
				if (!target_knows(f, scfg[i].names[c]))
					continue; /* the target's Kafka has no such config */
				if (!cur || strcmp(cur, scfg[i].values[c]))
					differs = 1;
			}
			if (!differs)
				continue;
			if (dcfg[i].has_sensitive) {
				km_warn("flow %s: not syncing configs of %s: it has sensitive "
				        "settings that AlterConfigs would wipe",
				        f->name, dst[i]);
				continue;
			}
			cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, dst[i]);
			for (size_t c = 0; c < scfg[i].cnt; c++)
				if (target_knows(f, scfg[i].names[c]))
					cfgset_put(&dcfg[i], scfg[i].names[c], scfg[i].values[c]);
			for (size_t c = 0; c < dcfg[i].cnt; c++)
				rd_kafka_ConfigResource_set_config(cr, dcfg[i].names[c],
				                                   dcfg[i].values[c]);
			alter[acnt++] = cr;
		}
	}
	if (acnt) {
		rd_kafka_queue_t *q = rd_kafka_queue_new(f->dst_admin);
		rd_kafka_event_t *ev;
		rd_kafka_AlterConfigs(f->dst_admin, alter, acnt, NULL, q);
		if (!(ev = admin_wait(q, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT)) ||
		    rd_kafka_event_error(ev)) {
			km_warn("flow %s: syncing topic configs: %s", f->name,
			        ev ? rd_kafka_event_error_string(ev) : "no answer from the target");
		} else {
			size_t rcnt;
			const rd_kafka_ConfigResource_t **rr =
			    rd_kafka_AlterConfigs_result_resources(
			        rd_kafka_event_AlterConfigs_result(ev), &rcnt);
			for (size_t r = 0; r < rcnt; r++) {
				if (rd_kafka_ConfigResource_error(rr[r])) {
					km_warn("flow %s: syncing configs of %s: %s", f->name,
					        rd_kafka_ConfigResource_name(rr[r]),
					        rd_kafka_ConfigResource_error_string(rr[r]));
				} else {
					f->configs_synced++;
					km_info("flow %s: synced topic configs of %s", f->name,
					        rd_kafka_ConfigResource_name(rr[r]));
				}
			}
		}
		if (ev)
			rd_kafka_event_destroy(ev);
		rd_kafka_queue_destroy(q);
	}
	for (size_t i = 0; i < acnt; i++)
		rd_kafka_ConfigResource_destroy(alter[i]);
	for (size_t i = 0; i < m; i++) {
		cfgset_free(&scfg[i]);
		cfgset_free(&dcfg[i]);
	}
	free(alter);
	free(src);
	free(dst);
	free(scfg);
	free(dcfg);
}

static int selected(km_flow_t *f, const char *topic) {
	const km_instance_t *pol = f->policy;

	if (!strcmp(topic, KM_PROGRESS_TOPIC) ||
	    pol->plugin->policy->is_internal_topic(pol->data, topic))
		return 0;
	if (f->filter->plugin->topic_filter->filter(f->filter->data, topic) != KM_FILTER_ACCEPT)
		return 0;
	return !km_policy_is_cycle(pol, topic, f->target);
}

/* Hands ready partitions to the data thread: new topics, grown ones, and
 * topics that came back after being deleted. */
static void assign_ready(km_flow_t *f, km_plan_t *pl) {
	km_ctopic_t *c = find_ctopic(f, pl->name);
	int32_t ready = pl->dst_cnt < 0 ? 0 : pl->dst_cnt < pl->src_cnt ? pl->dst_cnt : pl->src_cnt;
	km_cmd_t *cmd;
	int recreated;

	if (pl->dst_cnt > pl->src_cnt && c && !c->warned_more) {
		km_warn("flow %s: mirror topic %s has %d partitions, more than %s's %d: records "
		        "keep their partition number; the extra partitions get nothing",
		        f->name, pl->target, pl->dst_cnt, pl->name, pl->src_cnt);
		c->warned_more = 1;
	}
	if (!c) {
		if (!(c = calloc(1, sizeof(*c))) || !(c->name = strdup(pl->name)) ||
		    !(c->target = strdup(pl->target)))
			abort();
		c->next = f->ctopics;
		f->ctopics = c;
	}
	recreated = c->gone;
	if (!ready || (ready <= c->assigned && !recreated))
		return;
	if (!(cmd = calloc(1, sizeof(*cmd))) || !(cmd->topic = strdup(pl->name)) ||
	    !(cmd->target = strdup(pl->target)) ||
	    !(cmd->starts = calloc((size_t)ready, sizeof(*cmd->starts))))
		abort();
	cmd->type = KM_CMD_ADD;
	cmd->cnt = ready;
	if (recreated)
		km_progress_forget_topic(f->progress, pl->name);
	for (int32_t i = 0; i < ready; i++) {
		int64_t stored = km_progress_get(f->progress, pl->name, i);
		if (i < c->assigned && !recreated)
			cmd->starts[i] = RD_KAFKA_OFFSET_INVALID; /* already running */
		else if (stored >= 0)
			cmd->starts[i] = stored;
		else if (recreated || (c->assigned > 0 && i >= c->assigned))
			/* a recreated topic, or partitions added while running: from
			 * their beginning, so nothing written to them is missed */
			cmd->starts[i] = RD_KAFKA_OFFSET_BEGINNING;
		else
			cmd->starts[i] =
			    f->start_latest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
	}
	if (recreated)
		km_notice("flow %s: source topic %s exists again: copying it from its beginning",
		          f->name, pl->name);
	c->assigned = ready;
	c->gone = 0;
	send_cmd(f, cmd);
}

static void refresh(km_flow_t *f) {
	const struct rd_kafka_metadata *smd = NULL, *dmd = NULL;
	km_plan_t *plans = NULL, **todo = NULL;
	size_t n = 0, tn;
	rd_kafka_resp_err_t err;

	if ((err = rd_kafka_metadata(f->src_admin, 1, NULL, &smd, KM_ADMIN_TIMEOUT_MS))) {
		km_warn("flow %s: listing source topics: %s (will retry)", f->name,
		        rd_kafka_err2str(err));
		set_error(f, "listing source topics: %s", rd_kafka_err2str(err));
		goto out;
	}
	if ((err = rd_kafka_metadata(f->dst_admin, 1, NULL, &dmd, KM_ADMIN_TIMEOUT_MS))) {
		km_warn("flow %s: listing target topics: %s (will retry)", f->name,
		        rd_kafka_err2str(err));
		set_error(f, "listing target topics: %s", rd_kafka_err2str(err));
		goto out;
	}
	if (!(plans = calloc((size_t)smd->topic_cnt + 1, sizeof(*plans))) ||
	    !(todo = calloc((size_t)smd->topic_cnt + 1, sizeof(*todo))))
		abort();
	for (int i = 0; i < smd->topic_cnt; i++) {
		const struct rd_kafka_metadata_topic *t = &smd->topics[i];
		km_plan_t *pl = &plans[n];

		if (t->err || !selected(f, t->topic))
			continue;
		if (f->policy->plugin->policy->format_remote_topic(f->policy->data, f->source,
		                                                   t->topic, pl->target,
		                                                   sizeof(pl->target)) != KM_OK) {
			km_warn("flow %s: no name on the target for %s; not copied", f->name,
			        t->topic);
			continue;
		}
		pl->name = t->topic;
		pl->src_cnt = t->partition_cnt;
		pl->dst_cnt = -1;
		for (int j = 0; j < dmd->topic_cnt; j++)
			if (!dmd->topics[j].err && !strcmp(dmd->topics[j].topic, pl->target))
				pl->dst_cnt = dmd->topics[j].partition_cnt;
		n++;
	}
	/* create missing mirror topics, grow smaller ones */
	tn = 0;
	for (size_t i = 0; i < n; i++)
		if (plans[i].dst_cnt < 0)
			todo[tn++] = &plans[i];
	if (tn)
		create_topics(f, todo, tn);
	tn = 0;
	for (size_t i = 0; i < n; i++)
		if (plans[i].dst_cnt >= 0 && plans[i].dst_cnt < plans[i].src_cnt)
			todo[tn++] = &plans[i];
	if (tn)
		create_partitions(f, todo, tn);
	for (size_t i = 0; i < n; i++)
		assign_ready(f, &plans[i]);

	/* topics that were copied and are gone from the source now */
	for (km_ctopic_t *c = f->ctopics; c; c = c->next) {
		int seen = 0;
		for (size_t i = 0; i < n && !seen; i++)
			seen = !strcmp(plans[i].name, c->name);
		for (int i = 0; i < smd->topic_cnt && !seen; i++)
			seen = !strcmp(smd->topics[i].topic, c->name) && !smd->topics[i].err;
		if (!seen && !c->gone && c->assigned) {
			km_cmd_t *cmd = calloc(1, sizeof(*cmd));
			if (!cmd || !(cmd->topic = strdup(c->name)))
				abort();
			cmd->type = KM_CMD_GONE;
			c->gone = 1;
			c->assigned = 0;
			send_cmd(f, cmd);
		}
	}
	if (f->sync_configs && now_ms() >= f->next_sync_ms) {
		sync_configs(f, plans, n);
		f->next_sync_ms = now_ms() + f->sync_configs_ms;
	}
out:
	free(plans);
	free(todo);
	if (smd)
		rd_kafka_metadata_destroy(smd);
	if (dmd)
		rd_kafka_metadata_destroy(dmd);
}

/* Loads the flow's stored progress from the target; retries until it
 * works or the flow stops. */
static int load_progress(km_flow_t *f) {
	char errstr[512];
	int64_t backoff = 500;
	const char *forced[] = {
	    "enable.partition.eof",    "true", "enable.auto.commit", "false", "group.id",
	    "kmirror.progress-reader", NULL};

	for (;;) {
		rd_kafka_t *rk = NULL;
		int ok = !km_progress_topic_ensure(f->dst_admin, f->rf, KM_ADMIN_TIMEOUT_MS, errstr,
		                                   sizeof(errstr)) &&
		         (rk = make_client(f, RD_KAFKA_CONSUMER, "progress-reader", f->fc->target,
		                           NULL, NULL, forced, errstr, sizeof(errstr))) &&
		         !km_progress_load(rk, f->name, f->progress, KM_ADMIN_TIMEOUT_MS, errstr,
		                           sizeof(errstr));
		if (rk) {
			rd_kafka_consumer_close(rk);
			rd_kafka_destroy(rk);
		}
		if (ok) {
			km_info("flow %s: loaded progress of %zu partition(s) from %s on %s",
			        f->name, km_progress_count(f->progress), KM_PROGRESS_TOPIC,
			        f->target);
			return 0;
		}
		km_warn("flow %s: %s (retrying in %" PRId64 " ms)", f->name, errstr, backoff);
		set_error(f, "%s", errstr);
		if (control_wait(f, backoff))
			return -1;
		if (backoff < 30000)
			backoff *= 2;
	}
}

static void *control_main(void *arg) {
	km_flow_t *f = arg;

	set_state(f, "loading progress");
	if (load_progress(f) == 0) {
		set_state(f, "running");
		while (!atomic_load(&f->stop)) {
			refresh(f);
			if (control_wait(f, f->refresh_ms))
				break;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Start and stop                                                            */
/* ------------------------------------------------------------------------ */

int km_flow_start(km_flow_t *f, char *errstr, size_t errstr_size) {
	rd_kafka_resp_err_t err;

	if (!(f->progress = km_progress_map_new()) ||
	    !(f->ring = calloc(f->max_inflight, sizeof(*f->ring))) ||
	    !(f->hviews = calloc(f->batch_records, sizeof(*f->hviews))) ||
	    !(f->work = calloc(f->batch_records, sizeof(*f->work))) ||
	    km_batchbuf_init(&f->bb, f->batch_records, f->batch_records * 16,
	                     f->max_inflight_bytes)) {
		snprintf(errstr, errstr_size, "flow %s: out of memory", f->name);
		return -1;
	}
	f->ring_cap = f->max_inflight;
	for (size_t i = 0; i < f->ring_cap; i++) /* every entry free */
		f->ring[i].next = i + 1 < f->ring_cap ? (int32_t)(i + 1) : -1;
	f->ring_free = 0;
	if (pipe2(f->wake, O_NONBLOCK | O_CLOEXEC)) {
		snprintf(errstr, errstr_size, "flow %s: pipe: %s", f->name, strerror(errno));
		f->wake[0] = f->wake[1] = -1;
		return -1;
	}
	if (!(f->src_admin = make_client(f, RD_KAFKA_PRODUCER, "source-admin", f->fc->source, NULL,
	                                 NULL, NULL, errstr, errstr_size)) ||
	    !(f->dst_admin = make_client(f, RD_KAFKA_PRODUCER, "target-admin", f->fc->target, NULL,
	                                 NULL, NULL, errstr, errstr_size)) ||
	    make_producers(f, errstr, errstr_size) ||
	    !(f->consumer = make_consumer(f, errstr, errstr_size)))
		return -1;
	/* without one.batch.per.partition, no window: nothing is deferred */
	f->part_cap = km_params_bool(f->fc->params, "one.batch.per.partition")
	                  ? batch_size(f->producers[0]) * 15 / 16 /* and the batch header */
	                  : SIZE_MAX;
	if ((err = rd_kafka_poll_set_consumer(f->consumer))) {
		snprintf(errstr, errstr_size, "flow %s: %s", f->name, rd_kafka_err2str(err));
		return -1;
	}
	f->cq = rd_kafka_queue_get_consumer(f->consumer);
	f->drain_ms = 30000;
	if (pthread_create(&f->data_thr, NULL, data_main, f)) {
		snprintf(errstr, errstr_size, "flow %s: cannot start a thread", f->name);
		return -1;
	}
	if (pthread_create(&f->control_thr, NULL, control_main, f)) {
		atomic_store(&f->stop, 1);
		pthread_join(f->data_thr, NULL);
		snprintf(errstr, errstr_size, "flow %s: cannot start a thread", f->name);
		return -1;
	}
	f->started = 1;
	km_info("flow %s: started (%s -> %s, %d producer connection%s)", f->name, f->source,
	        f->target, f->nprod, f->nprod == 1 ? "" : "s");
	return 0;
}

void km_flow_stop(km_flow_t *f, int drain_ms) {
	pthread_mutex_lock(&f->lock);
	f->drain_ms = drain_ms;
	atomic_store(&f->stop, 1);
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

int km_flow_join(km_flow_t *f) {
	int ok = 1;

	if (f->started) {
		pthread_join(f->control_thr, NULL);
		pthread_join(f->data_thr, NULL);
		ok = f->clean_exit;
		f->started = 0;
	}
	for (km_stopic_t *st = f->topics, *next; st; st = next) {
		next = st->next;
		for (int32_t i = 0; i < st->cnt; i++)
			free(st->parts[i]);
		free(st->parts);
		if (st->src_rkt)
			rd_kafka_topic_destroy(st->src_rkt);
		for (int i = 0; st->dst_rkt && i < f->nprod; i++)
			if (st->dst_rkt[i])
				rd_kafka_topic_destroy(st->dst_rkt[i]);
		free(st->dst_rkt);
		free(st->name);
		free(st->target);
		free(st);
	}
	f->topics = NULL;
	drop_reroutes(f);
	free(f->hviews);
	f->hviews = NULL;
	for (size_t i = 0; f->ring && i < f->ring_cap; i++)
		if (f->ring[i].m)
			rd_kafka_message_destroy(f->ring[i].m);
	f->ring_cnt = 0;
	if (f->cq)
		rd_kafka_queue_destroy(f->cq);
	f->cq = NULL;
	if (f->consumer) {
		rd_kafka_consumer_close(f->consumer);
		rd_kafka_destroy(f->consumer);
	}
	destroy_producers(f);
	if (f->src_admin)
		rd_kafka_destroy(f->src_admin);
	if (f->dst_admin)
		rd_kafka_destroy(f->dst_admin);
	f->consumer = f->src_admin = f->dst_admin = NULL;
	for (int i = 0; i < 2; i++)
		if (f->wake[i] >= 0)
			close(f->wake[i]);
	f->wake[0] = f->wake[1] = -1;
	free(f->ring);
	f->ring = NULL;
	free(f->dirty);
	free(f->ready);
	free(f->popq);
	free(f->work);
	f->dirty = f->ready = f->popq = NULL;
	f->work = NULL;
	f->dirty_cnt = f->dirty_cap = f->ready_cnt = f->popq_cnt = 0;
	km_batchbuf_free(&f->bb);
	return ok ? 0 : -1;
}
