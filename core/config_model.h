/* kmirrord's configuration model: what /etc/kmirror/kmirror.yaml holds.
 *
 *   plugin_dirs: [DIR, ...]        # default: the installed plugin dir
 *   log_level: info                # err|warning|notice|info|debug
 *   clusters:
 *     ALIAS:                       # [A-Za-z0-9_-]+
 *       kafka:                     # librdkafka properties, passed through
 *         bootstrap.servers: HOST:PORT     (required)
 *         ...
 *   flows:
 *     - name: NAME                 # unique, [A-Za-z0-9_.-]+
 *       source: ALIAS
 *       target: ALIAS              # another cluster
 *       topics: {include: [...], exclude: [...]}   # topic filter instance
 *       policy: prefix | {plugin: identity, ...}   # policy instance
 *       pipeline: [{plugin: NAME, ...}, ...]        # record stages, in order
 *       groups: {include: [...], exclude: [...]}  # group filter instance
 *       config.properties: {exclude: [...]}        # config-property filter
 *       consumer: {librdkafka properties for this flow's source consumer}
 *       producer: {librdkafka properties for this flow's target producer}
 *       ...the options of km_flow_params (start, on_error, ...)
 *
 * A plugin reference ("topics", "policy", "groups", "config.properties",
 * each pipeline entry) is a mapping whose key `plugin` names the plugin
 * (defaults: "topic_regex", "prefix", "group_regex", "config_regex") and
 * whose other keys are that plugin's parameters, bound later against the
 * plugin's own schema; a scalar is short for {plugin: SCALAR}. MM2's
 * flow-level `config.properties.exclude: [...]` is the default
 * config_regex's `exclude`. */
#ifndef KM_CONFIG_MODEL_H
#define KM_CONFIG_MODEL_H

#include "params.h"

/* A librdkafka property from the config, in file order. */
typedef struct km_kv {
	const char *key; /* borrowed from the tree */
	const char *val;
	int secret; /* came from ${env:} / ${file:}, or the key is sensitive */
	const km_node_t *node;
} km_kv_t;

typedef struct km_kvlist {
	km_kv_t *kvs;
	size_t cnt;
} km_kvlist_t;

typedef struct km_cluster_conf {
	const char *alias;
	km_kvlist_t kafka;
	const km_node_t *node;
} km_cluster_conf_t;

/* A plugin named in the config, with its not yet bound parameters. */
typedef struct km_plugin_ref {
	const char *plugin;     /* plugin name */
	const km_node_t *node;  /* the mapping (params + "plugin"), NULL if none */
	const km_node_t *where; /* for messages: the node that named it */
	char path[64];          /* "flows[0].policy", for messages */
	/* Messages name the plugin's keys PREFIX.KEY: the parameters were
	 * given at the flow's level (config.properties.exclude); NULL: KEY. */
	const char *key_prefix;
} km_plugin_ref_t;

typedef struct km_flow_conf {
	const char *name;
	const km_cluster_conf_t *source;
	const km_cluster_conf_t *target;
	km_plugin_ref_t topics;
	km_plugin_ref_t policy;
	km_plugin_ref_t *pipeline;
	size_t pipeline_cnt;
	km_kvlist_t consumer;    /* overrides of the source cluster's properties */
	km_kvlist_t producer;    /* overrides of the target cluster's properties */
	km_params_t *params;     /* bound against km_flow_params */
	km_plugin_ref_t groups;  /* the consumer groups checkpointed */
	km_plugin_ref_t configs; /* `config.properties`: the properties copied */
	/* config.properties.exclude as the mapping {exclude: ...} the default
	 * config_regex binds: a key node of that name at the flow key's place,
	 * and the flow key's value */
	struct {
		km_node_t map, key;
		km_node_t *keys[1], *vals[1];
	} configs_legacy;
	const km_node_t *node;
} km_flow_conf_t;

/* `rest:` (rest_config.c). */
typedef struct km_rest_conf {
	km_params_t *params; /* bound against km_rest_params */
	int enabled;
	char host[64]; /* numeric address */
	int port;      /* 0: any free port */
	int family;    /* AF_INET or AF_INET6 */
	int loopback;
	const char *token; /* NULL: none; a secret */
	const char *cert, *key;
} km_rest_conf_t;

typedef struct km_config {
	char *path;
	km_node_t *root;
	km_params_t *params; /* bound against km_config_params */
	const char *const *plugin_dirs;
	size_t plugin_dir_cnt;
	km_cluster_conf_t *clusters;
	size_t cluster_cnt;
	km_flow_conf_t *flows;
	size_t flow_cnt;
	km_rest_conf_t rest;
} km_config_t;

/* The top-level scalar options (plugin_dirs, log_level). */
extern const km_param_t km_config_params[];
/* A flow's options: start, on_error, isolation, replication.factor,
 * refresh.topics.interval, sync.topic.configs, ..., max.inflight.records,
 * batch.records, enabled. */
extern const km_param_t km_flow_params[];
/* The schema of `rest:`. */
extern const km_param_t km_rest_params[];

/* Binds and checks `rest:` of @p root into @p rc: KM_OK, or an error with
 * "FILE:LINE:COL: ..." in errstr. */
km_err_t km_rest_conf_bind(km_rest_conf_t *rc, const km_node_t *root, char *errstr,
                           size_t errstr_size);
/* Parses "HOST:PORT" (IPv4, [IPv6], localhost) into @p rc's host, port,
 * family and loopback. 0, or -1 when it is not one. */
int km_rest_listen_parse(km_rest_conf_t *rc, const char *listen);

/* Loads and checks @p path completely: YAML, keys, types, ranges, cluster
 * references, unique names, librdkafka properties (each one checked with
 * librdkafka itself) and the properties kmirror owns (refused with the
 * reason). Plugin parameters are bound later, when the plugins are loaded.
 * NULL on error with errstr "FILE:LINE:COL: key 'K': ...". */
km_config_t *km_config_load(const char *path, char *errstr, size_t errstr_size);
/* Same, from a string; @p name is used as the file name in positions and
 * relative ${file:} paths are read from the working directory. */
km_config_t *km_config_load_string(const char *name, const char *text, char *errstr,
                                   size_t errstr_size);
void km_config_destroy(km_config_t *conf);

/* Flows a->b and b->a with the identity policy must both carry and read
 * the same provenance header (config_provenance.c); KM_ERR_INVALID with
 * errstr "FILE:LINE:COL: key ...: why; what to do" when not. */
km_err_t km_config_check_provenance(const km_config_t *conf, char *errstr, size_t errstr_size);

const km_cluster_conf_t *km_config_cluster(const km_config_t *conf, const char *alias);

#endif
