/* The status snapshot: what a flow reports about itself.
 *
 * Each flow thread fills its own part (km_data_status_t by the data
 * thread, km_ctl_status_t by the control thread) in memory only it
 * touches, then publishes it under the flow's lock by swapping buffers
 * (km_flow.c: km_flow_publish_*). Readers (the status file today; REST,
 * /metrics and kmirrorctl later) look at the published snapshot under the
 * same lock and render it; no part builds JSON for another.
 * @locality the render functions: any thread holding the flow's lock */
#ifndef KM_STATUS_H
#define KM_STATUS_H

#include <stdint.h>
#include <stdio.h>

enum km_part_state {
	KM_PART_ACTIVE,
	KM_PART_STOPPED,
	KM_PART_GONE,
	KM_PART_PAUSED, /* its mirror topic's state holds records (mstate.h) */
	KM_PART_NSTATES
};
extern const char *const km_part_state_names[KM_PART_NSTATES];

/* One source partition. */
typedef struct km_part_status {
	size_t topic;  /* the source topic: an offset in km_data_status_t.strs */
	size_t target; /* its mirror topic, likewise */
	int32_t partition;
	int state;        /* enum km_part_state */
	int64_t next;     /* next source offset to copy; -1: not known yet */
	int64_t end;      /* the source's end offset as last seen; -1: unknown */
	int64_t lag;      /* end - next, records; 0 when unknown */
	int64_t next_ts;  /* source timestamp of the record at next; -1: unknown */
	int64_t last_src; /* the last acknowledged record: source offset */
	int64_t last_dst; /* ...and its offset on the target (-1: none yet) */
	uint64_t records, bytes, lost, skipped, dead_lettered, held;
	uint64_t prov_dropped; /* records whose provenance held the target's id */
	uint64_t routed;       /* records made from its records that went elsewhere */
	int64_t since_ms;      /* wall clock: when state or reason last changed */
	size_t reason;         /* offset in km_data_status_t.strs; 0: none */
	int busy;              /* records of it are in flight or wait for the target */
} km_part_status_t;

/* End-to-end latency buckets (ms, upper bounds, inclusive): source
 * timestamp to the target's acknowledgement. The last count is +Inf. */
#define KM_LAT_BUCKETS 16
extern const int64_t km_lat_bounds_ms[KM_LAT_BUCKETS];

/* A latency histogram: plain counters, owned by one thread, copied into
 * the snapshot it publishes. */
typedef struct km_lat_hist {
	uint64_t counts[KM_LAT_BUCKETS + 1]; /* per bucket, not cumulative */
	uint64_t count;
	int64_t sum_ms;
} km_lat_hist_t;

/* Counts one acknowledged record of latency @p ms (negative: clock skew
 * between source and here; counted as 0). @locality the owner's thread */
static inline void km_lat_hist_add(km_lat_hist_t *h, int64_t ms) {
	int i = 0;

	if (ms < 0)
		ms = 0;
	while (i < KM_LAT_BUCKETS && ms > km_lat_bounds_ms[i])
		i++;
	h->counts[i]++;
	h->count++;
	h->sum_ms += ms;
}

/* The data thread's part. */
typedef struct km_data_status {
	const char *state; /* static string */
	int64_t since_ms;
	int topics;
	int parts_by_state[KM_PART_NSTATES];
	uint64_t records, bytes, inflight, lost, skipped, dead_lettered, held;
	uint64_t rebuilds, stage_errors, deferred, fetch_wakes, ticks, unsourced_dropped;
	uint64_t osyncs_written, osyncs_failed; /* offset syncs */
	int64_t osync_last_ms;                  /* wall clock; 0: none yet */
	/* provenance headers: on, the clusters' ids in use ("": not yet known),
	 * records dropped because they came from the target */
	int prov_on;
	char prov_src[64], prov_dst[64];
	uint64_t prov_dropped;
	int64_t lag;
	int64_t taken_ms;                /* wall clock when the snapshot was taken */
	double records_rate, bytes_rate; /* per second, over the last ~5 s */
	uint64_t batches;                /* batches consumed and copied */
	uint64_t inflight_max, inflight_bytes, inflight_bytes_max; /* the flow's limits */
	km_lat_hist_t latency; /* source timestamp -> acknowledgement */
	char last_error[512];
	int64_t last_error_ms;
	km_part_status_t *parts;
	size_t part_cnt, part_cap;
	char *strs; /* NUL-terminated strings, the first one empty */
	size_t strs_len, strs_cap;
} km_data_status_t;

/* One periodic control task. */
typedef struct km_task_status {
	const char *name;
	uint64_t runs, failures;
	int64_t last_ms; /* wall clock of the last run's end; 0: never */
	int64_t took_ms; /* how long the last run took */
} km_task_status_t;

/* ACL sync (task_acls.c): the control thread keeps one and copies it
 * into each snapshot. */
typedef struct km_acl_status {
	int enabled;         /* sync.topic.acls.enabled */
	int64_t last_run_ms; /* wall clock of the last run's start; 0: never */
	/* the clusters' authorizers as last seen: "unknown" (not asked yet),
	 * "on", "none" (SECURITY_DISABLED), "not authorized" (kmirror's
	 * principal lacks DESCRIBE or ALTER on the cluster resource) */
	const char *source_authorizer, *target_authorizer;
	uint64_t synced;   /* bindings created on the target since the start */
	uint64_t failures; /* runs that failed */
	/* of the last run that read the source's ACLs: source bindings that
	 * apply to mirror topics, ALLOW WRITE ones dropped, and those the
	 * target had already */
	uint64_t bindings, write_dropped, present;
	char last_error[512]; /* of the last run; "" when it went well */
} km_acl_status_t;

#define KM_TASKS_MAX 12

/* The control thread's part. */
typedef struct km_ctl_status {
	const char *state; /* static string */
	int64_t since_ms;
	uint64_t topics_created, partitions_created, configs_synced, routed_created;
	/* heartbeats, on both clusters: delivered, failed, and the last
	 * delivered one's timestamp (wall ms, 0: none) */
	uint64_t heartbeats, heartbeat_failures;
	int64_t last_heartbeat_ms;
	/* checkpoints (task_checkpoints.c) */
	uint64_t checkpoints_written, checkpoints_failed, checkpoint_groups, checkpoints_exact;
	uint64_t checkpoints_untranslated, checkpoints_routed, checkpoints_skipped_bad;
	int64_t checkpoint_last_ms; /* wall clock; 0: none yet */
	/* group offset sync (task_groups.c) */
	uint64_t groups_synced, group_offsets_synced, group_sync_failures, groups_skipped;
	char groups_skipped_names[512];
	km_acl_status_t acls; /* ACL sync */
	km_task_status_t tasks[KM_TASKS_MAX];
	size_t task_cnt;
	char last_error[512];
	int64_t last_error_ms;
} km_ctl_status_t;

/* A mirror topic whose state (mstate.h) is not ACTIVE, as the control
 * thread publishes it. */
typedef struct km_mstate_view {
	char topic[256];        /* the source topic */
	char target[256];       /* its mirror topic ("" when not known yet) */
	const char *state, *by; /* static strings: the state, the command that set it */
	int64_t since_ms;       /* wall clock */
	int persisted;          /* stored on the target */
	char detail[160];       /* what a transition waits for */
} km_mstate_view_t;

/* A plugin instance's counters, read when rendered. */
struct km_instance;

/* The whole flow, as readers see it. */
typedef struct km_flow_status {
	const char *name, *source, *target;
	const char *state; /* derived from both threads' states */
	km_data_status_t data;
	km_ctl_status_t ctl;
	struct km_instance *const *instances; /* the flow's plugin instances */
	size_t instance_cnt;
	const km_mstate_view_t *states; /* mirror topics not ACTIVE */
	size_t state_cnt;
} km_flow_status_t;

/* The view of source topic @p topic in @p s, or NULL (ACTIVE). */
const km_mstate_view_t *km_flow_status_mstate(const km_flow_status_t *s, const char *topic);

/* Resets @p s for a new snapshot, keeping its memory. */
void km_data_status_reset(km_data_status_t *s);
/* Appends a partition; NULL when out of memory (the snapshot is partial). */
km_part_status_t *km_data_status_add(km_data_status_t *s);
/* Stores @p str and returns its offset for km_part_status_t.reason. */
size_t km_data_status_str(km_data_status_t *s, const char *str);
void km_data_status_free(km_data_status_t *s);

/* Lag in ms of a partition at @p now_wall_ms: 0 when nothing is waiting,
 * -1 when not known. */
int64_t km_part_lag_ms(const km_part_status_t *p, int64_t now_wall_ms);

/* Writes @p s as one JSON object. */
void km_status_json(const km_flow_status_t *s, FILE *fp);

/* Wall-clock milliseconds (for "since" fields). */
int64_t km_wall_ms(void);
/* Monotonic milliseconds (for intervals). */
int64_t km_mono_ms(void);

#endif
