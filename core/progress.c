/* The progress topic: format, creation and loading. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal_topics.h"
#include "kafka.h"
#include "log.h"
#include "progress.h"
#include "topic_read.h"

/* Open-addressing hash of "topic/partition" -> next offset. */
typedef struct km_pentry {
	char *topic; /* NULL: empty slot */
	int32_t partition;
	int64_t next;
} km_pentry_t;

struct km_progress_map {
	km_pentry_t *slots;
	size_t cap, cnt;
};

static uint64_t hash(const char *topic, int32_t partition) {
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)topic; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (h ^ (uint32_t)partition) * 1099511628211ULL;
}

km_progress_map_t *km_progress_map_new(void) {
	km_progress_map_t *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->cap = 64;
	if (!(m->slots = calloc(m->cap, sizeof(*m->slots)))) {
		free(m);
		return NULL;
	}
	return m;
}

void km_progress_map_destroy(km_progress_map_t *m) {
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].topic);
	free(m->slots);
	free(m);
}

static km_pentry_t *find(const km_progress_map_t *m, const char *topic, int32_t partition) {
	size_t i = hash(topic, partition) & (m->cap - 1);

	while (m->slots[i].topic) {
		if (m->slots[i].partition == partition && !strcmp(m->slots[i].topic, topic))
			return &m->slots[i];
		i = (i + 1) & (m->cap - 1);
	}
	return &m->slots[i];
}

int64_t km_progress_get(const km_progress_map_t *m, const char *topic, int32_t partition) {
	const km_pentry_t *e = find(m, topic, partition);

	return e->topic ? e->next : -1;
}

static km_err_t grow(km_progress_map_t *m) {
	km_progress_map_t n = {.cap = m->cap * 2};

	if (!(n.slots = calloc(n.cap, sizeof(*n.slots))))
		return KM_ERR_NOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].topic) {
			*find(&n, m->slots[i].topic, m->slots[i].partition) = m->slots[i];
			n.cnt++;
		}
	}
	free(m->slots);
	*m = n;
	return KM_OK;
}

km_err_t km_progress_set(km_progress_map_t *m, const char *topic, int32_t partition, int64_t next) {
	km_pentry_t *e;

	if ((m->cnt + 1) * 2 > m->cap && grow(m) != KM_OK)
		return KM_ERR_NOMEM;
	e = find(m, topic, partition);
	if (!e->topic) {
		if (!(e->topic = strdup(topic)))
			return KM_ERR_NOMEM;
		e->partition = partition;
		m->cnt++;
	}
	e->next = next;
	return KM_OK;
}

void km_progress_forget_topic(km_progress_map_t *m, const char *topic) {
	km_progress_map_t n = {.cap = m->cap};

	/* Rebuild without the topic: deletions in open addressing need it. */
	if (!(n.slots = calloc(n.cap, sizeof(*n.slots))))
		return;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].topic)
			continue;
		if (!strcmp(m->slots[i].topic, topic)) {
			free(m->slots[i].topic);
			continue;
		}
		*find(&n, m->slots[i].topic, m->slots[i].partition) = m->slots[i];
		n.cnt++;
	}
	free(m->slots);
	*m = n;
}

size_t km_progress_count(const km_progress_map_t *m) {
	return m->cnt;
}

int km_progress_key(char *buf, size_t size, const char *flow, const char *topic,
                    int32_t partition) {
	int n = snprintf(buf, size, "%s/%s/%" PRId32, flow, topic, partition);

	return n < 0 || (size_t)n >= size ? -1 : n;
}

int km_progress_value(char *buf, size_t size, int64_t next) {
	int n = snprintf(buf, size, "%" PRId64, next);

	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* Whether @p s (@p len bytes) is one or more decimal digits and nothing else. */
static int digits(const void *s, size_t len) {
	const unsigned char *p = s;

	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

int km_progress_parse(km_progress_map_t *m, const char *flow, const void *key, size_t key_len,
                      const void *val, size_t val_len) {
	char k[512], v[32], *topic, *slash, *end;
	size_t flen = strlen(flow);
	long long part, next;

	if (!key || key_len >= sizeof(k) || memchr(key, '\0', key_len))
		return -1;
	memcpy(k, key, key_len);
	k[key_len] = '\0';
	if (key_len <= flen || strncmp(k, flow, flen) || k[flen] != '/')
		return 0;
	topic = k + flen + 1;
	if (!(slash = strrchr(topic, '/')) || slash == topic)
		return -1;
	*slash = '\0';
	/* digits only: strtoll alone takes "" (or " +1") for a number */
	if (!digits(slash + 1, strlen(slash + 1)))
		return -1;
	errno = 0;
	part = strtoll(slash + 1, &end, 10);
	if (errno || *end || part < 0 || part > INT32_MAX)
		return -1;
	if (!val) /* a tombstone: the operator reset this partition */
		return km_progress_set(m, topic, (int32_t)part, -1) != KM_OK ? -1 : 1;
	if (val_len == 0 || val_len >= sizeof(v))
		return -1;
	if (!digits(val, val_len))
		return -1;
	memcpy(v, val, val_len);
	v[val_len] = '\0';
	next = strtoll(v, &end, 10);
	if (errno || *end || next < 0)
		return -1;
	return km_progress_set(m, topic, (int32_t)part, next) != KM_OK ? -1 : 1;
}

km_err_t km_progress_topic_ensure(rd_kafka_t *rk, int rf, int timeout_ms, char *errstr,
                                  size_t errstr_size) {
	char msg[512];
	km_err_t err =
	    km_internal_topic_ensure(rk, KM_PROGRESS_TOPIC, rf, timeout_ms, msg, sizeof(msg));

	if (err == KM_ERR_EXISTS) {
		/* Progress only uses partition 0, and a topic that is not
		 * compacted keeps it too (it grows): a warning, not a stop. The
		 * shape message's remedy (after its first ": ") would delete the
		 * flows' progress: not that one. */
		const char *fix = strstr(msg, ": ");
		km_warn("%.*s; kmirror goes on with it (progress is in partition 0), but never "
		        "delete it while it holds the flows' progress",
		        fix ? (int)(fix - msg) : (int)strlen(msg), msg);
		return KM_OK;
	}
	if (err != KM_OK)
		snprintf(errstr, errstr_size, "progress topic: %s", msg);
	return err;
}

struct load_arg {
	km_progress_map_t *m;
	const char *flow;
	km_mstate_map_t *states;
};

static int load_record(void *arg, const rd_kafka_message_t *msg) {
	struct load_arg *a = arg;

	if (km_mstate_is_key(msg->key, msg->key_len))
		return a->states && km_mstate_parse(a->states, a->flow, msg->key, msg->key_len,
		                                    msg->payload, msg->len) < 0
		           ? -1
		           : 0;
	return km_progress_parse(a->m, a->flow, msg->key, msg->key_len, msg->payload, msg->len) < 0
	           ? -1
	           : 0;
}

km_err_t km_progress_load(rd_kafka_t *rk, const char *flow, km_progress_map_t *m,
                          km_mstate_map_t *states, int timeout_ms, char *errstr,
                          size_t errstr_size) {
	struct load_arg a = {m, flow, states};
	size_t bad = 0;
	km_err_t err = km_topic_read(rk, KM_PROGRESS_TOPIC, "progress", timeout_ms, load_record, &a,
	                             &bad, errstr, errstr_size);

	if (bad)
		km_warn("progress topic %s: %zu malformed record(s) ignored", KM_PROGRESS_TOPIC,
		        bad);
	return err;
}
