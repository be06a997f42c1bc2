/* The topic_regex topic filter: MirrorMaker 2's DefaultTopicFilter. A topic
 * is replicated when it fully matches an include pattern and no exclude
 * pattern; exclude wins. */
#include <stddef.h>

#include <kmirror/plugin.h>

#include "regex_list.h"

static const km_param_t topic_regex_params[] = {
    {.name = "include",
     .type = KM_PARAM_LIST,
     .def = ".*",
     .doc = "Replicate the topics whose whole name matches one of these regular expressions "
            "(topics); an empty list matches nothing."},
    {.name = "exclude",
     .type = KM_PARAM_LIST,
     .def = ".*[\\-\\.]internal,.*\\.replica,__.*",
     .doc = "But not those whose whole name matches one of these (topics.exclude); exclude "
            "wins over include."},
    {.name = NULL},
};

static km_err_t topic_regex_create(const km_host_api_t *host, km_ctx_t *ctx,
                                   const km_params_t *params, void **instp, char *errstr,
                                   size_t errstr_size) {
	return rl_filter_create((rl_filter_t **)instp, host, ctx, params, 1, "topic names", "topic",
	                        errstr, errstr_size);
}

static void topic_regex_destroy(void *inst) {
	rl_filter_destroy(inst);
}

static km_filter_result_t topic_regex_filter(void *inst, const char *topic) {
	return rl_filter_match(inst, topic);
}

static const km_topic_filter_ops_t topic_regex_ops = {
    KM_OPS(km_topic_filter_ops_t),
    .filter = topic_regex_filter,
};

/* The instance's match data is its own: the host calls it from one thread. */
KM_PLUGIN_DEFINE(.name = "topic_regex", .version = "1.0.0", .kind = KM_PLUGIN_TOPIC_FILTER,
                 .params = topic_regex_params,
                 .description = "Selects topics by full-match regular expression lists, as "
                                "MirrorMaker 2's DefaultTopicFilter.",
                 .create = topic_regex_create, .destroy = topic_regex_destroy,
                 .topic_filter = &topic_regex_ops);
