/* The control thread's catalog of topics: every source topic it has seen
 * (selected or not) and every target topic it knows, each found by name
 * in O(1), so a discovery round costs O(source topics) and never matches
 * source against target lists.
 * @locality control thread */
#ifndef KM_CATALOG_H
#define KM_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "kmirror/err.h"

/* A string-keyed hash map (open addressing); keys are borrowed. */
typedef struct km_strmap {
	const char **keys;
	void **vals;
	size_t cap, cnt;
} km_strmap_t;

void *km_strmap_get(const km_strmap_t *m, const char *key);
/* 1 when @p key is in @p m (whatever its value). */
int km_strmap_has(const km_strmap_t *m, const char *key);
/* Inserts or replaces; KM_ERR_NOMEM when out of memory. */
km_err_t km_strmap_put(km_strmap_t *m, const char *key, void *val);
void km_strmap_free(km_strmap_t *m);

/* One source topic. */
typedef struct km_ctopic {
	char *name;
	char *target;     /* its mirror topic's name (selected topics) */
	int selected;     /* the filter and policy take it */
	int32_t src_cnt;  /* partitions on the source */
	int32_t dst_cnt;  /* partitions of the mirror topic; -1: not on the target */
	int32_t assigned; /* partitions handed to the data thread */
	int gone;         /* seen deleted on the source */
	int warned_more;  /* the target has more partitions: reported once */
	uint64_t seen;    /* the source listing it was last in */
	struct km_ctopic *next;
} km_ctopic_t;

/* A target topic: partitions + 1 stored as the map's value (0: unknown). */
typedef struct km_catalog {
	km_strmap_t src; /* name -> km_ctopic_t */
	km_ctopic_t *all;
	km_strmap_t dst;  /* name -> (partitions + 1) */
	char **dst_names; /* the keys of dst, owned */
	size_t dst_name_cnt, dst_name_cap;
	uint64_t round;       /* source listings so far */
	uint64_t dst_version; /* changes of the target topics so far */
	int dst_listed;       /* a full target listing was taken */
} km_catalog_t;

void km_catalog_free(km_catalog_t *c);
km_ctopic_t *km_catalog_topic(km_catalog_t *c, const char *name);
/* Finds or adds @p name; NULL when out of memory. */
km_ctopic_t *km_catalog_add(km_catalog_t *c, const char *name);
/* Partitions of target topic @p name: -1 when it is not there or unknown. */
int32_t km_catalog_dst(const km_catalog_t *c, const char *name);
/* Records that target topic @p name has @p cnt partitions (-1: none).
 * KM_ERR_NOMEM when out of memory. */
km_err_t km_catalog_set_dst(km_catalog_t *c, const char *name, int32_t cnt);
/* Forgets every target topic (before a full listing). */
void km_catalog_clear_dst(km_catalog_t *c);

#endif
