/* Unit tests of exact offset translation and offset-sync emission
 * (core/xlate.c): every committed offset of simulated partitions (gaps,
 * dropped records, records a stage multiplied, rewinds) against an oracle
 * that knows where every record went; MM2's sync rules; the bound. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xlate.h"

#define SRC_MAX 4000

/* A simulated partition: for each source offset, the target offsets its
 * records got (first, count; count 0: it made none or never existed). */
typedef struct sim {
	int64_t first[SRC_MAX];
	int cnt[SRC_MAX];
	int64_t src_next; /* next source offset */
	int64_t dst_next; /* next target offset */
	uint64_t rnd;
	km_xlate_t x;
	int64_t syncs_now;
} sim_t;

static uint32_t rnd(sim_t *s) {
	s->rnd = s->rnd * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(s->rnd >> 33);
}

static void sim_init(sim_t *s, uint64_t seed) {
	memset(s, 0, sizeof(*s));
	s->rnd = seed;
	km_xlate_init(&s->x);
}

/* A batch of @p n source records from @p ups, record i making @p ks[i]
 * target records (0: none): each one's first in batch order, then the
 * extra ones a stage added, at the batch's end (as batch_add puts them). */
static void sim_batch(sim_t *s, const int64_t *ups, const int *ks, int n) {
	int64_t tail = s->dst_next, last[64];

	for (int i = 0; i < n; i++)
		if (ks[i])
			tail++;
	for (int i = 0; i < n; i++) {
		s->cnt[ups[i]] = ks[i];
		if (!ks[i])
			continue;
		s->first[ups[i]] = s->dst_next++;
		last[i] = s->first[ups[i]];
		for (int c = 1; c < ks[i]; c++)
			last[i] = tail++;
	}
	for (int i = 0; i < n; i++) { /* acknowledged and popped in source order */
		if (ks[i] && km_xlate_add(&s->x, ups[i], s->first[ups[i]], last[i], 100)) {
			km_xlate_synced(&s->x, ups[i], s->first[ups[i]]);
			s->syncs_now++;
		}
		s->src_next = ups[i] + 1;
	}
	s->dst_next = tail;
}

/* Source offset @p up made @p k records on the target (0: none), in a batch
 * of its own. */
static void sim_copy(sim_t *s, int64_t up, int k) {
	sim_batch(s, &up, &k, 1);
}

/* The truth: the target offset of the first record made from a source
 * record at or after @p g. */
static int64_t oracle(const sim_t *s, int64_t g) {
	for (int64_t u = g; u < s->src_next; u++)
		if (s->cnt[u])
			return s->first[u];
	return s->dst_next;
}

/* Every committed offset up to the end translates exactly, or (below the
 * runs kept) never past the truth. */
static void check_all(const sim_t *s, int64_t from) {
	for (int64_t g = from; g <= s->src_next; g++) {
		int64_t down = -1;
		int exact = -1;
		km_err_t err = km_xlate_translate(&s->x, g, s->src_next, &down, &exact);

		if (err == KM_ERR_NOENT)
			continue;
		assert_int_equal(err, KM_OK);
		if (exact) {
			if (down != oracle(s, g))
				fail_msg("g=%lld: %lld, want %lld", (long long)g, (long long)down,
				         (long long)oracle(s, g));
		} else {
			assert_true(down <= oracle(s, g));
		}
	}
}

static void test_contiguous(void **state) {
	sim_t *s = malloc(sizeof(*s));
	int64_t down;
	int exact;

	(void)state;
	sim_init(s, 1);
	assert_int_equal(km_xlate_translate(&s->x, 0, 0, &down, &exact), KM_ERR_NOENT);
	for (int64_t u = 0; u < 1000; u++)
		sim_copy(s, u, 1);
	assert_int_equal(s->x.cnt, 1);
	check_all(s, 0);
	/* MM2's rule: the first record, then each time the target moved 100
	 * past the last sync + 1: 0, 101, 202, ... 909 */
	assert_int_equal(s->syncs_now, 10);
	/* the group is ahead of the copy: MM2's answer, not exact */
	assert_int_equal(km_xlate_translate(&s->x, 1500, 1000, &down, &exact), KM_OK);
	assert_int_equal(down, 1000);
	assert_int_equal(exact, 0);
	free(s);
}

/* Gaps, drops and multiplied records, then a rewind (copied again from an
 * older progress, after a crash) and more. */
static void test_random_partitions(void **state) {
	sim_t *s = malloc(sizeof(*s));

	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		int64_t up = 0;
		sim_init(s, seed);
		s->dst_next = rnd(s) % 50;
		while (up < 1500) {
			int64_t ups[64];
			int ks[64], n = 1 + (int)(rnd(s) % 20);
			for (int i = 0; i < n; i++) {
				uint32_t r = rnd(s) % 100;
				ks[i] = r < 70   ? 1
				        : r < 80 ? 0
				        : r < 90 ? 2 + (int)(rnd(s) % 3)
				                 : 1;
				if (r >= 90) /* a gap: compaction, markers */
					up += 1 + rnd(s) % 5;
				ups[i] = up++;
			}
			sim_batch(s, ups, ks, n);
		}
		check_all(s, 0);
		/* a crash: copied again from 1200 on, landing after what is there */
		km_xlate_rewind(&s->x, 1200);
		for (up = 1200; up < 1400; up++)
			sim_copy(s, up, rnd(s) % 10 ? 1 : 0);
		check_all(s, 1200);
	}
	free(s);
}

/* Each run ends at a gap; past KM_XLATE_RUNS of them the oldest go, and
 * what they covered falls back to MM2's rule, which never skips. */
static void test_bounded(void **state) {
	sim_t *s = malloc(sizeof(*s));
	int64_t down;
	int exact;

	(void)state;
	sim_init(s, 7);
	for (int64_t up = 0; up < 3 * KM_XLATE_RUNS * 3; up += 3) {
		sim_copy(s, up, 1);
		sim_copy(s, up + 1, 1);
	}
	assert_int_equal(s->x.cnt, KM_XLATE_RUNS);
	assert_true(s->x.runs_dropped > 0);
	check_all(s, 0);
	/* the oldest runs are gone: offset 4 translates by MM2's rule */
	assert_int_equal(km_xlate_translate(&s->x, 4, s->src_next, &down, &exact), KM_OK);
	assert_int_equal(exact, 0);
	assert_true(down <= oracle(s, 4));
	/* the newest translate exactly */
	assert_int_equal(km_xlate_translate(&s->x, s->src_next - 2, s->src_next, &down, &exact),
	                 KM_OK);
	assert_int_equal(exact, 1);
	free(s);
}

/* A sync at every run's start; the newest record is the delayed sync,
 * taken once written. */
static void test_sync_rules(void **state) {
	km_xlate_t *x = malloc(sizeof(*x));
	int64_t up, down;

	(void)state;
	km_xlate_init(x);
	assert_int_equal(km_xlate_take_delayed(x, &up, &down), 0);
	assert_int_equal(km_xlate_add(x, 10, 100, 100, 100), 1); /* the first */
	km_xlate_synced(x, 10, 100);
	assert_int_equal(km_xlate_add(x, 11, 101, 101, 100), 0);
	assert_int_equal(km_xlate_take_delayed(x, &up, &down), 1);
	assert_int_equal(up, 11);
	assert_int_equal(down, 101);
	assert_int_equal(km_xlate_add(x, 13, 102, 102, 100), 1); /* gap upstream */
	km_xlate_synced(x, 13, 102);
	assert_int_equal(km_xlate_take_delayed(x, &up, &down), 0);
	assert_int_equal(km_xlate_add(x, 14, 104, 104, 100), 1); /* jump downstream */
	assert_int_equal(km_xlate_add(x, 15, 105, 107, 100), 0); /* three records */
	assert_int_equal(km_xlate_add(x, 16, 108, 108, 100), 1); /* after them */
	assert_int_equal(km_xlate_add(x, 17, 109, 109, 0), 1);   /* offset.lag.max 0 */
	assert_int_equal(km_xlate_add(x, 12, 200, 200, 100), 1); /* a rewind */
	free(x);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_contiguous),
	    cmocka_unit_test(test_random_partitions),
	    cmocka_unit_test(test_bounded),
	    cmocka_unit_test(test_sync_rules),
	};

	return cmocka_run_group_tests_name("xlate", tests, NULL, NULL);
}
