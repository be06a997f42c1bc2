/* Control task "configs": topic config sync, every
 * sync.topic.configs.interval. The target topic gets the source topic's
 * own settings (filtered) while a setting made on the target alone
 * survives. With librdkafka >= 2.2 (HAVE_DECL_RD_KAFKA_INCREMENTALALTERCONFIGS)
 * that is IncrementalAlterConfigs with a SET of each entry that differs;
 * librdkafka 2.0.2 has only AlterConfigs, which replaces the whole set:
 * hence the target's own settings merged with the source's.
 * @locality control thread */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "log.h"
#include "topic_admin.h"

#if HAVE_DECL_RD_KAFKA_INCREMENTALALTERCONFIGS
#define KM_ALTER_API    "IncrementalAlterConfigs"
#define KM_ALTER_RESULT RD_KAFKA_EVENT_INCREMENTALALTERCONFIGS_RESULT
#define km_alter_send   rd_kafka_IncrementalAlterConfigs
#define km_alter_resources(ev, cntp)                                                               \
	rd_kafka_IncrementalAlterConfigs_result_resources(                                         \
	    rd_kafka_event_IncrementalAlterConfigs_result(ev), cntp)
#else
#define KM_ALTER_API    "AlterConfigs"
#define KM_ALTER_RESULT RD_KAFKA_EVENT_ALTERCONFIGS_RESULT
#define km_alter_send   rd_kafka_AlterConfigs
#define km_alter_resources(ev, cntp)                                                               \
	rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), cntp)
#endif

/* One mirror topic to alter: its resource and the names that change. */
typedef struct km_alter {
	rd_kafka_ConfigResource_t *cr;
	char what[256];
} km_alter_t;

/* 1 when the source's entry @p c is to be set on the target: the target's
 * Kafka knows it and the target topic has another value, or none. */
static int changes(km_flow_t *f, const km_cfgset_t *scfg, const km_cfgset_t *dcfg, size_t c) {
	const char *cur = km_cfgset_get(dcfg, scfg->names[c]);

	if (!km_target_knows(f, scfg->names[c]))
		return 0; /* the target's Kafka has no such config */
	return !cur || strcmp(cur, scfg->values[c]) != 0;
}

/* Fills @p a for mirror topic @p dst. 0 (a->cr NULL) when its configs
 * already agree with the source's (or cannot be synced). */
static int to_alter(km_flow_t *f, const char *dst, km_cfgset_t *scfg, km_cfgset_t *dcfg,
                    km_alter_t *a) {
	size_t len = 0;

	a->cr = NULL;
	a->what[0] = '\0';
	for (size_t c = 0; c < scfg->cnt; c++) {
		int n;
		if (!changes(f, scfg, dcfg, c))
			continue;
		n = snprintf(a->what + len, sizeof(a->what) - len, "%s%s", len ? ", " : "",
		             scfg->names[c]);
		len = n < 0 || (size_t)n >= sizeof(a->what) - len ? sizeof(a->what) - 1
		                                                  : len + (size_t)n;
	}
	if (!a->what[0])
		return 0;
	a->cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, dst);
#if HAVE_DECL_RD_KAFKA_INCREMENTALALTERCONFIGS
	/* only what changes: the target's other settings, sensitive ones
	 * included, are not in the request and stay as they are */
	size_t set = 0;
	for (size_t c = 0; c < scfg->cnt; c++) {
		rd_kafka_error_t *err;
		if (!changes(f, scfg, dcfg, c))
			continue;
		err = rd_kafka_ConfigResource_add_incremental_config(
		    a->cr, scfg->names[c], RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET, scfg->values[c]);
		if (!err) {
			set++;
			continue;
		}
		km_warn("flow %s: not syncing config %s of %s: %s", f->name, scfg->names[c], dst,
		        rd_kafka_error_string(err));
		rd_kafka_error_destroy(err);
	}
	if (!set) {
		rd_kafka_ConfigResource_destroy(a->cr);
		a->cr = NULL;
		return 0;
	}
#else
	if (dcfg->has_sensitive) {
		km_warn("flow %s: not syncing configs of %s: it has sensitive settings that "
		        "AlterConfigs would wipe",
		        f->name, dst);
		rd_kafka_ConfigResource_destroy(a->cr);
		a->cr = NULL;
		return 0;
	}
	for (size_t c = 0; c < scfg->cnt; c++)
		if (km_target_knows(f, scfg->names[c]))
			km_cfgset_put(dcfg, scfg->names[c], scfg->values[c]);
	for (size_t c = 0; c < dcfg->cnt; c++)
		rd_kafka_ConfigResource_set_config(a->cr, dcfg->names[c], dcfg->values[c]);
#endif
	return 1;
}

static const char *what_of(const km_alter_t *a, size_t acnt, const char *name) {
	for (size_t i = 0; i < acnt; i++)
		if (!strcmp(rd_kafka_ConfigResource_name(a[i].cr), name))
			return a[i].what;
	return "";
}

static km_err_t alter(km_flow_t *f, km_alter_t *a, size_t acnt) {
	rd_kafka_queue_t *q = rd_kafka_queue_new(f->c.dst_admin);
	rd_kafka_ConfigResource_t **crs = calloc(acnt, sizeof(*crs));
	rd_kafka_event_t *ev;
	km_err_t ret = KM_OK;

	if (!crs)
		abort();
	for (size_t i = 0; i < acnt; i++)
		crs[i] = a[i].cr;
	km_alter_send(f->c.dst_admin, crs, acnt, NULL, q);
	if (!(ev = km_admin_wait(q, KM_ALTER_RESULT)) || rd_kafka_event_error(ev)) {
		km_warn("flow %s: syncing topic configs: %s", f->name,
		        ev ? rd_kafka_event_error_string(ev) : "no answer from the target");
		ret = ev ? km_kafka_err2km(rd_kafka_event_error(ev)) : KM_ERR_TIMEOUT;
	} else {
		size_t rcnt;
		const rd_kafka_ConfigResource_t **rr = km_alter_resources(ev, &rcnt);
		for (size_t r = 0; r < rcnt; r++) {
			const char *name = rd_kafka_ConfigResource_name(rr[r]);
			if (rd_kafka_ConfigResource_error(rr[r])) {
				km_warn("flow %s: syncing configs of %s: %s", f->name, name,
				        rd_kafka_ConfigResource_error_string(rr[r]));
			} else {
				f->c.configs_synced++;
				km_info("flow %s: synced topic configs of %s with " KM_ALTER_API
				        ": %s",
				        f->name, name, what_of(a, acnt, name));
			}
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	free(crs);
	return ret;
}

km_err_t km_task_configs(void *arg, int64_t now) {
	km_flow_t *f = arg;
	char **src, **dst;
	km_cfgset_t *scfg, *dcfg;
	km_alter_t *res;
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
		if (to_alter(f, dst[i], &scfg[i], &dcfg[i], &res[acnt]))
			acnt++;
	if (acnt)
		ret = alter(f, res, acnt);
	for (size_t i = 0; i < acnt; i++)
		rd_kafka_ConfigResource_destroy(res[i].cr);
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
