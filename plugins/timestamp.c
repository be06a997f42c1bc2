/* The timestamp record stage: keeps the records' timestamps, sets them to
 * the wall clock (read once per batch) or shifts them by a signed duration.
 * A target topic with message.timestamp.type=LogAppendTime overwrites
 * whatever this sets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmirror/plugin.h>

#include "transform_common.h"

/* |shift| at most 100 years of ms: no overflow with any real timestamp. */
#define TS_SHIFT_MAX (100LL * 366 * 24 * 3600 * 1000)

typedef enum ts_mode { TS_KEEP, TS_NOW, TS_SHIFT } ts_mode_t;

typedef struct timestamp {
	const km_host_api_t *ts_host;
	ts_mode_t ts_mode;
	int64_t ts_shift;
	km_counter_t *ts_negative;
} timestamp_t;

static const km_param_t timestamp_params[] = {
    {.name = "mode",
     .type = KM_PARAM_ENUM,
     .flags = KM_PARAM_F_REQUIRED,
     .choices = "keep|now|shift",
     .doc = "keep: the source's timestamp; now: the time kmirror copies the record; shift: the "
            "source's moved by shift."},
    {.name = "shift",
     .type = KM_PARAM_STRING,
     .doc = "With mode shift: a signed duration, an optional + or -, a whole number and a unit "
            "ms, s, m, h or d (e.g. -1h, +30s)."},
    {.name = NULL},
};

/* Reads a signed duration into *@p out (ms); 0 on success. */
static int ts_parse_shift(const char *s, int64_t *out) {
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
	int neg = 0;
	int64_t n = 0;
	const char *p = s;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > TS_SHIFT_MAX)
			return -1;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit) == 0) {
			if (n > TS_SHIFT_MAX / units[i].ms)
				return -1;
			*out = neg ? -n * units[i].ms : n * units[i].ms;
			return 0;
		}
	}
	return -1;
}

static void timestamp_destroy(void *inst) {
	free(inst);
}

static km_err_t timestamp_create(const km_host_api_t *host, km_ctx_t *ctx,
                                 const km_params_t *params, void **instp, char *errstr,
                                 size_t errstr_size) {
	const char *mode = host->param_str(params, "mode"),
	           *shift = host->param_str(params, "shift");
	timestamp_t *ts;

	if (!strcmp(mode, "shift") && !shift)
		return tx_refuse(host, ctx, "shift", 0, errstr, errstr_size,
		                 "mode shift needs it; give a signed duration, e.g. shift: -1h");
	if (strcmp(mode, "shift") != 0 && shift)
		return tx_refuse(host, ctx, "shift", 0, errstr, errstr_size,
		                 "it is only read with mode: shift (mode is %s); remove it or set "
		                 "mode: shift",
		                 mode);
	if (!(ts = calloc(1, sizeof(*ts)))) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	ts->ts_host = host;
	ts->ts_mode = !strcmp(mode, "now") ? TS_NOW : !strcmp(mode, "shift") ? TS_SHIFT : TS_KEEP;
	if (shift && ts_parse_shift(shift, &ts->ts_shift) != 0) {
		free(ts);
		return tx_refuse(host, ctx, "shift", 0, errstr, errstr_size,
		                 "'%s' is not a signed duration; give an optional + or -, a whole "
		                 "number and a unit ms, s, m, h or d (e.g. -1h, +30s), at most 100 "
		                 "years",
		                 shift);
	}
	ts->ts_negative = host->counter(ctx, "negative_timestamp",
	                                "records failed: the shifted timestamp was before 1970");
	*instp = ts;
	return KM_OK;
}

static km_stage_action_t timestamp_process(void *inst, km_batch_t *b, char *errstr,
                                           size_t errstr_size) {
	timestamp_t *ts = inst;
	int64_t now;
	uint64_t negative = 0;

	(void)errstr;
	(void)errstr_size;
	if (ts->ts_mode == TS_KEEP)
		return KM_STAGE_OK;
	now = ts->ts_mode == TS_NOW ? tx_now_ms() : 0;
	for (size_t i = 0; i < b->cnt; i++) {
		km_record_t *r = km_batch_record(b, i);

		if (r->flags & (KM_RECORD_F_DROP | KM_RECORD_F_ERROR))
			continue;
		if (ts->ts_mode == TS_NOW) {
			r->timestamp = now;
		} else if (r->timestamp >= 0) { /* -1: no timestamp to shift */
			if (r->timestamp + ts->ts_shift < 0) {
				r->flags |= KM_RECORD_F_ERROR;
				r->error =
				    "timestamp: the shifted timestamp is before 1970, which Kafka "
				    "refuses; shift by less";
				negative++;
			} else {
				r->timestamp += ts->ts_shift;
			}
		}
	}
	if (negative)
		ts->ts_host->counter_add(ts->ts_negative, negative);
	return KM_STAGE_OK;
}

static const km_stage_ops_t timestamp_ops = {
    KM_OPS(km_stage_ops_t),
    .process = timestamp_process,
};

KM_PLUGIN_DEFINE(.name = "timestamp", .version = "1.0.0", .kind = KM_PLUGIN_STAGE,
                 .params = timestamp_params,
                 .description = "Keeps record timestamps, sets them to the copy time, or "
                                "shifts them by a signed duration.",
                 .create = timestamp_create, .destroy = timestamp_destroy, .stage = &timestamp_ops);
