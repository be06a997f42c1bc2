/* Control task "routes": topics that stages route records to. A record
 * for a topic or partition the target does not have waits on its source
 * partition (copy.c), which asks this task; the task creates a missing
 * topic as mirror topics are created (with the source topic's partition
 * count, or more when the record asks for a higher partition), and tells
 * the data thread when the topic exists but lacks the partition, so that
 * the record fails (the flow's on_error decides) instead of waiting for
 * ever. Metadata lag alone needs nothing: the waiting partition retries
 * and refreshes its producer's metadata by itself.
 * @locality control thread */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "topic_admin.h"

static void no_partition(km_flow_t *f, const char *topic, int32_t cnt) {
	km_cmd_t *cmd = calloc(1, sizeof(*cmd));

	if (!cmd || !(cmd->topic = strdup(topic)))
		abort();
	cmd->type = KM_CMD_NO_PARTITION;
	cmd->cnt = cnt;
	km_flow_send_cmd(f, cmd);
}

/* The selected source topic whose mirror topic is @p topic, or NULL. */
static km_ctopic_t *mirror_of(km_flow_t *f, const char *topic) {
	for (km_ctopic_t *t = f->c.cat.all; t; t = t->next)
		if (t->selected && t->target && !strcmp(t->target, topic))
			return t;
	return NULL;
}

/* A mirror topic is the other tasks' to create and grow; its records are
 * never failed for a missing partition (its partitions are handed over
 * only once created, so a miss is the producer's older metadata). */
static void mirror_missing(km_flow_t *f, km_ctopic_t *t, int32_t cnt) {
	if (cnt == -1) { /* deleted on the target: created again, configs and all */
		t->dst_cnt = -1;
		km_catalog_set_dst(&f->c.cat, t->target, -1);
		km_tasks_kick(&f->c.tasks, "topics");
	} else if (cnt < t->src_cnt) {
		km_tasks_kick(&f->c.tasks, "partitions");
	}
}

km_err_t km_task_routes(void *arg, int64_t now) {
	km_flow_t *f = arg;
	km_req_t *r, *next, *keep = NULL;
	km_err_t ret = KM_OK;

	(void)now;
	/* the requests were merged by topic as they came (km_ctl_take_requests) */
	for (r = f->c.routes, f->c.routes = NULL; r; r = next) {
		int32_t cnt = km_target_topic_partitions(f, r->topic), known;
		km_ctopic_t *mirror = mirror_of(f, r->topic);

		next = r->next;
		if (cnt == -2) { /* no answer: asked again with the task's backoff */
			ret = KM_ERR_TIMEOUT;
			r->next = keep;
			keep = r;
			continue;
		}
		if (mirror) {
			mirror_missing(f, mirror, cnt);
			km_req_free(r);
			continue;
		}
		/* a broker's metadata can be older than a creation: never lower
		 * what kmirror knows */
		known = km_catalog_dst(&f->c.cat, r->topic);
		if (cnt > known)
			km_catalog_set_dst(&f->c.cat, r->topic, cnt);
		if (cnt == -1 && known < 0) {
			int32_t want =
			    r->partition + 1 > r->src_cnt ? r->partition + 1 : r->src_cnt;
			km_newtopic_t nt = {.target = r->topic, .partitions = want > 0 ? want : 1};
			km_create_topics(f, &nt, 1);
			if (nt.created) {
				f->c.routed_created++;
				km_notice("flow %s: created topic %s on the target for %s", f->name,
				          r->topic,
				          f->dlq_topic && !strcmp(r->topic, f->dlq_topic)
				              ? "the records on_error: dead-letter sends there"
				              : "records a stage routes there");
			}
			if (!nt.ok) { /* the creation's error is logged */
				ret = KM_ERR_KAFKA;
				r->next = keep;
				keep = r;
				continue;
			}
			cnt = nt.partitions;
		}
		if (cnt < known)
			cnt = known;
		if (cnt >= 0 && r->partition >= cnt)
			no_partition(f, r->topic, cnt);
		km_req_free(r);
	}
	f->c.routes = keep;
	return ret;
}
