/* Admin requests the control tasks share: topic configs (DescribeConfigs
 * into name/value sets), creating topics and adding partitions. Each waits
 * for its answer, which is why only the control thread calls them.
 * @locality control thread */
#ifndef KM_TOPIC_ADMIN_H
#define KM_TOPIC_ADMIN_H

#include "flow_int.h"

/* A topic's configs as name/value pairs. */
typedef struct km_cfgset {
	size_t cnt;
	char **names, **values;
	int has_sensitive;
} km_cfgset_t;

void km_cfgset_free(km_cfgset_t *s);
const char *km_cfgset_get(const km_cfgset_t *s, const char *name);
void km_cfgset_put(km_cfgset_t *s, const char *name, const char *value);

/* What km_describe_configs keeps: the topic's own settings; those without
 * the read-only and excluded ones; every config name the broker has. */
enum { KM_CFG_OWN, KM_CFG_COPYABLE, KM_CFG_KNOWN };

/* Describes the configs of @p cnt topics on @p rk into out[i]. Sensitive
 * settings are never kept. KM_OK; KM_ERR_TIMEOUT when the cluster did not
 * answer, its error (km_kafka_err2km) when it refused (logged either way). */
km_err_t km_describe_configs(km_flow_t *f, rd_kafka_t *rk, char **topics, size_t cnt,
                             km_cfgset_t *out, int filter);

/* 1 when the target's Kafka has a topic config named @p name (4.x dropped
 * some 3.x ones, which would fail a creation or a sync). */
int km_target_knows(km_flow_t *f, const char *name);

/* A topic to create on the target. */
typedef struct km_newtopic {
	const char *source; /* the source topic whose configs it gets; NULL: none */
	const char *target;
	int32_t partitions;
	int ok; /* out: created, or it existed already (partitions: what it has) */
	int created;
	size_t cfg_cnt;  /* out: configs copied from the source topic */
	char error[512]; /* out: why not */
} km_newtopic_t;

/* Creates the topics (configs copied, filtered), records what exists in
 * the catalog and logs each result. */
void km_create_topics(km_flow_t *f, km_newtopic_t *t, size_t n);

/* The target's partition count of @p topic, asked now (one metadata
 * request for that topic): -1 when it has no such topic, -2 when the
 * target did not answer. */
int32_t km_target_topic_partitions(km_flow_t *f, const char *topic);

/* Grows each mirror topic of @p todo to its source's partition count. */
void km_create_partitions(km_flow_t *f, km_ctopic_t **todo, size_t n);

/* Consumer groups (the checkpoint and group tasks'). */

/* Takes one listed group: its id and state. Non-zero stops the listing
 * with KM_ERR_NOMEM. */
typedef int(km_group_fn)(void *arg, const char *group, rd_kafka_consumer_group_state_t state);

/* Lists the consumer groups of @p rk's cluster, named @p cluster in the
 * error, which goes to the status. KM_OK, or the error. */
km_err_t km_list_groups(km_flow_t *f, rd_kafka_t *rk, const char *cluster, km_group_fn *fn,
                        void *arg);

/* @p group's committed offsets on @p rk's cluster, a copy the caller
 * destroys (empty when it has none); NULL when they could not be read:
 * no answer, or the group's own error (deleted since it was listed, not
 * authorized), said at debug level. */
rd_kafka_topic_partition_list_t *km_group_offsets(km_flow_t *f, rd_kafka_t *rk, const char *cluster,
                                                  const char *group);

#endif
