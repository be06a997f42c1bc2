/* Mirror-topic states (mstate.h, docs/failover.md): the commands readers
 * ask for (flow_cmd.c), and control task "states", which carries promote
 * and failover through their steps.
 *
 * A state is stored on the target (in the progress topic, through the
 * control thread's producer) before it takes effect, so that a restart
 * or another instance never copies into a topic an operator stopped.
 * Failover is the exception that is stopped first: its command pauses the
 * data thread at once (flow_cmd.c), whatever the control thread is doing.
 *
 *   promote   0 take the source's end offsets
 *             1 wait until every partition's progress reached them
 *             2 stop copying; wait until nothing of it is in flight
 *             3 last config sync, checkpoints and group offset sync;
 *               WRITE ACLs if asked; store STOPPED
 *   failover  0 stop copying (again)
 *             1 wait until nothing of it is in flight (30 s at most)
 *             2 group offsets synced from the last checkpoints, then
 *               clamped to the mirror topic's end; WRITE ACLs if asked;
 *               store STOPPED
 * @locality control thread */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acls.h"
#include "flow_int.h"
#include "kafka.h"
#include "log.h"
#include "topic_admin.h"

#define KM_STATE_STORE_MS    15000 /* the wait for a state record's delivery */
#define KM_FAILOVER_DRAIN_MS 30000 /* records in flight at failover: the longest wait */

static void failover_run(km_flow_t *f, km_mstate_ent_t *e);

/* Stores @p e's state on the target; KM_OK once the target acknowledged
 * it, else the error with @p errstr. */
static km_err_t store(km_flow_t *f, const km_mstate_ent_t *e, char *errstr, size_t errstr_size) {
	km_ctl_sent_t *s = &f->c.states_sent;
	uint64_t delivered = s->delivered, failed = s->failed;
	char key[512], val[128];
	int kl = km_mstate_key(key, sizeof(key), f->name, e->topic),
	    vl = km_mstate_value(val, sizeof(val), e->state, e->since_ms, e->by);
	int64_t until = km_mono_ms() + KM_STATE_STORE_MS;
	rd_kafka_resp_err_t err;

	if (!f->c.dst_producer) {
		snprintf(errstr, errstr_size, "no producer for %s (the log says why)", f->target);
		return KM_ERR_STATE;
	}
	if (kl < 0 || vl < 0) {
		snprintf(errstr, errstr_size, "the topic's name is too long for a state record");
		return KM_ERR_INVALID;
	}
	if (!s->what[0]) {
		snprintf(s->what, sizeof(s->what), "mirror-topic state to %s on %s",
		         KM_PROGRESS_TOPIC, f->target);
		s->log = (km_ratelimit_t)KM_RATELIMIT_INIT(60000, 3);
	}
	err = rd_kafka_producev(f->c.dst_producer, RD_KAFKA_V_TOPIC(KM_PROGRESS_TOPIC),
	                        RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(key, (size_t)kl),
	                        RD_KAFKA_V_VALUE(val, (size_t)vl), RD_KAFKA_V_OPAQUE(s),
	                        RD_KAFKA_V_END);
	if (err) {
		snprintf(errstr, errstr_size, "%s", rd_kafka_err2str(err));
		return km_kafka_err2km(err);
	}
	while (s->delivered == delivered && s->failed == failed && km_mono_ms() < until)
		rd_kafka_poll(f->c.dst_producer, 100);
	if (s->delivered > delivered)
		return KM_OK;
	if (s->failed > failed) {
		snprintf(errstr, errstr_size, "%s", rd_kafka_err2str(s->last_err));
		return km_kafka_err2km(s->last_err);
	}
	snprintf(errstr, errstr_size, "no acknowledgement from %s within %d s", f->target,
	         KM_STATE_STORE_MS / 1000);
	return KM_ERR_TIMEOUT;
}

/* Tells the data thread to stop copying @p topic, or to copy it again. */
static void data_pause(km_flow_t *f, const char *topic, int pause) {
	km_cmd_t *c = calloc(1, sizeof(*c));

	if (!c || !(c->topic = strdup(topic)))
		abort();
	c->type = pause ? KM_CMD_PAUSE : KM_CMD_RESUME;
	km_flow_send_cmd(f, c);
}

/* The topic copies again: its partitions resume where they stopped, or
 * are handed to the data thread when it never had them. */
static void copy_again(km_flow_t *f, const char *topic) {
	km_ctopic_t *ct = km_catalog_topic(&f->c.cat, topic);

	if (ct && ct->assigned)
		data_pause(f, topic, 0);
	else if (ct && ct->selected)
		km_ctl_assign_ready(f, ct);
}

/* Sets the state, then stores it; on failure the old one is back and
 * @p errstr says why. */
static km_err_t change(km_flow_t *f, km_mstate_ent_t *e, km_mstate_t to, km_mcmd_t by, char *errstr,
                       size_t errstr_size) {
	km_mstate_ent_t old = *e;
	km_err_t err;

	km_mstate_set(e, to, by, km_wall_ms());
	e->persisted = 0;
	if ((err = store(f, e, errstr, errstr_size)) == KM_OK) {
		e->persisted = 1;
		km_notice("flow %s: mirror topic %s (from %s): %s -> %s (%s)", f->name,
		          e->target ? e->target : "?", e->topic, km_mstate_names[old.state],
		          km_mstate_names[to], km_mcmd_names[by]);
		return KM_OK;
	}
	*e = old; /* the same strings and arrays: km_mstate_set frees none */
	return err;
}

/* The topic @p topic names for a command, with its entry; NULL with @p ta
 * filled when the flow does not copy it. */
static km_mstate_ent_t *resolve(km_flow_t *f, const char *topic, km_topic_answer_t *ta) {
	km_ctopic_t *ct = km_catalog_topic(&f->c.cat, topic);
	km_mstate_ent_t *e = km_mstate_get(&f->c.states, topic);
	char target[KM_TOPIC_MAX];
	const km_instance_t *pol = f->policy;

	snprintf(ta->topic, sizeof(ta->topic), "%s", topic);
	/* a topic not listed yet counts only while the source was never
	 * listed (unreachable since the start): failover must work then */
	if (!e && !(ct && ct->selected) && (f->c.cat.round || !km_ctl_selected(f, topic))) {
		ta->status = 404;
		snprintf(ta->msg, sizeof(ta->msg),
		         "flow %s copies no topic '%s' (GET /v1/flows/%s/topics lists them; "
		         "a topic is named as on the source)",
		         f->name, topic, f->name);
		return NULL;
	}
	if (!e && !(e = km_mstate_add(&f->c.states, topic)))
		abort();
	if (!e->target) {
		if (ct && ct->target)
			e->target = strdup(ct->target);
		else if (pol->plugin->policy->format_remote_topic(pol->data, f->source, topic,
		                                                  target, sizeof(target)) == KM_OK)
			e->target = strdup(target);
	}
	snprintf(ta->target, sizeof(ta->target), "%s", e->target ? e->target : "");
	return e;
}

static void run_one(km_flow_t *f, const km_sreq_t *rq, km_mstate_ent_t *e, km_topic_answer_t *ta) {
	km_mstate_t cur = e->state, next;
	char why[512];

	ta->from = ta->to = km_mstate_names[cur];
	if (km_mstate_next(cur, rq->cmd, rq->force, &next, ta->msg, sizeof(ta->msg)) != KM_OK) {
		ta->status = 409;
		return;
	}
	ta->to = km_mstate_names[next];
	if (next == cur) {
		ta->status = 200;
		snprintf(ta->msg, sizeof(ta->msg), "%s is %s already", e->topic,
		         km_mstate_names[cur]);
		if (rq->grant_write && (cur == KM_MS_PROMOTING || cur == KM_MS_FAILING_OVER))
			e->grant_write = 1;
		return;
	}
	if (change(f, e, next, rq->cmd, why, sizeof(why)) != KM_OK) {
		if (next != KM_MS_FAILING_OVER) {
			ta->status = 503;
			ta->to = ta->from;
			snprintf(ta->msg, sizeof(ta->msg),
			         "the state could not be stored on %.64s: %.300s; nothing changed",
			         f->target, why);
			return;
		}
		/* failover goes on (the copy stopped already); stored later */
		km_mstate_set(e, next, rq->cmd, km_wall_ms());
		e->persisted = 0;
		km_warn("flow %s: failing over %s: its state is not stored on %s yet: %s "
		        "(tried again)",
		        f->name, e->topic, f->target, why);
	}
	e->grant_write = rq->grant_write;
	switch (next) {
	case KM_MS_PAUSED:
	case KM_MS_FAILING_OVER:
		data_pause(f, e->topic, 1);
		break;
	case KM_MS_ACTIVE:
	case KM_MS_PROMOTING:
		copy_again(f, e->topic);
		break;
	default:
		break;
	}
	if (next == KM_MS_FAILING_OVER) /* at once: the source may be gone */
		failover_run(f, e);
	ta->to = km_mstate_names[e->state];
	if (e->state == KM_MS_PROMOTING || e->state == KM_MS_FAILING_OVER) {
		ta->status = 202;
		km_tasks_kick(&f->c.tasks, "states");
	} else {
		ta->status = 200;
	}
	snprintf(ta->msg, sizeof(ta->msg), "%s: %s -> %s%s", e->topic, km_mstate_names[cur],
	         km_mstate_names[e->state],
	         e->state == KM_MS_PROMOTING      ? " (STOPPED once caught up)"
	         : e->state == KM_MS_FAILING_OVER ? " (STOPPED once stored on the target)"
	         : e->detail[0]                   ? "; "
	                                          : "");
	if (e->state == KM_MS_STOPPED && e->detail[0])
		snprintf(ta->msg + strlen(ta->msg), sizeof(ta->msg) - strlen(ta->msg), "%s",
		         e->detail);
}

static km_topic_answer_t *answer_add(km_cmd_answer_t *a) {
	if (a->cnt == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		km_topic_answer_t *t = realloc(a->topics, cap * sizeof(*t));
		if (!t)
			abort();
		a->topics = t;
		a->cap = cap;
	}
	memset(&a->topics[a->cnt], 0, sizeof(a->topics[0]));
	return &a->topics[a->cnt++];
}

static void run_request(km_flow_t *f, km_sreq_t *rq) {
	km_cmd_answer_t *a = &rq->ans;
	km_topic_answer_t *ta;
	km_mstate_ent_t *e;
	size_t bad = 0, started = 0;
	int worst = 200;

	if (rq->topic) {
		ta = answer_add(a);
		if ((e = resolve(f, rq->topic, ta)))
			run_one(f, rq, e, ta);
		a->status = ta->status;
		snprintf(a->msg, sizeof(a->msg), "%s", ta->msg);
		return;
	}
	for (km_ctopic_t *ct = f->c.cat.all; ct; ct = ct->next)
		if (ct->selected && !ct->gone && (e = resolve(f, ct->name, ta = answer_add(a))))
			run_one(f, rq, e, ta);
	for (size_t i = 0; i < f->c.states.cnt; i++) { /* stored, not listed (yet) */
		km_ctopic_t *ct = km_catalog_topic(&f->c.cat, f->c.states.ents[i]->topic);
		if (!(ct && ct->selected && !ct->gone) &&
		    (f->c.states.ents[i]->state != KM_MS_ACTIVE || !f->c.cat.round) &&
		    (e = resolve(f, f->c.states.ents[i]->topic, ta = answer_add(a))))
			run_one(f, rq, e, ta);
	}
	for (size_t i = 0; i < a->cnt; i++) {
		if (a->topics[i].status >= 400) {
			bad++;
			if (a->topics[i].status > worst)
				worst = a->topics[i].status;
		}
		started += a->topics[i].status == 202;
	}
	if (!a->cnt) {
		a->status = 404;
		snprintf(a->msg, sizeof(a->msg), "flow %s copies no topics (yet)", f->name);
	} else if (bad) {
		a->status = worst;
		snprintf(a->msg, sizeof(a->msg), "%zu of %zu topics refused %s (see each topic)",
		         bad, a->cnt, km_mcmd_names[rq->cmd]);
	} else {
		a->status = started ? 202 : 200;
		snprintf(a->msg, sizeof(a->msg), "%s: %zu topic%s", km_mcmd_names[rq->cmd], a->cnt,
		         a->cnt == 1 ? "" : "s");
	}
}

void km_ctl_take_commands(km_flow_t *f) {
	km_sreq_t *rq, *next;

	pthread_mutex_lock(&f->lock);
	rq = f->sreqs;
	f->sreqs = NULL;
	f->sreqs_tail = &f->sreqs;
	pthread_mutex_unlock(&f->lock);
	for (; rq; rq = next) {
		int current = f->c.tasks.current;
		next = rq->next;
		/* an error a command meets (a group sync of failover, say) is the
		 * states task's: it ends with that task's next good runs */
		for (size_t i = 0; i < f->c.tasks.cnt; i++)
			if (!strcmp(f->c.tasks.t[i].name, "states"))
				f->c.tasks.current = (int)i;
		run_request(f, rq);
		f->c.tasks.current = current;
		km_ctl_states_publish(f);
		pthread_mutex_lock(&f->lock);
		if (rq->state == KM_SREQ_ABANDONED) {
			free(rq->ans.topics);
			free(rq->topic);
			free(rq);
		} else {
			rq->state = KM_SREQ_ANSWERED;
		}
		pthread_cond_broadcast(&f->cond);
		pthread_mutex_unlock(&f->lock);
	}
}

void km_ctl_states_end(km_flow_t *f) {
	km_sreq_t *rq, *next;

	pthread_mutex_lock(&f->lock);
	f->ctl_running = 0;
	rq = f->sreqs;
	f->sreqs = NULL;
	f->sreqs_tail = &f->sreqs;
	for (; rq; rq = next) {
		next = rq->next;
		if (rq->state == KM_SREQ_ABANDONED) {
			free(rq->topic);
			free(rq);
			continue;
		}
		rq->ans.status = 503;
		snprintf(rq->ans.msg, sizeof(rq->ans.msg), "the flow is stopping: nothing changed");
		rq->state = KM_SREQ_ANSWERED;
	}
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	km_mstate_map_free(&f->c.states);
	free(f->c.state_views);
	f->c.state_views = NULL;
	f->c.state_view_cnt = f->c.state_view_cap = 0;
}

/* From the data thread's last snapshot: how many of @p topic's partitions
 * [0, @p cnt) it copies, each one's next offset, and whether any is still
 * copying (not paused) or has records in flight. */
static int32_t data_view(km_flow_t *f, const char *topic, int32_t cnt, int64_t *next, int *busy) {
	const km_data_status_t *d = &f->pub_data;
	int32_t found = 0;

	*busy = 0;
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < d->part_cnt; i++) {
		const km_part_status_t *p = &d->parts[i];
		if (p->partition >= cnt || !d->strs || strcmp(d->strs + p->topic, topic))
			continue;
		if (next)
			next[p->partition] = p->next;
		*busy |= p->busy || p->state == KM_PART_ACTIVE;
		found++;
	}
	pthread_mutex_unlock(&f->lock);
	return found;
}

/* WRITE on the mirror topic for the source's writers, when asked
 * (--grant-write): the source's ALLOW WRITE (and ALL) bindings of the
 * topic, copied as WRITE (acls.h). What it did goes to the log and to
 * @p note. It never holds the topic back from STOPPED: a source that is
 * gone cannot be asked, and the log says how to grant by hand. */
static void grant(km_flow_t *f, km_mstate_ent_t *e, char *note, size_t note_size) {
	char why[512];
	size_t granted = 0;
	km_err_t err;

	note[0] = '\0';
	if (!e->grant_write || !e->target)
		return;
	err = km_acls_grant_write(f->c.src_admin, f->c.dst_admin, e->topic, e->target,
	                          KM_STATE_STORE_MS, &granted, why, sizeof(why));
	if (err == KM_OK) {
		snprintf(note, note_size, "--grant-write: %zu WRITE binding%s granted on %s",
		         granted, granted == 1 ? "" : "s", f->target);
		km_notice("flow %s: %s: %s", f->name, e->topic, note);
	} else {
		snprintf(note, note_size, "--grant-write: %.120s", why);
		km_warn("flow %s: %s: WRITE not granted on %s: %s", f->name, e->topic, e->target,
		        why);
	}
}

/* The last step of both: STOPPED, stored. */
static void finish(km_flow_t *f, km_mstate_ent_t *e, const char *what) {
	char why[512], note[160];
	km_mcmd_t by = e->by;

	grant(f, e, note, sizeof(note));
	if (change(f, e, KM_MS_STOPPED, by, why, sizeof(why)) != KM_OK) {
		snprintf(e->detail, sizeof(e->detail),
		         "storing STOPPED on %.32s: %.80s (tried again)", f->target, why);
		return;
	}
	snprintf(e->detail, sizeof(e->detail), "%s", note); /* shown with STOPPED */
	km_notice("flow %s: %s %s: %s on %s is an ordinary topic now (STOPPED); kmirror does "
	          "not write it again unless resumed with --force",
	          f->name, what, e->topic, e->target ? e->target : "?", f->target);
}

static void promote_step(km_flow_t *f, km_mstate_ent_t *e, int64_t now) {
	km_ctopic_t *ct = km_catalog_topic(&f->c.cat, e->topic);
	int32_t cnt = ct && ct->selected ? ct->src_cnt : 0;
	int64_t *next, left = 0;
	int busy;

	if (!cnt) {
		snprintf(e->detail, sizeof(e->detail), "waiting for the source topic to be listed");
		return;
	}
	if (e->step == 0) { /* the source's end, now */
		free(e->ends);
		free(e->los);
		if (!(e->ends = calloc((size_t)cnt, sizeof(*e->ends))) ||
		    !(e->los = calloc((size_t)cnt, sizeof(*e->los))))
			abort();
		for (int32_t i = 0; i < cnt; i++) {
			rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
			    f->c.src_admin, e->topic, i, &e->los[i], &e->ends[i], 10000);
			if (err) {
				snprintf(
				    e->detail, sizeof(e->detail),
				    "waiting for the source's end offsets: %s [%d]: %s (failover "
				    "does not need the source)",
				    e->topic, i, rd_kafka_err2str(err));
				return;
			}
		}
		e->end_cnt = cnt;
		e->step = 1;
	}
	if (e->step == 1) { /* caught up? */
		if (!(next = calloc((size_t)e->end_cnt, sizeof(*next))))
			abort();
		for (int32_t i = 0; i < e->end_cnt; i++)
			next[i] = -2; /* not copied yet */
		data_view(f, e->topic, e->end_cnt, next, &busy);
		for (int32_t i = 0; i < e->end_cnt; i++)
			if (e->ends[i] > e->los[i] && next[i] < e->ends[i])
				left += next[i] < e->los[i] ? e->ends[i] - e->los[i]
				                            : e->ends[i] - next[i];
		free(next);
		if (left) {
			snprintf(e->detail, sizeof(e->detail),
			         "catching up with the source's end: %" PRId64 " record%s to go",
			         left, left == 1 ? "" : "s");
			return;
		}
		data_pause(f, e->topic, 1);
		e->step = 2;
		e->step_ms = now;
		snprintf(e->detail, sizeof(e->detail), "caught up; stopping the copy");
		return; /* the data thread takes it in its next round */
	}
	if (e->step == 2) {
		if (data_view(f, e->topic, e->end_cnt, NULL, &busy) && busy) {
			snprintf(e->detail, sizeof(e->detail), "waiting for records in flight");
			return;
		}
		/* the last sync of configs, checkpoints and group offsets */
		snprintf(e->detail, sizeof(e->detail), "last config and group offset sync");
		km_ctl_states_publish(f);
		if (f->sync_configs)
			km_task_configs(f, now);
		if (f->ckpt_on)
			km_task_checkpoints(f, now);
		if (f->group_sync_on)
			km_task_groups(f, now);
		e->step = 3;
	}
	finish(f, e, "promoted");
}

/* Failover, whole: the copy stops (again), what is in flight lands (30 s
 * at most), group offsets synced from the last checkpoints (the target
 * alone) are clamped to the mirror topic's end, then STOPPED. Run at once
 * by the command, again by the task when a step could not be done. */
static void failover_run(km_flow_t *f, km_mstate_ent_t *e) {
	km_ctopic_t *ct = km_catalog_topic(&f->c.cat, e->topic);
	int32_t dst = ct && ct->selected ? ct->dst_cnt : -1;
	size_t clamped = 0;
	int busy;

	if (e->step == 0) {
		data_pause(f, e->topic, 1);
		e->step = 1;
		e->step_ms = km_mono_ms();
	}
	if (e->step == 1) {
		snprintf(e->detail, sizeof(e->detail), "waiting for records in flight");
		km_ctl_states_publish(f);
		while (data_view(f, e->topic, INT32_MAX, NULL, &busy) && busy &&
		       km_mono_ms() - e->step_ms < KM_FAILOVER_DRAIN_MS && !atomic_load(&f->stop)) {
			struct timespec ts = {0, 100 * 1000000L};
			nanosleep(&ts, NULL); /* the data thread publishes every second */
		}
		if (busy)
			km_warn("flow %s: failover of %s: records still in flight after %d s; "
			        "going on (they may land after STOPPED)",
			        f->name, e->topic, KM_FAILOVER_DRAIN_MS / 1000);
		snprintf(e->detail, sizeof(e->detail), "clamping group offsets");
		km_ctl_states_publish(f);
		if (f->group_sync_on)
			km_task_groups(f,
			               km_mono_ms()); /* the last checkpoints: the target alone */
		if (dst < 0 && e->target)
			dst = km_catalog_dst(&f->c.cat, e->target);
		if (dst < 0 && e->target)
			dst = km_target_topic_partitions(f, e->target);
		if (dst > 0)
			km_groups_clamp(f, e->target, dst, &clamped);
		if (clamped)
			km_notice(
			    "flow %s: failover of %s: %zu group offset(s) clamped to the end of "
			    "%s",
			    f->name, e->topic, clamped, e->target);
		e->step = 2;
	}
	finish(f, e, "failed over");
}

km_err_t km_task_states(void *arg, int64_t now) {
	km_flow_t *f = arg;
	char why[512];

	for (size_t i = 0; i < f->c.states.cnt && !atomic_load(&f->stop); i++) {
		km_mstate_ent_t *e = f->c.states.ents[i];
		if (!e->persisted && store(f, e, why, sizeof(why)) == KM_OK)
			e->persisted = 1;
		if (e->state == KM_MS_PROMOTING)
			promote_step(f, e, now);
		else if (e->state == KM_MS_FAILING_OVER)
			failover_run(f, e);
	}
	km_ctl_states_publish(f);
	return KM_OK;
}

void km_ctl_states_publish(km_flow_t *f) {
	km_ctl_t *c = &f->c;
	km_mstate_view_t *tmp;
	size_t n = 0, cap;

	for (size_t i = 0; i < c->states.cnt; i++) {
		km_mstate_ent_t *e = c->states.ents[i];
		km_mstate_view_t *v;
		if (e->state == KM_MS_ACTIVE)
			continue;
		if (!e->target) { /* loaded with the progress, named since */
			km_ctopic_t *ct = km_catalog_topic(&c->cat, e->topic);
			if (ct && ct->target && !(e->target = strdup(ct->target)))
				abort();
		}
		if (n == c->state_view_cap) {
			size_t nc = c->state_view_cap ? c->state_view_cap * 2 : 8;
			if (!(v = realloc(c->state_views, nc * sizeof(*v))))
				abort();
			c->state_views = v;
			c->state_view_cap = nc;
		}
		v = &c->state_views[n++];
		memset(v, 0, sizeof(*v));
		snprintf(v->topic, sizeof(v->topic), "%s", e->topic);
		snprintf(v->target, sizeof(v->target), "%s", e->target ? e->target : "");
		v->state = km_mstate_names[e->state];
		v->by = km_mcmd_names[e->by];
		v->since_ms = e->since_ms;
		v->persisted = e->persisted;
		snprintf(v->detail, sizeof(v->detail), "%s", e->detail);
	}
	c->state_view_cnt = n;
	pthread_mutex_lock(&f->lock);
	tmp = f->pub_states;
	f->pub_states = c->state_views;
	c->state_views = tmp;
	cap = f->pub_state_cap;
	f->pub_state_cap = c->state_view_cap;
	c->state_view_cap = cap;
	f->pub_state_cnt = n;
	pthread_mutex_unlock(&f->lock);
}
