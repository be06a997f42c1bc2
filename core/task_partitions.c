/* Control task "partitions": grows a mirror topic when its source topic
 * gained partitions, then hands the new partitions to the data thread
 * (from their beginning, so nothing written to them is missed). The
 * "topics" task kicks it as soon as it sees a topic grow.
 * @locality control thread */
#include "config.h"

#include <stdlib.h>

#include "topic_admin.h"

km_err_t km_task_partitions(void *arg, int64_t now) {
	km_flow_t *f = arg;
	km_ctopic_t **todo;
	size_t n = 0, cnt = 0;

	(void)now;
	for (km_ctopic_t *t = f->c.cat.all; t; t = t->next)
		cnt++;
	if (!(todo = calloc(cnt + 1, sizeof(*todo))))
		abort();
	for (km_ctopic_t *t = f->c.cat.all; t; t = t->next)
		/* a gone topic has no source partitions (src_cnt 0); one that came
		 * back, with more partitions than before, is grown here */
		if (t->selected && t->dst_cnt >= 0 && t->dst_cnt < t->src_cnt &&
		    km_mstate_of(&f->c.states, t->name) != KM_MS_STOPPED)
			todo[n++] = t;
	if (n)
		km_create_partitions(f, todo, n);
	for (size_t i = 0; i < n; i++)
		km_ctl_assign_ready(f, todo[i]);
	free(todo);
	return KM_OK;
}
