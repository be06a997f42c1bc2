/* Control task "topics": finds the source topics the flow copies, creates
 * their mirror topics, hands their partitions to the data thread, and
 * notices topics deleted from the source.
 *
 * Each round lists the source's topics (one metadata request, every
 * refresh.topics.interval, so a new topic is found in seconds) and looks
 * each up in the catalog: O(source topics), and only new, grown or
 * vanished topics cause work. The target is listed whole only at the
 * first round and every refresh.target.interval; in between, the catalog
 * knows what kmirror created.
 * @locality control thread */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "log.h"
#include "topic_admin.h"

/* Lists every topic of the target into the catalog. */
static km_err_t list_target(km_flow_t *f) {
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t err;

	if ((err = rd_kafka_metadata(f->c.dst_admin, 1, NULL, &md, KM_ADMIN_TIMEOUT_MS))) {
		km_warn("flow %s: listing target topics: %s (will retry)", f->name,
		        rd_kafka_err2str(err));
		km_ctl_error(f, "listing target topics: %s", rd_kafka_err2str(err));
		return km_kafka_err2km(err);
	}
	km_catalog_clear_dst(&f->c.cat);
	for (int i = 0; i < md->topic_cnt; i++)
		if (!md->topics[i].err)
			km_catalog_set_dst(&f->c.cat, md->topics[i].topic,
			                   md->topics[i].partition_cnt);
	rd_kafka_metadata_destroy(md);
	f->c.cat.dst_listed = 1;
	for (km_ctopic_t *t = f->c.cat.all; t; t = t->next)
		if (t->selected)
			t->dst_cnt = km_catalog_dst(&f->c.cat, t->target);
	return KM_OK;
}

/* Hands ready partitions to the data thread: new topics, grown ones, and
 * topics that came back after being deleted. */
void km_ctl_assign_ready(km_flow_t *f, km_ctopic_t *c) {
	int32_t ready = c->dst_cnt < 0 ? 0 : c->dst_cnt < c->src_cnt ? c->dst_cnt : c->src_cnt;
	int recreated = c->gone;
	km_cmd_t *cmd;

	if (c->dst_cnt > c->src_cnt && !c->warned_more) {
		km_warn("flow %s: mirror topic %s has %d partitions, more than %s's %d: records "
		        "keep their partition number; the extra partitions get nothing",
		        f->name, c->target, c->dst_cnt, c->name, c->src_cnt);
		c->warned_more = 1;
	}
	if (!ready || (ready <= c->assigned && !recreated) ||
	    km_mstate_holds(km_mstate_of(&f->c.states, c->name)))
		return; /* nothing new, or a mirror-topic command holds it */
	if (!(cmd = calloc(1, sizeof(*cmd))) || !(cmd->topic = strdup(c->name)) ||
	    !(cmd->target = strdup(c->target)) ||
	    !(cmd->starts = calloc((size_t)ready, sizeof(*cmd->starts))))
		abort();
	cmd->type = KM_CMD_ADD;
	cmd->cnt = ready;
	/* The data thread knows the target's topics before it copies: a
	 * record for a topic it lacks then waits for it (waiting.c) instead of
	 * going to the producer, which would fail it once the topic was not
	 * there for topic.metadata.propagation.max.ms. The tasks after this
	 * one may take seconds (reading the checkpoints topic, say). */
	km_flow_publish_tmeta(f);
	if (recreated)
		km_progress_forget_topic(f->c.progress, c->name);
	for (int32_t i = 0; i < ready; i++) {
		int64_t stored = km_progress_get(f->c.progress, c->name, i);
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
		          f->name, c->name);
	c->assigned = ready;
	c->gone = 0;
	km_flow_send_cmd(f, cmd);
}

/* A topic seen for the first time: does the flow copy it, and as what? */
static void classify(km_flow_t *f, km_ctopic_t *t) {
	char target[KM_TOPIC_MAX];

	t->selected = 0;
	if (!km_ctl_selected(f, t->name))
		return;
	if (f->policy->plugin->policy->format_remote_topic(f->policy->data, f->source, t->name,
	                                                   target, sizeof(target)) != KM_OK) {
		km_warn("flow %s: no name on the target for %s; not copied", f->name, t->name);
		return;
	}
	if (f->dlq_topic && !strcmp(target, f->dlq_topic)) {
		/* its records and the failed ones would share one topic */
		km_err(
		    "flow %s: %s would be copied to %s, the flow's dead_letter.topic; not copied: "
		    "choose another dead_letter.topic or leave %s out of the topics",
		    f->name, t->name, target, t->name);
		return;
	}
	if (!(t->target = strdup(target)))
		abort();
	t->selected = 1;
	t->dst_cnt = km_catalog_dst(&f->c.cat, t->target);
}

km_err_t km_task_topics(void *arg, int64_t now) {
	km_flow_t *f = arg;
	km_catalog_t *cat = &f->c.cat;
	const struct rd_kafka_metadata *smd;
	km_newtopic_t *todo = NULL;
	size_t tn = 0, gn = 0;
	rd_kafka_resp_err_t err;
	km_err_t listed = KM_OK;

	if ((!cat->dst_listed || now >= f->c.next_target_list_ms) &&
	    (listed = list_target(f)) == KM_OK)
		f->c.next_target_list_ms = now + f->target_refresh_ms;
	if (!cat->dst_listed)
		return listed; /* never listed: this listing failed */
	if ((err = rd_kafka_metadata(f->c.src_admin, 1, NULL, &smd, KM_ADMIN_TIMEOUT_MS))) {
		km_warn("flow %s: listing source topics: %s (will retry)", f->name,
		        rd_kafka_err2str(err));
		km_ctl_error(f, "listing source topics: %s", rd_kafka_err2str(err));
		return km_kafka_err2km(err);
	}
	cat->round++;
	if (!(todo = calloc((size_t)smd->topic_cnt + 1, sizeof(*todo))))
		abort();
	for (int i = 0; i < smd->topic_cnt; i++) {
		const struct rd_kafka_metadata_topic *mt = &smd->topics[i];
		km_ctopic_t *t;
		int fresh;

		if (mt->err)
			continue;
		fresh = !(t = km_catalog_topic(cat, mt->topic));
		if (fresh && !(t = km_catalog_add(cat, mt->topic)))
			abort();
		t->seen = cat->round;
		if (fresh)
			classify(f, t);
		if (!t->selected)
			continue;
		if (t->src_cnt && mt->partition_cnt > t->src_cnt)
			gn++;
		t->src_cnt = mt->partition_cnt;
		if (km_mstate_of(&f->c.states, t->name) == KM_MS_STOPPED)
			continue; /* not kmirror's: never created or grown again */
		if (t->dst_cnt < 0)
			todo[tn++] = (km_newtopic_t){
			    .source = t->name, .target = t->target, .partitions = t->src_cnt};
		else if (t->dst_cnt < t->src_cnt)
			gn++;
		else
			km_ctl_assign_ready(f, t);
	}
	if (tn) {
		km_create_topics(f, todo, tn);
		for (size_t i = 0; i < tn; i++) {
			km_ctopic_t *t = km_catalog_topic(cat, todo[i].source);
			if (!todo[i].ok)
				continue;
			t->dst_cnt = todo[i].partitions; /* fewer when it existed: grown next */
			f->c.topics_created += (uint64_t)todo[i].created;
			km_ctl_assign_ready(f, t);
		}
	}
	if (gn)
		km_tasks_kick(&f->c.tasks, "partitions");

	/* topics that were copied and are gone from the source now */
	for (km_ctopic_t *t = cat->all; t; t = t->next) {
		if (t->seen == cat->round || t->gone || !t->assigned)
			continue;
		km_cmd_t *cmd = calloc(1, sizeof(*cmd));
		if (!cmd || !(cmd->topic = strdup(t->name)))
			abort();
		cmd->type = KM_CMD_GONE;
		t->gone = 1;
		t->assigned = 0;
		t->src_cnt = 0;
		km_flow_send_cmd(f, cmd);
	}
	free(todo);
	rd_kafka_metadata_destroy(smd);
	return KM_OK;
}
