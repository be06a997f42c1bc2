/**
 * @file kmirror/plugin.h
 * @brief The kmirror plugin SDK: what a shared-object plugin exports and what
 *        the host gives it.
 *
 * A plugin is one shared object that exports exactly one data symbol,
 * `km_plugin`, a constant km_plugin_t filled in by KM_PLUGIN_DEFINE(). The
 * descriptor is the class; every use of the plugin in the configuration is an
 * instance, made by create() with its own validated parameters and a host
 * context (name, log prefix, metrics).
 *
 * The host refuses a plugin whose ABI major differs from its own, and reads
 * only the descriptor fields, and the fields of its kind's operations
 * table, that fit in the sizes the plugin was built with, so a plugin built
 * against an older minor keeps working. Every table and struct that can
 * grow says its size: the descriptor and each operations table carry a
 * `size` the plugin fills in (KM_PLUGIN_DEFINE and KM_OPS do it), the host
 * table carries the host's, and batches carry their record stride.
 *
 * A plugin includes only <kmirror/...> headers; it never links librdkafka or
 * the core. Build one out of tree with `pkg-config --cflags kmirror-plugin`
 * and link it with `-module -avoid-version` (libtool) or `-shared`.
 *
 * Threading: create() and destroy() run on the main thread. An instance
 * belongs to one flow, and its other callbacks always run on one thread of
 * that flow, never two at once: a policy's and every filter's (topics,
 * consumer groups, config properties) on the flow's control thread, a
 * record stage's on its data thread. An instance needs no locks of its
 * own.
 */
#ifndef KMIRROR_PLUGIN_H
#define KMIRROR_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <kmirror/err.h>
#include <kmirror/record.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KM_PLUGIN_ABI_MAJOR 2
#define KM_PLUGIN_ABI_MINOR 3

/** The name of the one symbol a plugin exports. */
#define KM_PLUGIN_SYMBOL "km_plugin"

/** What a plugin does. */
typedef enum km_plugin_kind {
	KM_PLUGIN_POLICY = 1,       /**< names topics on the target (km_policy_ops_t) */
	KM_PLUGIN_TOPIC_FILTER = 2, /**< selects source topics (km_topic_filter_ops_t) */
	KM_PLUGIN_STAGE = 3,        /**< changes batches of records (km_stage_ops_t) */
	/* ABI 2.3 */
	KM_PLUGIN_GROUP_FILTER = 4,  /**< selects source consumer groups (km_group_filter_ops_t) */
	KM_PLUGIN_CONFIG_FILTER = 5, /**< selects topic config properties copied
	                                  (km_config_filter_ops_t) */
} km_plugin_kind_t;

/* ------------------------------------------------------------------------ */
/* Configuration schema                                                      */
/* ------------------------------------------------------------------------ */

/** The type of a configuration parameter. */
typedef enum km_param_type {
	KM_PARAM_STRING = 1, /**< any scalar, as text */
	KM_PARAM_INT,        /**< a 64-bit integer within [min, max] */
	KM_PARAM_BOOL,       /**< true/false (also yes/no, on/off) */
	KM_PARAM_ENUM,       /**< one of `choices`, "a|b|c" */
	KM_PARAM_LIST,       /**< a sequence of strings; a scalar is split on commas */
	KM_PARAM_DURATION,   /**< a number with a unit: ms, s, m, h; read as ms */
	KM_PARAM_SIZE,       /**< a number with an optional unit: B, KB, MB, GB
	                          (powers of 1024); read as bytes */
	/* ABI 2.2 */
	KM_PARAM_PATH, /**< a file's path, read with param_str(): a relative
	                    path is taken from the directory of the
	                    configuration file that holds it. When the file
	                    changes (size, time or inode), a reload (SIGHUP)
	                    restarts the instance's flow as if its YAML had
	                    changed. The host does not open the file. */
	KM_PARAM_TREE, /**< any YAML value (a scalar, a mapping or a list, nested),
	                    read with param_tree(); no default */
} km_param_type_t;

/** What a km_value_t holds. */
typedef enum km_value_kind {
	KM_VALUE_NULL = 0, /**< YAML null (~, null, or nothing) */
	KM_VALUE_SCALAR,   /**< `text` */
	KM_VALUE_MAP,      /**< `cnt` pairs keys[i]: items[i], in file order */
	KM_VALUE_LIST,     /**< `cnt` items */
} km_value_kind_t;

/** A YAML value as a KM_PARAM_TREE parameter gives it: read-only, owned by
 *  the instance's parameters (as long as the instance lives). */
typedef struct km_value {
	km_value_kind_t kind;
	const char *text;             /**< SCALAR: the text, NUL-terminated, ${env:} and
	                                   ${file:} expanded; NULL otherwise */
	int quoted;                   /**< SCALAR: written in quotes (or as a block), so text
	                                   as written, never a number or a boolean */
	int secret;                   /**< SCALAR: came from ${env:} or ${file:}: never log it */
	size_t cnt;                   /**< MAP, LIST: the number of entries */
	const char *const *keys;      /**< MAP: the keys */
	const struct km_value *items; /**< MAP: the values; LIST: the items */
} km_value_t;

/** km_param_t.flags */
#define KM_PARAM_F_REQUIRED  0x1 /**< the key must be given */
#define KM_PARAM_F_SENSITIVE 0x2 /**< a secret: never logged or shown */

/**
 * One parameter of a plugin's (or the core's) configuration. A schema is an
 * array of these ending with an entry whose name is NULL. The host binds the
 * YAML mapping of each instance against it before create(): unknown keys,
 * missing required keys, wrong types and out-of-range values are refused
 * with file:line:col, so create() gets only valid values.
 */
typedef struct km_param {
	const char *name; /**< the YAML key */
	km_param_type_t type;
	const char *def;     /**< default, written as in YAML (lists: "a,b"); NULL: none */
	uint32_t flags;      /**< KM_PARAM_F_* */
	int64_t min, max;    /**< INT, DURATION (ms), SIZE (bytes): range; min == max == 0: any */
	const char *choices; /**< ENUM: allowed values, "a|b|c" */
	const char *doc;     /**< one sentence for --help and the docs */
} km_param_t;

/** A bound, validated set of parameter values (opaque; read it through the
 *  host API). */
typedef struct km_params km_params_t;

/* ------------------------------------------------------------------------ */
/* The host API                                                              */
/* ------------------------------------------------------------------------ */

/** Log levels, as syslog's. */
typedef enum km_log_level {
	KM_LOG_ERR = 3,
	KM_LOG_WARNING = 4,
	KM_LOG_NOTICE = 5,
	KM_LOG_INFO = 6,
	KM_LOG_DEBUG = 7,
} km_log_level_t;

/** The host's context of one plugin instance (opaque). */
typedef struct km_ctx km_ctx_t;

/** A monotonically increasing metric owned by the host (opaque). */
typedef struct km_counter km_counter_t;

#if defined(__GNUC__)
#define KM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define KM_PRINTF(fmt, args)
#endif

/**
 * Functions the host gives a plugin at create time. The table outlives every
 * instance. New functions are only ever appended (a minor ABI bump); check
 * `size` before calling one newer than the minor you were built against
 * (KM_HOST_HAS does).
 */
typedef struct km_host_api {
	uint16_t abi_major; /**< the host's KM_PLUGIN_ABI_MAJOR */
	uint16_t abi_minor; /**< the host's KM_PLUGIN_ABI_MINOR */
	uint32_t size;      /**< sizeof(km_host_api_t) in the host */

	/** Logs a line prefixed with the instance's name. A @p level outside
	 *  KM_LOG_ERR..KM_LOG_DEBUG is logged as KM_LOG_ERR when more severe,
	 *  as KM_LOG_DEBUG when less. @locality any thread */
	void (*log)(km_ctx_t *ctx, km_log_level_t level, const char *fmt, ...) KM_PRINTF(3, 4);

	/** The instance's name (its flow and position in the config). */
	const char *(*instance_name)(const km_ctx_t *ctx);
	/** The aliases of the flow the instance belongs to. */
	const char *(*flow_source)(const km_ctx_t *ctx);
	const char *(*flow_target)(const km_ctx_t *ctx);

	/** Parameter values, by the name in the schema. STRING and ENUM give a
	 *  NUL-terminated string (NULL when unset with no default), and so
	 *  does PATH, with a relative path made absolute; INT,
	 *  DURATION and SIZE an integer; BOOL 0 or 1; LIST the count, with
	 *  @p items pointed at the strings. All borrowed from @p p, which lives
	 *  as long as the instance. Asking for a name not in the schema, or
	 *  with another type, aborts: it is a bug in the plugin. */
	const char *(*param_str)(const km_params_t *p, const char *name);
	int64_t (*param_int)(const km_params_t *p, const char *name);
	int (*param_bool)(const km_params_t *p, const char *name);
	size_t (*param_list)(const km_params_t *p, const char *name, const char *const **items);
	/** 1 when the key was given in the config, 0 when the default applies. */
	int (*param_isset)(const km_params_t *p, const char *name);

	/** Registers a counter for this instance, exported as
	 *  kmirror_plugin_<name>_total{instance=...}. Call from create(). */
	km_counter_t *(*counter)(km_ctx_t *ctx, const char *name, const char *help);
	/** Adds to a counter: lock-free, for the hot path. */
	void (*counter_add)(km_counter_t *c, uint64_t v);

	/** @p size bytes from the batch's arena, freed with the batch; NULL when
	 *  the flow's memory bound is reached. @locality the stage's call */
	void *(*arena_alloc)(km_batch_t *batch, size_t size);
	/** Appends a record to the batch and returns it. With @p from (a
	 *  record of this batch) the new one is made from it: a copy of it,
	 *  flags cleared, and @p from is not done until the target acknowledged
	 *  the new one (record.h, Progress). With @p from NULL: a zeroed record
	 *  with no source (timestamp -1, partition -1, topic NULL: set it).
	 *  `batch->records` may move, so earlier record pointers, @p from
	 *  included, are invalid afterwards. NULL when the flow's memory bound
	 *  is reached. @locality the stage's call */
	km_record_t *(*batch_add)(km_batch_t *batch, const km_record_t *from);

	/** A short description of @p err, Kafka's codes included. */
	const char *(*err2str)(km_err_t err);
	/** Apache Kafka's murmur2 hash of @p len bytes (Utils.murmur2). */
	int32_t (*murmur2)(const void *key, size_t len);
	/** The partition Kafka's default partitioner picks for a non-null key
	 *  among @p partition_cnt (Java producers agree); -1 when the count is
	 *  not positive. */
	int32_t (*murmur2_partition)(const void *key, size_t len, int32_t partition_cnt);
	/** The partition count of @p topic on the flow's target, as the flow's
	 *  control side last saw it (never a network wait): > 0, 0 when the
	 *  target has no such topic, -1 when not known yet. A record routed to
	 *  a missing topic waits while kmirror creates it. @locality the
	 *  stage's call */
	int32_t (*target_partitions)(km_ctx_t *ctx, const char *topic);

	/* ABI 2.1 */

	/** Names the parameter a failing create() refuses, so that the host
	 *  reports the error where that key is in the configuration, in the
	 *  form of its own key errors:
	 *
	 *      FILE:LINE:COL: key 'NAME': ERRSTR
	 *      FILE:LINE:COL: key 'NAME': item N: ERRSTR    (@p item N > 0)
	 *
	 *  at the key's value, or at item N of a list written as a YAML
	 *  list. When the key was not given (its default is refused, or
	 *  another key's value needs it), the host points at the instance's
	 *  mapping: `FILE:LINE:COL: WHERE: key 'NAME': ERRSTR`, WHERE being
	 *  e.g. `flows[0].pipeline[1]`. Without this call, an error of
	 *  create() is reported at the instance's mapping with the plugin's
	 *  name, as before ABI 2.1.
	 *
	 *  Call it in create() before returning the error; the last call
	 *  wins. It has no effect outside create() or when create() returns
	 *  KM_OK. ERRSTR then leaves the key's name out and says what is
	 *  wrong and what is allowed, as the host's own messages do
	 *  ("'fast' is not supported; use ok or safe"); it never shows the
	 *  value of a KM_PARAM_F_SENSITIVE parameter.
	 *
	 *  @param[in] ctx  the context create() was given.
	 *  @param[in] name a name in the plugin's schema; another name aborts,
	 *                  as the param_* accessors do: it is a bug in the
	 *                  plugin.
	 *  @param[in] item 0: the value as a whole; N > 0: the Nth item of a
	 *                  LIST (items[N - 1] of param_list()).
	 *  A host older than ABI 2.1 lacks it: call it only when
	 *  KM_HOST_HAS(host, param_error). @locality create() */
	void (*param_error)(km_ctx_t *ctx, const char *name, size_t item);

	/* ABI 2.2 */

	/** The value of a KM_PARAM_TREE parameter, NULL when the key was not
	 *  given; borrowed from @p p, as the other param_* accessors. This
	 *  host refuses a schema whose parameter types it does not know;
	 *  hosts before ABI 2.2 did not check, so a plugin with PATH or TREE
	 *  parameters refuses in create() a host without param_tree
	 *  (KM_HOST_HAS). @locality any */
	const km_value_t *(*param_tree)(const km_params_t *p, const char *name);
} km_host_api_t;

/** 1 when the host table @p host has the function @p fn (and it is set):
 *  the host may be older than the SDK the plugin was built with, e.g.
 *  `if (KM_HOST_HAS(host, param_error)) host->param_error(ctx, "mode", 0);` */
#define KM_HOST_HAS(host, fn)                                                                      \
	((host)->size >= offsetof(km_host_api_t, fn) + sizeof((host)->fn) && (host)->fn != NULL)

/* ------------------------------------------------------------------------ */
/* Kind-specific operations                                                  */
/* ------------------------------------------------------------------------ */

/**
 * A replication policy (MirrorMaker 2's ReplicationPolicy). Functions that
 * produce a name write it NUL-terminated into @p buf of @p size bytes and
 * return KM_OK, KM_ERR_NOENT when there is no such name (a topic that is not
 * remote), or KM_ERR_INVALID when @p buf is too small. The host derives
 * originalTopic, isHeartbeatsTopic and cycle detection from these.
 */
typedef struct km_policy_ops {
	uint32_t size; /**< sizeof(km_policy_ops_t) the plugin was built with (KM_OPS) */
	/** The name on the target of @p topic replicated from @p source_alias. */
	km_err_t (*format_remote_topic)(void *inst, const char *source_alias, const char *topic,
	                                char *buf, size_t size);
	/** The alias of the cluster @p topic was directly replicated from. */
	km_err_t (*topic_source)(void *inst, const char *topic, char *buf, size_t size);
	/** The name of @p topic on the cluster it was directly replicated from. */
	km_err_t (*upstream_topic)(void *inst, const char *topic, char *buf, size_t size);
	/** Internal topic names. */
	km_err_t (*heartbeats_topic)(void *inst, char *buf, size_t size);
	km_err_t (*checkpoints_topic)(void *inst, const char *alias, char *buf, size_t size);
	km_err_t (*offset_syncs_topic)(void *inst, const char *alias, char *buf, size_t size);
	/** 1 when @p topic is internal and never replicated, else 0. */
	int (*is_internal_topic)(void *inst, const char *topic);
	/** 1 when @p topic is a checkpoints topic, else 0. */
	int (*is_checkpoints_topic)(void *inst, const char *topic);
} km_policy_ops_t;

/** A topic filter's verdict. */
typedef enum km_filter_result {
	KM_FILTER_REJECT = 0,
	KM_FILTER_ACCEPT = 1,
} km_filter_result_t;

/** A topic filter: called when topics are discovered, not per record. */
typedef struct km_topic_filter_ops {
	uint32_t size; /**< sizeof(km_topic_filter_ops_t) the plugin was built with (KM_OPS) */
	km_filter_result_t (*filter)(void *inst, const char *topic);
} km_topic_filter_ops_t;

/** A consumer-group filter (MirrorMaker 2's GroupFilter), since ABI 2.3:
 *  called on the flow's control thread each time the source's groups are
 *  listed (checkpoints, group offset sync), never per record. */
typedef struct km_group_filter_ops {
	uint32_t size; /**< sizeof(km_group_filter_ops_t) the plugin was built with (KM_OPS) */
	/** KM_FILTER_ACCEPT: the offsets of consumer group @p group (borrowed,
	 *  for the call) are checkpointed and synced to the target. */
	km_filter_result_t (*filter)(void *inst, const char *group);
} km_group_filter_ops_t;

/** A topic config-property filter (MirrorMaker 2's ConfigPropertyFilter),
 *  since ABI 2.3: called on the flow's control thread when a mirror topic
 *  is created and when configurations are synced, for each property the
 *  source topic sets itself (never for sensitive or read-only ones), never
 *  per record. */
typedef struct km_config_filter_ops {
	uint32_t size; /**< sizeof(km_config_filter_ops_t) the plugin was built with (KM_OPS) */
	/** KM_FILTER_ACCEPT: property @p name (e.g. "retention.ms") of source
	 *  topic @p topic is copied to its mirror topic. Both borrowed, for
	 *  the call. */
	km_filter_result_t (*filter)(void *inst, const char *topic, const char *name);
} km_config_filter_ops_t;

/** What a record stage tells the host after a batch. */
typedef enum km_stage_action {
	KM_STAGE_OK = 0,    /**< go on with the (possibly changed) batch; records
	                         marked KM_RECORD_F_ERROR fail one by one */
	KM_STAGE_ERROR = 1, /**< the whole batch failed; errstr says why, and the
	                         flow's on_error policy decides for each record.
	                         A batch of several source partitions then runs
	                         through the whole pipeline again, a partition
	                         at a time, so that only those whose records
	                         fail are failed: every stage may see those
	                         records twice */
} km_stage_action_t;

/** A record stage: sees whole batches, never one call per record. It may
 *  drop records (KM_RECORD_F_DROP), fail single records (KM_RECORD_F_ERROR
 *  with `error`), change them, re-route them (topic, partition) and add
 *  records (batch_add). */
typedef struct km_stage_ops {
	uint32_t size; /**< sizeof(km_stage_ops_t) the plugin was built with (KM_OPS) */
	km_stage_action_t (*process)(void *inst, km_batch_t *batch, char *errstr,
	                             size_t errstr_size);
	/** Optional: called every `tick_interval` (a key of the stage's
	 *  pipeline entry, default 1s; the first one interval after the flow
	 *  started) on the data thread, with an empty batch the stage may add
	 *  records to (aggregates, with no `from`), and @p now_ms the wall
	 *  clock (ms since the epoch). What it adds passes the stages after
	 *  it, then goes to the target. NULL: no timer. */
	km_stage_action_t (*tick)(void *inst, km_batch_t *batch, int64_t now_ms, char *errstr,
	                          size_t errstr_size);
} km_stage_ops_t;

/* ------------------------------------------------------------------------ */
/* The descriptor                                                            */
/* ------------------------------------------------------------------------ */

/** A plugin class. Fields are only ever appended. */
typedef struct km_plugin {
	uint16_t abi_major; /**< KM_PLUGIN_ABI_MAJOR the plugin was built with */
	uint16_t abi_minor; /**< KM_PLUGIN_ABI_MINOR the plugin was built with */
	uint32_t size;      /**< sizeof(km_plugin_t) the plugin was built with */
	const char *name;   /**< unique among loaded plugins; [a-z0-9_] */
	const char *version;
	km_plugin_kind_t kind;
	uint32_t flags;           /**< reserved: 0 (no flags are defined) */
	const km_param_t *params; /**< the config schema; NULL: no parameters */
	const char *description;  /**< one sentence */

	/**
	 * Makes an instance. @p params are validated against the schema.
	 * @param[in] host   the host table; outlives the instance.
	 * @param[in] ctx    the instance's context; outlives the instance.
	 * @param[out] instp the instance, owned by the host on KM_OK.
	 * @returns KM_OK, or an error with @p errstr filled in with a
	 *          sentence the user can act on. When the error is about one
	 *          parameter's value, name it first with host->param_error()
	 *          so that the message points at that key.
	 */
	km_err_t (*create)(const km_host_api_t *host, km_ctx_t *ctx, const km_params_t *params,
	                   void **instp, char *errstr, size_t errstr_size);
	/** Frees an instance. Optional. */
	void (*destroy)(void *inst);

	/** The operations of this plugin's kind; the others are NULL. */
	const km_policy_ops_t *policy;
	const km_topic_filter_ops_t *topic_filter;
	const km_stage_ops_t *stage;
	/* ABI 2.3 */
	const km_group_filter_ops_t *group_filter;
	const km_config_filter_ops_t *config_filter;
} km_plugin_t;

/** Fills in an operations table's size, e.g.
 *  `static const km_stage_ops_t ops = {KM_OPS(km_stage_ops_t), .process = f};` */
#define KM_OPS(type) .size = sizeof(type)

#if defined(__GNUC__)
#define KM_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define KM_PLUGIN_EXPORT
#endif

/**
 * Defines the plugin's descriptor, e.g.
 *
 *     static const km_policy_ops_t my_policy_ops = {KM_OPS(km_policy_ops_t), ...};
 *     KM_PLUGIN_DEFINE(.name = "prefix", .version = "1.0",
 *                      .kind = KM_PLUGIN_POLICY, .params = my_params,
 *                      .create = my_create, .destroy = my_destroy,
 *                      .policy = &my_policy_ops);
 */
#define KM_PLUGIN_DEFINE(...)                                                                      \
	KM_PLUGIN_EXPORT const km_plugin_t km_plugin = {.abi_major = KM_PLUGIN_ABI_MAJOR,          \
	                                                .abi_minor = KM_PLUGIN_ABI_MINOR,          \
	                                                .size = sizeof(km_plugin_t),               \
	                                                __VA_ARGS__}

#ifdef __cplusplus
}
#endif
#endif /* KMIRROR_PLUGIN_H */
