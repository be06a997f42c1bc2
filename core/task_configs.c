/* Control task "configs": topic config sync, every
 * sync.topic.configs.interval. The target topic gets the source topic's
 * own settings (filtered) merged over its own, so a setting made on the
 * target alone survives. librdkafka 2.0.2 has only the non-incremental
 * AlterConfigs, which replaces the whole set: hence the merge.
 * @locality control thread */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "log.h"
#include "topic_admin.h"

/* Builds the AlterConfigs resource for mirror topic @p dst, or NULL when
 * its configs already agree with the source's (or cannot be synced). */
static rd_kafka_ConfigResource_t *merged(km_flow_t *f, const char *dst, km_cfgset_t *scfg,
                                         km_cfgset_t *dcfg) {
	rd_kafka_ConfigResource_t *cr;
	int differs = 0;

	for (size_t c = 0; c < scfg->cnt; c++) {
		const char *cur = km_cfgset_get(dcfg, scfg->names[c]);
		if (!km_target_knows(f, scfg->names[c]))
			continue; /* the target's Kafka has no such config */
		if (!cur || strcmp(cur, scfg->values[c]))
			differs = 1;
	}
	if (!differs)
		return NULL;
	if (dcfg->has_sensitive) {
		km_warn("flow %s: not syncing configs of %s: it has sensitive settings that "
		        "AlterConfigs would wipe",
		        f->name, dst);
		return NULL;
	}
	cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, dst);
	for (size_t c = 0; c < scfg->cnt; c++)
		if (km_target_knows(f, scfg->names[c]))
			km_cfgset_put(dcfg, scfg->names[c], scfg->values[c]);
	for (size_t c = 0; c < dcfg->cnt; c++)
		rd_kafka_ConfigResource_set_config(cr, dcfg->names[c], dcfg->values[c]);
	return cr;
}

static km_err_t alter(km_flow_t *f, rd_kafka_ConfigResource_t **alter, size_t acnt) {
	rd_kafka_queue_t *q = rd_kafka_queue_new(f->c.dst_admin);
	rd_kafka_event_t *ev;
	km_err_t ret = KM_OK;

	rd_kafka_AlterConfigs(f->c.dst_admin, alter, acnt, NULL, q);
	if (!(ev = km_admin_wait(q, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT)) ||
	    rd_kafka_event_error(ev)) {
		km_warn("flow %s: syncing topic configs: %s", f->name,
		        ev ? rd_kafka_event_error_string(ev) : "no answer from the target");
		ret = ev ? km_kafka_err2km(rd_kafka_event_error(ev)) : KM_ERR_TIMEOUT;
	} else {
		size_t rcnt;
		const rd_kafka_ConfigResource_t **rr = rd_kafka_AlterConfigs_result_resources(
		    rd_kafka_event_AlterConfigs_result(ev), &rcnt);
		for (size_t r = 0; r < rcnt; r++) {
			if (rd_kafka_ConfigResource_error(rr[r])) {
				km_warn("flow %s: syncing configs of %s: %s", f->name,
				        rd_kafka_ConfigResource_name(rr[r]),
				        rd_kafka_ConfigResource_error_string(rr[r]));
			} else {
				f->c.configs_synced++;
				km_info("flow %s: synced topic configs of %s", f->name,
				        rd_kafka_ConfigResource_name(rr[r]));
			}
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	return ret;
}

km_err_t km_task_configs(void *arg, int64_t now) {
	km_flow_t *f = arg;
	char **src, **dst;
	km_cfgset_t *scfg, *dcfg;
	rd_kafka_ConfigResource_t **res;
	size_t m = 0, acnt = 0, cnt = 1;
	km_err_t ret = KM_OK;

	(void)now;
	for (km_ctopic_t *t = f->c.cat.all; t; t = t->next)
		cnt++;
	src = calloc(cnt, sizeof(*src));
	dst = calloc(cnt, sizeof(*dst));
	scfg = calloc(cnt, sizeof(*scfg));
	dcfg = calloc(cnt, sizeof(*dcfg));
	res = calloc(cnt, sizeof(*res));
	if (!src || !dst || !scfg || !dcfg || !res)
		abort();
	for (km_ctopic_t *t = f->c.cat.all; t; t = t->next) {
		if (!t->selected || t->gone || t->dst_cnt < 0 ||
		    km_mstate_of(&f->c.states, t->name) == KM_MS_STOPPED)
			continue;
		src[m] = t->name;
		dst[m] = t->target;
		m++;
	}
	if (m &&
	    (ret = km_describe_configs(f, f->c.src_admin, src, m, scfg, KM_CFG_COPYABLE)) == KM_OK)
		ret = km_describe_configs(f, f->c.dst_admin, dst, m, dcfg, KM_CFG_OWN);
	for (size_t i = 0; ret == KM_OK && i < m; i++)
		if ((res[acnt] = merged(f, dst[i], &scfg[i], &dcfg[i])))
			acnt++;
	if (acnt)
		ret = alter(f, res, acnt);
	for (size_t i = 0; i < acnt; i++)
		rd_kafka_ConfigResource_destroy(res[i]);
	for (size_t i = 0; i < m; i++) {
		km_cfgset_free(&scfg[i]);
		km_cfgset_free(&dcfg[i]);
	}
	free(res);
	free(src);
	free(dst);
	free(scfg);
	free(dcfg);
	return ret;
}
