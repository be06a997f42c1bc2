/* Prometheus text format of the status snapshots. See metrics.h. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "mstate.h"
#include "plugin_host.h"

enum fam {
	F_FLOW_INFO,
	F_RECORDS,
	F_BYTES,
	F_RECORDS_RATE,
	F_LAG_RECORDS,
	F_LAG_SECONDS,
	F_FLOW_LAG_RECORDS,
	F_PART_LAG_RECORDS,
	F_PART_LAG_SECONDS,
	F_LATENCY,
	F_BATCHES,
	F_ERRORS,
	F_DROPPED,
	F_DEAD_LETTERED,
	F_WAITING,
	F_INFLIGHT,
	F_INFLIGHT_MAX,
	F_INFLIGHT_BYTES,
	F_INFLIGHT_BYTES_MAX,
	F_PARTITIONS,
	F_TOPICS,
	F_TOPICS_CREATED,
	F_PARTITIONS_CREATED,
	F_CONFIGS_SYNCED,
	F_OFFSET_SYNCS,
	F_CHECKPOINTS,
	F_HEARTBEATS,
	F_GROUP_OFFSETS_SYNCED,
	F_GROUPS_SKIPPED,
	F_MIRROR_TOPICS,
	F_MIRROR_STATE,
	F_ACL_SYNCED,
	F_ACL_WRITE_DROPPED,
	F_ACL_AUTHORIZER,
	F_TASK_RUNS,
	F_TASK_FAILURES,
	F_LAST_ERROR,
	F_SNAPSHOT_AGE,
	F_N
};

static const struct {
	const char *name, *type, *help;
} fams[F_N] = {
    [F_FLOW_INFO] = {"kmirror_flow_info", "gauge",
                     "A flow: 1, with its clusters and state as labels"},
    [F_RECORDS] = {"kmirror_records_total", "counter",
                   "Records copied and acknowledged by the target, by source topic"},
    [F_BYTES] = {"kmirror_bytes_total", "counter",
                 "Key and value bytes of the records copied, by source topic"},
    [F_RECORDS_RATE] = {"kmirror_flow_records_per_second", "gauge",
                        "Records copied per second over the last 5 s"},
    [F_LAG_RECORDS] = {"kmirror_topic_lag_records", "gauge",
                       "Records still to copy, by source topic"},
    [F_LAG_SECONDS] = {"kmirror_topic_lag_seconds", "gauge",
                       "Age of the oldest record still to copy, by source topic (NaN: unknown)"},
    [F_FLOW_LAG_RECORDS] = {"kmirror_flow_lag_records", "gauge",
                            "Records still to copy, over every partition of the flow"},
    [F_PART_LAG_RECORDS] = {"kmirror_partition_lag_records", "gauge",
                            "Records still to copy: the source's end offset minus the next "
                            "offset to copy"},
    [F_PART_LAG_SECONDS] = {"kmirror_partition_lag_seconds", "gauge",
                            "Age of the next record to copy (0: none waiting; NaN: not "
                            "fetched yet)"},
    [F_LATENCY] = {"kmirror_replication_latency_seconds", "histogram",
                   "Source record timestamp to the target's acknowledgement"},
    [F_BATCHES] = {"kmirror_batches_total", "counter", "Batches copied"},
    [F_ERRORS] = {"kmirror_errors_total", "counter", "Errors, by kind"},
    [F_DROPPED] = {"kmirror_dropped_records_total", "counter", "Records not copied, by reason"},
    [F_DEAD_LETTERED] = {"kmirror_dead_lettered_records_total", "counter",
                         "Records sent to the dead-letter topic"},
    [F_WAITING] = {"kmirror_waiting_records", "gauge",
                   "Records waiting for their topic or partition on the target"},
    [F_INFLIGHT] = {"kmirror_inflight_records", "gauge",
                    "Records consumed whose progress is not yet stored"},
    [F_INFLIGHT_MAX] = {"kmirror_inflight_records_max", "gauge",
                        "max.inflight.records: the bound of kmirror_inflight_records"},
    [F_INFLIGHT_BYTES] = {"kmirror_inflight_bytes", "gauge",
                          "Bytes of the records in flight (producer queue fill)"},
    [F_INFLIGHT_BYTES_MAX] = {"kmirror_inflight_bytes_max", "gauge",
                              "The bound of kmirror_inflight_bytes"},
    [F_PARTITIONS] = {"kmirror_partitions", "gauge", "Source partitions, by state"},
    [F_TOPICS] = {"kmirror_topics", "gauge", "Source topics being copied"},
    [F_TOPICS_CREATED] = {"kmirror_topics_created_total", "counter",
                          "Mirror topics created on the target"},
    [F_PARTITIONS_CREATED] = {"kmirror_partitions_created_total", "counter",
                              "Partitions added to mirror topics"},
    [F_CONFIGS_SYNCED] = {"kmirror_configs_synced_total", "counter",
                          "Topic configurations copied to the target"},
    [F_OFFSET_SYNCS] = {"kmirror_offset_syncs_total", "counter",
                        "Offset syncs written (acknowledged)"},
    [F_CHECKPOINTS] = {"kmirror_checkpoints_total", "counter",
                       "Checkpoints written (acknowledged)"},
    [F_HEARTBEATS] = {"kmirror_heartbeats_total", "counter",
                      "Heartbeats written (acknowledged), on both clusters"},
    [F_GROUP_OFFSETS_SYNCED] = {"kmirror_group_offsets_synced_total", "counter",
                                "Consumer-group offsets committed on the target"},
    [F_GROUPS_SKIPPED] = {"kmirror_groups_skipped", "gauge",
                          "Groups the last group sync skipped (members on the target)"},
    [F_MIRROR_TOPICS] = {"kmirror_mirror_topics", "gauge",
                         "Mirror topics by state (ACTIVE: copied; the rest are listed in "
                         "kmirror_mirror_topic_state)"},
    [F_MIRROR_STATE] = {"kmirror_mirror_topic_state", "gauge",
                        "A mirror topic that is not ACTIVE: 1, with its state as a label"},
    [F_ACL_SYNCED] = {"kmirror_acl_bindings_synced_total", "counter",
                      "Topic ACL bindings ACL sync created on the target"},
    [F_ACL_WRITE_DROPPED] = {"kmirror_acl_bindings_write_dropped", "gauge",
                             "Source ALLOW WRITE bindings of mirrored topics that the last ACL "
                             "sync did not copy"},
    [F_ACL_AUTHORIZER] = {"kmirror_acl_authorizer", "gauge",
                          "1, with the authorizer state ACL sync last saw on each cluster"},
    [F_TASK_RUNS] = {"kmirror_task_runs_total", "counter", "Runs of a periodic control task"},
    [F_TASK_FAILURES] = {"kmirror_task_failures_total", "counter",
                         "Failed runs of a periodic control task"},
    [F_LAST_ERROR] = {"kmirror_last_error_timestamp_seconds", "gauge",
                      "When the flow's last error that still holds was reported (0: none)"},
    [F_SNAPSHOT_AGE] = {"kmirror_status_age_seconds", "gauge",
                        "Age of the data thread's status snapshot"},
};

/* Samples of one family, or of one plugin counter. */
typedef struct buf {
	char *text;
	size_t len;
	FILE *fp;
} buf_t;

typedef struct pfam {
	char *name, *help;
	buf_t b;
} pfam_t;

struct km_metrics {
	buf_t f[F_N];
	pfam_t *p;
	size_t pcnt, pcap;
	int64_t now;
	int oom;
};

static FILE *out(km_metrics_t *m, buf_t *b) {
	if (!b->fp && !(b->fp = open_memstream(&b->text, &b->len)))
		m->oom = 1;
	return b->fp;
}

/* A label value, escaped as the format says. */
static void lv(FILE *fp, const char *s) {
	fputc('"', fp);
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(fp, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", fp);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

/* Starts a sample of @p f: "name{flow="F"". The caller adds labels and
 * closes with val(). */
static FILE *sample(km_metrics_t *m, enum fam f, const char *suffix, const km_flow_status_t *s) {
	FILE *fp = out(m, &m->f[f]);

	if (!fp)
		return NULL;
	fprintf(fp, "%s%s{flow=", fams[f].name, suffix);
	lv(fp, s->name);
	return fp;
}

static void val_u(FILE *fp, uint64_t v) {
	if (fp)
		fprintf(fp, "} %" PRIu64 "\n", v);
}

static void val_d(FILE *fp, double v) {
	if (fp)
		fprintf(fp, isnan(v) ? "} NaN\n" : "} %.17g\n", v);
}

static void label(FILE *fp, const char *k, const char *v) {
	if (fp) {
		fprintf(fp, ",%s=", k);
		lv(fp, v);
	}
}

static void flow_u(km_metrics_t *m, enum fam f, const km_flow_status_t *s, uint64_t v) {
	val_u(sample(m, f, "", s), v);
}

static void kind_u(km_metrics_t *m, enum fam f, const km_flow_status_t *s, const char *k,
                   const char *kv, uint64_t v) {
	FILE *fp = sample(m, f, "", s);
	label(fp, k, kv);
	val_u(fp, v);
}

km_metrics_t *km_metrics_new(void) {
	km_metrics_t *m = calloc(1, sizeof(*m));

	if (m)
		m->now = km_wall_ms();
	return m;
}

/* Per source topic: the sums of its partitions, which the snapshot keeps
 * together in topic order. */
static void topics(km_metrics_t *m, const km_flow_status_t *s) {
	const km_data_status_t *d = &s->data;

	for (size_t i = 0; i < d->part_cnt;) {
		size_t j = i;
		uint64_t rec = 0, bytes = 0;
		int64_t lag = 0, lag_ms = 0;
		const char *topic = d->strs ? d->strs + d->parts[i].topic : "";
		FILE *fp;

		for (; j < d->part_cnt && d->parts[j].topic == d->parts[i].topic; j++) {
			const km_part_status_t *p = &d->parts[j];
			int64_t ms = km_part_lag_ms(p, d->taken_ms);
			char pn[16];

			rec += p->records;
			bytes += p->bytes;
			lag += p->lag;
			lag_ms = ms < 0 || lag_ms < 0 ? -1 : ms > lag_ms ? ms : lag_ms;
			snprintf(pn, sizeof(pn), "%d", (int)p->partition);
			fp = sample(m, F_PART_LAG_RECORDS, "", s);
			label(fp, "topic", topic);
			label(fp, "partition", pn);
			val_u(fp, (uint64_t)p->lag);
			fp = sample(m, F_PART_LAG_SECONDS, "", s);
			label(fp, "topic", topic);
			label(fp, "partition", pn);
			val_d(fp, ms < 0 ? NAN : (double)ms / 1000.0);
		}
		kind_u(m, F_RECORDS, s, "topic", topic, rec);
		kind_u(m, F_BYTES, s, "topic", topic, bytes);
		kind_u(m, F_LAG_RECORDS, s, "topic", topic, (uint64_t)lag);
		fp = sample(m, F_LAG_SECONDS, "", s);
		label(fp, "topic", topic);
		val_d(fp, lag_ms < 0 ? NAN : (double)lag_ms / 1000.0);
		i = j;
	}
}

static void latency(km_metrics_t *m, const km_flow_status_t *s) {
	const km_lat_hist_t *h = &s->data.latency;
	uint64_t cum = 0;
	FILE *fp;

	for (int i = 0; i <= KM_LAT_BUCKETS; i++) {
		char le[32];
		cum += h->counts[i];
		if (i < KM_LAT_BUCKETS)
			snprintf(le, sizeof(le), "%g", (double)km_lat_bounds_ms[i] / 1000.0);
		else
			snprintf(le, sizeof(le), "+Inf");
		fp = sample(m, F_LATENCY, "_bucket", s);
		label(fp, "le", le);
		val_u(fp, cum);
	}
	val_d(sample(m, F_LATENCY, "_sum", s), (double)h->sum_ms / 1000.0);
	val_u(sample(m, F_LATENCY, "_count", s), h->count);
}

static pfam_t *pfam(km_metrics_t *m, const char *counter, const char *help) {
	char name[256];
	size_t n = (size_t)snprintf(name, sizeof(name), "kmirror_plugin_");

	for (const char *c = counter; *c && n < sizeof(name) - 8; c++)
		name[n++] = isalnum((unsigned char)*c) ? *c : '_';
	snprintf(name + n, sizeof(name) - n, "_total");
	for (size_t i = 0; i < m->pcnt; i++)
		if (!strcmp(m->p[i].name, name))
			return &m->p[i];
	if (m->pcnt == m->pcap) {
		size_t cap = m->pcap ? m->pcap * 2 : 8;
		pfam_t *p = realloc(m->p, cap * sizeof(*p));
		if (!p)
			return NULL;
		m->p = p;
		m->pcap = cap;
	}
	memset(&m->p[m->pcnt], 0, sizeof(m->p[0]));
	if (!(m->p[m->pcnt].name = strdup(name)))
		return NULL;
	m->p[m->pcnt].help = strdup(help && *help ? help : counter);
	return &m->p[m->pcnt++];
}

static void plugins(km_metrics_t *m, const km_flow_status_t *s) {
	for (size_t i = 0; i < s->instance_cnt; i++) {
		const km_instance_t *inst = s->instances[i];
		if (!inst)
			continue;
		for (const struct km_counter *c = inst->ctx.counters; c; c = c->next) {
			pfam_t *pf = pfam(m, c->name, c->help);
			FILE *fp = pf ? out(m, &pf->b) : NULL;
			if (!fp) {
				m->oom = 1;
				continue;
			}
			fprintf(fp, "%s{flow=", pf->name);
			lv(fp, s->name);
			label(fp, "instance", inst->ctx.name);
			val_u(fp, atomic_load_explicit(&((struct km_counter *)c)->value,
			                               memory_order_relaxed));
		}
	}
}

/* Mirror-topic states: a count per state (ACTIVE: the topics copied that
 * are in no other state), and a series for each topic that is not ACTIVE
 * (few: an operator put them there). */
static void mirror_states(km_metrics_t *m, const km_flow_status_t *s) {
	uint64_t cnt[KM_MS_N] = {0}, copied = 0;
	const char *last = NULL;

	for (size_t i = 0; i < s->data.part_cnt; i++) { /* topics the data thread has */
		const char *t = s->data.strs ? s->data.strs + s->data.parts[i].topic : "";
		if (!last || strcmp(last, t))
			copied += !km_flow_status_mstate(s, t);
		last = t;
	}
	cnt[KM_MS_ACTIVE] = copied;
	for (size_t i = 0; i < s->state_cnt; i++) {
		const km_mstate_view_t *v = &s->states[i];
		FILE *fp;
		int k = km_mstate_parse_name(v->state);
		if (k > KM_MS_ACTIVE)
			cnt[k]++;
		fp = sample(m, F_MIRROR_STATE, "", s);
		label(fp, "topic", v->topic);
		label(fp, "state", v->state);
		val_u(fp, 1);
	}
	for (int k = 0; k < KM_MS_N; k++)
		kind_u(m, F_MIRROR_TOPICS, s, "state", km_mstate_names[k], cnt[k]);
}

void km_metrics_flow(km_metrics_t *m, const km_flow_status_t *s) {
	const km_data_status_t *d = &s->data;
	const km_ctl_status_t *c = &s->ctl;
	int64_t err_ms = d->last_error_ms > c->last_error_ms ? d->last_error_ms : c->last_error_ms;
	FILE *fp = sample(m, F_FLOW_INFO, "", s);

	label(fp, "source", s->source);
	label(fp, "target", s->target);
	label(fp, "state", s->state);
	val_u(fp, 1);
	topics(m, s);
	val_d(sample(m, F_RECORDS_RATE, "", s), d->records_rate);
	flow_u(m, F_FLOW_LAG_RECORDS, s, (uint64_t)d->lag);
	latency(m, s);
	flow_u(m, F_BATCHES, s, d->batches);
	kind_u(m, F_ERRORS, s, "kind", "stage", d->stage_errors);
	kind_u(m, F_ERRORS, s, "kind", "producer_fatal", d->rebuilds);
	kind_u(m, F_ERRORS, s, "kind", "offset_sync", d->osyncs_failed);
	kind_u(m, F_ERRORS, s, "kind", "checkpoint", c->checkpoints_failed);
	kind_u(m, F_ERRORS, s, "kind", "heartbeat", c->heartbeat_failures);
	kind_u(m, F_ERRORS, s, "kind", "group_sync", c->group_sync_failures);
	kind_u(m, F_DROPPED, s, "reason", "skipped", d->skipped);
	kind_u(m, F_DROPPED, s, "reason", "lost_at_source", d->lost);
	kind_u(m, F_DROPPED, s, "reason", "unsourced", d->unsourced_dropped);
	flow_u(m, F_DEAD_LETTERED, s, d->dead_lettered);
	flow_u(m, F_WAITING, s, d->held);
	flow_u(m, F_INFLIGHT, s, d->inflight);
	flow_u(m, F_INFLIGHT_MAX, s, d->inflight_max);
	flow_u(m, F_INFLIGHT_BYTES, s, d->inflight_bytes);
	flow_u(m, F_INFLIGHT_BYTES_MAX, s, d->inflight_bytes_max);
	for (int i = 0; i < KM_PART_NSTATES; i++)
		kind_u(m, F_PARTITIONS, s, "state", km_part_state_names[i],
		       (uint64_t)d->parts_by_state[i]);
	flow_u(m, F_TOPICS, s, (uint64_t)d->topics);
	flow_u(m, F_TOPICS_CREATED, s, c->topics_created);
	flow_u(m, F_PARTITIONS_CREATED, s, c->partitions_created);
	flow_u(m, F_CONFIGS_SYNCED, s, c->configs_synced);
	flow_u(m, F_OFFSET_SYNCS, s, d->osyncs_written);
	flow_u(m, F_CHECKPOINTS, s, c->checkpoints_written);
	flow_u(m, F_HEARTBEATS, s, c->heartbeats);
	flow_u(m, F_GROUP_OFFSETS_SYNCED, s, c->group_offsets_synced);
	flow_u(m, F_GROUPS_SKIPPED, s, c->groups_skipped);
	mirror_states(m, s);
	if (c->acls.enabled) {
		kind_u(m, F_ERRORS, s, "kind", "acl_sync", c->acls.failures);
		flow_u(m, F_ACL_SYNCED, s, c->acls.synced);
		flow_u(m, F_ACL_WRITE_DROPPED, s, c->acls.write_dropped);
		for (int i = 0; i < 2; i++) {
			const char *st = i ? c->acls.target_authorizer : c->acls.source_authorizer;
			fp = sample(m, F_ACL_AUTHORIZER, "", s);
			label(fp, "cluster", i ? "target" : "source");
			label(fp, "state", st ? st : "unknown");
			val_u(fp, 1);
		}
	}
	for (size_t i = 0; i < c->task_cnt; i++) {
		kind_u(m, F_TASK_RUNS, s, "task", c->tasks[i].name, c->tasks[i].runs);
		kind_u(m, F_TASK_FAILURES, s, "task", c->tasks[i].name, c->tasks[i].failures);
	}
	val_d(sample(m, F_LAST_ERROR, "", s), (double)err_ms / 1000.0);
	val_d(sample(m, F_SNAPSHOT_AGE, "", s),
	      d->taken_ms && m->now > d->taken_ms ? (double)(m->now - d->taken_ms) / 1000.0 : 0.0);
	plugins(m, s);
}

/* Closes @p b and writes it after its HELP and TYPE lines. */
static void flush(km_metrics_t *m, buf_t *b, const char *name, const char *type, const char *help,
                  FILE *o) {
	fprintf(o, "# HELP %s ", name);
	for (const char *h = help; *h; h++) {
		if (*h == '\\')
			fputs("\\\\", o);
		else if (*h == '\n')
			fputs("\\n", o);
		else
			fputc(*h, o);
	}
	fprintf(o, "\n# TYPE %s %s\n", name, type);
	if (b->fp) {
		if (fclose(b->fp))
			m->oom = 1;
		b->fp = NULL;
		if (b->text)
			fwrite(b->text, 1, b->len, o);
	}
	free(b->text);
	b->text = NULL;
}

int km_metrics_finish(km_metrics_t *m, FILE *o) {
	int oom;

	fputs("# HELP kmirror_up kmirrord is running: 1\n# TYPE kmirror_up gauge\nkmirror_up 1\n",
	      o);
	fprintf(o,
	        "# HELP kmirror_build_info kmirrord's version\n# TYPE kmirror_build_info gauge\n"
	        "kmirror_build_info{version=\"%s\"} 1\n",
	        PACKAGE_VERSION);
	for (int i = 0; i < F_N; i++)
		flush(m, &m->f[i], fams[i].name, fams[i].type, fams[i].help, o);
	for (size_t i = 0; i < m->pcnt; i++) {
		flush(m, &m->p[i].b, m->p[i].name, "counter",
		      m->p[i].help ? m->p[i].help : m->p[i].name, o);
		free(m->p[i].name);
		free(m->p[i].help);
	}
	free(m->p);
	oom = m->oom;
	free(m);
	return oom ? -1 : 0;
}
