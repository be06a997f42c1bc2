/* group_prefix: an example group filter, built out of tree against the
 * installed kmirror plugin SDK and nothing else (README.md). The offsets of
 * a consumer group are checkpointed, and synced to the target, when its id
 * starts with one of `prefixes` and is not one of `except`.
 *
 *     groups: {plugin: group_prefix, prefixes: [app-, billing-], except: [app-test]}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmirror/plugin.h>

typedef struct group_prefix {
	const char *const *gp_prefixes; /* borrowed from the parameters, which */
	size_t gp_prefix_cnt;           /* live as long as the instance */
	const char *const *gp_except;
	size_t gp_except_cnt;
	const km_host_api_t *gp_host;
	km_counter_t *gp_rejected;
} group_prefix_t;

static const km_param_t group_prefix_params[] = {
    {.name = "prefixes",
     .type = KM_PARAM_LIST,
     .flags = KM_PARAM_F_REQUIRED,
     .doc = "Checkpoint the consumer groups whose id starts with one of these"},
    {.name = "except", .type = KM_PARAM_LIST, .def = "", .doc = "But not these groups (whole ids)"},
    {.name = NULL},
};

/* Refuses item @p item of parameter @p name: the host points the message
 * at it (ABI 2.1); an older host gets the name in the text. */
static km_err_t refuse(const km_host_api_t *host, km_ctx_t *ctx, const char *name, size_t item,
                       const char *why, char *errstr, size_t errstr_size) {
	if (KM_HOST_HAS(host, param_error)) {
		host->param_error(ctx, name, item);
		snprintf(errstr, errstr_size, "%s", why);
	} else {
		snprintf(errstr, errstr_size, "%s: item %zu: %s", name, item, why);
	}
	return KM_ERR_INVALID;
}

static km_err_t group_prefix_create(const km_host_api_t *host, km_ctx_t *ctx,
                                    const km_params_t *params, void **instp, char *errstr,
                                    size_t errstr_size) {
	group_prefix_t *gp;
	const char *const *prefixes;
	size_t cnt = host->param_list(params, "prefixes", &prefixes);

	if (cnt == 0) {
		if (KM_HOST_HAS(host, param_error))
			host->param_error(ctx, "prefixes", 0);
		snprintf(errstr, errstr_size,
		         "the list is empty, so no group would be checkpointed; give at least "
		         "one prefix");
		return KM_ERR_INVALID;
	}
	for (size_t i = 0; i < cnt; i++)
		if (!*prefixes[i])
			return refuse(host, ctx, "prefixes", i + 1,
			              "an empty prefix selects every group; remove it (the "
			              "default group_regex selects every group)",
			              errstr, errstr_size);
	if (!(gp = calloc(1, sizeof(*gp)))) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	gp->gp_host = host;
	gp->gp_prefixes = prefixes;
	gp->gp_prefix_cnt = cnt;
	gp->gp_except_cnt = host->param_list(params, "except", &gp->gp_except);
	/* exported as kmirror_plugin_rejected_total{instance="FLOW/flows[N].groups"} */
	gp->gp_rejected = host->counter(ctx, "rejected", "consumer groups left out");
	*instp = gp;
	return KM_OK;
}

static void group_prefix_destroy(void *inst) {
	free(inst);
}

/* Called on the flow's control thread each time the source's groups are
 * listed, never per record. */
static km_filter_result_t group_prefix_filter(void *inst, const char *group) {
	group_prefix_t *gp = inst;

	for (size_t i = 0; i < gp->gp_except_cnt; i++)
		if (!strcmp(group, gp->gp_except[i]))
			goto rejected;
	for (size_t i = 0; i < gp->gp_prefix_cnt; i++)
		if (!strncmp(group, gp->gp_prefixes[i], strlen(gp->gp_prefixes[i])))
			return KM_FILTER_ACCEPT;
rejected:
	gp->gp_host->counter_add(gp->gp_rejected, 1);
	return KM_FILTER_REJECT;
}

static const km_group_filter_ops_t group_prefix_ops = {
    KM_OPS(km_group_filter_ops_t),
    .filter = group_prefix_filter,
};

KM_PLUGIN_DEFINE(.name = "group_prefix", .version = "1.0.0", .kind = KM_PLUGIN_GROUP_FILTER,
                 .params = group_prefix_params,
                 .description = "Selects consumer groups by the start of their id.",
                 .create = group_prefix_create, .destroy = group_prefix_destroy,
                 .group_filter = &group_prefix_ops);
