/* Mirror-topic commands from reader threads (the REST API) to a flow's
 * control thread, which runs them (task_states.c). See flow.h.
 * @locality any thread but the flow's own */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow_int.h"

static void answer(km_cmd_answer_t *ans, int status, const char *msg) {
	ans->status = status;
	snprintf(ans->msg, sizeof(ans->msg), "%s", msg);
}

void km_flow_command(km_flow_t *f, const char *cmd, const char *topic, int force, int grant_write,
                     int wait_ms, km_cmd_answer_t *ans) {
	int c = km_mcmd_parse_name(cmd);
	km_sreq_t *rq;
	km_cmd_t *pause = NULL;
	struct timespec ts;

	memset(ans, 0, sizeof(*ans));
	if (c < 0) {
		answer(ans, 404,
		       "no such command: the commands are pause, resume, promote, failover");
		return;
	}
	if (!(rq = calloc(1, sizeof(*rq))) || (topic && !(rq->topic = strdup(topic)))) {
		free(rq);
		answer(ans, 500, "out of memory");
		return;
	}
	rq->cmd = (km_mcmd_t)c;
	rq->force = force;
	rq->grant_write = grant_write;
	if (rq->cmd == KM_MC_FAILOVER) {
		/* At once: the control thread may be waiting on an unreachable
		 * source. A STOPPED topic is paused already; an unknown one is
		 * not the data thread's. Sent below with the request, or not at
		 * all when the flow takes no commands. */
		if (!(pause = calloc(1, sizeof(*pause))) ||
		    (topic && !(pause->topic = strdup(topic)))) {
			free(pause);
			free(rq->topic);
			free(rq);
			answer(ans, 500, "out of memory");
			return;
		}
		pause->type = KM_CMD_PAUSE;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&f->lock);
	if (!f->ctl_running) {
		pthread_mutex_unlock(&f->lock);
		if (pause)
			km_cmd_free(pause);
		free(rq->topic);
		free(rq);
		answer(ans, 503,
		       "the flow does not take commands now: it is starting (loading its progress) "
		       "or stopping; GET /v1/flows shows its state");
		return;
	}
	if (pause) { /* as km_flow_send_cmd, under the lock held here */
		*f->cmds_tail = pause;
		f->cmds_tail = &pause->next;
		atomic_store(&f->cmds_pending, 1);
	}
	*f->sreqs_tail = rq;
	f->sreqs_tail = &rq->next;
	pthread_cond_broadcast(&f->cond);
	while (rq->state == KM_SREQ_ASKED)
		if (pthread_cond_timedwait(&f->cond, &f->lock, &ts) == ETIMEDOUT)
			break;
	if (rq->state == KM_SREQ_ANSWERED) {
		*ans = rq->ans;
		pthread_mutex_unlock(&f->lock);
		free(rq->topic);
		free(rq);
		return;
	}
	rq->state = KM_SREQ_ABANDONED; /* the control thread frees it */
	pthread_mutex_unlock(&f->lock);
	answer(ans, 202,
	       "accepted; the flow has not answered yet (a control task is running): GET "
	       "/v1/flows/FLOW/topics shows the state");
}
