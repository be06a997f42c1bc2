/* libFuzzer target of the progress record's codec (core/progress.c): the
 * input is KEY \0 VALUE (no \0: a tombstone), parsed as a record of flow
 * "f". A record that parses as the flow's is written back with
 * km_progress_key and km_progress_value, and that record parses to the same
 * partition and offset; a key that is not the flow's changes nothing. A
 * mirror-topic state record ("f/TOPIC/state", core/mstate.c) is parsed as
 * one, and written back, reads the same. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The topic of the one entry of a record of flow "f" with key @p key. */
static void key_topic(char *topic, size_t size, const uint8_t *key, size_t len) {
	const uint8_t *slash = len > 2 ? memrchr(key, '/', len) : NULL;
	size_t n = slash ? (size_t)(slash - key) - 2 : 0;

	if (!slash || n >= size)
		abort(); /* it parsed: "f/TOPIC/PARTITION" */
	memcpy(topic, key + 2, n);
	topic[n] = '\0';
}

/* A state record: parsed, written back, parsed again to the same. */
static void state_record(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
	km_mstate_map_t m = {0}, again = {0};
	km_mstate_ent_t *e, *e2;
	char k[700], v[128];
	int got = km_mstate_parse(&m, "f", key, klen, val, vlen), kn, vn;

	if (got < -1 || got > 1 || m.cnt != (size_t)(got == 1))
		abort();
	if (got == 1) {
		e = m.ents[0];
		kn = km_mstate_key(k, sizeof(k), "f", e->topic);
		vn = km_mstate_value(v, sizeof(v), e->state, e->since_ms, e->by);
		if (kn < 0 || vn < 0 ||
		    km_mstate_parse(&again, "f", k, (size_t)kn, val ? v : NULL, (size_t)vn) != 1 ||
		    !(e2 = km_mstate_get(&again, e->topic)) || e2->state != e->state ||
		    (val && (e2->since_ms != e->since_ms || e2->by != e->by)))
			abort();
	}
	km_mstate_map_free(&m);
	km_mstate_map_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	const uint8_t *nul = memchr(data, '\0', size);
	size_t klen = nul ? (size_t)(nul - data) : size;
	const uint8_t *val = nul ? nul + 1 : NULL;
	size_t vlen = nul ? size - klen - 1 : 0;
	km_progress_map_t *m = km_progress_map_new(), *again = km_progress_map_new();
	char topic[600], k[700], v[32];
	int got, kn, vn;
	int32_t part;
	int64_t next;

	if (!m || !again)
		abort();
	if (km_mstate_is_key(data, klen)) {
		state_record(data, klen, val, vlen);
		km_progress_map_destroy(m);
		km_progress_map_destroy(again);
		return 0;
	}
	got = km_progress_parse(m, "f", data, klen, val, vlen);
	if (got < -1 || got > 1 || km_progress_count(m) != (got == 1))
		abort();
	if (got == 1) {
		key_topic(topic, sizeof(topic), data, klen);
		memcpy(k, data, klen);
		k[klen] = '\0';
		part = (int32_t)strtol(strrchr(k, '/') + 1, NULL, 10);
		next = km_progress_get(m, topic, part);
		if (next < -1 || (val && next < 0) || (!val && next != -1))
			abort();
		kn = km_progress_key(k, sizeof(k), "f", topic, part);
		vn = km_progress_value(v, sizeof(v), next);
		if (kn < 0 || vn < 0)
			abort();
		if (km_progress_parse(again, "f", k, (size_t)kn, val ? v : NULL, (size_t)vn) != 1 ||
		    km_progress_get(again, topic, part) != next)
			abort();
		/* a buffer one byte short is refused */
		if (km_progress_key(k, (size_t)kn, "f", topic, part) != -1 ||
		    km_progress_value(v, (size_t)vn, next) != -1)
			abort();
	}
	km_progress_map_destroy(m);
	km_progress_map_destroy(again);
	return 0;
}
