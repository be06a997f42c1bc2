/* A flow: one direction of replication, source -> target.
 *
 * Each running flow has two threads. The control thread keeps the mirror
 * topics (discovery, creation, partitions, configs: a table of periodic
 * tasks) and tells the data thread which source partitions to copy and
 * from where. The data thread consumes batches from the source, runs them
 * through the pipeline, produces them to the target, and stores progress
 * on the target once the target has acknowledged the records. The parts
 * and their owners: flow_int.h.
 * @locality km_flow_* functions: main thread, unless said otherwise */
#ifndef KM_FLOW_H
#define KM_FLOW_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "config_model.h"
#include "plugin_host.h"
#include "status.h"

typedef struct km_flow km_flow_t;

/* Makes the flow's plugin instances and checks what can be checked without
 * Kafka. NULL with errstr on error. */
km_flow_t *km_flow_new(const km_flow_conf_t *fc, km_plugin_host_t *host, char *errstr,
                       size_t errstr_size);

/* Starts the flow's threads. KM_OK; with errstr: KM_ERR_NOMEM (memory or
 * threads), KM_ERR_IO (the wake-up pipe), or the error of a Kafka client
 * that could not be made. */
km_err_t km_flow_start(km_flow_t *f, char *errstr, size_t errstr_size);

/* Asks the flow to stop: consuming stops, records in flight are waited for
 * (at most @p drain_ms), progress is stored. Returns at once. */
void km_flow_stop(km_flow_t *f, int drain_ms);

/* Waits for a stopped flow's threads. Returns KM_OK when every record
 * consumed was acknowledged and its progress stored; KM_ERR_TIMEOUT when
 * some were not when it stopped (the drain ran out of time, or a fatal
 * producer error ended it: logged). */
km_err_t km_flow_join(km_flow_t *f);

void km_flow_destroy(km_flow_t *f);

const char *km_flow_name(const km_flow_t *f);
/* 1 when the files the plugins of @p a and @p b name (PATH parameters, such
 * as a Lua script) did not change between the two: with equal YAML, the
 * flow is unchanged by a reload. @locality main */
int km_flow_files_same(const km_flow_t *a, const km_flow_t *b);

/* Liveness, for the systemd watchdog: each flow thread says, every time
 * round its loop, until when it will be back; the main thread asks
 * km_flow_hung() before each WATCHDOG=1. km_flow_stall_ms is how long the
 * data thread may take for one round (0: nobody checks: no watchdog); the
 * control thread gets its wait plus KM_CTL_ROUND_MS more, since one round
 * of its tasks calls Kafka's admin APIs, each with its own timeout. Set by
 * the main thread before flows start. */
extern _Atomic int64_t km_flow_stall_ms;
#define KM_CTL_ROUND_MS (15 * 60 * 1000)
/* 1 when a thread of @p f is overdue at @p now_ms (monotonic), with @p why
 * saying which and for how long. @locality any thread (main) */
int km_flow_hung(km_flow_t *f, int64_t now_ms, char *why, size_t why_size);

/* 1 once a stopped flow's data thread finished (km_flow_join will not
 * wait long), or the flow never started. @locality any thread */
int km_flow_stopped(km_flow_t *f);

/* Calls @p fn with the flow's published status snapshot, under the flow's
 * lock: @p fn renders it and keeps no pointer into it. @locality any thread */
typedef void(km_flow_status_fn)(const km_flow_status_t *s, void *arg);
void km_flow_status_with(km_flow_t *f, km_flow_status_fn *fn, void *arg);
/* Writes the flow's status as one JSON object. @locality any thread */
void km_flow_status_json(km_flow_t *f, FILE *fp);
/* Logs a one-line summary of the flow's status. */
void km_flow_status_log(km_flow_t *f);

/* ---- mirror-topic commands (mstate.h, docs/failover.md) ---- */

/* What a command did to one topic. */
typedef struct km_topic_answer {
	char topic[256], target[256];
	const char *from, *to; /* state names (static) */
	int status;            /* as the whole answer's */
	char msg[512];
} km_topic_answer_t;

/* The answer to a command. status, HTTP's: 200 done (or nothing to do),
 * 202 a transition began (PROMOTING, FAILING_OVER) and goes on, 404 no
 * such topic, 409 the state refuses it, 503 the flow cannot take commands
 * now or its state could not be stored on the target. */
typedef struct km_cmd_answer {
	int status;
	char msg[512];
	km_topic_answer_t *topics; /* each topic's; the caller frees it */
	size_t cnt, cap;
} km_cmd_answer_t;

/* Runs command @p cmd ("pause", "resume", "promote", "failover") on
 * @p topic (a source topic; NULL: every topic of the flow), waiting up to
 * @p wait_ms for the control thread's answer (past it: 202, and the
 * status shows the outcome). failover stops the copy at once, before the
 * control thread takes it. @p ans is filled and its topics must be freed.
 * @locality any thread but the flow's own */
void km_flow_command(km_flow_t *f, const char *cmd, const char *topic, int force, int grant_write,
                     int wait_ms, km_cmd_answer_t *ans);

#endif
