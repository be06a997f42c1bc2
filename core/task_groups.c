/* Task groups: every sync.group.offsets.interval, each group checkpointed
 * (task_checkpoints.c) gets its translated offsets committed on the target,
 * so that its consumers resume there after a failover without a tool.
 *
 * Only groups that are empty or absent on the target are written, and a
 * partition only when that moves it forward (never backwards, mm2.md 7).
 * The groups' states come from ListConsumerGroups on the target: it names
 * the state of groups on the new consumer protocol (KIP-848) correctly,
 * where librdkafka 2.0.2's DescribeConsumerGroups calls them Dead. A group
 * in any state but Empty, or listed in a state kmirror cannot tell
 * (Unknown: a KIP-848 group reconciling, say), is skipped, logged once and
 * shown in the status until it is written again.
 * @locality control thread */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_int.h"
#include "kafka.h"
#include "log.h"
#include "topic_admin.h"

/* Whether a group was last skipped (to log a skip once per change). */
#define KM_GROUP_SKIPPED ((void *)1)
#define KM_GROUP_WRITTEN ((void *)2)

static int cmp_entry(const void *a, const void *b) {
	const km_ckpt_entry_t *x = a, *y = b;
	int c = strcmp(x->group, y->group);

	return c ? c
	       : strcmp(x->topic, y->topic)
	           ? strcmp(x->topic, y->topic)
	           : (x->partition > y->partition) - (x->partition < y->partition);
}

/* The target's groups and their states: a map group -> state + 1 that
 * owns its keys. */
static int take_state(void *arg, const char *group, rd_kafka_consumer_group_state_t state) {
	km_strmap_t *states = arg;
	char *key = strdup(group);

	if (key && km_strmap_put(states, key, (void *)(uintptr_t)(state + 1)) == KM_OK)
		return 0;
	free(key);
	return -1;
}

/* Commits @p l for @p group on the target; KM_OK or the error, logged. */
static km_err_t alter(km_flow_t *f, const char *group, const rd_kafka_topic_partition_list_t *l) {
	rd_kafka_AlterConsumerGroupOffsets_t *req =
	    rd_kafka_AlterConsumerGroupOffsets_new(group, l);
	rd_kafka_queue_t *q = rd_kafka_queue_new(f->c.dst_admin);
	const rd_kafka_group_result_t **res;
	rd_kafka_event_t *ev;
	km_err_t err = KM_OK;
	size_t n = 0;

	rd_kafka_AlterConsumerGroupOffsets(f->c.dst_admin, &req, 1, NULL, q);
	rd_kafka_AlterConsumerGroupOffsets_destroy(req);
	if (!(ev = km_admin_wait(q, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT))) {
		rd_kafka_queue_destroy(q);
		km_warn("flow %s: committing the offsets of group %s on %s: no answer", f->name,
		        group, f->target);
		return KM_ERR_TIMEOUT;
	}
	res = rd_kafka_AlterConsumerGroupOffsets_result_groups(
	    rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
	if (rd_kafka_event_error(ev) || n != 1 || rd_kafka_group_result_error(res[0])) {
		const char *why = rd_kafka_event_error(ev) ? rd_kafka_event_error_string(ev)
		                  : n == 1
		                      ? rd_kafka_error_string(rd_kafka_group_result_error(res[0]))
		                      : "no result";
		/* a consumer joined between the listing and now: the broker
		 * refuses, and the group is skipped as active next time */
		km_warn("flow %s: committing the offsets of group %s on %s: %s", f->name, group,
		        f->target, why);
		err = KM_ERR_KAFKA;
	} else {
		const rd_kafka_topic_partition_list_t *p = rd_kafka_group_result_partitions(res[0]);
		for (int i = 0; p && i < p->cnt; i++)
			if (p->elems[i].err) {
				km_warn(
				    "flow %s: committing group %s's offset of %s [%d] on %s: %s",
				    f->name, group, p->elems[i].topic, p->elems[i].partition,
				    f->target, rd_kafka_err2str(p->elems[i].err));
				err = KM_ERR_KAFKA;
			}
	}
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	return err;
}

/* The offset the target has for @p topic [@p part] in @p have; -1: none
 * (or one some clients reset to -1, which MM2 overwrites as well). */
static int64_t have_offset(const rd_kafka_topic_partition_list_t *have, const char *topic,
                           int32_t part) {
	const rd_kafka_topic_partition_t *tp =
	    have ? rd_kafka_topic_partition_list_find(have, topic, part) : NULL;

	return tp && !tp->err ? tp->offset : -1;
}

/* Remembers how @p group went (the map owns its keys). */
static void seen_set(km_ctl_t *c, const char *group, void *how) {
	char *key;

	if (km_strmap_has(&c->group_seen, group)) {
		km_strmap_put(&c->group_seen, group, how); /* keeps its own key */
		return;
	}
	if ((key = strdup(group)) && km_strmap_put(&c->group_seen, key, how) != KM_OK)
		free(key);
}

static void note_skip(km_flow_t *f, const char *group, const char *why) {
	km_ctl_t *c = &f->c;
	size_t len = strlen(c->groups_skipped_names);

	c->groups_skipped++;
	if (len + strlen(group) + 3 < sizeof(c->groups_skipped_names))
		snprintf(c->groups_skipped_names + len, sizeof(c->groups_skipped_names) - len,
		         "%s%s", len ? ", " : "", group);
	if (km_strmap_get(&c->group_seen, group) != KM_GROUP_SKIPPED)
		km_info("flow %s: group %s is not synced to %s: %s", f->name, group, f->target,
		        why);
	seen_set(c, group, KM_GROUP_SKIPPED);
}

/* One group: its checkpoints @p e[0..n). */
static void sync_group(km_flow_t *f, const km_ckpt_entry_t *e, size_t n,
                       const km_strmap_t *states) {
	const char *group = e[0].group;
	void *st = km_strmap_get(states, group);
	rd_kafka_consumer_group_state_t state =
	    st ? (rd_kafka_consumer_group_state_t)((uintptr_t)st - 1)
	       : RD_KAFKA_CONSUMER_GROUP_STATE_DEAD;
	rd_kafka_topic_partition_list_t *have = NULL, *l;
	char why[160];

	if (st && state != RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY) {
		snprintf(why, sizeof(why),
		         state == RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN
		             ? "its state there is not one kmirror can tell (%s); it is left alone"
		             : "it is %s there (consumers are in it); it is left alone",
		         rd_kafka_consumer_group_state_name(state));
		note_skip(f, group, why);
		return;
	}
	if (st && !(have = km_group_offsets(f, f->c.dst_admin, f->target, group))) {
		f->c.group_sync_failures++;
		return;
	}
	l = rd_kafka_topic_partition_list_new((int)n);
	for (size_t i = 0; i < n; i++)
		if (e[i].downstream > have_offset(have, e[i].topic, e[i].partition))
			rd_kafka_topic_partition_list_add(l, e[i].topic, e[i].partition)->offset =
			    e[i].downstream;
	if (l->cnt) {
		if (alter(f, group, l) == KM_OK) {
			f->c.group_offsets_synced += (uint64_t)l->cnt;
			f->c.groups_synced++;
			if (km_strmap_get(&f->c.group_seen, group) == KM_GROUP_SKIPPED)
				km_info("flow %s: group %s is synced to %s again", f->name, group,
				        f->target);
			seen_set(&f->c, group, KM_GROUP_WRITTEN);
		} else {
			f->c.group_sync_failures++;
		}
	}
	rd_kafka_topic_partition_list_destroy(l);
	if (have)
		rd_kafka_topic_partition_list_destroy(have);
}

void km_groups_free(km_flow_t *f) {
	km_strmap_t *m = &f->c.group_seen;

	for (size_t i = 0; i < m->cap; i++)
		free((char *)m->keys[i]);
	km_strmap_free(m);
}

km_err_t km_task_groups(void *arg, int64_t now) {
	km_flow_t *f = arg;
	km_strmap_t states = {0};
	km_ckpt_entry_t *e = NULL;
	size_t n = 0;
	km_err_t err;

	(void)now;
	if ((err = km_ckpt_entries(f, &e, &n)) != KM_OK || !n) {
		free(e);
		return err;
	}
	qsort(e, n, sizeof(*e), cmp_entry);
	if ((err = km_list_groups(f, f->c.dst_admin, f->target, take_state, &states)) != KM_OK)
		goto out;
	f->c.groups_skipped = 0;
	f->c.groups_skipped_names[0] = '\0';
	for (size_t i = 0, j; i < n && !atomic_load(&f->stop); i = j) {
		for (j = i + 1; j < n && !strcmp(e[j].group, e[i].group); j++)
			;
		sync_group(f, e + i, j - i, &states);
	}
out:
	for (size_t i = 0; i < states.cap; i++)
		free((char *)states.keys[i]);
	km_strmap_free(&states);
	free(e);
	return err;
}

km_err_t km_groups_clamp(km_flow_t *f, const char *target, int32_t partitions, size_t *clamped) {
	km_ckpt_entry_t *e = NULL;
	int64_t *hi = NULL;
	size_t n = 0;
	km_err_t err;

	*clamped = 0;
	if ((err = km_ckpt_entries(f, &e, &n)) != KM_OK || !n || partitions <= 0)
		goto out;
	if (!(hi = calloc((size_t)partitions, sizeof(*hi)))) {
		err = KM_ERR_NOMEM;
		goto out;
	}
	for (int32_t i = 0; i < partitions; i++) {
		int64_t lo;
		rd_kafka_resp_err_t kerr = rd_kafka_query_watermark_offsets(
		    f->c.dst_admin, target, i, &lo, &hi[i], KM_ADMIN_TIMEOUT_MS);
		if (kerr) {
			km_warn("flow %s: the end of %s [%d] on %s: %s; group offsets not clamped",
			        f->name, target, i, f->target, rd_kafka_err2str(kerr));
			err = km_kafka_err2km(kerr);
			goto out;
		}
	}
	qsort(e, n, sizeof(*e), cmp_entry);
	for (size_t i = 0, j; i < n; i = j) {
		rd_kafka_topic_partition_list_t *have, *l;
		int mine = 0;
		for (j = i + 1; j < n && !strcmp(e[j].group, e[i].group); j++)
			;
		for (size_t k = i; k < j; k++)
			mine |= !strcmp(e[k].topic, target);
		if (!mine || !(have = km_group_offsets(f, f->c.dst_admin, f->target, e[i].group)))
			continue;
		l = rd_kafka_topic_partition_list_new(partitions);
		for (int32_t p = 0; p < partitions; p++) {
			int64_t at = have_offset(have, target, p);
			if (at > hi[p])
				rd_kafka_topic_partition_list_add(l, target, p)->offset = hi[p];
		}
		if (l->cnt && alter(f, e[i].group, l) == KM_OK) {
			*clamped += (size_t)l->cnt;
			km_notice("flow %s: group %s: %d offset(s) of %s on %s clamped to its end",
			          f->name, e[i].group, l->cnt, target, f->target);
		}
		rd_kafka_topic_partition_list_destroy(l);
		rd_kafka_topic_partition_list_destroy(have);
	}
out:
	free(hi);
	free(e);
	return err;
}
