/* The plugin host: finds plugins by name in the configured directories,
 * loads them once with libltdl, checks them, and makes instances.
 * @locality main thread (loading, create, destroy) */
#ifndef KM_PLUGIN_HOST_H
#define KM_PLUGIN_HOST_H

#include <stdatomic.h>

#include "kmirror/plugin.h"

struct km_plugin_ref;

typedef struct km_plugin_host km_plugin_host_t;

/* A counter registered by an instance (exported as a metric). */
struct km_counter {
	_Atomic uint64_t value;
	char *name;
	char *help;
	struct km_counter *next;
};

/* The host-side context of one instance. */
struct km_ctx {
	char *name;   /* "flow/policy", "flow/pipeline[1]" */
	char *source; /* flow's aliases; NULL outside a flow */
	char *target;
	struct km_counter *counters;
	/* What the instance's owner (its flow) answers for host calls that
	 * need the flow; NULL outside a flow. */
	void *owner;
	int32_t (*target_partitions)(void *owner, const char *topic);
	/* While create() runs: the instance's parameters, and the one it named
	 * with param_error (the schema's name; NULL: none) and its item. */
	const km_params_t *params;
	const char *err_param;
	size_t err_item;
};

/* One instance of a plugin: one use of it in the configuration. */
typedef struct km_instance {
	const km_plugin_t *plugin; /* the host's copy of the descriptor */
	void *data;                /* the plugin's instance */
	km_params_t *params;
	struct km_ctx ctx;
	int64_t tick_ms; /* a stage's timer interval (its entry's tick_interval) */
} km_instance_t;

extern const km_host_api_t km_host_api;

km_plugin_host_t *km_plugin_host_new(const char *const *dirs, size_t dir_cnt);
/* Unloads every plugin; every instance must be destroyed first. */
void km_plugin_host_destroy(km_plugin_host_t *h);

/* Loads plugin @p name (once; later calls return the same descriptor).
 * Refuses, with a message naming the file and the fix: a name that is not
 * [a-z0-9_]+, no NAME.so in any directory, the same name in two
 * directories, a world-writable file or directory, a file libltdl cannot
 * load, no km_plugin symbol, another ABI major, a descriptor whose name is
 * not NAME, a kind without its operations. */
const km_plugin_t *km_plugin_load(km_plugin_host_t *h, const char *name, char *errstr,
                                  size_t errstr_size);

/* Makes an instance of the plugin @p ref names, which must be of @p kind:
 * loads the plugin, binds the parameters in @p ref against its schema and
 * calls create(). @p flow, @p source, @p target name the flow (may be NULL). */
km_instance_t *km_instance_new(km_plugin_host_t *h, const struct km_plugin_ref *ref,
                               km_plugin_kind_t kind, const char *flow, const char *source,
                               const char *target, char *errstr, size_t errstr_size);
void km_instance_destroy(km_instance_t *inst);

/* "replication policy", "topic filter", "record stage" */
const char *km_plugin_kind_name(km_plugin_kind_t kind);

#endif
