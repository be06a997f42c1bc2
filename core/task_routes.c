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

/* The target's partition count of @p topic, asked now: -1 when it has no
 * such topic, -2 when the target did not answer. */
static int32_t ask_target(km_flow_t *f, const char *topic) {
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(f->c.dst_admin, topic, NULL);
	const struct rd_kafka_metadata *md;
	int32_t cnt = -2;

	if (!rkt)
		return -2;
	if (!rd_kafka_metadata(f->c.dst_admin, 0, rkt, &md, KM_ADMIN_TIMEOUT_MS)) {
		if (md->topic_cnt == 1)
			cnt = md->topics[0].err ? -1 : md->topics[0].partition_cnt;
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	return cnt;
}

static void no_partition(km_flow_t *f, const char *topic, int32_t cnt) {
	km_cmd_t *cmd = calloc(1, sizeof(*cmd));

	if (!cmd || !(cmd->topic = strdup(topic)))
		abort();
	cmd->type = KM_CMD_NO_PARTITION;
	cmd->cnt = cnt;
	km_flow_send_cmd(f, cmd);
}

int km_task_routes(void *arg, int64_t now) {
	km_flow_t *f = arg;
	km_req_t *r, *next, *keep = NULL;
	int ret = 0;

	(void)now;
	for (r = f->c.routes, f->c.routes = NULL; r; r = next) {
		int32_t cnt;
		next = r->next;
		/* one answer serves every request for the same topic */
		for (km_req_t *o = next; o; o = o->next)
			if (!strcmp(o->topic, r->topic) && o->partition > r->partition)
				r->partition = o->partition;
		cnt = ask_target(f, r->topic);
		if (cnt >= 0)
			km_catalog_set_dst(&f->c.cat, r->topic, cnt);
		if (cnt == -1) {
			km_newtopic_t nt = {.target = r->topic,
			                    .partitions = r->src_cnt > r->partition + 1
			                                      ? r->src_cnt
			                                      : r->partition + 1};
			km_create_topics(f, &nt, 1);
			if (nt.created) {
				f->c.routed_created++;
				km_notice("flow %s: created topic %s on the target for records "
				          "a stage routes there",
				          f->name, r->topic);
			}
			if (!nt.ok) {
				ret = -1; /* retried with the task's backoff */
				r->next = keep;
				keep = r;
				continue;
			}
		} else if (cnt >= 0 && r->partition >= cnt) {
			no_partition(f, r->topic, cnt);
		} else if (cnt == -2) {
			ret = -1;
			r->next = keep;
			keep = r;
			continue;
		}
		/* the same topic's other requests are answered too */
		for (km_req_t **o = &next; *o;) {
			if (!strcmp((*o)->topic, r->topic)) {
				km_req_t *dup = *o;
				*o = dup->next;
				km_req_free(dup);
			} else {
				o = &(*o)->next;
			}
		}
		km_req_free(r);
	}
	f->c.routes = keep;
	return ret;
}
