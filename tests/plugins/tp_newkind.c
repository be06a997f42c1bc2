/* A test plugin of a kind from a later SDK (42): the host must say that it
 * is too old for it, not that the plugin is broken. */
#include "tp_common.h"

KM_PLUGIN_EXPORT const km_plugin_t km_plugin = {
    .abi_major = KM_PLUGIN_ABI_MAJOR,
    .abi_minor = 99,
    .size = sizeof(km_plugin_t),
    .name = "tp_newkind",
    .kind = (km_plugin_kind_t)42,
    .create = tp_create,
};
