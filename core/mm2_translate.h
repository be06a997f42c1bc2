/* MirrorMaker 2's offset translation (MM2 3.5.2 and later), so that a
 * checkpoint kmirror computes is the one MM2 would have written from the
 * same offset syncs.
 *
 * For each source partition the checkpoint side keeps 64 offset syncs:
 * slot 0 is the newest, and older ones are kept at distances that grow
 * exponentially with the slot, so a group far behind still translates,
 * coarsely. A committed source offset g translates with the newest kept
 * sync s whose upstream offset is <= g: to s.downstream when g equals
 * s.upstream, else to s.downstream + 1. Never further: the records between
 * s.upstream and g may have left no record on the target or several
 * (compaction, transaction markers, filtering), and overshooting would skip
 * data. A consumer moved to the translation may read records again, never
 * miss one.
 *
 * kmirrord falls back to it where its exact runs (xlate.h) do not reach.
 * Unit tests: tests/unit/test_mm2_translate.c.
 * @locality the thread that owns the km_mm2_syncs_t; pure, allocates
 *           nothing */
#ifndef KM_MM2_TRANSLATE_H
#define KM_MM2_TRANSLATE_H

#include <stdint.h>

#include "kmirror/err.h"

#define KM_MM2_SYNC_SLOTS 64

typedef struct km_mm2_sync {
	int64_t upstream;   /* offset of a record in the source partition */
	int64_t downstream; /* offset of that record in the target partition */
	uint64_t seq;       /* which sync: MM2 compares syncs by identity, not value */
} km_mm2_sync_t;

/* The kept syncs of one source partition; the caller owns it (no
 * allocation: it is 64 slots). */
typedef struct km_mm2_syncs {
	km_mm2_sync_t slot[KM_MM2_SYNC_SLOTS]; /* [0] the newest */
	uint64_t seq;                          /* syncs added; 0: none, slot[] unset */
} km_mm2_syncs_t;

/* Empty: no sync yet. */
void km_mm2_syncs_init(km_mm2_syncs_t *ss);

/* Adds the sync (@p upstream, @p downstream), read from the offset-syncs
 * topic in order. It replaces every kept sync when @p only_last is non-zero
 * or when @p upstream is below the newest kept sync's (the source partition
 * was rewound: what came before no longer holds). Pass @p only_last while
 * the topic is first read to its end and the group's earlier checkpoints
 * could not be read (MM2 keeps only the last sync then, so that no
 * checkpoint goes backwards after a restart), and 0 otherwise. */
void km_mm2_syncs_add(km_mm2_syncs_t *ss, int64_t upstream, int64_t downstream, int only_last);

/* Translates the source group offset @p group_offset into @p *downstreamp.
 * MM2 translates nothing before the offset-syncs topic was read to its end
 * once: the caller holds that back.
 *
 * @returns KM_OK with @p *downstreamp the target offset to resume at, or -1
 *          when @p group_offset is older than every kept sync (MM2 writes no
 *          checkpoint then); KM_ERR_NOENT when no sync was added (neither
 *          does MM2). */
km_err_t km_mm2_syncs_translate(const km_mm2_syncs_t *ss, int64_t group_offset,
                                int64_t *downstreamp);

#endif /* KM_MM2_TRANSLATE_H */
