/* A test record stage whose operations table is from an older minor: it
 * ends after process() (no tick). The host reads only what it says it
 * has: the stage loads, with no timer. */
#include <stddef.h>

#include "tp_common.h"

/* the older table: the tick field exists here only to be left out of size */
static const km_stage_ops_t tp_oldstage_ops = {
    .size = offsetof(km_stage_ops_t, tick),
    .process = tp_process,
    .tick = (km_stage_action_t(*)(void *, km_batch_t *, int64_t, char *, size_t))1,
};

KM_PLUGIN_DEFINE(.name = "tp_oldstage", .version = "0.1", .kind = KM_PLUGIN_STAGE,
                 .create = tp_create, .stage = &tp_oldstage_ops);
