/* Unit tests of MirrorMaker 2's offset translation (core/mm2_translate.c):
 * the +1 rule, the vectors of MM2's own store test in both initial-load
 * modes, a rewind, the slots' invariants over long runs of syncs, and the
 * ends of the int64 range. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mm2_translate.h"

static int64_t translate(const km_mm2_syncs_t *ss, int64_t g) {
	int64_t down = -2;

	assert_int_equal(km_mm2_syncs_translate(ss, g, &down), KM_OK);
	return down;
}

/* The distinct syncs kept, newest first, as their upstream offsets; the
 * count. */
static size_t distinct(const km_mm2_syncs_t *ss, int64_t *up) {
	size_t n = 0;

	for (int i = 0; i < KM_MM2_SYNC_SLOTS; i++)
		if (i == 0 || ss->slot[i].seq != ss->slot[i - 1].seq)
			up[n++] = ss->slot[i].upstream;
	return n;
}

static void assert_kept(const km_mm2_syncs_t *ss, const int64_t *want, size_t want_cnt) {
	int64_t up[KM_MM2_SYNC_SLOTS];
	size_t n = distinct(ss, up);

	for (size_t i = 0; i < n && i < want_cnt; i++)
		assert_int_equal(up[i], want[i]);
	assert_int_equal(n, want_cnt);
}

/* Syncs (o, o) for o = from, from + 10, ..., to. */
static void add_range(km_mm2_syncs_t *ss, int64_t from, int64_t to, int only_last) {
	for (int64_t o = from; o <= to; o += 10)
		km_mm2_syncs_add(ss, o, o, only_last);
}

static void test_no_sync(void **state) {
	km_mm2_syncs_t ss;
	int64_t down = 42;

	(void)state;
	km_mm2_syncs_init(&ss);
	assert_int_equal(km_mm2_syncs_translate(&ss, 0, &down), KM_ERR_NOENT);
	assert_int_equal(km_mm2_syncs_translate(&ss, 1000, &down), KM_ERR_NOENT);
	assert_int_equal(down, 42);
}

/* One sync, (5, 7): exact at 5, one past it above, nothing below. */
static void test_plus_one(void **state) {
	km_mm2_syncs_t ss;

	(void)state;
	km_mm2_syncs_init(&ss);
	km_mm2_syncs_add(&ss, 5, 7, 0);
	assert_int_equal(translate(&ss, 5), 7);
	assert_int_equal(translate(&ss, 6), 8);
	assert_int_equal(translate(&ss, 1000000), 8);
	assert_int_equal(translate(&ss, 4), -1);
	assert_int_equal(translate(&ss, 0), -1);
	assert_int_equal(translate(&ss, -1), -1);
	/* a newer sync further on: exact there, +1 past it */
	km_mm2_syncs_add(&ss, 100, 250, 0);
	assert_int_equal(translate(&ss, 100), 250);
	assert_int_equal(translate(&ss, 99), 8);
	assert_int_equal(translate(&ss, 101), 251);
	assert_int_equal(translate(&ss, 5), 7);
}

/* MM2's store test (testPastOffsetTranslation): syncs (o, o) every 10
 * offsets, 0..1000 during the initial read, 1010..10000 afterwards. */
static void test_vectors_keep_last(void **state) {
	static const int64_t kept[] = {10000, 9990, 9970, 9940, 9880, 9640,
	                               9160,  8680, 6760, 4840, 1000};
	km_mm2_syncs_t ss;

	(void)state;
	km_mm2_syncs_init(&ss);
	add_range(&ss, 0, 1000, 1);
	assert_kept(&ss, (const int64_t[]){1000}, 1);
	assert_int_equal(translate(&ss, 1000), 1000);
	assert_int_equal(translate(&ss, 999), -1);
	add_range(&ss, 1010, 10000, 0);
	assert_kept(&ss, kept, sizeof(kept) / sizeof(kept[0]));
	assert_int_equal(translate(&ss, 1000), 1000);
	assert_int_equal(translate(&ss, 999), -1);
	assert_int_equal(translate(&ss, 4840), 4840);
	assert_int_equal(translate(&ss, 4839), 1001);
	assert_int_equal(translate(&ss, 10000), 10000);
	assert_int_equal(translate(&ss, 9999), 9991);

	/* the source rewound: everything before is forgotten */
	km_mm2_syncs_add(&ss, 1500, 11000, 0);
	assert_kept(&ss, (const int64_t[]){1500}, 1);
	assert_int_equal(translate(&ss, 1499), -1);
	assert_int_equal(translate(&ss, 1500), 11000);
	assert_int_equal(translate(&ss, 2000), 11001);
}

/* The same syncs when the initial read keeps them all (MM2 3.7.1 and
 * later, with its checkpoints read back). */
static void test_vectors_keep_all(void **state) {
	static const int64_t initial[] = {1000, 990, 960, 900, 840, 720, 480, 0};
	static const int64_t kept[] = {10000, 9990, 9960, 9900, 9840, 9600,
	                               9120,  8640, 7680, 3840, 0};
	km_mm2_syncs_t ss;

	(void)state;
	km_mm2_syncs_init(&ss);
	add_range(&ss, 0, 1000, 0);
	assert_kept(&ss, initial, sizeof(initial) / sizeof(initial[0]));
	assert_int_equal(translate(&ss, 0), 0);
	assert_int_equal(translate(&ss, 479), 1);
	assert_int_equal(translate(&ss, 480), 480);
	add_range(&ss, 1010, 10000, 0);
	assert_kept(&ss, kept, sizeof(kept) / sizeof(kept[0]));
	assert_int_equal(translate(&ss, 3839), 1);
	assert_int_equal(translate(&ss, 3840), 3840);
	assert_int_equal(translate(&ss, 9999), 9991);
}

/* A sync equal in value to the newest is still another sync. */
static void test_repeated_sync(void **state) {
	km_mm2_syncs_t ss;
	int64_t up[KM_MM2_SYNC_SLOTS];

	(void)state;
	km_mm2_syncs_init(&ss);
	km_mm2_syncs_add(&ss, 10, 20, 0);
	km_mm2_syncs_add(&ss, 10, 20, 0);
	assert_int_equal(ss.seq, 2);
	/* both kept: the older is not "the same" as the newer */
	assert_int_equal(distinct(&ss, up), 2);
	assert_int_equal(ss.slot[0].seq, 2);
	assert_int_equal(ss.slot[1].seq, 1);
	assert_int_equal(translate(&ss, 10), 20);
	assert_int_equal(translate(&ss, 11), 21);
}

/* Checks invariants B and C between any two distinct kept syncs. A sync
 * fills a run of slots; the tightest slots of a pair are the last of the
 * newer one's run (i) and the first of the older one's (j). */
static void assert_invariants(const km_mm2_syncs_t *ss) {
	int first[KM_MM2_SYNC_SLOTS], last[KM_MM2_SYNC_SLOTS], runs = 0;

	for (int k = 0; k < KM_MM2_SYNC_SLOTS; k++) {
		if (k == 0 || ss->slot[k].seq != ss->slot[k - 1].seq)
			first[runs++] = k;
		last[runs - 1] = k;
		assert_true(k == 0 || ss->slot[k].upstream <= ss->slot[k - 1].upstream);
		assert_true(k == 0 || ss->slot[k].seq <= ss->slot[k - 1].seq);
	}
	for (int a = 0; a < runs; a++) {
		for (int b = a + 1; b < runs; b++) {
			int i = last[a], j = first[b];
			int64_t x = ss->slot[i].upstream, y = ss->slot[j].upstream;

			/* B: not too old (2^63 - 2^i: no bound) */
			assert_true(j == 63 || x <= y + ((int64_t)1 << j) - ((int64_t)1 << i));
			/* C: spread out */
			assert_true(x >= y + ((int64_t)1 << (i > 2 ? i - 2 : 0)));
		}
	}
}

static uint64_t lcg(uint64_t *x) {
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x >> 33;
}

/* After every sync of long runs with gaps of every size: slot 0 is the
 * newest, syncs are ordered, the invariants hold, and translation never
 * passes the group's offset when every sync maps an offset to itself (no
 * record is skipped) and never decreases as the group's offset grows. */
static void test_invariants(void **state) {
	(void)state;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		km_mm2_syncs_t ss;
		uint64_t x = seed;
		int64_t up = 0;

		km_mm2_syncs_init(&ss);
		for (int n = 0; n < 3000; n++) {
			int shift = (int)(lcg(&x) % 24);

			up += (int64_t)(lcg(&x) % ((uint64_t)1 << shift)) + 1;
			km_mm2_syncs_add(&ss, up, up, 0);
			assert_int_equal(ss.slot[0].upstream, up);
			assert_invariants(&ss);
		}
		for (int64_t g = ss.slot[KM_MM2_SYNC_SLOTS - 1].upstream, last = -1; g <= up;
		     g += (up - g) / 7 + 1) {
			int64_t down = translate(&ss, g);

			assert_true(down <= g);
			assert_true(down >= last);
			last = down;
		}
	}
}

/* Offsets at the end of the int64 range: Java's sums wrap there and the
 * bounds they make are ignored; nothing overflows here. */
static void test_int64_edges(void **state) {
	km_mm2_syncs_t ss;

	(void)state;
	km_mm2_syncs_init(&ss);
	for (int64_t d = 300; d >= 0; d -= 3)
		km_mm2_syncs_add(&ss, INT64_MAX - d, INT64_MAX - d, 0);
	assert_int_equal(ss.slot[0].upstream, INT64_MAX);
	assert_int_equal(translate(&ss, INT64_MAX), INT64_MAX);
	assert_int_equal(translate(&ss, INT64_MAX - 1), INT64_MAX - 2);
	assert_int_equal(translate(&ss, INT64_MIN), -1);

	/* a sync at the end of the target: one past it does not exist */
	km_mm2_syncs_init(&ss);
	km_mm2_syncs_add(&ss, 10, INT64_MAX, 0);
	assert_int_equal(translate(&ss, 10), INT64_MAX);
	assert_int_equal(translate(&ss, 11), -1);

	/* negative offsets in the syncs are taken as they come, as MM2 does.
	 * Slot 1's bound from INT64_MIN wraps negative, so it holds: (0, 0)
	 * is never kept there and falls out when INT64_MAX arrives. */
	km_mm2_syncs_init(&ss);
	km_mm2_syncs_add(&ss, INT64_MIN, -5, 0);
	km_mm2_syncs_add(&ss, 0, 0, 0);
	assert_int_equal(translate(&ss, 5), 1);
	km_mm2_syncs_add(&ss, INT64_MAX, 3, 0);
	assert_int_equal(translate(&ss, -1), -4);
	assert_int_equal(translate(&ss, 5), -4);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_sync),           cmocka_unit_test(test_plus_one),
	    cmocka_unit_test(test_vectors_keep_last), cmocka_unit_test(test_vectors_keep_all),
	    cmocka_unit_test(test_repeated_sync),     cmocka_unit_test(test_invariants),
	    cmocka_unit_test(test_int64_edges),
	};

	return cmocka_run_group_tests_name("mm2_translate", tests, NULL, NULL);
}
