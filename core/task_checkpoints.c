/* Task checkpoints: every emit.checkpoints.interval, the committed offsets
 * of the source's consumer groups that pass the flow's `groups:` filter,
 * on the topics the flow copies, are translated by the data thread (where
 * each partition's runs are, xlate.h) and written to SOURCE.checkpoints
 * .internal on the target in MirrorMaker 2's bytes (mm2_codec.h), so that
 * RemoteClusterUtils.translateOffsets and MirrorClient read them.
 *
 * A checkpoint is written only when it is newer than the last one of its
 * (group, topic, partition): none yet, the target offset advanced, or the
 * source group rewound (mm2.md 6.5). The last ones are read back from the
 * topic at the first run, so that checkpoints never go backwards across
 * restarts; records there that do not parse are skipped, counted and
 * logged.
 *
 * The task also makes sure the offset-syncs topic is there before the data
 * thread writes to it (km_flow.osync_ready).
 * @locality control thread */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_int.h"
#include "internal_topics.h"
#include "kafka.h"
#include "log.h"
#include "mm2_codec.h"
#include "topic_admin.h"
#include "topic_read.h"

#define KM_XLATE_WAIT_MS 30000

/* The last checkpoint of one (group, target topic, partition). */
typedef struct ckpt_last {
	int64_t upstream, downstream;
	const char *group, *topic; /* in key[], after the key itself */
	int32_t partition;
	char key[]; /* "GROUP\037TOPIC\037PARTITION", NUL, GROUP, NUL, TOPIC, NUL */
} ckpt_last_t;

/* One committed offset waiting for its translation. */
typedef struct pend {
	const char *group; /* in the groups list */
	const km_ctopic_t *topic;
	char *metadata;
	size_t metadata_len;
} pend_t;

/* The offset syncs of one source partition read at the first run (MM2's
 * or an earlier run's): MM2's rule where the data thread has no runs. */
typedef struct loaded_syncs {
	km_mm2_syncs_t ss;
	char key[]; /* "TOPIC\037PARTITION" */
} loaded_syncs_t;

struct km_ckpt {
	km_strmap_t last;
	km_strmap_t syncs; /* loaded_syncs_t by source partition */
	int loaded;
	size_t bad;       /* records of the checkpoints topic that did not parse */
	size_t bad_syncs; /* ...of the offset-syncs topic */
	char said[512];   /* the last internal-topic error logged */
	km_ctl_sent_t sent;
};

static struct km_ckpt *ckpt(km_flow_t *f) {
	if (!f->c.ckpt && (f->c.ckpt = calloc(1, sizeof(*f->c.ckpt))))
		snprintf(f->c.ckpt->sent.what, sizeof(f->c.ckpt->sent.what),
		         "checkpoint to %s on %s", f->ckpt_topic, f->target);
	return f->c.ckpt;
}

void km_ckpt_free(km_flow_t *f) {
	struct km_ckpt *k = f->c.ckpt;

	if (!k)
		return;
	for (size_t i = 0; i < k->last.cap; i++)
		if (k->last.keys && k->last.keys[i])
			free(k->last.vals[i]);
	km_strmap_free(&k->last);
	for (size_t i = 0; i < k->syncs.cap; i++)
		if (k->syncs.keys && k->syncs.keys[i])
			free(k->syncs.vals[i]);
	km_strmap_free(&k->syncs);
	free(k);
	f->c.ckpt = NULL;
}

static int make_key(char *buf, size_t size, const char *group, size_t glen, const char *topic,
                    size_t tlen, int32_t partition) {
	int n = snprintf(buf, size, "%.*s\037%.*s\037%" PRId32, (int)glen, group, (int)tlen, topic,
	                 partition);

	return n > 0 && (size_t)n < size ? 0 : -1;
}

static ckpt_last_t *last_get(struct km_ckpt *k, const char *key) {
	return km_strmap_get(&k->last, key);
}

static km_err_t last_set(struct km_ckpt *k, const char *key, const km_mm2_checkpoint_t *c) {
	ckpt_last_t *l = last_get(k, key);

	if (!l) {
		size_t len = strlen(key) + 1;
		if (!(l = malloc(sizeof(*l) + len + c->group.len + c->topic.len + 2)))
			return KM_ERR_NOMEM;
		memcpy(l->key, key, len);
		memcpy(l->key + len, c->group.str, c->group.len);
		l->key[len + c->group.len] = '\0';
		memcpy(l->key + len + c->group.len + 1, c->topic.str, c->topic.len);
		l->key[len + c->group.len + 1 + c->topic.len] = '\0';
		l->group = l->key + len;
		l->topic = l->key + len + c->group.len + 1;
		l->partition = c->partition;
		if (km_strmap_put(&k->last, l->key, l) != KM_OK) {
			free(l);
			return KM_ERR_NOMEM;
		}
	}
	l->upstream = c->upstream;
	l->downstream = c->downstream;
	return KM_OK;
}

/* One record of the checkpoints topic, read back at the first run. */
static int load_record(void *arg, const rd_kafka_message_t *m) {
	struct km_ckpt *k = arg;
	km_mm2_checkpoint_t c;
	char key[KM_MM2_STRING_MAX * 2 + 32], why[256];

	if (m->partition != 0)
		return 0; /* MM2 reads and writes partition 0 only */
	if (km_mm2_checkpoint_key_decode(&c, m->key, m->key_len, why, sizeof(why)) != KM_OK ||
	    km_mm2_checkpoint_value_decode(&c, m->payload, m->len, why, sizeof(why)) != KM_OK) {
		if (k->bad++ < 10)
			km_warn("checkpoint at offset %" PRId64 " skipped: %s", m->offset, why);
		return -1;
	}
	if (make_key(key, sizeof(key), c.group.str, c.group.len, c.topic.str, c.topic.len,
	             c.partition) ||
	    last_set(k, key, &c) != KM_OK)
		return -1;
	return 0;
}

/* One record of the offset-syncs topic, read at the first run. */
static int load_sync(void *arg, const rd_kafka_message_t *m) {
	struct km_ckpt *k = arg;
	km_mm2_offset_sync_t o;
	char key[KM_MM2_STRING_MAX + 32], why[256];
	loaded_syncs_t *ls;

	if (m->partition != 0)
		return 0;
	if (km_mm2_offset_sync_key_decode(&o, m->key, m->key_len, why, sizeof(why)) != KM_OK ||
	    km_mm2_offset_sync_value_decode(&o, m->payload, m->len, why, sizeof(why)) != KM_OK) {
		if (k->bad_syncs++ < 10)
			km_warn("offset sync at offset %" PRId64 " skipped: %s", m->offset, why);
		return -1;
	}
	if (snprintf(key, sizeof(key), "%.*s\037%" PRId32, (int)o.topic.len, o.topic.str,
	             o.partition) >= (int)sizeof(key))
		return -1;
	if (!(ls = km_strmap_get(&k->syncs, key))) {
		size_t len = strlen(key) + 1;
		if (!(ls = malloc(sizeof(*ls) + len)))
			return -1;
		memcpy(ls->key, key, len);
		km_mm2_syncs_init(&ls->ss);
		if (km_strmap_put(&k->syncs, ls->key, ls) != KM_OK) {
			free(ls);
			return -1;
		}
	}
	/* all of them: the checkpoints read back keep them from going
	 * backwards (MM2 3.7.1 and later do the same) */
	km_mm2_syncs_add(&ls->ss, o.upstream, o.downstream, 0);
	return 0;
}

/* Makes sure an internal topic is there; else the task fails with why. */
static km_err_t ensure(km_flow_t *f, rd_kafka_t *admin, const char *topic, const char *cluster,
                       const char *advice) {
	struct km_ckpt *k = f->c.ckpt;
	char errstr[512];
	km_err_t err = km_internal_topic_ensure(admin, topic, f->internal_rf, KM_ADMIN_TIMEOUT_MS,
	                                        errstr, sizeof(errstr));

	if (err == KM_OK)
		return KM_OK;
	km_ctl_error(f, "cluster %s: %s%s", cluster, errstr, advice);
	/* logged once while it stays the same (it is retried with backoff) */
	if (strcmp(k->said, f->c.last_error)) {
		km_err("flow %s: %s", f->name, f->c.last_error);
		snprintf(k->said, sizeof(k->said), "%s", f->c.last_error);
	}
	return err;
}

/* Reads internal topic @p topic of cluster @p alias once, each record to
 * @p fn; KM_OK or the error, in the status. */
static km_err_t read_once(km_flow_t *f, const char *alias, const char *topic, const char *what,
                          km_topic_record_fn *fn, struct km_ckpt *k) {
	const char *forced[] = {
	    "enable.partition.eof",    "true", "enable.auto.commit", "false", "group.id",
	    "kmirror.internal-reader", NULL};
	const km_cluster_conf_t *cl = strcmp(alias, f->target) ? f->fc->source : f->fc->target;
	char errstr[512];
	rd_kafka_t *rk;
	km_err_t err;

	/* a control-thread client: its errors are the control thread's */
	if (!(rk = km_client_new(f, RD_KAFKA_CONSUMER, "control-reader", cl, NULL, NULL, forced,
	                         errstr, sizeof(errstr)))) {
		km_ctl_error(f, "%s", errstr);
		return KM_ERR_KAFKA;
	}
	err = km_topic_read(rk, topic, what, KM_ADMIN_TIMEOUT_MS, fn, k, NULL, errstr,
	                    sizeof(errstr));
	km_kafka_consumer_destroy(rk);
	if (err != KM_OK)
		km_ctl_error(f, "cluster %s: %s", alias, errstr);
	return err;
}

/* The first run: the topics are there, the last checkpoints and the
 * offset syncs written so far are known. */
static km_err_t load(km_flow_t *f, struct km_ckpt *k) {
	km_err_t err;

	if ((err = ensure(f, f->c.dst_admin, f->ckpt_topic, f->target, "")) != KM_OK ||
	    (err = read_once(f, f->target, f->ckpt_topic, "checkpoints", load_record, k)) != KM_OK)
		return err;
	if (k->bad)
		km_warn("flow %s: %zu record(s) of %s on %s are not checkpoints and were skipped",
		        f->name, k->bad, f->ckpt_topic, f->target);
	/* (without the offset-syncs topic, checkpoints go on without them) */
	if (atomic_load(&f->osync_ready) &&
	    (err = read_once(f, f->osync_cluster, f->osync_topic, "offset-syncs", load_sync, k)) !=
	        KM_OK)
		return err;
	if (k->bad_syncs)
		km_warn("flow %s: %zu record(s) of %s on %s are not offset syncs and were skipped",
		        f->name, k->bad_syncs, f->osync_topic, f->osync_cluster);
	km_info("flow %s: read %zu checkpoint(s) from %s on %s and the offset syncs of %zu "
	        "partition(s) from %s on %s",
	        f->name, k->last.cnt, f->ckpt_topic, f->target, k->syncs.cnt, f->osync_topic,
	        f->osync_cluster);
	k->loaded = 1;
	return KM_OK;
}

/* The flow's group filter (groups:) accepts @p group. @locality control
 * thread */
static int group_selected(km_flow_t *f, const char *group) {
	const km_instance_t *gf = f->group_filter;

	return gf->plugin->group_filter->filter(gf->data, group) == KM_FILTER_ACCEPT;
}

/* The source's groups that pass the filter, as a growing array. */
struct groups {
	km_flow_t *f;
	char **names;
	size_t cnt, cap;
};

static int take_group(void *arg, const char *group, rd_kafka_consumer_group_state_t state) {
	struct groups *g = arg;

	(void)state;
	if (!group_selected(g->f, group))
		return 0;
	if (g->cnt == g->cap) {
		size_t nc = g->cap ? g->cap * 2 : 16;
		char **nn = realloc(g->names, nc * sizeof(*nn));
		if (!nn)
			return -1;
		g->names = nn;
		g->cap = nc;
	}
	return (g->names[g->cnt] = strdup(group)) ? (g->cnt++, 0) : -1;
}

/* Adds @p group's committed offsets on copied topics to @p job / @p pends
 * (the same index in both). KM_OK, or KM_ERR_NOMEM; a group whose offsets
 * cannot be read is passed over. */
static km_err_t group_offsets(km_flow_t *f, const char *group, km_xjob_t *job, pend_t **pends,
                              size_t *cap) {
	rd_kafka_topic_partition_list_t *parts =
	    km_group_offsets(f, f->c.src_admin, f->source, group);
	km_err_t ret = KM_OK;

	for (int i = 0; parts && i < parts->cnt; i++) {
		const rd_kafka_topic_partition_t *tp = &parts->elems[i];
		km_ctopic_t *ct = km_catalog_topic(&f->c.cat, tp->topic);
		km_xitem_t *it;
		pend_t *pd;
		if (tp->err || tp->offset < 0 || !ct || !ct->selected || !ct->target ||
		    km_mstate_of(&f->c.states, tp->topic) == KM_MS_STOPPED)
			continue;
		if (job->cnt == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			km_xitem_t *ni = realloc(job->items, nc * sizeof(*ni));
			pend_t *np = ni ? realloc(*pends, nc * sizeof(*np)) : NULL;
			if (ni)
				job->items = ni;
			if (!np) {
				ret = KM_ERR_NOMEM;
				break;
			}
			*pends = np;
			*cap = nc;
		}
		it = &job->items[job->cnt];
		pd = &(*pends)[job->cnt];
		*it = (km_xitem_t){.partition = tp->partition, .offset = tp->offset};
		*pd = (pend_t){group, ct, NULL, tp->metadata_size};
		if (!(it->topic = strdup(tp->topic)) ||
		    (tp->metadata_size && !(pd->metadata = malloc(tp->metadata_size)))) {
			free(it->topic);
			ret = KM_ERR_NOMEM;
			break;
		}
		if (tp->metadata_size)
			memcpy(pd->metadata, tp->metadata, tp->metadata_size);
		job->cnt++;
	}
	if (parts)
		rd_kafka_topic_partition_list_destroy(parts);
	return ret;
}

/* Has the data thread answer @p job: 1 when it did, 0 when the flow stops
 * or the data thread did not answer in time (it frees the job then). */
static int translate(km_flow_t *f, km_xjob_t *job) {
	km_cmd_t *cmd = calloc(1, sizeof(*cmd));
	struct timespec ts;
	int answered;

	if (!cmd) {
		km_xjob_free(job);
		return 0;
	}
	cmd->type = KM_CMD_TRANSLATE;
	cmd->job = job;
	job->state = KM_XJOB_ASKED;
	km_flow_send_cmd(f, cmd);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += KM_XLATE_WAIT_MS / 1000;
	pthread_mutex_lock(&f->lock);
	while (job->state == KM_XJOB_ASKED && !atomic_load(&f->stop))
		if (pthread_cond_timedwait(&f->cond, &f->lock, &ts))
			break;
	if (!(answered = job->state == KM_XJOB_ANSWERED))
		job->state = KM_XJOB_ABANDONED;
	pthread_mutex_unlock(&f->lock);
	return answered;
}

/* MM2's translation over the offset syncs read at the first run, for an
 * offset the data thread's runs do not reach; -1: none. */
static int64_t fallback(struct km_ckpt *k, const km_xitem_t *it) {
	char key[KM_TOPIC_MAX + 16];
	loaded_syncs_t *ls;
	int64_t down;

	snprintf(key, sizeof(key), "%s\037%" PRId32, it->topic, it->partition);
	if (!(ls = km_strmap_get(&k->syncs, key)) ||
	    km_mm2_syncs_translate(&ls->ss, it->offset, &down) != KM_OK)
		return -1;
	return down;
}

/* Writes the checkpoints of the answered @p job that are newer than the
 * last ones. */
static void write_checkpoints(km_flow_t *f, struct km_ckpt *k, const km_xjob_t *job,
                              const pend_t *pends, int64_t listed_ms) {
	km_ctl_t *c = &f->c;

	for (size_t i = 0; i < job->cnt; i++) {
		const km_xitem_t *it = &job->items[i];
		const pend_t *pd = &pends[i];
		km_mm2_checkpoint_t cp = {{pd->group, strlen(pd->group)},
		                          {pd->topic->target, strlen(pd->topic->target)},
		                          it->partition,
		                          it->offset,
		                          it->down,
		                          {pd->metadata, pd->metadata_len}};
		char key[KM_MM2_STRING_MAX * 2 + 32];
		char kb[2 * (KM_TOPIC_MAX + 2) + 600], *vb = NULL;
		size_t kl, vl = 0;
		ckpt_last_t *l;
		rd_kafka_resp_err_t err;

		if (it->routed)
			c->ckpt_routed++;
		if (it->down < 0)
			cp.downstream = fallback(k, it);
		if (cp.downstream < 0) {
			c->ckpt_untranslated++;
			continue;
		}
		if (make_key(key, sizeof(key), pd->group, strlen(pd->group), pd->topic->target,
		             strlen(pd->topic->target), it->partition))
			continue;
		l = last_get(k, key);
		if (l && !(it->offset < l->upstream || cp.downstream > l->downstream))
			continue; /* not newer: written already */
		if (km_mm2_checkpoint_key_encode(&cp, kb, sizeof(kb), &kl, NULL, 0) != KM_OK ||
		    km_mm2_checkpoint_value_encode(&cp, NULL, 0, &vl, NULL, 0) != KM_ERR_NOMEM ||
		    !(vb = malloc(vl)) ||
		    km_mm2_checkpoint_value_encode(&cp, vb, vl, &vl, NULL, 0) != KM_OK) {
			free(vb); /* a group name or metadata MM2 could not hold */
			k->sent.failed++;
			continue;
		}
		err = rd_kafka_producev(c->dst_producer, RD_KAFKA_V_TOPIC(f->ckpt_topic),
		                        RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(kb, kl),
		                        RD_KAFKA_V_VALUE(vb, vl), RD_KAFKA_V_TIMESTAMP(listed_ms),
		                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
		                        RD_KAFKA_V_OPAQUE(&k->sent), RD_KAFKA_V_END);
		if (err) {
			free(vb);
			k->sent.failed++;
			k->sent.last_err = err;
			continue;
		}
		if (last_set(k, key, &cp) != KM_OK)
			continue;
		c->ckpt_exact += it->exact;
	}
}

km_err_t km_task_checkpoints(void *arg, int64_t now) {
	km_flow_t *f = arg;
	struct km_ckpt *k = ckpt(f);
	struct groups g = {.f = f};
	km_xjob_t *job = NULL;
	pend_t *pends = NULL;
	size_t cap = 0, cnt = 0;
	int64_t listed_ms = km_wall_ms();
	km_err_t err = KM_OK, osync_err = KM_OK;

	(void)now;
	if (!k)
		return KM_ERR_NOMEM;
	/* An offset-syncs topic kmirror cannot use stops the syncs only: the
	 * task fails (retried with backoff) after the checkpoints. */
	if (f->osync_on && !atomic_load(&f->osync_ready)) {
		osync_err =
		    ensure(f, f->osync_on_target ? f->c.dst_admin : f->c.src_admin, f->osync_topic,
		           f->osync_cluster,
		           f->osync_on_target ? ""
		                              : "; or set offset-syncs.topic.location: target "
		                                "to keep them on the target");
		if (osync_err == KM_OK)
			atomic_store(&f->osync_ready, 1);
	}
	if (!f->ckpt_on)
		return osync_err;
	if (!f->c.dst_producer) {
		km_ctl_error(f, "flow %s: no producer for the target: checkpoints wait", f->name);
		return KM_ERR_STATE;
	}
	if (!k->loaded && (err = load(f, k)) != KM_OK)
		return err;
	if (!(job = calloc(1, sizeof(*job))))
		err = KM_ERR_NOMEM;
	else
		err = km_list_groups(f, f->c.src_admin, f->source, take_group, &g);
	for (size_t i = 0; i < g.cnt && err == KM_OK && !atomic_load(&f->stop); i++)
		err = group_offsets(f, g.names[i], job, &pends, &cap);
	cnt = job ? job->cnt : 0;
	if (err == KM_OK && cnt) {
		if (translate(f, job)) {
			write_checkpoints(f, k, job, pends, listed_ms);
			km_xjob_free(job);
		} else if (!atomic_load(&f->stop)) {
			km_ctl_error(f,
			             "flow %s: the data thread did not translate %zu offset(s) "
			             "within %d ms",
			             f->name, cnt, KM_XLATE_WAIT_MS);
			err = KM_ERR_TIMEOUT;
		}
		job = NULL; /* freed above, or the data thread's now */
	}
	km_xjob_free(job);
	for (size_t i = 0; i < cnt; i++)
		free(pends[i].metadata);
	free(pends);
	if (err == KM_OK)
		f->c.ckpt_groups = g.cnt;
	for (size_t i = 0; i < g.cnt; i++)
		free(g.names[i]);
	free(g.names);
	rd_kafka_poll(f->c.dst_producer, 0);
	return err != KM_OK ? err : osync_err;
}

km_err_t km_ckpt_entries(km_flow_t *f, km_ckpt_entry_t **out, size_t *cntp) {
	struct km_ckpt *k = f->c.ckpt;
	km_strmap_t mine = {0};
	km_ckpt_entry_t *e = NULL;
	size_t n = 0;
	km_err_t err = KM_OK;

	*out = NULL;
	*cntp = 0;
	if (!k || !k->last.cnt)
		return KM_OK;
	/* this flow's mirror topics: checkpoints of other flows or of MM2 in
	 * the same topic are not this flow's to sync */
	for (km_ctopic_t *t = f->c.cat.all; t && err == KM_OK; t = t->next)
		if (t->selected && t->target &&
		    km_mstate_of(&f->c.states, t->name) != KM_MS_STOPPED) /* not its any more */
			err = km_strmap_put(&mine, t->target, t);
	if (err != KM_OK || !(e = calloc(k->last.cnt, sizeof(*e)))) {
		err = KM_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < k->last.cap; i++) {
		const ckpt_last_t *l = k->last.keys[i] ? k->last.vals[i] : NULL;
		if (l && km_strmap_has(&mine, l->topic) && group_selected(f, l->group))
			e[n++] = (km_ckpt_entry_t){l->group, l->topic, l->partition, l->downstream};
	}
	*out = e;
	*cntp = n;
out:
	km_strmap_free(&mine);
	return err;
}

void km_ckpt_status(km_flow_t *f, km_ctl_status_t *st) {
	struct km_ckpt *k = f->c.ckpt;

	st->checkpoints_written = k ? k->sent.delivered : 0;
	st->checkpoints_failed = k ? k->sent.failed : 0;
	st->checkpoint_last_ms = k ? k->sent.last_ts : 0;
	st->checkpoint_groups = f->c.ckpt_groups;
	st->checkpoints_exact = f->c.ckpt_exact;
	st->checkpoints_untranslated = f->c.ckpt_untranslated;
	st->checkpoints_routed = f->c.ckpt_routed;
	st->checkpoints_skipped_bad = k ? k->bad + k->bad_syncs : 0;
}
