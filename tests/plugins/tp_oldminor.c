/* A test plugin built against an older, smaller ABI 1 descriptor: the
 * layout is written out by hand and ends exactly at the last field the host
 * needs. It must still load, its missing tail read as zeros. */
#include <stddef.h>

#include "tp_common.h"

struct tp_plugin_v1_0 {
	uint16_t abi_major, abi_minor;
	uint32_t size;
	const char *name;
	const char *version;
	km_plugin_kind_t kind;
	uint32_t flags;
	const km_param_t *params;
	const char *description;
	km_err_t (*create)(const km_host_api_t *, km_ctx_t *, const km_params_t *, void **, char *,
	                   size_t);
	void (*destroy)(void *);
	const km_policy_ops_t *policy;
	const km_topic_filter_ops_t *topic_filter;
	const km_stage_ops_t *stage;
};

KM_PLUGIN_EXPORT const struct tp_plugin_v1_0 km_plugin = {
    .abi_major = KM_PLUGIN_ABI_MAJOR,
    .abi_minor = 0,
    .size = offsetof(struct tp_plugin_v1_0, stage) + sizeof(const km_stage_ops_t *),
    .name = "tp_oldminor",
    .version = "0.9",
    .kind = KM_PLUGIN_TOPIC_FILTER,
    .create = tp_create,
    .topic_filter = &tp_filter_ops,
};
