/* A test config-property filter (ABI 2.3) of its own, for
 * `config.properties: {plugin: ...}`. */
#include "tp_common.h"

static const km_config_filter_ops_t tp_config_ops = {KM_OPS(km_config_filter_ops_t),
                                                     .filter = tp_config_filter};

KM_PLUGIN_DEFINE(.name = "tp_config", .version = "0.1", .kind = KM_PLUGIN_CONFIG_FILTER,
                 .create = tp_create, .config_filter = &tp_config_ops);
