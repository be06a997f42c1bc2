/* Control task "resets": a source partition whose position the consumer
 * refused (outside the log: retention ran past it, or the topic was
 * recreated) waits on the data thread while this task asks the source for
 * the log's bounds, a query that can take seconds; the data thread then
 * goes on from the log's start and counts what retention deleted.
 * @locality control thread */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "topic_admin.h"

km_err_t km_task_resets(void *arg, int64_t now) {
	km_flow_t *f = arg;
	km_req_t *r, *next;

	(void)now;
	for (r = f->c.resets, f->c.resets = NULL; r; r = next) {
		km_cmd_t *cmd = calloc(1, sizeof(*cmd));
		rd_kafka_resp_err_t err;
		int64_t lo = -1, hi = -1;

		next = r->next;
		/* The consumer lives as long as the flow and librdkafka's calls
		 * are thread-safe: its query does not disturb the data thread. */
		err = rd_kafka_query_watermark_offsets(f->d.cl.consumer, r->topic, r->partition,
		                                       &lo, &hi, KM_ADMIN_TIMEOUT_MS);
		if (err) {
			km_warn("flow %s: %s [%d]: position %" PRId64
			        " out of range and the log's bounds unknown (%s); retrying",
			        f->name, r->topic, r->partition, r->pos, rd_kafka_err2str(err));
			lo = -1;
		}
		if (!cmd || !(cmd->topic = strdup(r->topic)))
			abort();
		cmd->type = KM_CMD_RESET;
		cmd->partition = r->partition;
		cmd->lo = lo;
		cmd->hi = hi;
		km_flow_send_cmd(f, cmd);
		km_req_free(r);
	}
	return KM_OK;
}
