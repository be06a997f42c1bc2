/* A flow's lifecycle: make it, start its threads, stop them, let it go;
 * the queues between its threads; the published status. Who owns what is
 * in flow_int.h. @locality main thread unless said otherwise */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow_int.h"
#include "log.h"

const char *km_flow_name(const km_flow_t *f) {
	return f->name;
}

int km_flow_files_same(const km_flow_t *a, const km_flow_t *b) {
	if (a->instance_cnt != b->instance_cnt)
		return 0;
	for (size_t i = 0; i < a->instance_cnt; i++)
		if (!km_params_files_same(a->instances[i]->params, b->instances[i]->params))
			return 0;
	return 1;
}

static int32_t stage_target_partitions(void *owner, const char *topic);

/* The options of offset syncs and checkpoints, and their topics' names as
 * the policy gives them. */
static int failover_init(km_flow_t *f, char *errstr, size_t errstr_size) {
	const km_params_t *p = f->fc->params;
	const km_policy_ops_t *ops = f->policy->plugin->policy;
	int on_target = !strcmp(km_params_str(p, "offset-syncs.topic.location"), "target");
	char name[KM_TOPIC_MAX];

	f->osync_on = km_params_bool(p, "emit.offset-syncs");
	f->ckpt_on = km_params_bool(p, "emit.checkpoints");
	f->xlate_on = f->osync_on || f->ckpt_on;
	f->lag_max = km_params_int(p, "offset.lag.max");
	f->osync_flush_ms = km_params_int(p, "offset-syncs.flush.interval");
	f->ckpt_ms = km_params_int(p, "emit.checkpoints.interval");
	f->group_sync_on = f->ckpt_on && km_params_bool(p, "sync.group.offsets");
	f->group_sync_ms = km_params_int(p, "sync.group.offsets.interval");
	f->osync_cluster = on_target ? f->target : f->source;
	f->osync_on_target = on_target;
	if (ops->offset_syncs_topic(f->policy->data, on_target ? f->source : f->target, name,
	                            sizeof(name)) != KM_OK ||
	    !(f->osync_topic = strdup(name)) ||
	    ops->checkpoints_topic(f->policy->data, f->source, name, sizeof(name)) != KM_OK ||
	    !(f->ckpt_topic = strdup(name))) {
		snprintf(
		    errstr, errstr_size,
		    "flow %s: the policy gave no name for its offset-syncs or checkpoints topic",
		    f->name);
		return -1;
	}
	return 0;
}

km_flow_t *km_flow_new(const km_flow_conf_t *fc, km_plugin_host_t *host, char *errstr,
                       size_t errstr_size) {
	const km_params_t *p = fc->params;
	km_flow_t *f = calloc(1, sizeof(*f));
	const char *env;

	if (!f)
		goto oom;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->d.cl.wake[0] = f->d.cl.wake[1] = -1;
	f->cmds_tail = &f->cmds;
	f->reqs_tail = &f->reqs;
	f->sreqs_tail = &f->sreqs;
	f->fc = fc;
	if (!(f->name = strdup(fc->name)) || !(f->source = strdup(fc->source->alias)) ||
	    !(f->target = strdup(fc->target->alias)))
		goto oom;

	f->start_latest = !strcmp(km_params_str(p, "start"), "latest");
	env = km_params_str(p, "on_error");
	f->on_error = !strcmp(env, "skip")          ? KM_ON_ERROR_SKIP
	              : !strcmp(env, "dead-letter") ? KM_ON_ERROR_DEAD_LETTER
	                                            : KM_ON_ERROR_STOP;
	if ((env = km_params_str(p, "dead_letter.topic")) && !(f->dlq_topic = strdup(env)))
		goto oom;
	f->prov_on = km_params_bool(p, "provenance");
	if (!(f->prov_name = strdup(km_params_str(p, "provenance.header"))))
		goto oom;
	f->rf = (int)km_params_int(p, "replication.factor");
	f->refresh_ms = km_params_int(p, "refresh.topics.interval");
	f->target_refresh_ms = km_params_int(p, "refresh.target.interval");
	f->sync_configs = km_params_bool(p, "sync.topic.configs");
	f->sync_configs_ms = km_params_int(p, "sync.topic.configs.interval");
	f->sync_acls = km_params_bool(p, "sync.topic.acls.enabled");
	f->sync_acls_ms = km_params_int(p, "sync.topic.acls.interval");
	f->batch_records = (size_t)km_params_int(p, "batch.records");
	f->max_inflight = (size_t)km_params_int(p, "max.inflight.records");
	f->max_inflight_bytes = (size_t)km_params_int(p, "max.inflight.bytes");
	f->emit_heartbeats = km_params_bool(p, "emit.heartbeats");
	f->heartbeats_ms = km_params_int(p, "emit.heartbeats.interval");
	f->heartbeats_replication = km_params_bool(p, "heartbeats.replication.enabled");
	f->internal_rf = (int)km_params_int(p, "internal.topics.replication.factor");
	f->nprod = (int)km_params_int(p, "producer.connections"); /* the schema caps it */
	if (f->nprod > KM_MAX_CONNECTIONS)
		f->nprod = KM_MAX_CONNECTIONS;
	/* A test hook: raise a fatal idempotent-producer error once after N
	 * records, to prove the producer is rebuilt without loss. */
	f->d.test_fatal_after = (env = getenv("KMIRROR_TEST_FATAL_AFTER")) ? atoll(env) : 0;
	f->d.test_stall_file = getenv("KMIRROR_TEST_STALL_FILE");

	if (!(f->policy = km_instance_new(host, &fc->policy, KM_PLUGIN_POLICY, f->name, f->source,
	                                  f->target, errstr, errstr_size)) ||
	    !(f->filter = km_instance_new(host, &fc->topics, KM_PLUGIN_TOPIC_FILTER, f->name,
	                                  f->source, f->target, errstr, errstr_size)) ||
	    !(f->group_filter = km_instance_new(host, &fc->groups, KM_PLUGIN_GROUP_FILTER, f->name,
	                                        f->source, f->target, errstr, errstr_size)) ||
	    !(f->config_filter =
	          km_instance_new(host, &fc->configs, KM_PLUGIN_CONFIG_FILTER, f->name, f->source,
	                          f->target, errstr, errstr_size)))
		goto fail;
	if (failover_init(f, errstr, errstr_size))
		goto fail;
	if (fc->pipeline_cnt &&
	    !(f->pipeline.stages = calloc(fc->pipeline_cnt, sizeof(*f->pipeline.stages))))
		goto oom;
	for (size_t i = 0; i < fc->pipeline_cnt; i++) {
		if (!(f->pipeline.stages[i] =
		          km_instance_new(host, &fc->pipeline[i], KM_PLUGIN_STAGE, f->name,
		                          f->source, f->target, errstr, errstr_size)))
			goto fail;
		f->pipeline.stages[i]->ctx.owner = f;
		f->pipeline.stages[i]->ctx.target_partitions = stage_target_partitions;
		f->pipeline.cnt++;
	}
	if (!(f->instances = calloc(4 + f->pipeline.cnt, sizeof(*f->instances))))
		goto oom;
	f->instances[f->instance_cnt++] = f->policy;
	f->instances[f->instance_cnt++] = f->filter;
	f->instances[f->instance_cnt++] = f->group_filter;
	f->instances[f->instance_cnt++] = f->config_filter;
	for (size_t i = 0; i < f->pipeline.cnt; i++)
		f->instances[f->instance_cnt++] = f->pipeline.stages[i];
	return f;
oom:
	snprintf(errstr, errstr_size, "out of memory");
fail:
	km_flow_destroy(f);
	return NULL;
}

void km_cmd_free(km_cmd_t *c) {
	/* a job still here was never answered: its asker gave up on it */
	km_xjob_free(c->job);
	free(c->topic);
	free(c->target);
	free(c->starts);
	free(c);
}

void km_req_free(km_req_t *r) {
	free(r->topic);
	free(r);
}

static void free_reqs(km_req_t *r) {
	for (km_req_t *next; r; r = next) {
		next = r->next;
		km_req_free(r);
	}
}

void km_flow_destroy(km_flow_t *f) {
	if (!f)
		return;
	km_flow_join(f); /* what a start made, if it failed half-way */
	km_instance_destroy(f->policy);
	km_instance_destroy(f->filter);
	km_instance_destroy(f->group_filter);
	km_instance_destroy(f->config_filter);
	for (size_t i = 0; i < f->pipeline.cnt; i++)
		km_instance_destroy(f->pipeline.stages[i]);
	free(f->pipeline.stages);
	free(f->instances);
	while (f->cmds) {
		km_cmd_t *c = f->cmds;
		f->cmds = c->next;
		km_cmd_free(c);
	}
	free_reqs(f->reqs);
	free(f->pub_states);
	km_data_status_free(&f->pub_data);
	km_tmeta_release(f->pub_tmeta);
	free(f->name);
	free(f->dlq_topic);
	free(f->prov_name);
	free(f->osync_topic);
	free(f->ckpt_topic);
	free(f->source);
	free(f->target);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	free(f);
}

/* ---- the queues between the threads ------------------------------------ */

void km_flow_send_cmd(km_flow_t *f, km_cmd_t *c) {
	pthread_mutex_lock(&f->lock);
	*f->cmds_tail = c;
	f->cmds_tail = &c->next;
	atomic_store(&f->cmds_pending, 1);
	pthread_mutex_unlock(&f->lock);
}

void km_flow_send_req(km_flow_t *f, km_req_t *r) {
	pthread_mutex_lock(&f->lock);
	*f->reqs_tail = r;
	f->reqs_tail = &r->next;
	pthread_cond_broadcast(&f->cond); /* the control thread waits on it */
	pthread_mutex_unlock(&f->lock);
}

/* ---- the published status ---------------------------------------------- */

void km_flow_publish_data(km_flow_t *f) {
	km_data_status_t tmp;

	pthread_mutex_lock(&f->lock);
	tmp = f->pub_data;
	f->pub_data = f->d.st;
	f->d.st = tmp; /* the old snapshot's memory is reused for the next */
	pthread_mutex_unlock(&f->lock);
}

void km_flow_publish_ctl(km_flow_t *f) {
	pthread_mutex_lock(&f->lock);
	f->pub_ctl = f->c.st;
	pthread_mutex_unlock(&f->lock);
}

void km_flow_publish_tmeta(km_flow_t *f) {
	km_tmeta_t *tm, *old;

	if (f->c.cat.dst_version == f->c.tmeta_version || !(tm = km_tmeta_build(&f->c.cat)))
		return;
	f->c.tmeta_version = f->c.cat.dst_version;
	pthread_mutex_lock(&f->lock);
	old = f->pub_tmeta;
	f->pub_tmeta = tm;
	atomic_fetch_add(&f->tmeta_gen, 1);
	pthread_mutex_unlock(&f->lock);
	km_tmeta_release(old);
}

void km_flow_publish_prov(km_flow_t *f) {
	pthread_mutex_lock(&f->lock);
	memcpy(f->pub_prov, f->c.prov_ids, sizeof(f->pub_prov));
	atomic_fetch_add(&f->prov_gen, 1);
	pthread_mutex_unlock(&f->lock);
}

void km_flow_take_prov(km_flow_t *f) {
	km_data_t *d = &f->d;

	if (atomic_load(&f->prov_gen) == d->prov.gen)
		return;
	pthread_mutex_lock(&f->lock);
	memcpy(d->prov.src, f->pub_prov[0], sizeof(d->prov.src));
	memcpy(d->prov.dst, f->pub_prov[1], sizeof(d->prov.dst));
	d->prov.gen = atomic_load(&f->prov_gen);
	pthread_mutex_unlock(&f->lock);
	d->prov.src_len = strlen(d->prov.src);
	d->prov.dst_len = strlen(d->prov.dst);
	d->prov.known = d->prov.src_len && d->prov.dst_len;
}

void km_flow_take_tmeta(km_flow_t *f) {
	uint64_t gen = atomic_load(&f->tmeta_gen);
	km_tmeta_t *old = f->d.tmeta;

	if (gen == f->d.tmeta_gen)
		return;
	pthread_mutex_lock(&f->lock);
	f->d.tmeta = f->pub_tmeta;
	if (f->d.tmeta)
		atomic_fetch_add(&f->d.tmeta->refs, 1);
	f->d.tmeta_gen = atomic_load(&f->tmeta_gen);
	pthread_mutex_unlock(&f->lock);
	km_tmeta_release(old);
}

/* The host call target_partitions for the flow's stages. @locality data thread */
static int32_t stage_target_partitions(void *owner, const char *topic) {
	km_flow_t *f = owner;

	return km_tmeta_partitions(f->d.tmeta, topic);
}

/* The flow's state as an operator reads it. */
static const char *flow_state(const km_flow_t *f) {
	const char *d = f->pub_data.state, *c = f->pub_ctl.state;

	if (d && !strcmp(d, "failed"))
		return "failed";
	if (c && !strcmp(c, "failed"))
		return "failed";
	if (d && (!strcmp(d, "draining") || !strcmp(d, "stopped")))
		return d;
	if (c && strcmp(c, "running"))
		return c; /* loading progress */
	return d ? d : "new";
}

void km_flow_status_with(km_flow_t *f, km_flow_status_fn *fn, void *arg) {
	km_flow_status_t s;

	pthread_mutex_lock(&f->lock);
	s = (km_flow_status_t){
	    .name = f->name,
	    .source = f->source,
	    .target = f->target,
	    .state = flow_state(f),
	    .data = f->pub_data,
	    .ctl = f->pub_ctl,
	    .instances = f->instances,
	    .instance_cnt = f->instance_cnt,
	    .states = f->pub_states,
	    .state_cnt = f->pub_state_cnt,
	};
	fn(&s, arg);
	pthread_mutex_unlock(&f->lock);
}

static void render_json(const km_flow_status_t *s, void *fp) {
	km_status_json(s, fp);
}

void km_flow_status_json(km_flow_t *f, FILE *fp) {
	km_flow_status_with(f, render_json, fp);
}

static void render_line(const km_flow_status_t *s, void *arg) {
	const char *err =
	    s->ctl.last_error_ms > s->data.last_error_ms ? s->ctl.last_error : s->data.last_error;

	(void)arg;
	km_info("flow %s: %s; %d topic(s), partitions %d active %d stopped %d gone; %" PRIu64
	        " records copied, lag %" PRId64 ", %" PRIu64 " in flight, %" PRIu64
	        " skipped, %" PRIu64 " lost at the source%s%s",
	        s->name, s->state, s->data.topics, s->data.parts_by_state[KM_PART_ACTIVE],
	        s->data.parts_by_state[KM_PART_STOPPED], s->data.parts_by_state[KM_PART_GONE],
	        s->data.records, s->data.lag, s->data.inflight, s->data.skipped, s->data.lost,
	        err[0] ? "; last error: " : "", err);
}

void km_flow_status_log(km_flow_t *f) {
	km_flow_status_with(f, render_line, NULL);
}

/* ---- start and stop ---------------------------------------------------- */

static void release_msg(void *msg) {
	rd_kafka_message_destroy(msg);
}

km_err_t km_flow_start(km_flow_t *f, char *errstr, size_t errstr_size) {
	km_data_t *d = &f->d;
	size_t part_cap;
	km_err_t err;

	if (!(f->c.progress = km_progress_map_new()) ||
	    !(d->hviews = calloc(f->batch_records, sizeof(*d->hviews))) ||
	    /* the second half: a batch regrouped by partition (copy.c) */
	    !(d->work = calloc(2 * f->batch_records, sizeof(*d->work))) ||
	    (f->pipeline.cnt && !(d->tick_due = calloc(f->pipeline.cnt, sizeof(*d->tick_due)))) ||
	    km_batchbuf_init(&d->bb, f->batch_records, f->batch_records * 16,
	                     f->max_inflight_bytes) != KM_OK) {
		snprintf(errstr, errstr_size, "flow %s: out of memory", f->name);
		return KM_ERR_NOMEM;
	}
	if (pipe2(d->cl.wake, O_NONBLOCK | O_CLOEXEC)) {
		snprintf(errstr, errstr_size, "flow %s: pipe: %s", f->name, strerror(errno));
		d->cl.wake[0] = d->cl.wake[1] = -1;
		return KM_ERR_IO;
	}
	if ((err = km_clients_open(f, errstr, errstr_size)) != KM_OK)
		return err;
	/* without one.batch.per.partition, no window: nothing is deferred */
	part_cap = km_params_bool(f->fc->params, "one.batch.per.partition")
	               ? km_producer_batch_size(d->cl.producers[0]) * 15 / 16 /* and the header */
	               : SIZE_MAX;
	if (km_inflight_init(&d->ifl, f->max_inflight, f->max_inflight_bytes, part_cap,
	                     release_msg) != KM_OK) {
		snprintf(errstr, errstr_size, "flow %s: out of memory", f->name);
		return KM_ERR_NOMEM;
	}
	f->drain_ms = 30000;
	d->state = "starting";
	f->c.state = "starting";
	if (pthread_create(&f->data_thr, NULL, km_data_main, f)) {
		snprintf(errstr, errstr_size, "flow %s: cannot start a thread", f->name);
		return KM_ERR_NOMEM; /* EAGAIN: no resources for another */
	}
	if (pthread_create(&f->control_thr, NULL, km_control_main, f)) {
		atomic_store(&f->stop, 1);
		pthread_join(f->data_thr, NULL);
		snprintf(errstr, errstr_size, "flow %s: cannot start a thread", f->name);
		return KM_ERR_NOMEM;
	}
	f->started = 1;
	km_info("flow %s: started (%s -> %s, %d producer connection%s)", f->name, f->source,
	        f->target, f->nprod, f->nprod == 1 ? "" : "s");
	return KM_OK;
}

void km_flow_stop(km_flow_t *f, int drain_ms) {
	pthread_mutex_lock(&f->lock);
	f->drain_ms = drain_ms;
	atomic_store(&f->stop, 1);
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

_Atomic int64_t km_flow_stall_ms;

int km_flow_hung(km_flow_t *f, int64_t now_ms, char *why, size_t why_size) {
	static const char *const names[] = {"data", "control"};
	int64_t due[2] = {atomic_load(&f->data_due_ms), atomic_load(&f->ctl_due_ms)};

	if (!f->started || !atomic_load(&km_flow_stall_ms))
		return 0;
	for (int i = 0; i < 2; i++)
		if (due[i] && now_ms > due[i]) {
			snprintf(why, why_size,
			         "flow %s: the %s thread is %" PRId64
			         " ms late coming round its loop: it hangs",
			         f->name, names[i], now_ms - due[i]);
			return 1;
		}
	return 0;
}

int km_flow_stopped(km_flow_t *f) {
	int done;

	pthread_mutex_lock(&f->lock);
	done = !f->started || (f->pub_data.state && (!strcmp(f->pub_data.state, "stopped") ||
	                                             !strcmp(f->pub_data.state, "failed")));
	pthread_mutex_unlock(&f->lock);
	return done;
}

static void free_topics(km_flow_t *f) {
	km_data_t *d = &f->d;

	for (km_stopic_t *st = d->topics, *next; st; st = next) {
		next = st->next;
		for (int32_t i = 0; i < st->cnt; i++) {
			km_copy_drop_held(f, st->parts[i]);
			free(st->parts[i]->xl);
			free(st->parts[i]);
		}
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
	d->topics = NULL;
}

km_err_t km_flow_join(km_flow_t *f) {
	km_data_t *d = &f->d;
	int ok = 1;

	if (f->started) {
		pthread_join(f->control_thr, NULL);
		pthread_join(f->data_thr, NULL);
		ok = atomic_load(&f->clean_exit);
		f->started = 0;
	}
	km_copy_drop_dead_letters(f);
	free(d->dlq_todo);
	d->dlq_todo = NULL;
	d->dlq_todo_cap = 0;
	free_topics(f);
	km_copy_drop_reroutes(f);
	free(d->hviews);
	d->hviews = NULL;
	km_inflight_free(&d->ifl); /* before the consumer: it holds its messages */
	km_clients_close(f);
	for (int i = 0; i < 2; i++)
		if (d->cl.wake[i] >= 0)
			close(d->cl.wake[i]);
	d->cl.wake[0] = d->cl.wake[1] = -1;
	free(d->dirty);
	free(d->heldq);
	free(d->work);
	free(d->tick_due);
	d->dirty = d->heldq = NULL;
	d->work = NULL;
	d->tick_due = NULL;
	d->dirty_cnt = d->heldq_cnt = d->lists_cap = 0;
	km_batchbuf_free(&d->bb);
	km_data_status_free(&d->st);
	km_catalog_free(&f->c.cat);
	km_tmeta_release(d->tmeta);
	d->tmeta = NULL;
	d->tmeta_gen = 0;
	km_progress_map_destroy(f->c.progress);
	f->c.progress = NULL;
	free_reqs(f->c.resets);
	free_reqs(f->c.routes);
	f->c.resets = f->c.routes = NULL;
	return ok ? KM_OK : KM_ERR_TIMEOUT;
}
