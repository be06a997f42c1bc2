/* Exact offset translation for one source partition, and when its offset
 * syncs go out (MirrorMaker 2's rules, mm2.md 5.4).
 *
 * The data thread feeds it every record the target acknowledged, in source
 * order, as (upstream, first downstream, last downstream): the source
 * offset, and the target offsets of the first and last record made from it
 * in the mirror partition (a stage may make several, or none: then it is
 * not fed). The first records come in source order; records a stage added
 * may land later, after those of other source records.
 *
 * It keeps the mapping as runs: a run maps the source offsets up..up+len-1
 * to first target offsets down..down+len-1. A new run starts where that
 * stops holding: a gap upstream (compaction, transaction markers, records
 * dropped, retention, a seek), a jump downstream (records a stage added),
 * or a rewind (the partition copied again from its stored progress). The
 * newest KM_XLATE_RUNS runs are kept; older ones are forgotten.
 *
 * A committed source offset g (the next record the group would read)
 * translates to the first target record made from a source record at or
 * after g: no record of those is skipped, and none made first from a
 * record before g is given again (records a stage added to one may be):
 * exact wherever the runs reach. Below the oldest
 * kept run it falls back to MirrorMaker 2's rule (mm2_translate.h) over the
 * offset syncs written, which never skips a record and may give some again.
 *
 * Offset syncs: one goes out at once for the first record, at every run's
 * start, and when the target offset moved offset.lag.max or more past the
 * last sync's; otherwise the newest record is kept as the delayed sync,
 * which km_xlate_take_delayed() hands out when the caller flushes.
 *
 * Memory: sizeof(km_xlate_t) per partition, about 4.7 KB, whatever the
 * traffic. Unit tests: tests/unit/test_xlate.c.
 * @locality the thread that owns it (the data thread); pure, allocates
 *           nothing */
#ifndef KM_XLATE_H
#define KM_XLATE_H

#include <stdint.h>

#include "kmirror/err.h"
#include "mm2_translate.h"

#define KM_XLATE_RUNS 128

typedef struct km_xrun {
	int64_t up, down; /* the run's first source record and its first target record */
	int64_t len;      /* source records in the run */
} km_xrun_t;

typedef struct km_xlate {
	km_xrun_t run[KM_XLATE_RUNS]; /* a ring, oldest at [first] */
	uint32_t first, cnt;
	int64_t max_down;     /* the highest target offset acknowledged; -1: none */
	km_mm2_syncs_t syncs; /* the offset syncs written: the fallback */
	/* offset-sync emission (mm2.md 5.4) */
	int64_t last_sync_down;           /* -1: none sent since this started */
	int64_t delayed_up, delayed_down; /* -1: no delayed sync */
	uint64_t runs_dropped;            /* runs forgotten because the ring was full */
} km_xlate_t;

void km_xlate_init(km_xlate_t *x);

/* The record at source offset @p up was acknowledged, its records in the
 * mirror partition at @p down .. @p last_down. @p lag_max is offset.lag.max.
 * Returns 1 when an offset sync (@p up, @p down) must go out now (the
 * caller writes it and calls km_xlate_synced), else 0 (it is the delayed
 * sync now). */
int km_xlate_add(km_xlate_t *x, int64_t up, int64_t down, int64_t last_down, int64_t lag_max);

/* The partition is copied again from source offset @p up (the stored
 * progress, after a producer rebuild): what the runs say from there on is
 * forgotten, since the copies made before no longer count. A record fed
 * below the newest run's end rewinds to it as well. */
void km_xlate_rewind(km_xlate_t *x, int64_t up);

/* The sync (@p up, @p down) was handed to the producer: it is what MM2's
 * readers see, and the fallback's. */
void km_xlate_synced(km_xlate_t *x, int64_t up, int64_t down);

/* Takes the delayed sync, if any: 1 with *@p up, *@p down set, else 0. */
int km_xlate_take_delayed(km_xlate_t *x, int64_t *up, int64_t *down);

/* Translates the committed source offset @p g. @p processed is the next
 * source offset not yet acknowledged (every record below it was copied,
 * dropped or was never there).
 *
 * @returns KM_OK with *@p down and *@p exact (1: the target offset of the
 *          first record the group has not read; 0: MM2's rule, which may
 *          give some records again); KM_ERR_NOENT when nothing translates
 *          it (no run reaches it and no sync is older than it). */
km_err_t km_xlate_translate(const km_xlate_t *x, int64_t g, int64_t processed, int64_t *down,
                            int *exact);

#endif /* KM_XLATE_H */
