/* A test plugin from a later SDK: one of its parameters has a type this
 * host does not know. */
#include "tp_common.h"

static const km_param_t tp_newtype_params[] = {
    {.name = "shape", .type = (km_param_type_t)42, .doc = "a type from the future"},
    {.name = NULL},
};

KM_PLUGIN_EXPORT const km_plugin_t km_plugin = {
    .abi_major = KM_PLUGIN_ABI_MAJOR,
    .abi_minor = 99,
    .size = sizeof(km_plugin_t),
    .name = "tp_newtype",
    .version = "1.0",
    .kind = KM_PLUGIN_TOPIC_FILTER,
    .params = tp_newtype_params,
    .create = tp_create,
    .topic_filter = &tp_filter_ops,
};
