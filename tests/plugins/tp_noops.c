/* A test plugin that says it is a replication policy but has no policy
 * operations. */
#include "tp_common.h"

KM_PLUGIN_DEFINE(.name = "tp_noops", .kind = KM_PLUGIN_POLICY, .create = tp_create);
