/* The target's topics as the control thread last saw them, handed to the
 * data thread as an immutable, reference-counted snapshot: the control
 * thread publishes a new one when its catalog of target topics changed,
 * the data thread picks it up between batches (one lock per change, not
 * per record), and stages read it through the host call
 * target_partitions() without a lock or a network wait.
 * @locality km_tmeta_build: control thread; lookups: the holder's thread;
 *           km_tmeta_release: any thread */
#ifndef KM_TMETA_H
#define KM_TMETA_H

#include <stdatomic.h>
#include <stdint.h>

#include "catalog.h"

typedef struct km_tmeta {
	_Atomic int refs;
	km_strmap_t map; /* name -> partitions + 1 (1: the target lacks it) */
	char *names;     /* the keys, back to back */
	int listed;      /* the target was listed: an absent name is missing */
} km_tmeta_t;

/* A snapshot of @p cat's target topics, with one reference; NULL when out
 * of memory. */
km_tmeta_t *km_tmeta_build(const km_catalog_t *cat);
void km_tmeta_release(km_tmeta_t *tm);
/* Partitions of @p topic: > 0; 0 when the target has no such topic; -1
 * when not known (no snapshot yet, or the target was not listed). */
int32_t km_tmeta_partitions(const km_tmeta_t *tm, const char *topic);

#endif
