/* A test group filter built for another ABI major (1): the host must
 * refuse it before it reads anything else of the descriptor. */
#include "tp_common.h"

static const km_group_filter_ops_t tp_group_abi1_ops = {KM_OPS(km_group_filter_ops_t),
                                                        .filter = tp_group_filter};

KM_PLUGIN_EXPORT const km_plugin_t km_plugin = {
    .abi_major = 1,
    .abi_minor = 3,
    .size = sizeof(km_plugin_t),
    .name = "tp_group_abi1",
    .kind = KM_PLUGIN_GROUP_FILTER,
    .create = tp_create,
    .group_filter = &tp_group_abi1_ops,
};
