/* A test plugin whose descriptor is smaller than ABI 1 needs: it ends
 * before the kinds' operation tables. */
#include <stddef.h>

#include "tp_common.h"

KM_PLUGIN_EXPORT const km_plugin_t km_plugin = {
    .abi_major = KM_PLUGIN_ABI_MAJOR,
    .abi_minor = 0,
    .size = offsetof(km_plugin_t, policy),
    .name = "tp_tiny",
    .kind = KM_PLUGIN_TOPIC_FILTER,
    .create = tp_create,
    .topic_filter = &tp_filter_ops,
};
