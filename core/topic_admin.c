/* Admin requests shared by the control tasks. See topic_admin.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "log.h"
#include "topic_admin.h"

void km_cfgset_free(km_cfgset_t *s) {
	for (size_t i = 0; i < s->cnt; i++) {
		free(s->names[i]);
		free(s->values[i]);
	}
	free(s->names);
	free(s->values);
	memset(s, 0, sizeof(*s));
}

const char *km_cfgset_get(const km_cfgset_t *s, const char *name) {
	for (size_t i = 0; i < s->cnt; i++)
		if (!strcmp(s->names[i], name))
			return s->values[i];
	return NULL;
}

void km_cfgset_put(km_cfgset_t *s, const char *name, const char *value) {
	for (size_t i = 0; i < s->cnt; i++) {
		if (!strcmp(s->names[i], name)) {
			free(s->values[i]);
			if (!(s->values[i] = strdup(value ? value : "")))
				abort();
			return;
		}
	}
	s->names = realloc(s->names, (s->cnt + 1) * sizeof(*s->names));
	s->values = realloc(s->values, (s->cnt + 1) * sizeof(*s->values));
	if (!s->names || !s->values)
		abort();
	s->names[s->cnt] = strdup(name);
	s->values[s->cnt] = strdup(value ? value : "");
	if (!s->names[s->cnt] || !s->values[s->cnt])
		abort();
	s->cnt++;
}

/* The flow's config-property filter (config.properties:) keeps @p name
 * of @p topic off the target. @locality control thread */
static int excluded_config(const km_flow_t *f, const char *topic, const char *name) {
	const km_instance_t *cf = f->config_filter;

	return cf->plugin->config_filter->filter(cf->data, topic, name) != KM_FILTER_ACCEPT;
}

km_err_t km_describe_configs(km_flow_t *f, rd_kafka_t *rk, char **topics, size_t cnt,
                             km_cfgset_t *out, int filter) {
	rd_kafka_ConfigResource_t **res = calloc(cnt ? cnt : 1, sizeof(*res));
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	const rd_kafka_ConfigResource_t **rres;
	rd_kafka_event_t *ev;
	size_t rcnt;
	km_err_t ret;

	if (!res)
		abort();
	for (size_t i = 0; i < cnt; i++)
		res[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topics[i]);
	rd_kafka_DescribeConfigs(rk, res, cnt, NULL, q);
	if (!(ev = km_admin_wait(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT)) ||
	    rd_kafka_event_error(ev)) {
		km_warn("flow %s: DescribeConfigs on %s: %s", f->name, rd_kafka_name(rk),
		        ev ? rd_kafka_event_error_string(ev) : "no answer");
		ret = ev ? km_kafka_err2km(rd_kafka_event_error(ev)) : KM_ERR_TIMEOUT;
		goto out;
	}
	rres = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev),
	                                                 &rcnt);
	for (size_t r = 0; r < rcnt; r++) {
		const rd_kafka_ConfigEntry_t **ents;
		size_t ecnt, i;
		for (i = 0; i < cnt; i++)
			if (!strcmp(rd_kafka_ConfigResource_name(rres[r]), topics[i]))
				break;
		if (i == cnt || rd_kafka_ConfigResource_error(rres[r]))
			continue;
		ents = rd_kafka_ConfigResource_configs(rres[r], &ecnt);
		for (size_t e = 0; e < ecnt; e++) {
			const char *name = rd_kafka_ConfigEntry_name(ents[e]);
			if (filter == KM_CFG_KNOWN) {
				km_cfgset_put(&out[i], name, "");
				continue;
			}
			if (rd_kafka_ConfigEntry_source(ents[e]) !=
			    RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG)
				continue;
			if (rd_kafka_ConfigEntry_is_sensitive(ents[e])) {
				out[i].has_sensitive = 1;
				continue;
			}
			if (filter == KM_CFG_COPYABLE &&
			    (rd_kafka_ConfigEntry_is_read_only(ents[e]) ||
			     excluded_config(f, topics[i], name)))
				continue;
			km_cfgset_put(&out[i], name, rd_kafka_ConfigEntry_value(ents[e]));
		}
	}
	ret = KM_OK;
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	for (size_t i = 0; i < cnt; i++)
		rd_kafka_ConfigResource_destroy(res[i]);
	free(res);
	rd_kafka_queue_destroy(q);
	return ret;
}

/* The names are read once, from the progress topic's description; until
 * that worked, every name counts as known. */
int km_target_knows(km_flow_t *f, const char *name) {
	km_ctl_t *c = &f->c;
	char *progress = KM_PROGRESS_TOPIC;

	if (!c->target_known && !(c->target_known = calloc(1, sizeof(*c->target_known))))
		abort();
	/* at most one try per refresh round while the target does not answer */
	if (!c->target_known->cnt && km_mono_ms() - c->target_known_tried_ms >= f->refresh_ms) {
		c->target_known_tried_ms = km_mono_ms();
		km_describe_configs(f, c->dst_admin, &progress, 1, c->target_known, KM_CFG_KNOWN);
	}
	return !c->target_known->cnt || km_cfgset_get(c->target_known, name) != NULL;
}

int32_t km_target_topic_partitions(km_flow_t *f, const char *topic) {
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(f->c.dst_admin, topic, NULL);
	const struct rd_kafka_metadata *md;
	int32_t cnt = -2;

	if (!rkt)
		return -2;
	if (!rd_kafka_metadata(f->c.dst_admin, 0, rkt, &md, KM_ADMIN_TIMEOUT_MS)) {
		if (md->topic_cnt == 1)
			cnt = md->topics[0].err ? -1 : md->topics[0].partition_cnt;
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	return cnt;
}

void km_create_topics(km_flow_t *f, km_newtopic_t *t, size_t n) {
	char **names = calloc(n, sizeof(*names)), msg[512];
	km_cfgset_t *cfg = calloc(n, sizeof(*cfg));
	rd_kafka_NewTopic_t **nts = calloc(n, sizeof(*nts));
	rd_kafka_queue_t *q = rd_kafka_queue_new(f->c.dst_admin);
	const rd_kafka_topic_result_t **res;
	size_t rcnt, m = 0, k = 0, *idx = calloc(n, sizeof(*idx));
	rd_kafka_event_t *ev = NULL;

	if (!names || !cfg || !nts || !idx)
		abort();
	for (size_t i = 0; i < n; i++)
		if (t[i].source)
			names[m++] = (char *)t[i].source;
	if (m)
		km_describe_configs(f, f->c.src_admin, names, m, cfg, KM_CFG_COPYABLE);
	for (size_t i = 0, s = 0; i < n; i++) {
		km_cfgset_t *tc = t[i].source ? &cfg[s++] : NULL;

		t[i].cfg_cnt = tc ? tc->cnt : 0;
		rd_kafka_NewTopic_t *nt =
		    rd_kafka_NewTopic_new(t[i].target, t[i].partitions, f->rf, msg, sizeof(msg));
		if (!nt) {
			snprintf(t[i].error, sizeof(t[i].error), "%s", msg);
			km_warn("flow %s: cannot create %s: %s", f->name, t[i].target, msg);
			continue;
		}
		for (size_t c = 0; tc && c < tc->cnt; c++) {
			if (!km_target_knows(f, tc->names[c])) {
				km_notice("flow %s: %s: config %s is not known to the target's "
				          "Kafka; not copied",
				          f->name, t[i].target, tc->names[c]);
				continue;
			}
			rd_kafka_NewTopic_set_config(nt, tc->names[c], tc->values[c]);
		}
		idx[k] = i;
		nts[k++] = nt;
	}
	if (!k)
		goto out;
	rd_kafka_CreateTopics(f->c.dst_admin, nts, k, NULL, q);
	if (!(ev = km_admin_wait(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT)) ||
	    rd_kafka_event_error(ev)) {
		km_warn("flow %s: creating topics on the target: %s (will retry)", f->name,
		        ev ? rd_kafka_event_error_string(ev) : "no answer from the target");
		goto out;
	}
	res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &rcnt);
	for (size_t r = 0; r < rcnt; r++) {
		rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[r]);
		const char *name = rd_kafka_topic_result_name(res[r]);
		for (size_t j = 0; j < k; j++) {
			km_newtopic_t *nt = &t[idx[j]];
			if (strcmp(nt->target, name))
				continue;
			if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
				/* someone else made it: with how many partitions? */
				int32_t have = km_target_topic_partitions(f, name);
				if (have > 0) {
					nt->ok = 1;
					nt->partitions = have;
					km_catalog_set_dst(&f->c.cat, name, have);
				}
			} else if (!err) {
				nt->ok = 1;
				nt->created = 1;
				km_catalog_set_dst(&f->c.cat, name, nt->partitions);
				if (nt->source)
					km_info(
					    "flow %s: created mirror topic %s (%d partitions, %zu "
					    "configs from %s)",
					    f->name, name, nt->partitions, nt->cfg_cnt, nt->source);
			} else {
				snprintf(nt->error, sizeof(nt->error), "%s",
				         rd_kafka_topic_result_error_string(res[r]));
				km_warn("flow %s: creating topic %s on the target: %s", f->name,
				        name, nt->error);
				km_ctl_error(f, "creating topic %s on the target: %s", name,
				             nt->error);
			}
		}
	}
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	for (size_t i = 0; i < k; i++)
		rd_kafka_NewTopic_destroy(nts[i]);
	for (size_t i = 0; i < m; i++)
		km_cfgset_free(&cfg[i]);
	free(nts);
	free(cfg);
	free(names);
	free(idx);
	rd_kafka_queue_destroy(q);
}

void km_create_partitions(km_flow_t *f, km_ctopic_t **todo, size_t n) {
	rd_kafka_NewPartitions_t **nps = calloc(n, sizeof(*nps));
	rd_kafka_queue_t *q = rd_kafka_queue_new(f->c.dst_admin);
	const rd_kafka_topic_result_t **res;
	rd_kafka_event_t *ev;
	char msg[256];
	size_t rcnt;

	if (!nps)
		abort();
	for (size_t i = 0; i < n; i++)
		nps[i] = rd_kafka_NewPartitions_new(todo[i]->target, (size_t)todo[i]->src_cnt, msg,
		                                    sizeof(msg));
	rd_kafka_CreatePartitions(f->c.dst_admin, nps, n, NULL, q);
	if (!(ev = km_admin_wait(q, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT)) ||
	    rd_kafka_event_error(ev)) {
		km_warn("flow %s: adding partitions: %s (will retry)", f->name,
		        ev ? rd_kafka_event_error_string(ev) : "no answer from the target");
	} else {
		res = rd_kafka_CreatePartitions_result_topics(
		    rd_kafka_event_CreatePartitions_result(ev), &rcnt);
		for (size_t r = 0; r < rcnt; r++) {
			const char *t = rd_kafka_topic_result_name(res[r]);
			rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[r]);
			for (size_t i = 0; i < n; i++) {
				if (strcmp(todo[i]->target, t))
					continue;
				if (!err) {
					f->c.partitions_created +=
					    (uint64_t)(todo[i]->src_cnt - todo[i]->dst_cnt);
					km_info("flow %s: mirror topic %s grown from %d to %d "
					        "partitions",
					        f->name, t, todo[i]->dst_cnt, todo[i]->src_cnt);
					todo[i]->dst_cnt = todo[i]->src_cnt;
					km_catalog_set_dst(&f->c.cat, t, todo[i]->dst_cnt);
				} else {
					km_warn("flow %s: adding partitions to %s: %s", f->name, t,
					        rd_kafka_topic_result_error_string(res[r]));
					km_ctl_error(f, "adding partitions to %s: %s", t,
					             rd_kafka_topic_result_error_string(res[r]));
				}
			}
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	for (size_t i = 0; i < n; i++)
		rd_kafka_NewPartitions_destroy(nps[i]);
	free(nps);
	rd_kafka_queue_destroy(q);
}

km_err_t km_list_groups(km_flow_t *f, rd_kafka_t *rk, const char *cluster, km_group_fn *fn,
                        void *arg) {
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	const rd_kafka_ConsumerGroupListing_t **l;
	size_t n = 0;
	km_err_t err = KM_OK;

	rd_kafka_ListConsumerGroups(rk, NULL, q);
	if (!(ev = km_admin_wait(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT))) {
		km_ctl_error(f, "listing the consumer groups of %s: no answer", cluster);
		rd_kafka_queue_destroy(q);
		return KM_ERR_TIMEOUT;
	}
	if (rd_kafka_event_error(ev)) {
		km_ctl_error(f, "listing the consumer groups of %s: %s", cluster,
		             rd_kafka_event_error_string(ev));
		err = km_kafka_err2km(rd_kafka_event_error(ev));
	} else {
		l = rd_kafka_ListConsumerGroups_result_valid(
		    rd_kafka_event_ListConsumerGroups_result(ev), &n);
		for (size_t i = 0; i < n && err == KM_OK; i++)
			if (fn(arg, rd_kafka_ConsumerGroupListing_group_id(l[i]),
			       rd_kafka_ConsumerGroupListing_state(l[i])))
				err = KM_ERR_NOMEM;
	}
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	return err;
}

rd_kafka_topic_partition_list_t *km_group_offsets(km_flow_t *f, rd_kafka_t *rk, const char *cluster,
                                                  const char *group) {
	rd_kafka_ListConsumerGroupOffsets_t *req =
	    rd_kafka_ListConsumerGroupOffsets_new(group, NULL);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_topic_partition_list_t *out = NULL;
	const rd_kafka_group_result_t **res;
	rd_kafka_event_t *ev;
	size_t n = 0;

	rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, NULL, q);
	rd_kafka_ListConsumerGroupOffsets_destroy(req);
	if (!(ev = km_admin_wait(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT))) {
		km_dbg("flow %s: the offsets of group %s on %s: no answer", f->name, group,
		       cluster);
		rd_kafka_queue_destroy(q);
		return NULL;
	}
	res = rd_kafka_ListConsumerGroupOffsets_result_groups(
	    rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
	if (rd_kafka_event_error(ev) || n != 1 || rd_kafka_group_result_error(res[0])) {
		km_dbg("flow %s: the offsets of group %s on %s: %s", f->name, group, cluster,
		       rd_kafka_event_error(ev) ? rd_kafka_event_error_string(ev)
		       : n == 1 ? rd_kafka_error_string(rd_kafka_group_result_error(res[0]))
		                : "no result");
	} else {
		const rd_kafka_topic_partition_list_t *p = rd_kafka_group_result_partitions(res[0]);
		out = p ? rd_kafka_topic_partition_list_copy(p)
		        : rd_kafka_topic_partition_list_new(0);
	}
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	return out;
}
