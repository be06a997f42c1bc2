/* Policy-derived rules: original topic, heartbeats topics, cycles. */
#include "config.h"

#include <string.h>

#include "policy.h"

#define KM_TOPIC_MAX 256 /* Kafka topic names are at most 249 bytes */

int km_policy_is_cycle(const km_instance_t *policy, const char *topic, const char *target_alias) {
	const km_policy_ops_t *ops = policy->plugin->policy;
	char cur[KM_TOPIC_MAX], src[KM_TOPIC_MAX], up[KM_TOPIC_MAX];

	if (strlen(topic) >= sizeof(cur))
		return 0;
	strcpy(cur, topic);
	/* Each step strips one hop; a name has fewer hops than bytes. */
	for (size_t hops = 0; hops < sizeof(cur); hops++) {
		if (ops->topic_source(policy->data, cur, src, sizeof(src)) != KM_OK)
			return 0;
		if (!strcmp(src, target_alias))
			return 1;
		if (ops->upstream_topic(policy->data, cur, up, sizeof(up)) != KM_OK ||
		    !strcmp(up, cur))
			return 0;
		strcpy(cur, up);
	}
	return 0;
}

km_err_t km_policy_original_topic(const km_instance_t *policy, const char *topic, char *buf,
                                  size_t size) {
	const km_policy_ops_t *ops = policy->plugin->policy;
	char cur[KM_TOPIC_MAX], up[KM_TOPIC_MAX];

	if (strlen(topic) >= sizeof(cur))
		return KM_ERR_INVALID;
	strcpy(cur, topic);
	for (size_t hops = 0; hops < sizeof(cur); hops++) {
		if (ops->upstream_topic(policy->data, cur, up, sizeof(up)) != KM_OK ||
		    !strcmp(up, cur))
			break;
		strcpy(cur, up);
	}
	if (strlen(cur) >= size)
		return KM_ERR_INVALID;
	strcpy(buf, cur);
	return KM_OK;
}

int km_policy_is_heartbeats_topic(const km_instance_t *policy, const char *topic) {
	char orig[KM_TOPIC_MAX], hb[KM_TOPIC_MAX];

	if (km_policy_original_topic(policy, topic, orig, sizeof(orig)) != KM_OK ||
	    policy->plugin->policy->heartbeats_topic(policy->data, hb, sizeof(hb)) != KM_OK)
		return 0;
	return !strcmp(orig, hb);
}
