/* MirrorMaker 2's kept offset syncs and translation (see mm2_translate.h).
 *
 * The slots keep two invariants between distinct syncs x in slot i and y in
 * slot j > i:
 *   B (not too old):   x.upstream <= y.upstream + 2^j - 2^i
 *   C (spread out):    x.upstream >= y.upstream + 2^max(i-2, 0)
 * A new sync goes to slot 0; walking up, each slot that breaks B with its
 * new neighbour takes the best candidate: the new sync, or the oldest
 * earlier sync that still meets B and C there, so that as many distinct
 * syncs as possible stay. The first slot that meets B ends the walk: the
 * rest already do. Java's arithmetic is kept where it matters: sums wrap
 * around, and a bound that wrapped negative means "no bound". */
#include "config.h"

#include <string.h>

#include "mm2_translate.h"

/* a + b as Java's long arithmetic computes it: wrapping around. */
static int64_t java_add(int64_t a, uint64_t b) {
	uint64_t u = (uint64_t)a + b;

	return u <= INT64_MAX ? (int64_t)u : -(int64_t)(UINT64_MAX - u) - 1;
}

static int same(const km_mm2_sync_t *x, const km_mm2_sync_t *y) {
	return x->seq == y->seq;
}

static int inv_b(const km_mm2_sync_t *x, const km_mm2_sync_t *y, int i, int j) {
	int64_t bound = java_add(y->upstream, ((uint64_t)1 << j) - ((uint64_t)1 << i));

	return same(x, y) || bound < 0 || x->upstream <= bound;
}

static int inv_c(const km_mm2_sync_t *x, const km_mm2_sync_t *y, int i) {
	int64_t bound = java_add(y->upstream, (uint64_t)1 << (i > 2 ? i - 2 : 0));

	return same(x, y) || (bound >= 0 && x->upstream >= bound);
}

void km_mm2_syncs_init(km_mm2_syncs_t *ss) {
	memset(ss, 0, sizeof(*ss));
}

void km_mm2_syncs_add(km_mm2_syncs_t *ss, int64_t upstream, int64_t downstream, int only_last) {
	const km_mm2_sync_t n = {upstream, downstream, ss->seq + 1};
	km_mm2_sync_t old[KM_MM2_SYNC_SLOTS], cand = n;
	int r = 0;

	if (ss->seq++ == 0 || only_last || upstream < ss->slot[0].upstream) {
		for (int i = 0; i < KM_MM2_SYNC_SLOTS; i++)
			ss->slot[i] = n;
		return;
	}
	memcpy(old, ss->slot, sizeof(old));
	ss->slot[0] = n;
	for (int cur = 1; cur < KM_MM2_SYNC_SLOTS; cur++) {
		const km_mm2_sync_t *prev = &ss->slot[cur - 1];
		int skip;

		/* Earlier syncs, newest first, that fit this slot (B and C
		 * with both neighbours) become the candidate in turn; one
		 * that can fit no later slot either is passed over for good.
		 * r only grows, and never past this slot. */
		do {
			const km_mm2_sync_t *o = &old[r];
			int recent = inv_b(prev, o, cur - 1, cur);
			int sep_prev = inv_c(prev, o, cur - 1);
			int sep_next =
			    cur + 1 >= KM_MM2_SYNC_SLOTS || inv_c(o, &ss->slot[cur + 1], cur);
			int dup = r + 1 < KM_MM2_SYNC_SLOTS && same(&old[r + 1], o);
			int fits = recent && sep_prev && sep_next;

			if (fits)
				cand = *o;
			skip = dup || !sep_prev;
			if (fits || skip)
				r++;
		} while (r < cur && skip);
		if (inv_b(prev, &ss->slot[cur], cur - 1, cur))
			break;
		ss->slot[cur] = cand;
	}
}

km_err_t km_mm2_syncs_translate(const km_mm2_syncs_t *ss, int64_t group_offset,
                                int64_t *downstreamp) {
	const km_mm2_sync_t *s = &ss->slot[KM_MM2_SYNC_SLOTS - 1];

	if (!ss->seq)
		return KM_ERR_NOENT;
	for (int i = 0; i < KM_MM2_SYNC_SLOTS; i++) {
		if (ss->slot[i].upstream <= group_offset) {
			s = &ss->slot[i];
			break;
		}
	}
	if (s->upstream > group_offset)
		*downstreamp = -1;
	else if (s->upstream == group_offset)
		*downstreamp = s->downstream;
	else /* MM2's sum wraps negative at the very end, and is dropped */
		*downstreamp = s->downstream == INT64_MAX ? -1 : s->downstream + 1;
	return KM_OK;
}
