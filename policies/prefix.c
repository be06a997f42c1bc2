/* The prefix replication policy: MirrorMaker 2's DefaultReplicationPolicy.
 * A topic t replicated from alias A is named A + separator + t on the
 * target. */
#include <stdio.h>
#include <stdlib.h>

#include <kmirror/plugin.h>

#include "policy_common.h"

static km_err_t prefix_create(const km_host_api_t *host, km_ctx_t *ctx, const km_params_t *params,
                              void **instp, char *errstr, size_t errstr_size) {
	km_pfx_t *pfx = malloc(sizeof(*pfx));
	km_err_t err;

	if (!pfx) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	if ((err = km_pfx_init(pfx, host, ctx, params, errstr, errstr_size)) != KM_OK) {
		free(pfx);
		return err;
	}
	*instp = pfx;
	return KM_OK;
}

static void prefix_destroy(void *inst) {
	km_pfx_fini(inst);
	free(inst);
}

static km_err_t prefix_format_remote_topic(void *inst, const char *source_alias, const char *topic,
                                           char *buf, size_t size) {
	return km_pfx_format_remote_topic(inst, source_alias, topic, buf, size);
}

static km_err_t prefix_topic_source(void *inst, const char *topic, char *buf, size_t size) {
	return km_pfx_topic_source(inst, topic, buf, size);
}

static km_err_t prefix_upstream_topic(void *inst, const char *topic, char *buf, size_t size) {
	return km_pfx_upstream_topic(inst, topic, buf, size);
}

static km_err_t prefix_heartbeats_topic(void *inst, char *buf, size_t size) {
	return km_pfx_heartbeats_topic(buf, size);
}

static km_err_t prefix_checkpoints_topic(void *inst, const char *alias, char *buf, size_t size) {
	return km_pfx_checkpoints_topic(inst, alias, buf, size);
}

static km_err_t prefix_offset_syncs_topic(void *inst, const char *alias, char *buf, size_t size) {
	return km_pfx_offset_syncs_topic(inst, alias, buf, size);
}

static int prefix_is_internal_topic(void *inst, const char *topic) {
	return km_pfx_is_internal_topic(inst, topic);
}

static int prefix_is_checkpoints_topic(void *inst, const char *topic) {
	return km_pfx_is_checkpoints_topic(inst, topic);
}

static const km_policy_ops_t prefix_ops = {
    KM_OPS(km_policy_ops_t),
    .format_remote_topic = prefix_format_remote_topic,
    .topic_source = prefix_topic_source,
    .upstream_topic = prefix_upstream_topic,
    .heartbeats_topic = prefix_heartbeats_topic,
    .checkpoints_topic = prefix_checkpoints_topic,
    .offset_syncs_topic = prefix_offset_syncs_topic,
    .is_internal_topic = prefix_is_internal_topic,
    .is_checkpoints_topic = prefix_is_checkpoints_topic,
};

/* An instance is read-only after create(), so any thread may use it. */
KM_PLUGIN_DEFINE(.name = "prefix", .version = "1.0.0", .kind = KM_PLUGIN_POLICY,
                 .params = km_pfx_params,
                 .description = "Names remote topics <source alias><separator><topic>, as "
                                "MirrorMaker 2's DefaultReplicationPolicy.",
                 .create = prefix_create, .destroy = prefix_destroy, .policy = &prefix_ops);
