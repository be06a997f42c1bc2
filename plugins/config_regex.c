/* The config_regex config-property filter: MirrorMaker 2's
 * DefaultConfigPropertyFilter. A topic config property is copied to the
 * mirror topic unless its whole name matches an exclude pattern. A flow's
 * `config.properties: {exclude}` (or `config.properties.exclude`, MM2's
 * spelling) is its parameter. */
#include <stddef.h>

#include <kmirror/plugin.h>

#include "regex_list.h"

static const km_param_t config_regex_params[] = {
    {.name = "exclude",
     .type = KM_PARAM_LIST,
     .def = "follower\\.replication\\.throttled\\.replicas,"
            "leader\\.replication\\.throttled\\.replicas,"
            "message\\.timestamp\\.difference\\.max\\.ms,"
            "message\\.timestamp\\.type,"
            "unclean\\.leader\\.election\\.enable,"
            "min\\.insync\\.replicas",
     .doc = "Topic config properties not copied: their whole name matches one of these "
            "regular expressions (config.properties.exclude)."},
    {.name = NULL},
};

static km_err_t config_regex_create(const km_host_api_t *host, km_ctx_t *ctx,
                                    const km_params_t *params, void **instp, char *errstr,
                                    size_t errstr_size) {
	return rl_filter_create((rl_filter_t **)instp, host, ctx, params, 0,
	                        "config property names", "config property", errstr, errstr_size);
}

static void config_regex_destroy(void *inst) {
	rl_filter_destroy(inst);
}

static km_filter_result_t config_regex_filter(void *inst, const char *topic, const char *name) {
	(void)topic; /* MM2's filter sees the property alone */
	return rl_filter_match(inst, name);
}

static const km_config_filter_ops_t config_regex_ops = {
    KM_OPS(km_config_filter_ops_t),
    .filter = config_regex_filter,
};

KM_PLUGIN_DEFINE(.name = "config_regex", .version = "1.0.0", .kind = KM_PLUGIN_CONFIG_FILTER,
                 .params = config_regex_params,
                 .description = "Keeps topic config properties off the target by full-match "
                                "regular expressions, as MirrorMaker 2's "
                                "DefaultConfigPropertyFilter.",
                 .create = config_regex_create, .destroy = config_regex_destroy,
                 .config_filter = &config_regex_ops);
