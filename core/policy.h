/* What the host derives from a replication policy instance (MirrorMaker 2's
 * ReplicationPolicy defaults and MirrorSourceConnector.isCycle). */
#ifndef KM_POLICY_H
#define KM_POLICY_H

#include "plugin_host.h"

/* 1 when @p topic, seen on the source of a flow whose target is
 * @p target_alias, came from that target (directly or through other
 * clusters): copying it would close a loop. */
int km_policy_is_cycle(const km_instance_t *policy, const char *topic, const char *target_alias);

/* The topic's name on the cluster it originated on (upstream_topic applied
 * until it stops changing). KM_ERR_INVALID when @p size is too small. */
km_err_t km_policy_original_topic(const km_instance_t *policy, const char *topic, char *buf,
                                  size_t size);

/* 1 when the original topic is the heartbeats topic. */
int km_policy_is_heartbeats_topic(const km_instance_t *policy, const char *topic);

#endif
