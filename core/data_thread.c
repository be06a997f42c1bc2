/* The data thread's loop: take the control thread's commands, poll and
 * copy, serve acknowledgements, store progress, publish the status; at
 * stop, drain what is in flight. Nothing here waits on the network for
 * longer than one poll: seeks are asynchronous, and what needs a query
 * (the bounds of a source log, a topic the target lacks) is asked of the
 * control thread.
 * @locality data thread */
#include "config.h"

#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flow_int.h"
#include "log.h"

#define KM_PROGRESS_INTERVAL_MS 500
#define KM_STATUS_INTERVAL_MS   1000

/* The data thread's state while provenance headers wait for the clusters'
 * ids (task_clusters.c). */
static const char km_state_no_ids[] = "waiting for cluster ids";

static void set_state(km_flow_t *f, const char *state) {
	f->d.state = state;
	f->d.state_since_ms = km_wall_ms();
}

km_stopic_t *km_data_topic(km_flow_t *f, const char *name) {
	for (km_stopic_t *st = f->d.topics; st; st = st->next)
		if (!strcmp(st->name, name))
			return st;
	return NULL;
}

/* Room on every per-partition list for @p more partitions. */
static void reserve_parts(km_flow_t *f, size_t more) {
	km_data_t *d = &f->d;
	size_t need = d->nparts + more;
	km_part_t **l;

	if (need <= d->lists_cap)
		return;
	if (!(l = realloc(d->dirty, need * sizeof(*l))))
		abort(); /* out of memory while adding partitions */
	d->dirty = l;
	if (!(l = realloc(d->heldq, need * sizeof(*l))))
		abort();
	d->heldq = l;
	if (km_inflight_reserve(&d->ifl, need) != KM_OK)
		abort();
	d->lists_cap = need;
}

static km_stopic_t *new_stopic(km_flow_t *f, km_cmd_t *c) {
	km_data_t *d = &f->d;
	/* The consumer's own topic defaults (auto.offset.reset=error): a fresh
	 * topic conf would silently reset to the log's end. */
	rd_kafka_topic_conf_t *tc = rd_kafka_default_topic_conf_dup(d->cl.consumer);
	km_stopic_t *st;

	if (!(st = calloc(1, sizeof(*st))) || !(st->name = strdup(c->topic)) ||
	    !(st->target = strdup(c->target)))
		abort(); /* out of memory while setting up */
	/* The opaque maps a consumed message to its topic in O(1). */
	rd_kafka_topic_conf_set_opaque(tc, st);
	st->src_rkt = rd_kafka_topic_new(d->cl.consumer, st->name, tc);
	if (!(st->dst_rkt = calloc((size_t)f->nprod, sizeof(*st->dst_rkt))))
		abort();
	for (int i = 0; i < f->nprod; i++) /* while a rebuild waits, it makes them */
		if (d->cl.producers[i])
			st->dst_rkt[i] = rd_kafka_topic_new(d->cl.producers[i], st->target, NULL);
	st->next = d->topics;
	d->topics = st;
	return st;
}

static km_part_t *new_part(km_flow_t *f, km_stopic_t *st, int32_t i) {
	km_part_t *p = calloc(1, sizeof(*p));

	if (!p)
		abort();
	p->st = st;
	p->partition = i;
	p->sent = p->last_src = p->last_dst = p->next_ts = -1;
	p->conn = f->d.next_conn++ % f->nprod;
	p->held_tail = &p->held;
	p->since_ms = km_wall_ms();
	km_ifq_init(&p->q, p);
	km_osync_part_init(f, p);
	return p;
}

static void apply_add(km_flow_t *f, km_cmd_t *c) {
	km_data_t *d = &f->d;
	km_stopic_t *st = km_data_topic(f, c->topic);
	rd_kafka_topic_partition_list_t *l, *again;
	rd_kafka_error_t *error;
	int32_t first;

	if (!st)
		st = new_stopic(f, c);
	first = st->cnt;
	if (c->cnt > st->cnt) {
		km_part_t **parts = realloc(st->parts, (size_t)c->cnt * sizeof(*parts));
		if (!parts)
			abort();
		st->parts = parts;
		reserve_parts(f, (size_t)(c->cnt - st->cnt));
	}
	/* A recreated topic: its partitions (still assigned, paused since the
	 * deletion) start again from where the command says. */
	again = rd_kafka_topic_partition_list_new(c->cnt);
	for (int32_t i = 0; i < st->cnt && i < c->cnt; i++) {
		km_part_t *p = st->parts[i];
		if (p->state != KM_PART_GONE)
			continue;
		p->state = KM_PART_ACTIVE;
		p->q.stopped = 0;
		p->failing = 0;
		p->next = c->starts[i] >= 0 ? c->starts[i] : -1;
		p->consumed = p->next;
		p->next_ts = -1;
		p->sent = -1;
		p->routed = 0;
		km_osync_part_init(f, p); /* a new log: the old runs say nothing of it */
		km_part_set_reason(p, "%s", "");
		if (p->next >= 0)
			km_progress_mark(f, p);
		rd_kafka_topic_partition_list_add(again, st->name, i)->offset = c->starts[i];
	}
	if (again->cnt) {
		rd_kafka_resume_partitions(d->cl.consumer, again);
		if ((error = rd_kafka_seek_partitions(d->cl.consumer, again, 0))) {
			km_warn("flow %s: seek %s: %s", f->name, st->name,
			        rd_kafka_error_string(error));
			rd_kafka_error_destroy(error);
		}
	}
	rd_kafka_topic_partition_list_destroy(again);
	l = rd_kafka_topic_partition_list_new(c->cnt);
	for (int32_t i = first; i < c->cnt; i++) {
		km_part_t *p = new_part(f, st, i);
		st->parts[i] = p;
		d->nparts++;
		p->next = c->starts[i] >= 0 ? c->starts[i] : -1;
		p->consumed = p->next;
		if (p->next >= 0)
			km_progress_mark(f, p);
		rd_kafka_topic_partition_list_add(l, st->name, i)->offset = c->starts[i];
	}
	if (c->cnt > st->cnt)
		st->cnt = c->cnt;
	if (l->cnt && (error = rd_kafka_incremental_assign(d->cl.consumer, l))) {
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
	km_stopic_t *st = km_data_topic(f, c->topic);
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
		p->q.stopped = 1;
		km_inflight_kick(&f->d.ifl, &p->q);
		km_part_set_reason(p, "the source topic was deleted; the mirror topic is kept");
	}
	/* Paused, not unassigned: librdkafka 2.0.2 can hang on destroy after
	 * a deleted topic's partitions were unassigned and assigned again. */
	if (l->cnt && (err = rd_kafka_pause_partitions(f->d.cl.consumer, l)))
		km_warn("flow %s: pausing %s: %s", f->name, st->name, rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(l);
	km_warn("flow %s: source topic %s was deleted: its partitions stopped, the mirror topic "
	        "%s is kept",
	        f->name, st->name, st->target);
}

/* A mirror-topic command (mstate.h): stops copying @p c->topic (NULL:
 * every topic), or copies it again from where it stopped. Records in
 * flight still land and move its progress; the consumer drops what it
 * fetched meanwhile, and resuming seeks back to the next offset not yet
 * taken. */
static void apply_pause(km_flow_t *f, km_cmd_t *c, int pause) {
	for (km_stopic_t *st = f->d.topics; st; st = st->next) {
		rd_kafka_topic_partition_list_t *l;
		rd_kafka_error_t *error;
		int n = 0;

		if (c->topic && strcmp(c->topic, st->name))
			continue;
		l = rd_kafka_topic_partition_list_new(st->cnt);
		for (int32_t i = 0; i < st->cnt; i++) {
			km_part_t *p = st->parts[i];
			if (p->paused == pause)
				continue;
			p->paused = pause;
			p->since_ms = km_wall_ms();
			n++;
			if (p->state != KM_PART_ACTIVE || (!pause && p->held_paused))
				continue; /* waiting for the target: resumed when it can */
			rd_kafka_topic_partition_list_add(l, st->name, i)->offset =
			    pause || p->consumed < 0 ? RD_KAFKA_OFFSET_INVALID : p->consumed;
		}
		if (l->cnt && pause) {
			rd_kafka_pause_partitions(f->d.cl.consumer, l);
		} else if (l->cnt) {
			rd_kafka_resume_partitions(f->d.cl.consumer, l);
			if ((error = rd_kafka_seek_partitions(f->d.cl.consumer, l, 0))) {
				km_warn("flow %s: seek %s: %s", f->name, st->name,
				        rd_kafka_error_string(error));
				rd_kafka_error_destroy(error);
			}
		}
		rd_kafka_topic_partition_list_destroy(l);
		if (n)
			km_notice("flow %s: %s copying %s to %s (%d partition%s)", f->name,
			          pause ? "stopped" : "resumed", st->name, st->target, n,
			          n == 1 ? "" : "s");
	}
}

/* The control thread found the bounds of a log whose position the
 * consumer refused: retention ran past it, or the topic was recreated. */
static void apply_reset(km_flow_t *f, km_cmd_t *c) {
	km_stopic_t *st = km_data_topic(f, c->topic);
	km_part_t *p = st && c->partition < st->cnt ? st->parts[c->partition] : NULL;
	int64_t lo = c->lo, pos;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *error;

	if (!p || !p->resetting)
		return;
	pos = p->consumed;
	p->resetting = 0;
	if (p->state != KM_PART_ACTIVE)
		return; /* gone meanwhile (librdkafka 2.0.2 can hang on destroy after a deleted
		           topic's partitions were unassigned and assigned again) */
	if (lo < 0) {
		lo = pos; /* unknown: try the same position again */
	} else if (pos >= 0 && pos < lo) {
		p->lost += (uint64_t)(lo - pos);
		km_warn("flow %s: %s [%d]: the source's retention deleted offsets %" PRId64
		        "..%" PRId64 " before they were copied: %" PRId64
		        " records lost at the source; continuing from %" PRId64,
		        f->name, p->st->name, p->partition, pos, lo - 1, lo - pos, lo);
	} else {
		km_warn("flow %s: %s [%d]: position %" PRId64 " is past the log's end %" PRId64
		        " (topic recreated or truncated): starting again from offset %" PRId64,
		        f->name, p->st->name, p->partition, pos, c->hi, lo);
	}
	km_part_set_reason(p, "%s", "");
	p->consumed = lo;
	if (p->next < lo) {
		p->next = lo;
		p->next_ts = -1;
		km_progress_mark(f, p);
	}
	/* After the error the partition is no longer fetched (a seek would be
	 * refused): assign it again at the new position. */
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, p->st->name, p->partition)->offset = lo;
	if ((error = rd_kafka_incremental_unassign(f->d.cl.consumer, l))) {
		km_warn("flow %s: %s [%d]: unassign: %s", f->name, p->st->name, p->partition,
		        rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	if ((error = rd_kafka_incremental_assign(f->d.cl.consumer, l))) {
		km_warn("flow %s: %s [%d]: assign at %" PRId64 ": %s", f->name, p->st->name,
		        p->partition, lo, rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	rd_kafka_topic_partition_list_destroy(l);
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
		switch (c->type) {
		case KM_CMD_ADD:
			apply_add(f, c);
			break;
		case KM_CMD_GONE:
			apply_gone(f, c);
			break;
		case KM_CMD_RESET:
			apply_reset(f, c);
			break;
		case KM_CMD_NO_PARTITION:
			km_copy_no_partition(f, c->topic, c->cnt);
			break;
		case KM_CMD_PAUSE:
		case KM_CMD_RESUME:
			apply_pause(f, c, c->type == KM_CMD_PAUSE);
			break;
		case KM_CMD_TRANSLATE:
			km_osync_translate(f, c->job);
			c->job = NULL; /* answered: the control thread's again */
			break;
		}
		km_cmd_free(c);
	}
}

/* Records and bytes per second over a window of about 5 s, so that the
 * rate a reader sees does not jump with every batch. */
static void rate(km_data_t *d, km_data_status_t *s) {
	int64_t now = km_mono_ms(), dt = now - d->rate.ms;

	if (!d->rate.ms || s->records < d->rate.records) {
		d->rate.ms = now;
		d->rate.records = s->records;
		d->rate.bytes = s->bytes;
	} else if (dt >= 5000) {
		d->rate.records_rate = (double)(s->records - d->rate.records) * 1000.0 / (double)dt;
		d->rate.bytes_rate = (double)(s->bytes - d->rate.bytes) * 1000.0 / (double)dt;
		d->rate.ms = now;
		d->rate.records = s->records;
		d->rate.bytes = s->bytes;
	}
	s->records_rate = d->rate.records_rate;
	s->bytes_rate = d->rate.bytes_rate;
}

/* Fills the data thread's snapshot from its own state and publishes it. */
static void publish(km_flow_t *f) {
	km_data_t *d = &f->d;
	km_data_status_t *s = &d->st;
	km_data_status_reset(s);
	s->state = d->state;
	s->since_ms = d->state_since_ms;
	s->taken_ms = km_wall_ms();
	for (km_stopic_t *st = d->topics; st; st = st->next) {
		/* copies: the snapshot may outlive the flow's topics (the status
		 * is written once more after the flow was joined) */
		size_t name = km_data_status_str(s, st->name),
		       target = km_data_status_str(s, st->target);

		s->topics++;
		for (int32_t i = 0; i < st->cnt; i++) {
			km_part_t *p = st->parts[i];
			km_part_status_t *ps = km_data_status_add(s);
			int64_t lo, hi;

			s->records += p->records;
			s->bytes += p->bytes;
			s->lost += p->lost;
			s->skipped += p->skipped;
			s->dead_lettered += p->dead_lettered;
			s->prov_dropped += p->prov_dropped;
			s->held += p->held_cnt;
			int state =
			    p->paused && p->state == KM_PART_ACTIVE ? KM_PART_PAUSED : p->state;
			s->parts_by_state[state]++;
			if (!ps)
				continue;
			ps->topic = name;
			ps->target = target;
			ps->partition = p->partition;
			ps->state = state;
			ps->busy = p->q.head >= 0 || p->held_cnt;
			ps->next = p->next;
			ps->end = -1;
			/* the consumer's cached watermark: no network here */
			if (!rd_kafka_get_watermark_offsets(d->cl.consumer, st->name, i, &lo,
			                                    &hi) &&
			    hi >= 0)
				ps->end = hi;
			ps->lag = ps->end >= 0 && p->next >= 0 && ps->end > p->next
			              ? ps->end - p->next
			              : 0;
			ps->next_ts = p->next_ts;
			if (p->state == KM_PART_GONE) { /* its source is deleted: nothing to copy */
				ps->lag = 0;
				ps->next_ts = -1;
			}
			s->lag += ps->lag;
			ps->last_src = p->last_src;
			ps->last_dst = p->last_dst;
			ps->routed = p->routed;
			ps->records = p->records;
			ps->bytes = p->bytes;
			ps->lost = p->lost;
			ps->skipped = p->skipped;
			ps->dead_lettered = p->dead_lettered;
			ps->prov_dropped = p->prov_dropped;
			ps->held = p->held_cnt;
			ps->since_ms = p->since_ms;
			ps->reason = km_data_status_str(s, p->reason);
		}
	}
	s->inflight = km_inflight_count(&d->ifl);
	s->deferred = d->ifl.deferred;
	s->rebuilds = d->rebuilds;
	s->stage_errors = d->stage_errors;
	s->fetch_wakes = d->fetch_wakes;
	s->ticks = d->ticks;
	s->unsourced_dropped = d->unsourced_failed;
	s->osyncs_written = d->osyncs_written;
	s->osyncs_failed = d->osyncs_failed;
	s->osync_last_ms = d->osync_last_ms;
	s->prov_on = f->prov_on;
	memcpy(s->prov_src, d->prov.src, sizeof(s->prov_src));
	memcpy(s->prov_dst, d->prov.dst, sizeof(s->prov_dst));
	memcpy(s->last_error, d->last_error, sizeof(s->last_error));
	s->last_error_ms = d->last_error_ms;
	s->batches = d->batches;
	s->inflight_max = d->ifl.max_records;
	s->inflight_bytes = d->ifl.bytes;
	s->inflight_bytes_max = d->ifl.max_bytes;
	s->latency = d->latency;
	rate(d, s);
	d->last_status_ms = km_mono_ms();
	km_flow_publish_data(f);
}

/* One step of a producer rebuild: an attempt when one is due, else a wait
 * for it (at most 100 ms, so that a stop is seen). Returns 1 while the
 * flow has no producers. */
static int rebuild_step(km_flow_t *f) {
	km_data_t *d = &f->d;
	int64_t now = km_mono_ms();

	if (!d->rb.torn_down || now >= d->rb.due_ms) {
		if (!d->rb.torn_down)
			set_state(f, "rebuilding");
		if (km_producers_rebuild(f) == KM_OK) {
			set_state(f, "running");
			publish(f);
			return 0;
		}
		publish(f);
		return 1;
	}
	/* nothing signals the pipe while there is no producer: a plain
	 * wait, short enough to see a stop */
	{
		struct pollfd pfd = {.fd = d->cl.wake[0], .events = POLLIN};
		int64_t wait = d->rb.due_ms - now;
		char buf[64];

		while (read(d->cl.wake[0], buf, sizeof(buf)) > 0)
			;
		poll(&pfd, 1, (int)(wait < 100 ? wait : 100));
	}
	if (now - d->last_status_ms >= KM_STATUS_INTERVAL_MS)
		publish(f);
	return 1;
}

static void *data_fail(km_flow_t *f, rd_kafka_message_t **msgs) {
	km_flow_beat(&f->data_due_ms, -1, 0);
	set_state(f, "failed");
	publish(f);
	free(msgs);
	return NULL;
}

void *km_data_main(void *arg) {
	km_flow_t *f = arg;
	km_data_t *d = &f->d;
	rd_kafka_message_t **msgs = calloc(f->batch_records, sizeof(*msgs));
	int64_t deadline;
	int clean;

	if (!msgs)
		return data_fail(f, msgs);
	set_state(f, "running");
	publish(f);
	while (!atomic_load(&f->stop)) {
		int64_t now;
		size_t n, room;

		km_flow_beat(&f->data_due_ms, km_mono_ms(), 0);
		while (d->test_stall_file && !access(d->test_stall_file, F_OK) &&
		       !atomic_load(&f->stop)) {
			/* a hung thread for tests/package/run's watchdog check
			 * (KMIRROR_TEST_STALL_FILE): no beat while the file is there */
			struct timespec ts = {0, 100 * 1000000L};
			nanosleep(&ts, NULL);
		}
		apply_cmds(f);
		km_flow_take_tmeta(f);
		if (f->prov_on)
			km_flow_take_prov(f);
		if (atomic_load(&d->fatal) || d->rb.torn_down) {
			if (rebuild_step(f))
				continue; /* no producer yet: nothing is consumed */
		}
		km_copy_serve_acks(f, 0);
		now = km_mono_ms();
		km_stall_check(f, now);
		km_copy_retry_held(f, now);
		/* a timer's records carry the source's id too: none before it is known */
		if (f->pipeline.cnt && (!f->prov_on || d->prov.known))
			km_copy_ticks(f, now);
		/* Progress goes out as soon as the last write is acknowledged and
		 * something moved: the in-flight bound then tracks the target's
		 * acknowledgements closely. */
		if (d->progress_dirty || now - d->last_progress_ms >= KM_PROGRESS_INTERVAL_MS)
			km_progress_write(f);
		/* the delayed syncs go out at once when the topic becomes
		 * ready: records copied before it have syncs waiting */
		if (now - d->osync_flushed_ms >= f->osync_flush_ms ||
		    (!d->osync_was_ready && atomic_load(&f->osync_ready))) {
			d->osync_was_ready = atomic_load(&f->osync_ready);
			km_osync_flush(f, now);
		}
		if (now - d->last_status_ms >= KM_STATUS_INTERVAL_MS) {
			km_copy_skips_said(f, now);
			publish(f);
		}
		if (f->prov_on && !d->prov.known) {
			/* records cannot carry the source's id, nor be told apart
			 * from the target's: nothing is consumed yet */
			if (d->state != km_state_no_ids) {
				set_state(f, km_state_no_ids);
				publish(f);
			}
			km_copy_serve_acks(f, 50);
			continue;
		}
		if (d->state == km_state_no_ids)
			set_state(f, "running");
		if (!(room = km_inflight_room(&d->ifl))) {
			km_copy_serve_acks(f, 50); /* back-pressure: wait for acknowledgements */
			continue;
		}
		n = km_consume_poll(f, msgs, room < f->batch_records ? room : f->batch_records);
		if (n)
			km_copy_admit(f, msgs, n);
	}

	/* Stopping: nothing more is consumed; wait for the target to
	 * acknowledge what is in flight, then store the progress. */
	set_state(f, "draining");
	publish(f);
	deadline = km_mono_ms() + f->drain_ms;
	while ((d->ifl.cnt || d->pw.active || d->ifl.stored < d->ifl.popped ||
	        d->unsourced_inflight) &&
	       km_mono_ms() < deadline) {
		int64_t now;

		/* what a fatal error leaves unacknowledged is copied again
		 * from the progress at the next start */
		if (atomic_load(&d->fatal) || d->rb.torn_down)
			break;
		km_flow_beat(&f->data_due_ms, km_mono_ms(), 0);
		km_copy_serve_acks(f, 50);
		now = km_mono_ms();
		km_stall_check(f, now);
		km_flow_take_tmeta(f);
		km_copy_retry_held(f, now);
		/* what was popped is stored even while some entry is stuck */
		km_progress_write(f);
		if (km_mono_ms() - d->last_status_ms >= KM_STATUS_INTERVAL_MS)
			publish(f);
	}
	clean = !d->ifl.cnt && !d->pw.active && d->ifl.stored >= d->ifl.popped;
	km_osync_flush(f, km_mono_ms()); /* km_clients_close waits for them */
	if (!clean)
		km_err("flow %s: stopped with %zu record(s) not acknowledged by the target; they "
		       "will be copied again at the next start",
		       f->name, d->ifl.cnt);
	atomic_store(&f->clean_exit, clean);
	km_flow_beat(&f->data_due_ms, -1, 0);
	set_state(f, "stopped");
	publish(f);
	free(msgs);
	return NULL;
}
