/* A test record stage whose create() refuses its parameters: the host must
 * pass the message through with the config position, at the key the
 * plugin names (param_error), or at the instance when it names none. */
#include <stdio.h>
#include <string.h>

#include "tp_common.h"

static const km_param_t tp_failing_params[] = {
    {.name = "mode",
     .type = KM_PARAM_STRING,
     .def = "ok",
     .doc = "ok; unnamed: refused without naming the key; peered: needs peer; misnamed: names "
            "a key not in the schema; anything else is refused"},
    {.name = "peer", .type = KM_PARAM_STRING, .doc = "needed by mode peered"},
    {.name = "tags", .type = KM_PARAM_LIST, .def = "a", .doc = "lower-case words"},
    {.name = NULL},
};

static km_err_t tp_failing_create(const km_host_api_t *host, km_ctx_t *ctx,
                                  const km_params_t *params, void **instp, char *errstr,
                                  size_t errstr_size) {
	const char *mode = host->param_str(params, "mode");
	const char *const *tags;
	size_t tag_cnt = host->param_list(params, "tags", &tags);

	*instp = NULL;
	if (!strcmp(mode, "unnamed")) { /* as a plugin built before ABI 2.1 */
		snprintf(errstr, errstr_size, "mode '%s' is not supported; use mode: ok", mode);
		return KM_ERR_INVALID;
	}
	if (!strcmp(mode, "misnamed")) {
		host->param_error(ctx, "nosuch", 0); /* a bug: the host aborts */
		snprintf(errstr, errstr_size, "misnamed");
		return KM_ERR_INVALID;
	}
	if (!strcmp(mode, "peered") && !host->param_isset(params, "peer")) {
		host->param_error(ctx, "peer", 0);
		snprintf(errstr, errstr_size,
		         "not given; mode 'peered' needs it (the peer stage's name)");
		return KM_ERR_INVALID;
	}
	if (strcmp(mode, "ok") && strcmp(mode, "peered")) {
		host->param_error(ctx, "mode", 0);
		snprintf(errstr, errstr_size, "'%s' is not supported; use ok or peered", mode);
		return KM_ERR_INVALID;
	}
	for (size_t i = 0; i < tag_cnt; i++) {
		if (strspn(tags[i], "abcdefghijklmnopqrstuvwxyz") == strlen(tags[i]))
			continue;
		host->param_error(ctx, "tags", i + 1);
		snprintf(errstr, errstr_size, "'%s' is not a tag; use lower-case letters a-z",
		         tags[i]);
		return KM_ERR_INVALID;
	}
	return KM_OK;
}

static const km_stage_ops_t tp_failing_ops = {KM_OPS(km_stage_ops_t), .process = tp_process};

KM_PLUGIN_DEFINE(.name = "tp_failing", .version = "0.1", .kind = KM_PLUGIN_STAGE,
                 .params = tp_failing_params, .create = tp_failing_create,
                 .stage = &tp_failing_ops);
