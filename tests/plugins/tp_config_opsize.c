/* A test config-property filter whose operations table is smaller than
 * its one function: the host must refuse it. */
#include "tp_common.h"

static const km_config_filter_ops_t tp_config_opsize_ops = {.size = sizeof(uint32_t),
                                                            .filter = tp_config_filter};

KM_PLUGIN_DEFINE(.name = "tp_config_opsize", .version = "0.1", .kind = KM_PLUGIN_CONFIG_FILTER,
                 .create = tp_create, .config_filter = &tp_config_opsize_ops);
