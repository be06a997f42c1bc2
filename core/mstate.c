/* Mirror-topic states: names, transitions, records. See mstate.h. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mstate.h"

const char *const km_mstate_names[KM_MS_N] = {"ACTIVE", "PAUSED", "PROMOTING", "FAILING_OVER",
                                              "STOPPED"};
const char *const km_mcmd_names[KM_MC_N] = {"pause", "resume", "promote", "failover"};

static int find(const char *const *names, int n, const char *s) {
	for (int i = 0; s && i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

int km_mstate_parse_name(const char *s) {
	return find(km_mstate_names, KM_MS_N, s);
}

int km_mcmd_parse_name(const char *s) {
	return find(km_mcmd_names, KM_MC_N, s);
}

km_err_t km_mstate_next(km_mstate_t cur, km_mcmd_t c, int force, km_mstate_t *next, char *msg,
                        size_t msg_size) {
	const char *why = NULL;

	*next = cur;
	switch (c) {
	case KM_MC_PAUSE:
		if (cur == KM_MS_ACTIVE)
			*next = KM_MS_PAUSED;
		else if (cur == KM_MS_PROMOTING)
			why = "it is being promoted; resume cancels the promotion";
		else if (cur == KM_MS_FAILING_OVER || cur == KM_MS_STOPPED)
			why = "it is failed over or promoted: nothing is copied into it";
		break;
	case KM_MC_RESUME:
		if (cur == KM_MS_PAUSED || cur == KM_MS_PROMOTING)
			*next = KM_MS_ACTIVE;
		else if (cur == KM_MS_FAILING_OVER)
			why =
			    "it is failing over; once it is STOPPED, resume --force copies into it "
			    "again (docs/failover.md, failing back)";
		else if (cur == KM_MS_STOPPED && !force)
			why = "it is STOPPED (promoted or failed over), an ordinary topic that "
			      "applications may write; resume --force copies into it again, after "
			      "them (docs/failover.md, failing back)";
		else if (cur == KM_MS_STOPPED)
			*next = KM_MS_ACTIVE;
		break;
	case KM_MC_PROMOTE:
		if (cur == KM_MS_ACTIVE || cur == KM_MS_PAUSED)
			*next = KM_MS_PROMOTING;
		else if (cur == KM_MS_FAILING_OVER)
			why = "it is failing over already";
		break;
	case KM_MC_FAILOVER:
		if (cur != KM_MS_STOPPED)
			*next = KM_MS_FAILING_OVER;
		break;
	default:
		why = "no such command";
	}
	if (!why)
		return KM_OK;
	snprintf(msg, msg_size, "cannot %s a mirror topic in state %s: %s",
	         (unsigned)c < KM_MC_N ? km_mcmd_names[c] : "?",
	         (unsigned)cur < KM_MS_N ? km_mstate_names[cur] : "?", why);
	return KM_ERR_STATE;
}

static void ent_free(km_mstate_ent_t *e) {
	if (!e)
		return;
	free(e->topic);
	free(e->target);
	free(e->ends);
	free(e->los);
	free(e);
}

void km_mstate_map_free(km_mstate_map_t *m) {
	for (size_t i = 0; i < m->cnt; i++)
		ent_free(m->ents[i]);
	free(m->ents);
	km_strmap_free(&m->by_topic);
	memset(m, 0, sizeof(*m));
}

km_mstate_ent_t *km_mstate_get(const km_mstate_map_t *m, const char *topic) {
	return km_strmap_get(&m->by_topic, topic);
}

km_mstate_t km_mstate_of(const km_mstate_map_t *m, const char *topic) {
	const km_mstate_ent_t *e = km_mstate_get(m, topic);

	return e ? e->state : KM_MS_ACTIVE;
}

km_mstate_ent_t *km_mstate_add(km_mstate_map_t *m, const char *topic) {
	km_mstate_ent_t *e = km_mstate_get(m, topic);

	if (e)
		return e;
	if (m->cnt == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		km_mstate_ent_t **ents = realloc(m->ents, cap * sizeof(*ents));
		if (!ents)
			return NULL;
		m->ents = ents;
		m->cap = cap;
	}
	if (!(e = calloc(1, sizeof(*e))) || !(e->topic = strdup(topic)) ||
	    km_strmap_put(&m->by_topic, e->topic, e) != KM_OK) {
		ent_free(e);
		return NULL;
	}
	e->state = KM_MS_ACTIVE;
	e->by = KM_MC_RESUME;
	m->ents[m->cnt++] = e;
	return e;
}

void km_mstate_set(km_mstate_ent_t *e, km_mstate_t s, km_mcmd_t by, int64_t since_ms) {
	e->state = s;
	e->by = by;
	e->since_ms = since_ms;
	e->step = 0;
	e->step_ms = 0;
	e->end_cnt = 0;
	e->detail[0] = '\0';
	if (s != KM_MS_PROMOTING && s != KM_MS_FAILING_OVER)
		e->grant_write = 0;
}

int km_mstate_key(char *buf, size_t size, const char *flow, const char *topic) {
	int n = snprintf(buf, size, "%s/%s/state", flow, topic);

	return n < 0 || (size_t)n >= size ? -1 : n;
}

int km_mstate_value(char *buf, size_t size, km_mstate_t s, int64_t since_ms, km_mcmd_t by) {
	int n = snprintf(buf, size, "%s %" PRId64 " %s", km_mstate_names[s], since_ms,
	                 km_mcmd_names[by]);

	return n < 0 || (size_t)n >= size ? -1 : n;
}

int km_mstate_is_key(const void *key, size_t key_len) {
	static const char suffix[] = "/state";

	return key && key_len > sizeof(suffix) - 1 &&
	       !memcmp((const char *)key + key_len - (sizeof(suffix) - 1), suffix,
	               sizeof(suffix) - 1);
}

int km_mstate_parse(km_mstate_map_t *m, const char *flow, const void *key, size_t key_len,
                    const void *val, size_t val_len) {
	char k[512], v[128], st[16], by[16], *topic, *end;
	size_t flen = strlen(flow);
	km_mstate_ent_t *e;
	long long since;
	int s, c, used = 0;

	if (!km_mstate_is_key(key, key_len) || key_len >= sizeof(k))
		return -1;
	memcpy(k, key, key_len);
	k[key_len - 6] = '\0'; /* "/state" */
	if (strncmp(k, flow, flen) || k[flen] != '/')
		return 0;
	topic = k + flen + 1;
	if (!*topic || strchr(topic, '/'))
		return -1;
	if (!val) { /* a tombstone: the operator cleared it */
		if (!(e = km_mstate_add(m, topic)))
			return -1;
		km_mstate_set(e, KM_MS_ACTIVE, KM_MC_RESUME, 0);
		e->persisted = 1;
		return 1;
	}
	if (val_len == 0 || val_len >= sizeof(v))
		return -1;
	memcpy(v, val, val_len);
	v[val_len] = '\0';
	if (sscanf(v, "%15s %lld %15s%n", st, &since, by, &used) != 3 || (size_t)used != val_len ||
	    (s = km_mstate_parse_name(st)) < 0 || (c = km_mcmd_parse_name(by)) < 0 || since < 0)
		return -1;
	errno = 0;
	(void)strtoll(v + strlen(st) + 1, &end, 10);
	if (errno || *end != ' ')
		return -1;
	if (!(e = km_mstate_add(m, topic)))
		return -1;
	km_mstate_set(e, (km_mstate_t)s, (km_mcmd_t)c, since);
	e->persisted = 1;
	return 1;
}
