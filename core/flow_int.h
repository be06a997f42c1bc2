/* A flow's parts and who owns what (private to core/flow*.c and friends).
 *
 * A running flow has two threads and the main thread around them:
 *
 *   main thread     flow.c        km_flow_new/start/stop/join/destroy, and
 *                                 readers of the published status
 *   data thread     data_thread.c the loop: commands in, poll, copy, acks,
 *                                 progress, status out
 *                   consume.c     polling the source consumer
 *                   copy.c        the record path: pipeline, produce, acks
 *                   waiting.c     records the target cannot take yet
 *                   failed.c      records that failed: on_error, dead-letter
 *                   progress_writer.c  progress records on the target
 *                   offset_syncs.c     offset syncs; translations asked for
 *                   clients.c     the consumer and producers (rebuilt here)
 *                   stall.c       producers paused while the target does not answer
 *                   inflight.c    the entry pool and per-partition queues
 *   control thread  control.c     progress loading, then a table of tasks:
 *                   task_topics.c discovery and mirror-topic creation
 *                   task_partitions.c  partition growth
 *                   task_configs.c     topic config sync
 *                   task_routes.c      topics that stages route records to
 *                   task_resets.c      positions outside the source's log
 *                   task_heartbeats.c  MirrorMaker 2's heartbeats
 *                   task_checkpoints.c MirrorMaker 2's checkpoints
 *                   task_groups.c      group offsets committed on the target
 *                   task_acls.c        topic ACLs copied to the target (acls.c)
 *                   internal_topics.c  creating and checking internal topics
 *
 * The threads share nothing they both write, except through the flow's
 * lock: commands from the control thread to the data thread (km_cmd_t),
 * requests from the data thread to the control thread (km_req_t), and the
 * published status snapshot (status.h), which each thread swaps in for its
 * own part. Fields below are grouped by owner; read-only ones are set
 * before the threads start. */
#ifndef KM_FLOW_INT_H
#define KM_FLOW_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "catalog.h"
#include "flow.h"
#include "inflight.h"
#include "mstate.h"
#include "ratelimit.h"
#include "pipeline.h"
#include "progress.h"
#include "provenance.h"
#include "status.h"
#include "tasks.h"
#include "tmeta.h"
#include "xlate.h"

#define KM_TOPIC_MAX        256
#define KM_MAX_CONNECTIONS  16
#define KM_ADMIN_TIMEOUT_MS 30000

typedef struct km_stopic km_stopic_t;
struct km_held;

/* One source partition, as the data thread copies it. */
typedef struct km_part {
	km_stopic_t *st;
	int32_t partition;
	int state;                  /* enum km_part_state */
	int64_t next;               /* next source offset not yet acknowledged; -1: unknown */
	int64_t sent;               /* progress value last produced (-1: none) */
	int64_t consumed;           /* next offset expected from the consumer; -1: unknown */
	int64_t next_ts;            /* source timestamp of the record at next; -1: unknown */
	int64_t last_src, last_dst; /* the last acknowledged record's offsets */
	int conn;                   /* the producer connection that owns the partition */
	int dirty;                  /* on the list of partitions whose progress moved */
	int resetting;              /* paused until the control thread found the log's bounds */
	int failing;                /* a stage failed a record and on_error is stop */
	int paused;                 /* its mirror topic's state holds records (mstate.h) */
	km_ifq_t q;                 /* its entries in the pool */
	struct km_held *held, **held_tail; /* records waiting for the target */
	uint64_t held_cnt;
	int64_t held_retry_ms, held_backoff_ms;
	int held_listed; /* on the flow's list of partitions with held records */
	int held_paused; /* paused in the consumer while records wait */
	uint64_t records, bytes, lost, skipped, dead_lettered;
	uint64_t prov_dropped; /* records whose provenance held the target's id */
	int64_t since_ms;      /* wall clock: when state or reason last changed */
	char reason[256];
	char fail_msg[256]; /* why a stage failed a record of it (the first) */
	/* offset syncs and translation (offset_syncs.c) */
	km_xlate_t *xl;  /* its runs; NULL when the flow neither syncs nor checkpoints */
	uint64_t routed; /* records made from its records that went elsewhere */
} km_part_t;

struct km_stopic {
	char *name;   /* on the source */
	char *target; /* on the target */
	rd_kafka_topic_t *src_rkt;
	rd_kafka_topic_t **dst_rkt; /* one handle per producer connection */
	km_part_t **parts;
	int32_t cnt;
	km_stopic_t *next;
};

/* Committed source offsets for the data thread to translate (the
 * checkpoint task's), one item each. The control thread makes it and
 * waits for the answer; when it stops waiting first, the data thread
 * frees it. state is under the flow's lock. */
typedef struct km_xitem {
	char *topic; /* the source topic */
	int32_t partition;
	int64_t offset; /* the group's committed source offset */
	int64_t down;   /* answer: where to resume on the target; -1: no translation */
	int exact;      /* answer: 1 exact, 0 MM2's rule (may give records again) */
	int routed;     /* answer: records of the partition went to other topics too */
} km_xitem_t;
typedef struct km_xjob {
	km_xitem_t *items;
	size_t cnt;
	enum { KM_XJOB_ASKED, KM_XJOB_ANSWERED, KM_XJOB_ABANDONED } state;
} km_xjob_t;
void km_xjob_free(km_xjob_t *job);

/* A command from the control thread to the data thread. */
typedef struct km_cmd {
	enum {
		KM_CMD_ADD,
		KM_CMD_GONE,
		KM_CMD_RESET,
		KM_CMD_NO_PARTITION,
		KM_CMD_TRANSLATE,
		KM_CMD_PAUSE,  /* a mirror-topic command: stop copying topic (NULL: all) */
		KM_CMD_RESUME, /* ...copy it again from where it stopped */
	} type;
	km_xjob_t *job; /* TRANSLATE */
	char *topic, *target;
	int32_t cnt;       /* ADD: partition count now; NO_PARTITION: the target's count */
	int64_t *starts;   /* ADD: start offset per partition (RD_KAFKA_OFFSET_*) */
	int32_t partition; /* RESET */
	int64_t lo, hi;    /* RESET: the log's bounds; lo -1: unknown */
	struct km_cmd *next;
} km_cmd_t;

/* A request from the data thread to the control thread. */
typedef struct km_req {
	enum { KM_REQ_RESET, KM_REQ_TOPIC } type;
	char *topic;       /* RESET: source topic; TOPIC: target topic */
	int32_t partition; /* RESET: source partition; TOPIC: the highest wanted */
	int32_t src_cnt;   /* TOPIC: partitions of the source topic it came from */
	int64_t pos;       /* RESET: the position that was refused */
	struct km_req *next;
} km_req_t;

/* The client set: the data thread's librdkafka handles. */
typedef struct km_clients {
	rd_kafka_t *consumer;
	rd_kafka_queue_t *cq;                      /* the consumer's queue */
	rd_kafka_t *producers[KM_MAX_CONNECTIONS]; /* each owns fixed partitions */
	rd_kafka_t *pproducer; /* progress records: their own connection, so they
	                          never wait behind megabytes of data */
	rd_kafka_t *oproducer; /* offset syncs, on the cluster offset-syncs.topic.location
	                          names; NULL when emit.offset-syncs is off */
	int nprod;
	int wake[2]; /* a pipe the producers' event queues signal */
} km_clients_t;

/* The data thread's state. */
typedef struct km_data {
	km_clients_t cl;
	km_inflight_t ifl;
	km_stopic_t *topics;
	int next_conn; /* the connection the next new partition gets */
	size_t nparts;
	km_part_t **dirty; /* partitions whose progress moved since last written */
	size_t dirty_cnt;
	km_part_t **heldq; /* partitions with held records */
	size_t heldq_cnt, lists_cap;
	int progress_dirty;
	km_entry_t **work; /* the entries of one batch being copied, then as
	                      many for the batch regrouped by partition */
	int copying;       /* inside km_copy_entries */
	struct {
		int active, pending, failed;
		uint64_t snapshot; /* popped records when it was written */
	} pw;                      /* the progress write in flight */
	int progress_marker, unsourced_marker;
	int64_t last_progress_ms, last_status_ms;
	uint64_t produced, rebuilds, stage_errors, fetch_wakes, ticks;
	uint64_t unsourced_inflight, unsourced_failed;
	int backlog;      /* a poll took a full batch since the queue last ran dry */
	size_t wake_next; /* where the fetch wake-up looks first */
	km_batchbuf_t bb;
	const km_header_t **hviews; /* per batch record: its header views as made */
	struct km_reroute {
		char *name;
		rd_kafka_topic_t *rkt[KM_MAX_CONNECTIONS];
	} * reroutes; /* producer handles of topics stages route records to */
	size_t reroute_cnt;
	int64_t *tick_due; /* per stage: when its tick is due next (mono ms) */
	km_tmeta_t *tmeta; /* the target's topics, as last published */
	uint64_t tmeta_gen;
	const char *state;
	int64_t state_since_ms;
	km_data_status_t st; /* the snapshot being filled */
	char last_error[512];
	int64_t last_error_ms;
	int last_error_from;      /* km_errsrc_t */
	km_ratelimit_t skip_log;  /* the lines that say a record was skipped or dead-lettered */
	km_ratelimit_t batch_log; /* the lines that say a stage failed a batch */
	struct km_dlq_todo {
		km_entry_t *e;            /* held until its record is sent */
		int32_t err;              /* what the target said */
		rd_kafka_headers_t *hdrs; /* the source record's headers (copied) */
	} * dlq_todo;                     /* records the target refused, to dead-letter */
	size_t dlq_todo_cnt, dlq_todo_cap;
	int dlq_draining;
	_Atomic int fatal; /* a producer raised a fatal error (set by its callbacks) */
	struct {
		int torn_down;      /* the producers are gone; a new set is not made yet */
		int failures;       /* attempts in a row that could not make them */
		int64_t due_ms;     /* the next attempt (mono ms) */
		int64_t backoff_ms; /* the wait before the next after that */
	} rb;                       /* the producer rebuild */
	struct {
		/* per producer connection, then the progress producer's (KM_STALL_PROGRESS) */
		int64_t heard_ms[KM_MAX_CONNECTIONS + 1];  /* mono: last report, or none due */
		int64_t paused_ms[KM_MAX_CONNECTIONS + 1]; /* mono: when it was paused; 0: not */
		int64_t since_ms[KM_MAX_CONNECTIONS + 1];  /* mono: the stall's start; 0: none */
		rd_kafka_topic_partition_list_t
		    *paused[KM_MAX_CONNECTIONS + 1]; /* what was paused */
		int64_t cpu_ns, cpu_ms;              /* the process's CPU time at mono ms cpu_ms */
	} stall;
	int64_t test_fatal_after;
	const char *test_stall_file; /* KMIRROR_TEST_STALL_FILE: no beat while it exists */
	/* offset syncs (offset_syncs.c) */
	int osync_marker;
	int osync_was_ready; /* osync_ready was seen set */
	uint64_t osyncs_inflight, osyncs_written, osyncs_failed, osyncs_unsent;
	int64_t osync_flushed_ms; /* mono */
	int64_t osync_last_ms;    /* wall clock: the last one acknowledged */
	/* metrics (docs/metrics.md) */
	uint64_t batches;
	km_lat_hist_t latency; /* source timestamp -> acknowledgement */
	int64_t ack_wall_ms;   /* wall clock of the acknowledgements being popped */
	struct {
		int64_t ms; /* mono: the start of the rate window */
		uint64_t records, bytes;
		double records_rate, bytes_rate;
	} rate;
	/* provenance (provenance.h): the clusters' ids, as last taken from
	 * the control thread (km_flow_take_prov); nothing is copied until
	 * both are known */
	struct {
		char src[KM_PROV_ID_MAX], dst[KM_PROV_ID_MAX];
		size_t src_len, dst_len;
		int known;
		uint64_t gen;
	} prov;
} km_data_t;

/* ---- producers paused while the target does not answer (stall.c) ---- */

/* librdkafka's idempotent producer busy-waits while a partition's next
 * batch is ready and the one before is not yet acknowledged. While a
 * target broker does not answer at all, that would take every core for as
 * long as it does not: a connection with records outstanding and no
 * delivery report for KM_STALL_MS, while the process burns half a core or
 * more, has its partitions paused (librdkafka
 * computes no wake-up for a paused partition), and resumed at its next
 * report or error event, and every KM_STALL_PROBE_MS in case nothing is
 * left in flight to be reported (paused again if it spins again). */
#define KM_STALL_MS       1000
#define KM_STALL_PROBE_MS 5000
#define KM_STALL_PROGRESS KM_MAX_CONNECTIONS /* the progress producer's index */

/* Connection @p conn (KM_STALL_PROGRESS: the progress producer's) served
 * delivery reports at @p now: it answers. */
void km_stall_heard(km_flow_t *f, int conn, int64_t now);
/* Pauses connections that stopped answering, resumes paused ones when
 * their probe is due; called once per loop of the data thread, it works
 * five times a second. */
void km_stall_check(km_flow_t *f, int64_t now);
/* Forgets every pause (the producers are destroyed or made anew). */
void km_stall_reset(km_flow_t *f);

/* ---- control-thread producers and heartbeats (task_heartbeats.c) ---- */

/* What a user of the control thread's producers (km_ctl_t.dst_producer,
 * src_producer) counts of its records: each record's opaque
 * (RD_KAFKA_V_OPAQUE) points to one, which km_ctl_dr_cb updates when the
 * record is delivered or fails. */
typedef struct km_ctl_sent {
	char what[320]; /* for the log: "heartbeat to heartbeats on b" */
	uint64_t delivered, failed;
	int64_t last_ts;              /* the last delivered record's timestamp (wall ms) */
	rd_kafka_resp_err_t last_err; /* of the last failure */
	km_ratelimit_t log;           /* the lines that say a record failed */
} km_ctl_sent_t;

/* The heartbeats of one cluster: the target's (key source -> target) or
 * the source's (key target -> source, as MirrorMaker 2's reverse herder
 * writes them). */
typedef struct km_hb_side {
	const char *cluster;           /* the alias it is written on */
	const char *key_src, *key_dst; /* the aliases in its key */
	int ready;                     /* the heartbeats topic is there, of the right shape */
	km_err_t err;                  /* why not, from km_internal_topic_ensure */
	int64_t retry_ms, backoff_ms;  /* when the topic is checked again (mono ms) */
	char error[512];               /* why it is not ready; logged when it changes */
	km_ctl_sent_t sent;
} km_hb_side_t;

typedef struct km_hb {
	char topic[KM_TOPIC_MAX]; /* the policy's heartbeats topic */
	km_hb_side_t side[2];     /* [0] the target, [1] the source */
} km_hb_t;

/* ---- end of control-thread producers and heartbeats ---- */

/* The control thread's state. */
typedef struct km_ctl {
	rd_kafka_t *src_admin, *dst_admin;
	km_catalog_t cat;
	km_progress_map_t *progress;
	km_tasks_t tasks;
	struct km_cfgset *target_known; /* config names the target's Kafka has */
	int64_t target_known_tried_ms;
	km_req_t *resets, *routes; /* the data thread's requests, taken */
	int64_t next_target_list_ms;
	uint64_t tmeta_version; /* the catalog's dst_version last published */
	uint64_t topics_created, partitions_created, configs_synced, routed_created;
	const char *state;
	int64_t state_since_ms;
	km_ctl_status_t st;
	char last_error[512];
	int64_t last_error_ms;
	int error_task;       /* the task that set last_error, -1: none (the progress load),
	                       * KM_CTL_ERR_ADMIN: an admin client's own error */
	uint64_t error_runs;  /* that task's runs when it did (every task's, for an admin error) */
	uint64_t error_fails; /* every task's failures then, for an admin error */

	/* Control-thread producers, general purpose (heartbeats; checkpoints
	 * later): made when the control thread starts, polled by the tasks
	 * that use them, flushed briefly and destroyed when it ends. Each
	 * record's opaque is a km_ctl_sent_t. NULL when it could not be made
	 * (logged; the tasks that need it fail with that). */
	rd_kafka_t *dst_producer; /* to the target */
	rd_kafka_t *src_producer; /* to the source */
	/* heartbeats (task_heartbeats.c) */
	km_hb_t hb;
	/* checkpoints (task_checkpoints.c) */
	struct km_ckpt *ckpt; /* the last checkpoints and counters; NULL until the first run */
	uint64_t ckpt_groups, ckpt_untranslated, ckpt_routed, ckpt_exact;
	/* group offset sync (task_groups.c) */
	km_strmap_t group_seen; /* group -> how its last sync went (skipped or written) */
	uint64_t groups_synced, group_offsets_synced, group_sync_failures, groups_skipped;
	char groups_skipped_names[512]; /* those skipped in the last run, ", "-separated */
	/* ACL sync (task_acls.c) */
	km_acl_status_t acls;
	int acls_empty_said; /* the source's empty answer was said */
	/* the clusters' ids (task_clusters.c): [0] the source's, [1] the target's; "": not
	 * known yet */
	char prov_ids[2][KM_PROV_ID_MAX];
	/* mirror-topic states (task_states.c), loaded with the progress */
	km_mstate_map_t states;
	km_ctl_sent_t states_sent;     /* their records' deliveries */
	km_mstate_view_t *state_views; /* the views being filled */
	size_t state_view_cnt, state_view_cap;
} km_ctl_t;

/* A mirror-topic command from a reader thread (REST) to the control
 * thread, which answers it; when the asker stops waiting first, the
 * control thread frees it. Under the flow's lock but for the fields the
 * control thread fills before it answers. */
typedef struct km_sreq {
	km_mcmd_t cmd;
	char *topic; /* NULL: every topic of the flow */
	int force, grant_write;
	enum { KM_SREQ_ASKED, KM_SREQ_ANSWERED, KM_SREQ_ABANDONED } state;
	km_cmd_answer_t ans;
	struct km_sreq *next;
} km_sreq_t;

struct km_flow {
	/* read-only once made */
	const km_flow_conf_t *fc;
	char *name, *source, *target;
	km_instance_t *policy, *filter;
	km_instance_t *group_filter;  /* the groups checkpointed (groups:) */
	km_instance_t *config_filter; /* the topic configs copied (config.properties:) */
	km_pipeline_t pipeline;
	km_instance_t **instances; /* policy, filters, stages: for the status */
	size_t instance_cnt;
	int start_latest, rf;
	enum { KM_ON_ERROR_STOP, KM_ON_ERROR_SKIP, KM_ON_ERROR_DEAD_LETTER } on_error;
	char *dlq_topic; /* dead_letter.topic (on_error: dead-letter) */
	int64_t refresh_ms, sync_configs_ms, target_refresh_ms;
	int sync_configs;
	size_t batch_records, max_inflight, max_inflight_bytes;
	int nprod;
	/* heartbeats and MirrorMaker 2's internal topics */
	int emit_heartbeats;        /* emit.heartbeats */
	int64_t heartbeats_ms;      /* emit.heartbeats.interval */
	int heartbeats_replication; /* heartbeats.replication.enabled */
	int internal_rf;            /* internal.topics.replication.factor */
	/* offset syncs and checkpoints */
	int xlate_on;    /* offset syncs or checkpoints: partitions keep runs */
	int osync_on;    /* emit.offset-syncs */
	int64_t lag_max; /* offset.lag.max */
	int64_t osync_flush_ms;
	char *osync_topic;         /* on osync_cluster, named by the policy */
	const char *osync_cluster; /* the alias offset-syncs.topic.location names */
	int osync_on_target;       /* ...which is the target */
	int ckpt_on;               /* emit.checkpoints */
	int64_t ckpt_ms;
	char *ckpt_topic;  /* on the target, named by the policy */
	int group_sync_on; /* sync.group.offsets (and emit.checkpoints) */
	int64_t group_sync_ms;
	int sync_acls; /* sync.topic.acls.enabled */
	int64_t sync_acls_ms;
	/* provenance headers (provenance.h) */
	int prov_on;     /* provenance */
	char *prov_name; /* provenance.header */

	/* shared, under lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	km_cmd_t *cmds, **cmds_tail;    /* control -> data */
	km_req_t *reqs, **reqs_tail;    /* data -> control */
	km_sreq_t *sreqs, **sreqs_tail; /* readers -> control: mirror-topic commands */
	int ctl_running;                /* the control thread takes commands */
	km_mstate_view_t *pub_states;   /* the published mirror-topic states (not ACTIVE) */
	size_t pub_state_cnt, pub_state_cap;
	_Atomic int cmds_pending;
	_Atomic int stop;
	int drain_ms;
	km_data_status_t pub_data; /* the published snapshot */
	km_ctl_status_t pub_ctl;
	km_tmeta_t *pub_tmeta; /* the target's topics, for the data thread */
	_Atomic uint64_t tmeta_gen;
	_Atomic int osync_ready; /* the offset-syncs topic is there (control thread) */
	/* liveness: the monotonic ms by which each thread comes round its
	 * loop again; 0: not running (km_flow_beat, km_flow_hung) */
	_Atomic int64_t data_due_ms, ctl_due_ms;
	char pub_prov[2][KM_PROV_ID_MAX]; /* the clusters' ids: source, target ("": unknown) */
	_Atomic uint64_t prov_gen;        /* bumped when they change */

	/* each thread's own */
	km_data_t d;
	km_ctl_t c;

	/* the main thread's */
	pthread_t data_thr, control_thr;
	int started;
	_Atomic int clean_exit;
};

/* The calling thread comes round its loop again within @p ms (plus
 * km_flow_stall_ms) of @p now_ms; @p now_ms < 0: it ended. One atomic
 * store. @locality the thread that owns @p slot */
static inline void km_flow_beat(_Atomic int64_t *slot, int64_t now_ms, int64_t ms) {
	int64_t stall = atomic_load_explicit(&km_flow_stall_ms, memory_order_relaxed);
	atomic_store_explicit(slot, now_ms < 0 || !stall ? 0 : now_ms + ms + stall,
	                      memory_order_relaxed);
}

/* flow.c @locality any flow thread */
void km_flow_send_cmd(km_flow_t *f, km_cmd_t *c);
void km_flow_send_req(km_flow_t *f, km_req_t *r);
void km_cmd_free(km_cmd_t *c);
void km_req_free(km_req_t *r);
/* The data thread's / control thread's snapshot goes out to readers. */
void km_flow_publish_data(km_flow_t *f);
void km_flow_publish_ctl(km_flow_t *f);
/* The control thread's view of the target's topics goes out, when it
 * changed. @locality control thread */
void km_flow_publish_tmeta(km_flow_t *f);
/* The data thread takes the latest view. @locality data thread */
void km_flow_take_tmeta(km_flow_t *f);
/* The control thread's cluster ids (f->c.prov_ids) go out. @locality
 * control thread */
void km_flow_publish_prov(km_flow_t *f);
/* The data thread takes them when they changed. @locality data thread */
void km_flow_take_prov(km_flow_t *f);

/* clients.c @locality data thread (km_clients_open: main thread) */
km_err_t km_clients_open(km_flow_t *f, char *errstr, size_t errstr_size);
void km_clients_close(km_flow_t *f);
rd_kafka_t *km_client_new(km_flow_t *f, rd_kafka_type_t type, const char *role,
                          const km_cluster_conf_t *cl, const km_kvlist_t *over,
                          const char *const *defaults, const char *const *forced, char *errstr,
                          size_t errstr_size);
km_err_t km_producers_make(km_flow_t *f, char *errstr, size_t errstr_size);
void km_producers_destroy(km_flow_t *f);
/* A producer connection raised a fatal error (d->fatal), or an earlier
 * attempt could not make new producers (d->rb.torn_down): rebuild them
 * all, resuming every partition from its acknowledged progress. Returns
 * KM_OK when the producers are there again; the error when they could not
 * be made (it is logged and in the status, and the next attempt is due at
 * d->rb.due_ms, with a backoff from 1 s to 60 s). Between the two, the
 * flow holds no producer and must neither consume nor produce. */
km_err_t km_producers_rebuild(km_flow_t *f);
/* Whether the producers are there (not torn down by a rebuild). */
#define km_producers_up(f) (!(f)->d.rb.torn_down)
size_t km_producer_batch_size(rd_kafka_t *rk);

/* consume.c @locality data thread */
size_t km_consume_poll(km_flow_t *f, rd_kafka_message_t **msgs, size_t max);
/* Stops or resumes fetching @p p. */
void km_part_pause(km_flow_t *f, km_part_t *p);
void km_part_resume(km_flow_t *f, km_part_t *p);

/* copy.c @locality data thread */
void km_copy_admit(km_flow_t *f, rd_kafka_message_t **msgs, size_t n);
void km_copy_serve_acks(km_flow_t *f, int timeout_ms);
void km_copy_ticks(km_flow_t *f, int64_t now);
void km_copy_drop_reroutes(km_flow_t *f);
/* Forgets the records waiting to be dead-lettered (their entries were
 * dropped: a producer rebuild). */
void km_copy_drop_dead_letters(km_flow_t *f);
/* The producer handle for @p topic on connection @p conn. */
rd_kafka_topic_t *km_copy_rkt(km_flow_t *f, const char *topic, km_part_t *p, int conn);
/* Produces one record made from @p e (NULL: a record with no source) for
 * @p p (NULL: none): sent, held for a topic the target lacks, or failed.
 * @p hdrs is handed over. */
void km_copy_produce(km_flow_t *f, km_part_t *p, km_entry_t *e, const char *topic,
                     int32_t partition, const void *key, size_t key_len, const void *val,
                     size_t val_len, int64_t ts, rd_kafka_headers_t *hdrs, unsigned flags);
/* A consumed record's timestamp, 0 when it has none. */
static inline int64_t km_msg_timestamp(const rd_kafka_message_t *m) {
	int64_t ts = rd_kafka_message_timestamp(m, NULL);

	return ts < 0 ? 0 : ts;
}
/* An entry's failure that a producer rebuild caused, or will undo. */
static inline int km_rebuild_error(km_flow_t *f, int32_t err) {
	return err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT ||
	       err == RD_KAFKA_RESP_ERR__FATAL || atomic_load(&f->d.fatal);
}

/* failed.c: records that failed, and on_error. @locality data thread */
#define KM_MARK_DEAD_LETTERED                                                                      \
	1 /* km_entry_t.mark: its source record went to the dead-letter topic */
#define KM_MARK_DLQ_REFUSED  2 /* ... which refused it */
#define KM_MARK_PROV_DROPPED 3 /* its provenance holds the target's id: dropped, never copied */
/* Stage @p st failed a record made from @p e with @p msg. */
void km_fail_stage(km_flow_t *f, km_entry_t *e, const km_instance_t *st, const char *msg);
/* The head entry @p e of an active partition failed (its status): on_error,
 * as it applies to the failure, when it is popped. */
void km_fail_record(km_flow_t *f, km_entry_t *e);
/* A record made from @p e that the target refused with @p err, in its
 * delivery report (@p sent: its headers, borrowed): 1 when on_error
 * dead-letter takes it (km_fail_drain sends it after the poll), 0 when the
 * failure stands. */
int km_fail_dead_letter_later(km_flow_t *f, km_entry_t *e, int32_t err,
                              const rd_kafka_headers_t *sent);
/* Sends what km_fail_dead_letter_later took to the dead-letter topic. */
void km_fail_drain(km_flow_t *f);
/* Whether a stage's failure of a whole batch may be logged (rate-limited
 * unless on_error is stop). */
int km_fail_batch_logged(km_flow_t *f);

/* km_copy_send and km_wait_hold flags */
#define KM_SEND_DEAD_LETTER 0x1 /* the source record of the entry, to the dead-letter topic */
#define KM_SEND_ROUTED      0x2 /* to a topic or partition other than the entry's mirror */
/* Sends one record made from @p e (NULL: no source). 0: sent, or failed
 * for good (km_copy_send_failed); 1: the target does not know the topic
 * or partition yet. @p hdrs is handed over when 0. */
int km_copy_send(km_flow_t *f, km_entry_t *e, int conn, rd_kafka_topic_t *rkt, int32_t partition,
                 const void *key, size_t key_len, const void *val, size_t val_len, int64_t ts,
                 rd_kafka_headers_t *hdrs, size_t cost, unsigned flags);
/* A record made from @p e (sent with @p flags and the headers @p sent,
 * borrowed) failed for good with @p err, with no delivery report to come:
 * on_error dead-letter sends the source record to the dead-letter topic,
 * else the entry has the error. */
void km_copy_send_failed(km_flow_t *f, km_entry_t *e, int32_t err, unsigned flags,
                         const rd_kafka_headers_t *sent);
/* The partition of the dead-letter topic for @p p's records: its own
 * modulo the topic's count; -1 while the count is not known (the topic
 * is missing, or the target not listed yet). */
int32_t km_copy_dead_letter_partition(km_flow_t *f, const km_part_t *p);

/* waiting.c @locality data thread */
/* 1 when the target is known to lack @p topic or its @p partition. */
int km_wait_lacks(km_flow_t *f, const km_part_t *p, const char *topic, int32_t partition);
/* Holds a record of @p p (made from @p e) until the target can take it. */
void km_wait_hold(km_flow_t *f, km_part_t *p, km_entry_t *e, const char *topic, int32_t partition,
                  const void *key, size_t key_len, const void *val, size_t val_len, int64_t ts,
                  rd_kafka_headers_t *hdrs, size_t cost, unsigned flags);
/* Asks the control thread to make sure the target has @p topic. */
void km_wait_request_topic(km_flow_t *f, km_part_t *p, const char *topic, int32_t partition);
void km_copy_retry_held(km_flow_t *f, int64_t now);
/* Says the skipped records the log rate limit held back, once their
 * window is over. */
void km_copy_skips_said(km_flow_t *f, int64_t now);
void km_copy_drop_held(km_flow_t *f, km_part_t *p);
void km_copy_no_partition(km_flow_t *f, const char *topic, int32_t cnt);
void km_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
void km_part_set_reason(km_part_t *p, const char *fmt, ...) KM_PRINTF(2, 3);
/* Where a data error came from: it is cleared when that side works again
 * (km_data_error_ended). */
typedef enum km_errsrc {
	KM_ERRSRC_NONE = 0,
	KM_ERRSRC_SOURCE, /* the source cluster: ended by a record consumed */
	KM_ERRSRC_TARGET, /* the target cluster: ended by a record acknowledged */
	KM_ERRSRC_STAGE,  /* a record stage: ended by a batch it passed */
} km_errsrc_t;
/* Sets the flow's last data error (the status's last_error). */
void km_data_error(km_flow_t *f, km_errsrc_t from, const char *fmt, ...) KM_PRINTF(3, 4);
/* The side @p from works again: an error it set is cleared. */
static inline void km_data_error_ended(km_flow_t *f, km_errsrc_t from) {
	if (f->d.last_error_from == (int)from) {
		f->d.last_error[0] = '\0';
		f->d.last_error_ms = 0;
		f->d.last_error_from = KM_ERRSRC_NONE;
	}
}

/* offset_syncs.c @locality data thread */
/* Gives @p p its runs (again: a recreated topic), when the flow keeps them. */
void km_osync_part_init(km_flow_t *f, km_part_t *p);
/* @p e, popped, made records in its mirror partition (e->dst_first >= 0). */
void km_osync_note(km_flow_t *f, km_part_t *p, const km_entry_t *e);
/* Writes every partition's delayed offset sync. */
void km_osync_flush(km_flow_t *f, int64_t now);
/* An offset sync's delivery report. */
void km_osync_report(km_flow_t *f, const rd_kafka_message_t *m);
/* Answers a translation job (KM_CMD_TRANSLATE). */
void km_osync_translate(km_flow_t *f, km_xjob_t *job);

/* progress_writer.c @locality data thread */
void km_progress_mark(km_flow_t *f, km_part_t *p);
void km_progress_mark_all(km_flow_t *f);
void km_progress_write(km_flow_t *f);
/* The progress write in flight was answered: take what it stored. */
void km_progress_settle(km_flow_t *f);

/* data_thread.c */
void *km_data_main(void *arg);
/* The source topic @p name the data thread copies, or NULL. */
km_stopic_t *km_data_topic(km_flow_t *f, const char *name);

/* control.c @locality control thread */
void *km_control_main(void *arg);
void km_ctl_error(km_flow_t *f, const char *fmt, ...) KM_PRINTF(2, 3);
/* An error an admin client reported by itself (a cluster unreachable),
 * logged already (km_kafka_error): it is the flow's last error until the
 * tasks next run without a failure. */
#define KM_CTL_ERR_ADMIN (-2)
void km_ctl_admin_error(km_flow_t *f, rd_kafka_t *rk, const char *reason);
rd_kafka_event_t *km_admin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type);
/* 1 when the flow copies source topic @p topic (filter, policy, cycles). */
int km_ctl_selected(km_flow_t *f, const char *topic);

/* The control tasks, each in its own file. @locality control thread */
km_err_t km_task_topics(void *f, int64_t now);
km_err_t km_task_partitions(void *f, int64_t now);
km_err_t km_task_configs(void *f, int64_t now);
km_err_t km_task_routes(void *f, int64_t now);
km_err_t km_task_resets(void *f, int64_t now);
km_err_t km_task_heartbeats(void *f, int64_t now);
/* task_clusters.c: the clusters' ids, for provenance headers */
km_err_t km_task_clusters(void *f, int64_t now);
/* task_heartbeats.c: the control producers' delivery reports (served by
 * rd_kafka_poll of the control thread), and their making and ending. */
void km_ctl_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
void km_ctl_producers_open(km_flow_t *f);
void km_ctl_producers_close(km_flow_t *f);
km_err_t km_task_checkpoints(void *f, int64_t now);
/* task_checkpoints.c: its part of the status, and its end */
void km_ckpt_status(km_flow_t *f, km_ctl_status_t *st);
void km_ckpt_free(km_flow_t *f);
/* The last checkpoint of each (group, partition) of this flow's mirror
 * topics, for groups the filter takes; borrowed until the next run of
 * task checkpoints. The caller frees the array. */
typedef struct km_ckpt_entry {
	const char *group, *topic; /* topic: on the target */
	int32_t partition;
	int64_t downstream;
} km_ckpt_entry_t;
km_err_t km_ckpt_entries(km_flow_t *f, km_ckpt_entry_t **out, size_t *cntp);
km_err_t km_task_groups(void *f, int64_t now);
void km_groups_free(km_flow_t *f);
/* Failover: each group checkpointed for mirror topic @p target whose
 * offset on the target is past a partition's end gets that end (groups
 * with members there are refused by the cluster, and logged). */
km_err_t km_groups_clamp(km_flow_t *f, const char *target, int32_t partitions, size_t *clamped);
/* task_states.c: mirror-topic states (mstate.h) */
km_err_t km_task_states(void *f, int64_t now);
/* Runs the commands readers asked for (flow_cmd.c). */
void km_ctl_take_commands(km_flow_t *f);
/* Fills and publishes the views of the states that are not ACTIVE. */
void km_ctl_states_publish(km_flow_t *f);
/* The control thread ends: commands still asked are refused. */
void km_ctl_states_end(km_flow_t *f);
/* task_acls.c: topic ACL sync, and its part of the status made ready */
km_err_t km_task_acls(void *f, int64_t now);
void km_acls_init(km_flow_t *f);
/* Hands a topic's ready partitions to the data thread (task_topics.c). */
void km_ctl_assign_ready(km_flow_t *f, km_ctopic_t *c);
/* Takes the data thread's requests off the flow's queue into the tasks'. */
void km_ctl_take_requests(km_flow_t *f);

#endif
