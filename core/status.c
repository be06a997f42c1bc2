/* The status snapshot's memory and its JSON form. See status.h. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin_host.h"
#include "status.h"

const char *const km_part_state_names[KM_PART_NSTATES] = {"active", "stopped", "gone", "paused"};
const int64_t km_lat_bounds_ms[KM_LAT_BUCKETS] = {
    1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 3600000};

int64_t km_wall_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t km_mono_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void km_data_status_reset(km_data_status_t *s) {
	km_part_status_t *parts = s->parts;
	size_t cap = s->part_cap, scap = s->strs_cap;
	char *strs = s->strs;

	memset(s, 0, sizeof(*s));
	s->parts = parts;
	s->part_cap = cap;
	s->strs = strs;
	s->strs_cap = scap;
	if (s->strs) {
		s->strs[0] = '\0';
		s->strs_len = 1;
	}
}

km_part_status_t *km_data_status_add(km_data_status_t *s) {
	if (s->part_cnt == s->part_cap) {
		size_t cap = s->part_cap ? s->part_cap * 2 : 64;
		km_part_status_t *p = realloc(s->parts, cap * sizeof(*p));
		if (!p)
			return NULL;
		s->parts = p;
		s->part_cap = cap;
	}
	memset(&s->parts[s->part_cnt], 0, sizeof(s->parts[0]));
	return &s->parts[s->part_cnt++];
}

size_t km_data_status_str(km_data_status_t *s, const char *str) {
	size_t n = strlen(str) + 1, off;

	if (n == 1)
		return 0;
	if (!s->strs_len)
		s->strs_len = 1; /* offset 0 is the empty string */
	if (s->strs_len + n > s->strs_cap) {
		size_t cap = s->strs_cap ? s->strs_cap : 1024;
		char *p;
		while (cap < s->strs_len + n)
			cap *= 2;
		if (!(p = realloc(s->strs, cap)))
			return 0;
		if (!s->strs_cap)
			p[0] = '\0';
		s->strs = p;
		s->strs_cap = cap;
	}
	off = s->strs_len;
	memcpy(s->strs + off, str, n);
	s->strs_len += n;
	return off;
}

void km_data_status_free(km_data_status_t *s) {
	free(s->parts);
	free(s->strs);
	memset(s, 0, sizeof(*s));
}

int64_t km_part_lag_ms(const km_part_status_t *p, int64_t now_wall_ms) {
	if (p->lag <= 0)
		return 0;
	if (p->next_ts < 0)
		return -1;
	return now_wall_ms > p->next_ts ? now_wall_ms - p->next_ts : 0;
}

static void json_str(FILE *fp, const char *s) {
	fputc('"', fp);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(fp, "\\u%04x", *s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

/* A count of ms, or null when unknown (-1). */
static void json_ms(FILE *fp, int64_t ms) {
	if (ms < 0)
		fputs("null", fp);
	else
		fprintf(fp, "%" PRId64, ms);
}

static void json_tasks(const km_ctl_status_t *c, FILE *fp) {
	fputs(",\"tasks\":[", fp);
	for (size_t i = 0; i < c->task_cnt; i++) {
		const km_task_status_t *t = &c->tasks[i];
		fprintf(fp, "%s{\"name\":", i ? "," : "");
		json_str(fp, t->name);
		fprintf(fp, ",\"runs\":%" PRIu64 ",\"failures\":%" PRIu64 ",\"last_run\":", t->runs,
		        t->failures);
		json_ms(fp, t->last_ms ? t->last_ms : -1);
		fprintf(fp, ",\"took_ms\":%" PRId64 "}", t->took_ms);
	}
	fputc(']', fp);
}

static void json_plugins(const km_flow_status_t *s, FILE *fp) {
	int first = 1;

	fputs(",\"plugins\":[", fp);
	for (size_t i = 0; i < s->instance_cnt; i++) {
		const km_instance_t *inst = s->instances[i];
		int firstc = 1;
		if (!inst || !inst->ctx.counters)
			continue;
		fprintf(fp, "%s{\"instance\":", first ? "" : ",");
		json_str(fp, inst->ctx.name);
		fputs(",\"counters\":{", fp);
		for (const struct km_counter *c = inst->ctx.counters; c; c = c->next) {
			fprintf(fp, "%s", firstc ? "" : ",");
			json_str(fp, c->name);
			fprintf(fp, ":%" PRIu64,
			        atomic_load_explicit(&((struct km_counter *)c)->value,
			                             memory_order_relaxed));
			firstc = 0;
		}
		fputs("}}", fp);
		first = 0;
	}
	fputc(']', fp);
}

/* The mirror topics that are not ACTIVE (every other one is). */
static void json_mstates(const km_flow_status_t *s, FILE *fp) {
	fputs(",\"mirror_topics\":[", fp);
	for (size_t i = 0; i < s->state_cnt; i++) {
		const km_mstate_view_t *v = &s->states[i];
		fprintf(fp, "%s{\"topic\":", i ? "," : "");
		json_str(fp, v->topic);
		fputs(",\"target\":", fp);
		json_str(fp, v->target);
		fprintf(fp,
		        ",\"state\":\"%s\",\"by\":\"%s\",\"since\":%" PRId64 ",\"stored\":%s,"
		        "\"detail\":",
		        v->state, v->by, v->since_ms, v->persisted ? "true" : "false");
		json_str(fp, v->detail);
		fputc('}', fp);
	}
	fputc(']', fp);
}

static void json_acls(const km_acl_status_t *a, FILE *fp) {
	fprintf(fp, ",\"acls\":{\"enabled\":%s,\"last_run\":", a->enabled ? "true" : "false");
	json_ms(fp, a->last_run_ms ? a->last_run_ms : -1);
	fputs(",\"source_authorizer\":", fp);
	json_str(fp, a->source_authorizer ? a->source_authorizer : "unknown");
	fputs(",\"target_authorizer\":", fp);
	json_str(fp, a->target_authorizer ? a->target_authorizer : "unknown");
	fprintf(fp,
	        ",\"bindings\":%" PRIu64 ",\"present\":%" PRIu64 ",\"synced\":%" PRIu64
	        ",\"write_dropped\":%" PRIu64 ",\"failures\":%" PRIu64 ",\"last_error\":",
	        a->bindings, a->present, a->synced, a->write_dropped, a->failures);
	json_str(fp, a->last_error);
	fputc('}', fp);
}

static void json_partitions(const km_data_status_t *d, FILE *fp) {
	fputs(",\"partition_list\":[", fp);
	for (size_t i = 0; i < d->part_cnt; i++) {
		const km_part_status_t *p = &d->parts[i];
		fprintf(fp, "%s{\"topic\":", i ? "," : "");
		json_str(fp, d->strs ? d->strs + p->topic : "");
		fprintf(fp,
		        ",\"partition\":%d,\"state\":\"%s\",\"next\":%" PRId64 ",\"end\":%" PRId64
		        ",\"lag\":%" PRId64 ",\"lag_ms\":",
		        p->partition, km_part_state_names[p->state], p->next, p->end, p->lag);
		json_ms(fp, km_part_lag_ms(p, d->taken_ms));
		fprintf(fp,
		        ",\"copied\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"skipped\":%" PRIu64
		        ",\"dead_lettered\":%" PRIu64 ",\"provenance_dropped\":%" PRIu64
		        ",\"waiting\":%" PRIu64 ",\"last_source_offset\":%" PRId64
		        ",\"last_target_offset\":%" PRId64 ",\"routed\":%" PRIu64
		        ",\"translation\":\"%s\",\"since\":%" PRId64 ",\"reason\":",
		        p->records, p->lost, p->skipped, p->dead_lettered, p->prov_dropped, p->held,
		        p->last_src, p->last_dst, p->routed,
		        p->routed ? "none for routed records" : "exact", p->since_ms);
		json_str(fp, d->strs ? d->strs + p->reason : "");
		fputs(",\"target\":", fp);
		json_str(fp, d->strs ? d->strs + p->target : "");
		fputc('}', fp);
	}
	fputc(']', fp);
}

void km_status_json(const km_flow_status_t *s, FILE *fp) {
	const km_data_status_t *d = &s->data;
	const km_ctl_status_t *c = &s->ctl;
	int64_t lag_ms = 0;
	const char *err = d->last_error;
	int64_t err_ms = d->last_error_ms;

	for (size_t i = 0; i < d->part_cnt; i++) {
		int64_t ms = km_part_lag_ms(&d->parts[i], d->taken_ms);
		if (ms < 0 || lag_ms < 0)
			lag_ms = -1;
		else if (ms > lag_ms)
			lag_ms = ms;
	}
	if (c->last_error_ms > err_ms) {
		err = c->last_error;
		err_ms = c->last_error_ms;
	}
	fputs("{\"name\":", fp);
	json_str(fp, s->name);
	fputs(",\"source\":", fp);
	json_str(fp, s->source);
	fputs(",\"target\":", fp);
	json_str(fp, s->target);
	fputs(",\"state\":", fp);
	json_str(fp, s->state);
	fputs(",\"data_state\":", fp);
	json_str(fp, d->state ? d->state : "new");
	fprintf(fp, ",\"data_since\":%" PRId64 ",\"control_state\":", d->since_ms);
	json_str(fp, c->state ? c->state : "new");
	fprintf(fp,
	        ",\"control_since\":%" PRId64 ",\"topics_created\":%" PRIu64
	        ",\"partitions_created\":%" PRIu64 ",\"configs_synced\":%" PRIu64
	        ",\"routed_topics_created\":%" PRIu64 ",\"heartbeats\":%" PRIu64
	        ",\"heartbeat_failures\":%" PRIu64 ",\"last_heartbeat_at\":",
	        c->since_ms, c->topics_created, c->partitions_created, c->configs_synced,
	        c->routed_created, c->heartbeats, c->heartbeat_failures);
	json_ms(fp, c->last_heartbeat_ms ? c->last_heartbeat_ms : -1);
	fputs(",\"last_error\":", fp);
	json_str(fp, err);
	fputs(",\"last_error_at\":", fp);
	json_ms(fp, err_ms ? err_ms : -1);
	fprintf(fp,
	        ",\"topics\":%d,\"partitions\":{\"active\":%d,\"stopped\":%d,\"gone\":%d,"
	        "\"paused\":%d},\"records\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"lag\":%" PRId64
	        ",\"lag_ms\":",
	        d->topics, d->parts_by_state[KM_PART_ACTIVE], d->parts_by_state[KM_PART_STOPPED],
	        d->parts_by_state[KM_PART_GONE], d->parts_by_state[KM_PART_PAUSED], d->records,
	        d->bytes, d->lag);
	json_ms(fp, lag_ms);
	fprintf(fp,
	        ",\"inflight\":%" PRIu64 ",\"waiting\":%" PRIu64 ",\"lost_at_source\":%" PRIu64
	        ",\"skipped\":%" PRIu64 ",\"dead_lettered\":%" PRIu64
	        ",\"producer_rebuilds\":%" PRIu64 ",\"stage_errors\":%" PRIu64
	        ",\"deferred\":%" PRIu64 ",\"fetch_wakes\":%" PRIu64 ",\"ticks\":%" PRIu64
	        ",\"unsourced_dropped\":%" PRIu64,
	        d->inflight, d->held, d->lost, d->skipped, d->dead_lettered, d->rebuilds,
	        d->stage_errors, d->deferred, d->fetch_wakes, d->ticks, d->unsourced_dropped);
	fprintf(fp,
	        ",\"records_per_sec\":%.1f,\"bytes_per_sec\":%.1f,\"batches\":%" PRIu64
	        ",\"latency\":{\"count\":%" PRIu64 ",\"sum_ms\":%" PRId64 "}",
	        d->records_rate, d->bytes_rate, d->batches, d->latency.count, d->latency.sum_ms);
	fprintf(fp, ",\"offset_syncs\":{\"written\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"last\":",
	        d->osyncs_written, d->osyncs_failed);
	json_ms(fp, d->osync_last_ms ? d->osync_last_ms : -1);
	fprintf(fp, "},\"provenance_dropped\":%" PRIu64 ",\"provenance\":{\"on\":%s",
	        d->prov_dropped, d->prov_on ? "true" : "false");
	fputs(",\"source_cluster_id\":", fp);
	json_str(fp, d->prov_src);
	fputs(",\"target_cluster_id\":", fp);
	json_str(fp, d->prov_dst);
	fprintf(fp,
	        "},\"checkpoints\":{\"written\":%" PRIu64 ",\"exact\":%" PRIu64
	        ",\"failed\":%" PRIu64 ",\"groups\":%" PRIu64 ",\"untranslated\":%" PRIu64
	        ",\"routed\":%" PRIu64 ",\"skipped_records\":%" PRIu64 ",\"last\":",
	        c->checkpoints_written, c->checkpoints_exact, c->checkpoints_failed,
	        c->checkpoint_groups, c->checkpoints_untranslated, c->checkpoints_routed,
	        c->checkpoints_skipped_bad);
	json_ms(fp, c->checkpoint_last_ms ? c->checkpoint_last_ms : -1);
	fprintf(fp,
	        "},\"group_offsets\":{\"groups_synced\":%" PRIu64 ",\"offsets_synced\":%" PRIu64
	        ",\"failures\":%" PRIu64 ",\"groups_skipped\":%" PRIu64 ",\"skipped\":",
	        c->groups_synced, c->group_offsets_synced, c->group_sync_failures,
	        c->groups_skipped);
	json_str(fp, c->groups_skipped_names);
	fputc('}', fp);
	json_acls(&c->acls, fp);
	json_tasks(c, fp);
	json_plugins(s, fp);
	json_mstates(s, fp);
	json_partitions(d, fp);
	fputc('}', fp);
}

const km_mstate_view_t *km_flow_status_mstate(const km_flow_status_t *s, const char *topic) {
	for (size_t i = 0; i < s->state_cnt; i++)
		if (!strcmp(s->states[i].topic, topic))
			return &s->states[i];
	return NULL;
}
