/* Control task "clusters": the Kafka cluster ids of the flow's source and
 * target, which provenance headers list (provenance.h). The data thread
 * copies nothing until both are known, and never asks the network for
 * them: this task finds them and hands them over (km_flow_publish_prov).
 * Every run asks each cluster again (one brokers-only metadata request,
 * on the control thread: the first waits at most KM_CLUSTERID_TIMEOUT_MS,
 * the later ones KM_CLUSTERID_REFRESH_MS), so
 * a cluster rebuilt under the same address (a new id) is noticed within a
 * refresh interval, logged, and its new id used from then on; the cached
 * id of a client could stay old for topic.metadata.refresh.interval.ms
 * (5 minutes) on a cluster the flow only writes to. A cluster that does
 * not answer keeps the id it had.
 * @locality control thread */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "flow_int.h"
#include "log.h"

#define KM_CLUSTERID_TIMEOUT_MS 10000
/* once known: a cluster that does not answer keeps its id; the control
 * thread waits less for it, since every other task waits behind it */
#define KM_CLUSTERID_REFRESH_MS 2000

/* @p rk's cluster id (rd_kafka_mem_free it) after a metadata request
 * (brokers only) that waits at most @p wait_ms; NULL when no answer ever
 * gave one. Without an answer now, the id an earlier one gave. */
static char *cluster_id(rd_kafka_t *rk, int wait_ms) {
	const struct rd_kafka_metadata *md;

	if (!rd_kafka_metadata(rk, 0, NULL, &md, wait_ms))
		rd_kafka_metadata_destroy(md);
	return rd_kafka_clusterid(rk, 0);
}

/* Takes cluster @p side's id (0 the source, 1 the target) from @p rk.
 * 1 when it changed, 0 when not, -1 when it is not known. */
static int take_id(km_flow_t *f, int side, rd_kafka_t *rk) {
	char *was = f->c.prov_ids[side], *id;
	const char *alias = side ? f->target : f->source;
	int changed = 0;

	if (!(id = cluster_id(rk, *was ? KM_CLUSTERID_REFRESH_MS : KM_CLUSTERID_TIMEOUT_MS))) {
		if (*was)
			return 0;
		km_warn("flow %s: the cluster id of %s is not known: its brokers gave none within "
		        "%d s (will retry); nothing is copied until it is, since provenance "
		        "headers list it",
		        f->name, alias, KM_CLUSTERID_TIMEOUT_MS / 1000);
		km_ctl_error(f, "provenance: the cluster id of %s is not known yet", alias);
		return -1;
	}
	if (strlen(id) >= KM_PROV_ID_MAX || strchr(id, ',')) {
		km_err("flow %s: cluster %s has the id '%s', which a provenance header cannot "
		       "list (longer than %d bytes, or with a ','); set provenance: false on "
		       "its flows",
		       f->name, alias, id, KM_PROV_ID_MAX - 1);
		km_ctl_error(f, "provenance: cluster %s's id cannot be listed", alias);
		rd_kafka_mem_free(rk, id);
		return -1;
	}
	if (!*was) {
		km_info("flow %s: cluster %s has the id %s", f->name, alias, id);
		changed = 1;
	} else if (strcmp(was, id)) {
		km_warn("flow %s: cluster %s's id changed from %s to %s: the cluster was rebuilt "
		        "(or the address now leads to another one); provenance headers list the "
		        "new id from now on, and records that list only the old one are no longer "
		        "recognised as having been there",
		        f->name, alias, was, id);
		changed = 1;
	}
	if (changed)
		snprintf(was, KM_PROV_ID_MAX, "%s", id);
	rd_kafka_mem_free(rk, id);
	return changed;
}

km_err_t km_task_clusters(void *arg, int64_t now) {
	km_flow_t *f = arg;
	int s, t;

	(void)now;
	s = take_id(f, 0, f->c.src_admin);
	t = take_id(f, 1, f->c.dst_admin);
	if (s > 0 || t > 0)
		km_flow_publish_prov(f);
	return s < 0 || t < 0 ? KM_ERR_TIMEOUT : KM_OK;
}
