/* Shared by the record-stage transform plugins (see transform_common.h). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "transform_common.h"

km_err_t tx_refuse(const km_host_api_t *host, km_ctx_t *ctx, const char *name, size_t item,
                   char *errstr, size_t errstr_size, const char *fmt, ...) {
	va_list ap;

	if (KM_HOST_HAS(host, param_error))
		host->param_error(ctx, name, item);
	va_start(ap, fmt);
	vsnprintf(errstr, errstr_size, fmt, ap);
	va_end(ap);
	return KM_ERR_INVALID;
}

int64_t tx_now_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

km_stage_action_t tx_arena_full(const char *plugin, char *errstr, size_t errstr_size) {
	snprintf(errstr, errstr_size,
	         "%s: the batch's arena is full (its bound is the flow's max.inflight.bytes); "
	         "raise max.inflight.bytes or lower batch.records",
	         plugin);
	return KM_STAGE_ERROR;
}
