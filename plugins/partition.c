/* The partition record stage: picks each record's target partition for
 * targets whose partition count differs from the source's: the source's
 * partition kept, the key hashed as Kafka's default partitioner does
 * (murmur2) over the target topic's count, or round-robin. The count is
 * asked of the host once per run of records with the same topic in a
 * batch; when it is not known (-1) or the topic is not there yet (0), the
 * record keeps the partition it has. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmirror/plugin.h>

#include "transform_common.h"

typedef enum pa_mode { PA_KEEP, PA_HASH, PA_ROUND_ROBIN } pa_mode_t;

typedef struct partition {
	const km_host_api_t *pa_host;
	km_ctx_t *pa_ctx;
	pa_mode_t pa_mode;
	int pa_null_rr; /* null keys: round-robin (else kept) */
	uint32_t pa_next;
	km_counter_t *pa_unknown;
} partition_t;

static const km_param_t partition_params[] = {
    {.name = "mode",
     .type = KM_PARAM_ENUM,
     .flags = KM_PARAM_F_REQUIRED,
     .choices = "keep|hash|round_robin",
     .doc = "keep: the source partition; hash: murmur2 of the key over the target topic's "
            "partition count, as Kafka's default partitioner; round_robin: each partition in "
            "turn."},
    {.name = "null_keys",
     .type = KM_PARAM_ENUM,
     .choices = "round_robin|keep",
     .def = "round_robin",
     .doc = "With mode hash, records with a null key: round_robin spreads them over the "
            "partitions, keep leaves them in the source partition."},
    {.name = NULL},
};

static void partition_destroy(void *inst) {
	free(inst);
}

static km_err_t partition_create(const km_host_api_t *host, km_ctx_t *ctx,
                                 const km_params_t *params, void **instp, char *errstr,
                                 size_t errstr_size) {
	const char *mode = host->param_str(params, "mode");
	partition_t *pa;

	if (strcmp(mode, "hash") != 0 && host->param_isset(params, "null_keys"))
		return tx_refuse(host, ctx, "null_keys", 0, errstr, errstr_size,
		                 "it is only read with mode: hash (mode is %s); remove it or set "
		                 "mode: hash",
		                 mode);
	if (!(pa = calloc(1, sizeof(*pa)))) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	pa->pa_host = host;
	pa->pa_ctx = ctx;
	pa->pa_mode = !strcmp(mode, "hash")          ? PA_HASH
	              : !strcmp(mode, "round_robin") ? PA_ROUND_ROBIN
	                                             : PA_KEEP;
	pa->pa_null_rr = !strcmp(host->param_str(params, "null_keys"), "round_robin");
	pa->pa_unknown = host->counter(ctx, "unknown_partitions",
	                               "records left in their partition: the target topic's "
	                               "partition count was not known");
	*instp = pa;
	return KM_OK;
}

static km_stage_action_t partition_process(void *inst, km_batch_t *b, char *errstr,
                                           size_t errstr_size) {
	partition_t *pa = inst;
	const char *last = NULL;
	int32_t cnt = -1;
	uint64_t unknown = 0;

	(void)errstr;
	(void)errstr_size;
	if (pa->pa_mode == PA_KEEP)
		return KM_STAGE_OK;
	for (size_t i = 0; i < b->cnt; i++) {
		km_record_t *r = km_batch_record(b, i);

		if ((r->flags & (KM_RECORD_F_DROP | KM_RECORD_F_ERROR)) || !r->topic)
			continue;
		if (pa->pa_mode == PA_HASH && !r->key && !pa->pa_null_rr)
			continue;
		/* records of a batch mostly share a topic: ask once */
		if (!last || (r->topic != last && strcmp(r->topic, last) != 0)) {
			last = r->topic;
			cnt = pa->pa_host->target_partitions(pa->pa_ctx, r->topic);
		}
		if (cnt <= 0) {
			unknown++;
			continue;
		}
		if (pa->pa_mode == PA_HASH && r->key)
			r->partition = pa->pa_host->murmur2_partition(r->key, r->key_len, cnt);
		else
			r->partition = (int32_t)(pa->pa_next++ % (uint32_t)cnt);
	}
	if (unknown)
		pa->pa_host->counter_add(pa->pa_unknown, unknown);
	return KM_STAGE_OK;
}

static const km_stage_ops_t partition_ops = {
    KM_OPS(km_stage_ops_t),
    .process = partition_process,
};

KM_PLUGIN_DEFINE(.name = "partition", .version = "1.0.0", .kind = KM_PLUGIN_STAGE,
                 .params = partition_params,
                 .description = "Picks the target partition: the source's, a murmur2 hash of "
                                "the key, or round-robin.",
                 .create = partition_create, .destroy = partition_destroy, .stage = &partition_ops);
