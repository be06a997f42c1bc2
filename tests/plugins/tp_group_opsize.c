/* A test group filter whose operations table does not say its size (it
 * was written without KM_OPS): the host must refuse it, not guess. */
#include "tp_common.h"

static const km_group_filter_ops_t tp_group_opsize_ops = {.filter = tp_group_filter};

KM_PLUGIN_DEFINE(.name = "tp_group_opsize", .version = "0.1", .kind = KM_PLUGIN_GROUP_FILTER,
                 .create = tp_create, .group_filter = &tp_group_opsize_ops);
