/* A test group filter (ABI 2.3) of its own, for `groups: {plugin: ...}`. */
#include "tp_common.h"

static const km_group_filter_ops_t tp_group_ops = {KM_OPS(km_group_filter_ops_t),
                                                   .filter = tp_group_filter};

KM_PLUGIN_DEFINE(.name = "tp_group", .version = "0.1", .kind = KM_PLUGIN_GROUP_FILTER,
                 .create = tp_create, .group_filter = &tp_group_ops);
