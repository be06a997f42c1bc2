/* A test record stage whose operations table does not say its size (it
 * was written without KM_OPS): the host must refuse it, not guess. */
#include "tp_common.h"

static const km_stage_ops_t tp_opsize_ops = {.process = tp_process};

KM_PLUGIN_DEFINE(.name = "tp_opsize", .version = "0.1", .kind = KM_PLUGIN_STAGE,
                 .create = tp_create, .stage = &tp_opsize_ops);
