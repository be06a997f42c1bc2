/* Mirror-topic states (docs/failover.md): whether kmirror copies records
 * into a mirror topic, and the commands that change it.
 *
 *   ACTIVE        copied (the default: a topic with no stored state)
 *   PAUSED        not copied; its configs and partitions are still synced
 *   PROMOTING     copied until it caught up with the source's end as it was
 *                 when promote was asked, then a last config and group
 *                 offset sync, then STOPPED
 *   FAILING_OVER  not copied; group offsets synced on the target are
 *                 clamped to the mirror topic's end, then STOPPED
 *   STOPPED       an ordinary topic of the target: kmirror never writes
 *                 it, its configs, partitions or group offsets again until
 *                 `resume --force`
 *
 * A state is stored on the target, in the progress topic, one record per
 * flow and source topic, beside the flow's progress records:
 *   key   "<flow>/<source topic>/state"
 *   value "<STATE> <since, wall ms> <command>"   e.g. "STOPPED 1765040000000 failover"
 * so that a restart, or another instance with the same configuration,
 * sees it. Flow and topic names cannot hold '/' or ' '.
 *
 * No Kafka here: tests/unit/test_mstate.c. @locality the owner's thread
 * (the control thread's map) */
#ifndef KM_MSTATE_H
#define KM_MSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "kmirror/err.h"

typedef enum km_mstate {
	KM_MS_ACTIVE,
	KM_MS_PAUSED,
	KM_MS_PROMOTING,
	KM_MS_FAILING_OVER,
	KM_MS_STOPPED,
	KM_MS_N
} km_mstate_t;

typedef enum km_mcmd {
	KM_MC_PAUSE,
	KM_MC_RESUME,
	KM_MC_PROMOTE,
	KM_MC_FAILOVER,
	KM_MC_N
} km_mcmd_t;

extern const char *const km_mstate_names[KM_MS_N]; /* "ACTIVE", ... */
extern const char *const km_mcmd_names[KM_MC_N];   /* "pause", ... */

/* The state or command named @p s; -1 when none is. */
int km_mstate_parse_name(const char *s);
int km_mcmd_parse_name(const char *s);

/* Records are not copied into a topic in state @p s. */
static inline int km_mstate_holds(km_mstate_t s) {
	return s == KM_MS_PAUSED || s == KM_MS_FAILING_OVER || s == KM_MS_STOPPED;
}

/* What command @p c does to a topic in state @p cur (with --force for
 * resume): KM_OK with @p next set (next == cur: nothing to do), or
 * KM_ERR_STATE with @p msg saying why not and what to do instead. */
km_err_t km_mstate_next(km_mstate_t cur, km_mcmd_t c, int force, km_mstate_t *next, char *msg,
                        size_t msg_size);

/* One topic's stored state. */
typedef struct km_mstate_ent {
	char *topic;  /* the source topic */
	char *target; /* its mirror topic; NULL until the control thread named it */
	km_mstate_t state;
	int64_t since_ms; /* wall clock of the command */
	km_mcmd_t by;     /* the command that set it */
	char detail[160]; /* what a transition waits for ("" when none) */
	int64_t *ends;    /* PROMOTING: the source's end offsets when asked */
	int64_t *los;     /* ...and its log start offsets */
	int32_t end_cnt;  /* partitions in ends (0: not taken yet) */
	int64_t step_ms;  /* mono: when the current step began */
	int step;         /* within PROMOTING or FAILING_OVER */
	int grant_write;  /* --grant-write asked */
	int persisted;    /* its record is on the target */
} km_mstate_ent_t;

/* A flow's stored states, by source topic. */
typedef struct km_mstate_map {
	km_strmap_t by_topic; /* source topic -> entry */
	km_mstate_ent_t **ents;
	size_t cnt, cap;
} km_mstate_map_t;

void km_mstate_map_free(km_mstate_map_t *m);
/* The entry of @p topic, or NULL (ACTIVE, nothing stored). */
km_mstate_ent_t *km_mstate_get(const km_mstate_map_t *m, const char *topic);
/* The state of @p topic (ACTIVE when nothing is stored). */
km_mstate_t km_mstate_of(const km_mstate_map_t *m, const char *topic);
/* Finds or adds the entry of @p topic (a new one is ACTIVE); NULL when
 * out of memory. */
km_mstate_ent_t *km_mstate_add(km_mstate_map_t *m, const char *topic);
/* Sets @p e's state, since and command; forgets a transition's steps. */
void km_mstate_set(km_mstate_ent_t *e, km_mstate_t s, km_mcmd_t by, int64_t since_ms);

/* The record of a state. Returns the length written, or -1 when @p size is
 * too small. */
int km_mstate_key(char *buf, size_t size, const char *flow, const char *topic);
int km_mstate_value(char *buf, size_t size, km_mstate_t s, int64_t since_ms, km_mcmd_t by);
/* 1 when @p key is a state record's key (whatever its flow). */
int km_mstate_is_key(const void *key, size_t key_len);
/* Parses a state record of @p flow into @p m: 1 it was one of the flow's,
 * 0 another flow's, -1 malformed. A tombstone makes the topic ACTIVE. */
int km_mstate_parse(km_mstate_map_t *m, const char *flow, const void *key, size_t key_len,
                    const void *val, size_t val_len);

#endif
