/* A test plugin in tp_misnamed.so whose descriptor calls it another name. */
#include "tp_common.h"

KM_PLUGIN_DEFINE(.name = "someone_else", .version = "0.1", .kind = KM_PLUGIN_TOPIC_FILTER,
                 .create = tp_create, .topic_filter = &tp_filter_ops);
