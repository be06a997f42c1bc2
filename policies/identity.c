/* The identity replication policy: MirrorMaker 2's IdentityReplicationPolicy.
 * Topics keep their names on the target, so the host cannot detect cycles:
 * topologies must be acyclic. Topics whose names end with "heartbeats" are
 * named as by the prefix policy, so heartbeats still count hops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmirror/plugin.h>

#include "policy_common.h"

typedef struct identity {
	km_pfx_t id_pfx;
	char *id_source; /**< the flow's source alias (source.cluster.alias); NULL: none */
} identity_t;

static void identity_destroy(void *inst) {
	identity_t *id = inst;

	km_pfx_fini(&id->id_pfx);
	free(id->id_source);
	free(id);
}

static km_err_t identity_create(const km_host_api_t *host, km_ctx_t *ctx, const km_params_t *params,
                                void **instp, char *errstr, size_t errstr_size) {
	identity_t *id = calloc(1, sizeof(*id));
	const char *source;
	km_err_t err;

	if (!id) {
		snprintf(errstr, errstr_size, "out of memory");
		return KM_ERR_NOMEM;
	}
	if ((err = km_pfx_init(&id->id_pfx, host, ctx, params, errstr, errstr_size)) != KM_OK) {
		free(id);
		return err;
	}
	/* Copied: the host does not say how long its string lives. */
	if ((source = host->flow_source(ctx)) != NULL) {
		size_t len = strlen(source) + 1;

		if (!(id->id_source = malloc(len))) {
			identity_destroy(id);
			snprintf(errstr, errstr_size, "out of memory");
			return KM_ERR_NOMEM;
		}
		memcpy(id->id_source, source, len);
	}
	*instp = id;
	return KM_OK;
}

static km_err_t identity_format_remote_topic(void *inst, const char *source_alias,
                                             const char *topic, char *buf, size_t size) {
	identity_t *id = inst;

	if (km_pfx_looks_like_heartbeats(topic))
		return km_pfx_format_remote_topic(&id->id_pfx, source_alias, topic, buf, size);
	if (!source_alias || !topic) {
		km_pfx_put(buf, size, "");
		return KM_ERR_INVALID;
	}
	return km_pfx_put(buf, size, topic);
}

static km_err_t identity_topic_source(void *inst, const char *topic, char *buf, size_t size) {
	identity_t *id = inst;

	if (km_pfx_looks_like_heartbeats(topic))
		return km_pfx_topic_source(&id->id_pfx, topic, buf, size);
	if (!topic) {
		km_pfx_put(buf, size, "");
		return KM_ERR_INVALID;
	}
	if (!id->id_source) {
		km_pfx_put(buf, size, "");
		return KM_ERR_NOENT;
	}
	return km_pfx_put(buf, size, id->id_source);
}

static km_err_t identity_upstream_topic(void *inst, const char *topic, char *buf, size_t size) {
	identity_t *id = inst;

	if (km_pfx_looks_like_heartbeats(topic))
		return km_pfx_upstream_topic(&id->id_pfx, topic, buf, size);
	if (!topic) {
		km_pfx_put(buf, size, "");
		return KM_ERR_INVALID;
	}
	return km_pfx_put(buf, size, topic);
}

static km_err_t identity_heartbeats_topic(void *inst, char *buf, size_t size) {
	return km_pfx_heartbeats_topic(buf, size);
}

static km_err_t identity_checkpoints_topic(void *inst, const char *alias, char *buf, size_t size) {
	identity_t *id = inst;

	return km_pfx_checkpoints_topic(&id->id_pfx, alias, buf, size);
}

static km_err_t identity_offset_syncs_topic(void *inst, const char *alias, char *buf, size_t size) {
	identity_t *id = inst;

	return km_pfx_offset_syncs_topic(&id->id_pfx, alias, buf, size);
}

static int identity_is_internal_topic(void *inst, const char *topic) {
	identity_t *id = inst;

	return km_pfx_is_internal_topic(&id->id_pfx, topic);
}

static int identity_is_checkpoints_topic(void *inst, const char *topic) {
	identity_t *id = inst;

	return km_pfx_is_checkpoints_topic(&id->id_pfx, topic);
}

static const km_policy_ops_t identity_ops = {
    KM_OPS(km_policy_ops_t),
    .format_remote_topic = identity_format_remote_topic,
    .topic_source = identity_topic_source,
    .upstream_topic = identity_upstream_topic,
    .heartbeats_topic = identity_heartbeats_topic,
    .checkpoints_topic = identity_checkpoints_topic,
    .offset_syncs_topic = identity_offset_syncs_topic,
    .is_internal_topic = identity_is_internal_topic,
    .is_checkpoints_topic = identity_is_checkpoints_topic,
};

/* An instance is read-only after create(), so any thread may use it. */
KM_PLUGIN_DEFINE(.name = "identity", .version = "1.0.0", .kind = KM_PLUGIN_POLICY,
                 .params = km_pfx_params,
                 .description = "Keeps topic names on the target (heartbeats excepted), as "
                                "MirrorMaker 2's IdentityReplicationPolicy; topologies must be "
                                "acyclic.",
                 .create = identity_create, .destroy = identity_destroy, .policy = &identity_ops);
