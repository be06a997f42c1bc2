/* The control thread: loads the flow's stored progress, then runs the
 * table of periodic tasks (tasks.h) until the flow stops, waking early
 * for the data thread's requests. Each task is a file of its own
 * (task_*.c); adding one is a line in start_tasks().
 * @locality control thread */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka.h"
#include "log.h"
#include "policy.h"
#include "topic_admin.h"

#define KM_RESET_INTERVAL_MS 1000

void km_ctl_error(km_flow_t *f, const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->c.last_error, sizeof(f->c.last_error), fmt, ap);
	va_end(ap);
	f->c.last_error_ms = km_wall_ms();
	f->c.error_task = f->c.tasks.current;
	f->c.error_runs = f->c.error_task >= 0 ? f->c.tasks.t[f->c.error_task].runs : 0;
}

static void task_totals(const km_tasks_t *ts, uint64_t *runs, uint64_t *fails) {
	*runs = *fails = 0;
	for (size_t i = 0; i < ts->cnt; i++) {
		*runs += ts->t[i].runs;
		*fails += ts->t[i].failures;
	}
}

void km_ctl_admin_error(km_flow_t *f, rd_kafka_t *rk, const char *reason) {
	km_ctl_error(f, "%s: %s", rd_kafka_name(rk), reason);
	f->c.error_task = KM_CTL_ERR_ADMIN;
	task_totals(&f->c.tasks, &f->c.error_runs, &f->c.error_fails);
}

/* The error ends with a later run of the task that set it that succeeded
 * without setting another; an admin client's, with task runs since it and
 * no failure among them. */
static void ctl_error_maybe_ended(km_flow_t *f) {
	km_ctl_t *c = &f->c;
	const km_task_t *t;

	if (!c->last_error[0])
		return;
	if (c->error_task == KM_CTL_ERR_ADMIN) {
		uint64_t runs, fails;
		task_totals(&c->tasks, &runs, &fails);
		if (runs > c->error_runs && fails == c->error_fails) {
			c->last_error[0] = '\0';
			c->last_error_ms = 0;
		}
		return;
	}
	if (c->error_task < 0)
		return;
	t = &c->tasks.t[c->error_task];
	if (t->runs > c->error_runs + 1 && t->last_err == KM_OK) {
		c->last_error[0] = '\0';
		c->last_error_ms = 0;
	}
}

rd_kafka_event_t *km_admin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type) {
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, KM_ADMIN_TIMEOUT_MS + 5000);

	if (ev && rd_kafka_event_type(ev) != type) {
		rd_kafka_event_destroy(ev);
		return NULL;
	}
	return ev;
}

int km_ctl_selected(km_flow_t *f, const char *topic) {
	const km_instance_t *pol = f->policy;

	if (!strcmp(topic, KM_PROGRESS_TOPIC) ||
	    pol->plugin->policy->is_internal_topic(pol->data, topic))
		return 0;
	/* Heartbeats topics (heartbeats, a.heartbeats, ...) whatever the filter
	 * says, as MirrorMaker 2 does with heartbeats.replication.enabled; the
	 * cycle check still applies (b.heartbeats is not copied back to b). */
	if (f->filter->plugin->topic_filter->filter(f->filter->data, topic) != KM_FILTER_ACCEPT &&
	    !(f->heartbeats_replication && km_policy_is_heartbeats_topic(pol, topic)))
		return 0;
	return !km_policy_is_cycle(pol, topic, f->target);
}

static void set_state(km_flow_t *f, const char *state) {
	f->c.state = state;
	f->c.state_since_ms = km_wall_ms();
}

static void publish(km_flow_t *f) {
	km_ctl_t *c = &f->c;

	c->st = (km_ctl_status_t){
	    .state = c->state,
	    .since_ms = c->state_since_ms,
	    .topics_created = c->topics_created,
	    .partitions_created = c->partitions_created,
	    .configs_synced = c->configs_synced,
	    .routed_created = c->routed_created,
	    .last_error_ms = c->last_error_ms,
	};
	for (int i = 0; i < 2; i++) { /* heartbeats */
		const km_ctl_sent_t *hs = &c->hb.side[i].sent;
		c->st.heartbeats += hs->delivered;
		c->st.heartbeat_failures += hs->failed;
		if (hs->last_ts > c->st.last_heartbeat_ms)
			c->st.last_heartbeat_ms = hs->last_ts;
	}
	km_ckpt_status(f, &c->st);
	c->st.groups_synced = c->groups_synced;
	c->st.group_offsets_synced = c->group_offsets_synced;
	c->st.group_sync_failures = c->group_sync_failures;
	c->st.groups_skipped = c->groups_skipped;
	memcpy(c->st.groups_skipped_names, c->groups_skipped_names,
	       sizeof(c->st.groups_skipped_names));
	c->st.acls = c->acls;
	memcpy(c->st.last_error, c->last_error, sizeof(c->st.last_error));
	c->st.task_cnt = km_tasks_status(&c->tasks, c->st.tasks, km_wall_ms);
	km_flow_publish_ctl(f);
}

void km_ctl_take_requests(km_flow_t *f) {
	km_req_t *r, *next;

	pthread_mutex_lock(&f->lock);
	r = f->reqs;
	f->reqs = NULL;
	f->reqs_tail = &f->reqs;
	pthread_mutex_unlock(&f->lock);
	for (; r; r = next) {
		km_req_t **list = r->type == KM_REQ_RESET ? &f->c.resets : &f->c.routes, *o;
		next = r->next;
		km_tasks_kick(&f->c.tasks, r->type == KM_REQ_RESET ? "resets" : "routes");
		/* a topic asked for again: one request, for the highest partition */
		for (o = r->type == KM_REQ_TOPIC ? *list : NULL; o; o = o->next)
			if (!strcmp(o->topic, r->topic))
				break;
		if (o) {
			if (r->partition > o->partition)
				o->partition = r->partition;
			if (r->src_cnt > o->src_cnt)
				o->src_cnt = r->src_cnt;
			km_req_free(r);
			continue;
		}
		r->next = *list;
		*list = r;
	}
}

/* Waits until @p ms passed, the flow is asked to stop, or the data thread
 * sent a request. Returns 1 when stopping. */
static int control_wait(km_flow_t *f, int64_t ms) {
	struct timespec ts;
	int stop;

	if (ms > 3600000)
		ms = 3600000;
	km_flow_beat(&f->ctl_due_ms, km_mono_ms(), ms + KM_CTL_ROUND_MS);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&f->lock);
	while (!(stop = atomic_load(&f->stop)) && !f->reqs && !f->sreqs)
		if (pthread_cond_timedwait(&f->cond, &f->lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&f->lock);
	return stop || atomic_load(&f->stop);
}

/* Loads the flow's stored progress from the target; retries until it
 * works (KM_OK) or the flow stops (KM_ERR_STATE). */
static km_err_t load_progress(km_flow_t *f) {
	char errstr[512];
	int64_t backoff = 500;
	const char *forced[] = {
	    "enable.partition.eof",    "true", "enable.auto.commit", "false", "group.id",
	    "kmirror.progress-reader", NULL};

	for (;;) {
		rd_kafka_t *rk = NULL;
		km_flow_beat(&f->ctl_due_ms, km_mono_ms(), KM_CTL_ROUND_MS);
		int ok = km_progress_topic_ensure(f->c.dst_admin, f->rf, KM_ADMIN_TIMEOUT_MS,
		                                  errstr, sizeof(errstr)) == KM_OK &&
		         (rk = km_client_new(f, RD_KAFKA_CONSUMER, "progress-reader", f->fc->target,
		                             NULL, NULL, forced, errstr, sizeof(errstr))) &&
		         km_progress_load(rk, f->name, f->c.progress, &f->c.states,
		                          KM_ADMIN_TIMEOUT_MS, errstr, sizeof(errstr)) == KM_OK;
		if (rk)
			km_kafka_consumer_destroy(rk);
		if (ok) {
			f->c.last_error[0] = '\0'; /* the load's own error, if any, ended */
			f->c.last_error_ms = 0;
			km_info("flow %s: loaded progress of %zu partition(s) from %s on %s",
			        f->name, km_progress_count(f->c.progress), KM_PROGRESS_TOPIC,
			        f->target);
			for (size_t i = 0; i < f->c.states.cnt; i++) {
				const km_mstate_ent_t *e = f->c.states.ents[i];
				if (e->state != KM_MS_ACTIVE)
					km_notice("flow %s: mirror topic of %s is %s (since %s)",
					          f->name, e->topic, km_mstate_names[e->state],
					          km_mcmd_names[e->by]);
			}
			return KM_OK;
		}
		km_warn("flow %s: %s (retrying in %" PRId64 " ms)", f->name, errstr, backoff);
		km_ctl_error(f, "%s", errstr);
		publish(f);
		if (control_wait(f, backoff))
			return KM_ERR_STATE; /* stopping */
		if (backoff < 30000)
			backoff *= 2;
	}
}

/* The table, in the order a round runs them: discovery first, so that
 * growth and config sync see what it found. */
/* Between two tasks: mirror-topic commands are not held behind a round of
 * tasks that wait on an unreachable source. */
static void between_tasks(void *arg) {
	km_ctl_take_commands(arg);
}

static void start_tasks(km_flow_t *f) {
	km_tasks_t *t = &f->c.tasks;

	t->stop = &f->stop; /* SIGTERM waits for the task running, not the round */
	t->between = between_tasks;
	t->between_arg = f;
	/* first: nothing is copied before the clusters' ids are known */
	km_tasks_add(t, "clusters", km_task_clusters, f, f->prov_on ? f->refresh_ms : 0, 0);
	km_tasks_add(t, "topics", km_task_topics, f, f->refresh_ms, 0);
	km_tasks_add(t, "partitions", km_task_partitions, f, f->refresh_ms, 0);
	km_tasks_add(t, "configs", km_task_configs, f, f->sync_configs ? f->sync_configs_ms : 0, 0);
	km_tasks_add(t, "routes", km_task_routes, f, f->refresh_ms, 0);
	km_tasks_add(t, "resets", km_task_resets, f, KM_RESET_INTERVAL_MS, 0);
	km_tasks_add(t, "heartbeats", km_task_heartbeats, f,
	             f->emit_heartbeats ? f->heartbeats_ms : 0, 0);
	/* it also makes the offset-syncs topic before the data thread writes */
	km_tasks_add(t, "checkpoints", km_task_checkpoints, f,
	             f->ckpt_on    ? f->ckpt_ms
	             : f->osync_on ? 10000
	                           : 0,
	             0);
	km_tasks_add(t, "groups", km_task_groups, f, f->group_sync_on ? f->group_sync_ms : 0, 0);
	/* promote and failover go step by step */
	km_tasks_add(t, "states", km_task_states, f, 1000, 0);
	km_tasks_add(t, "acls", km_task_acls, f, f->sync_acls ? f->sync_acls_ms : 0, 0);
}

void *km_control_main(void *arg) {
	km_flow_t *f = arg;

	km_flow_beat(&f->ctl_due_ms, km_mono_ms(), KM_CTL_ROUND_MS);
	km_tasks_init(&f->c.tasks);
	km_acls_init(f);
	km_ctl_producers_open(f);
	set_state(f, "loading progress");
	publish(f);
	if (load_progress(f) == KM_OK) {
		start_tasks(f);
		set_state(f, "running");
		km_ctl_states_publish(f);
		pthread_mutex_lock(&f->lock);
		f->ctl_running = 1; /* mirror-topic commands are taken */
		pthread_mutex_unlock(&f->lock);
		while (!atomic_load(&f->stop)) {
			km_flow_beat(&f->ctl_due_ms, km_mono_ms(), KM_CTL_ROUND_MS);
			km_ctl_take_requests(f);
			km_ctl_take_commands(f);
			/* the admin clients' own errors (error_cb) */
			rd_kafka_poll(f->c.src_admin, 0);
			rd_kafka_poll(f->c.dst_admin, 0);
			km_tasks_run_due(&f->c.tasks, km_mono_ms());
			ctl_error_maybe_ended(f);
			km_flow_publish_tmeta(f);
			publish(f);
			if (control_wait(f, km_tasks_due(&f->c.tasks, km_mono_ms())))
				break;
		}
	}
	km_flow_beat(&f->ctl_due_ms, km_mono_ms(), KM_CTL_ROUND_MS);
	km_ctl_states_end(f);
	km_ctl_producers_close(f); /* their last delivery reports count */
	set_state(f, "stopped");
	publish(f);
	if (f->c.target_known) {
		km_cfgset_free(f->c.target_known);
		free(f->c.target_known);
		f->c.target_known = NULL;
	}
	km_ckpt_free(f);
	km_groups_free(f);
	km_flow_beat(&f->ctl_due_ms, -1, 0);
	return NULL;
}
