/* A test plugin built against a newer minor of ABI 1 whose descriptor has
 * fields this host does not know: the host reads only what it knows. */
#include "tp_common.h"

struct tp_plugin_v1_9 {
	km_plugin_t base;
	const void *future_ops;
	uint64_t future_flags;
};

static const int tp_future;

KM_PLUGIN_EXPORT const struct tp_plugin_v1_9 km_plugin = {
    .base =
        {
            .abi_major = KM_PLUGIN_ABI_MAJOR,
            .abi_minor = 9,
            .size = sizeof(struct tp_plugin_v1_9),
            .name = "tp_newer",
            .version = "9.0",
            .kind = KM_PLUGIN_TOPIC_FILTER,
            .create = tp_create,
            .topic_filter = &tp_filter_ops,
        },
    .future_ops = &tp_future,
    .future_flags = 0xffffffffu,
};
