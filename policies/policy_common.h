/*
 * The naming scheme of MirrorMaker 2's DefaultReplicationPolicy, shared by
 * the prefix and identity policy plugins (compiled into each; nothing here is
 * exported from the shared objects).
 */
#ifndef KMIRROR_POLICY_COMMON_H
#define KMIRROR_POLICY_COMMON_H

#include <stddef.h>

#include <kmirror/plugin.h>

/** The parameters both policies take, NULL-terminated. */
extern const km_param_t km_pfx_params[];

/** A configured DefaultReplicationPolicy: the separator S and the internal
 *  separator I (S when the separator key was set and
 *  internal.topic.separator.enabled is true, else "."). */
typedef struct km_pfx {
	char *pfx_sep; /**< S, non-empty; owned */
	size_t pfx_seplen;
	char *pfx_isep; /**< I; owned */
} km_pfx_t;

/**
 * @brief Reads the separator parameters of km_pfx_params into @p pfx.
 * @param[in] ctx the instance's context, for host->param_error.
 * @returns KM_OK; KM_ERR_INVALID for an empty separator (named with
 *          param_error) and KM_ERR_NOMEM, with @p errstr filled in. On
 *          error @p pfx holds nothing to free.
 */
km_err_t km_pfx_init(km_pfx_t *pfx, const km_host_api_t *host, km_ctx_t *ctx,
                     const km_params_t *params, char *errstr, size_t errstr_size);
/** Frees what km_pfx_init() allocated. */
void km_pfx_fini(km_pfx_t *pfx);

/* The km_policy_ops_t functions of DefaultReplicationPolicy (same contract:
 * KM_OK, KM_ERR_NOENT for no such name, KM_ERR_INVALID when @p buf is too
 * small or an argument is NULL; on error @p buf holds "" when size > 0). */
km_err_t km_pfx_format_remote_topic(const km_pfx_t *pfx, const char *source_alias,
                                    const char *topic, char *buf, size_t size);
km_err_t km_pfx_topic_source(const km_pfx_t *pfx, const char *topic, char *buf, size_t size);
km_err_t km_pfx_upstream_topic(const km_pfx_t *pfx, const char *topic, char *buf, size_t size);
km_err_t km_pfx_heartbeats_topic(char *buf, size_t size);
km_err_t km_pfx_checkpoints_topic(const km_pfx_t *pfx, const char *alias, char *buf, size_t size);
km_err_t km_pfx_offset_syncs_topic(const km_pfx_t *pfx, const char *alias, char *buf, size_t size);
int km_pfx_is_internal_topic(const km_pfx_t *pfx, const char *topic);
int km_pfx_is_checkpoints_topic(const km_pfx_t *pfx, const char *topic);

/** 1 when @p topic ends with the heartbeats topic name
 *  (IdentityReplicationPolicy's looksLikeHeartbeat), else 0. */
int km_pfx_looks_like_heartbeats(const char *topic);

/** Writes @p s into @p buf: KM_OK, or KM_ERR_INVALID ("" in buf) when it
 *  does not fit. */
km_err_t km_pfx_put(char *buf, size_t size, const char *s);

#endif /* KMIRROR_POLICY_COMMON_H */
