/* A test record stage whose create() refuses its parameters: the host must
 * pass the message through with the config position. */
#include <stdio.h>

#include "tp_common.h"

static const km_param_t tp_failing_params[] = {
    {.name = "mode", .type = KM_PARAM_STRING, .def = "ok", .doc = "'ok' or anything else"},
    {.name = NULL},
};

static km_err_t tp_failing_create(const km_host_api_t *host, km_ctx_t *ctx,
                                  const km_params_t *params, void **instp, char *errstr,
                                  size_t errstr_size) {
	const char *mode = host->param_str(params, "mode");

	(void)ctx;
	*instp = NULL;
	if (mode[0] == 'o' && mode[1] == 'k' && !mode[2])
		return KM_OK;
	snprintf(errstr, errstr_size, "mode '%s' is not supported; use mode: ok", mode);
	return KM_ERR_INVALID;
}

static const km_stage_ops_t tp_failing_ops = {KM_OPS(km_stage_ops_t), .process = tp_process};

KM_PLUGIN_DEFINE(.name = "tp_failing", .version = "0.1", .kind = KM_PLUGIN_STAGE,
                 .params = tp_failing_params, .create = tp_failing_create,
                 .stage = &tp_failing_ops);
