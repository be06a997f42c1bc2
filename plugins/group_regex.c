/* The group_regex group filter: MirrorMaker 2's DefaultGroupFilter. The
 * offsets of a consumer group are checkpointed (and synced to the target)
 * when its id fully matches an include pattern and no exclude pattern;
 * exclude wins. A flow's `groups: {include, exclude}` are its parameters. */
#include <stddef.h>

#include <kmirror/plugin.h>

#include "regex_list.h"

static const km_param_t group_regex_params[] = {
    {.name = "include",
     .type = KM_PARAM_LIST,
     .def = ".*",
     .doc = "Checkpoint the consumer groups whose whole id matches one of these regular "
            "expressions (groups); an empty list matches nothing."},
    {.name = "exclude",
     .type = KM_PARAM_LIST,
     .def = "console-consumer-.*,connect-.*,__.*",
     .doc = "But not those whose whole id matches one of these (groups.exclude); exclude "
            "wins over include."},
    {.name = NULL},
};

static km_err_t group_regex_create(const km_host_api_t *host, km_ctx_t *ctx,
                                   const km_params_t *params, void **instp, char *errstr,
                                   size_t errstr_size) {
	return rl_filter_create((rl_filter_t **)instp, host, ctx, params, 1, "consumer group ids",
	                        "group", errstr, errstr_size);
}

static void group_regex_destroy(void *inst) {
	rl_filter_destroy(inst);
}

static km_filter_result_t group_regex_filter(void *inst, const char *group) {
	return rl_filter_match(inst, group);
}

static const km_group_filter_ops_t group_regex_ops = {
    KM_OPS(km_group_filter_ops_t),
    .filter = group_regex_filter,
};

KM_PLUGIN_DEFINE(.name = "group_regex", .version = "1.0.0", .kind = KM_PLUGIN_GROUP_FILTER,
                 .params = group_regex_params,
                 .description = "Selects consumer groups by full-match regular expression "
                                "lists, as MirrorMaker 2's DefaultGroupFilter.",
                 .create = group_regex_create, .destroy = group_regex_destroy,
                 .group_filter = &group_regex_ops);
