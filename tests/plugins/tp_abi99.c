/* A test plugin built for another ABI major (99): the host must refuse it
 * before it reads anything else of the descriptor. */
#include "tp_common.h"

KM_PLUGIN_EXPORT const km_plugin_t km_plugin = {
    .abi_major = 99,
    .abi_minor = 3,
    .size = sizeof(km_plugin_t),
    .name = "tp_abi99",
    .kind = KM_PLUGIN_TOPIC_FILTER,
    .create = tp_create,
    .topic_filter = &tp_filter_ops,
};
