/* Unit tests of mirror-topic states (core/mstate.c): every command from
 * every state, the records' key and value, and the parse of what is read
 * back from the progress topic, malformed records included. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mstate.h"

/* The whole table: what each command does from each state (-1: refused). */
static void test_transitions(void **state) {
	static const int want[KM_MS_N][KM_MC_N] = {
	    /*                  pause         resume        promote           failover */
	    [KM_MS_ACTIVE] = {KM_MS_PAUSED, KM_MS_ACTIVE, KM_MS_PROMOTING, KM_MS_FAILING_OVER},
	    [KM_MS_PAUSED] = {KM_MS_PAUSED, KM_MS_ACTIVE, KM_MS_PROMOTING, KM_MS_FAILING_OVER},
	    [KM_MS_PROMOTING] = {-1, KM_MS_ACTIVE, KM_MS_PROMOTING, KM_MS_FAILING_OVER},
	    [KM_MS_FAILING_OVER] = {-1, -1, -1, KM_MS_FAILING_OVER},
	    [KM_MS_STOPPED] = {-1, -1, KM_MS_STOPPED, KM_MS_STOPPED},
	};
	char msg[512];
	km_mstate_t next;

	(void)state;
	for (int s = 0; s < KM_MS_N; s++) {
		for (int c = 0; c < KM_MC_N; c++) {
			km_err_t err = km_mstate_next(s, c, 0, &next, msg, sizeof(msg));
			if (want[s][c] < 0) {
				assert_int_equal(err, KM_ERR_STATE);
				assert_non_null(strstr(msg, km_mcmd_names[c]));
				assert_non_null(strstr(msg, km_mstate_names[s]));
			} else {
				assert_int_equal(err, KM_OK);
				assert_int_equal(next, want[s][c]);
			}
		}
	}
	/* STOPPED copies again only with --force, and says how */
	assert_int_equal(km_mstate_next(KM_MS_STOPPED, KM_MC_RESUME, 0, &next, msg, sizeof(msg)),
	                 KM_ERR_STATE);
	assert_non_null(strstr(msg, "resume --force"));
	assert_int_equal(km_mstate_next(KM_MS_STOPPED, KM_MC_RESUME, 1, &next, msg, sizeof(msg)),
	                 KM_OK);
	assert_int_equal(next, KM_MS_ACTIVE);
	/* --force does not cut a failover short */
	assert_int_equal(
	    km_mstate_next(KM_MS_FAILING_OVER, KM_MC_RESUME, 1, &next, msg, sizeof(msg)),
	    KM_ERR_STATE);
	assert_true(km_mstate_holds(KM_MS_PAUSED) && km_mstate_holds(KM_MS_STOPPED) &&
	            km_mstate_holds(KM_MS_FAILING_OVER));
	assert_false(km_mstate_holds(KM_MS_ACTIVE) || km_mstate_holds(KM_MS_PROMOTING));
	assert_int_equal(km_mstate_parse_name("FAILING_OVER"), KM_MS_FAILING_OVER);
	assert_int_equal(km_mstate_parse_name("stopped"), -1);
	assert_int_equal(km_mcmd_parse_name("failover"), KM_MC_FAILOVER);
	assert_int_equal(km_mcmd_parse_name("delete"), -1);
}

static int parse(km_mstate_map_t *m, const char *flow, const char *key, const char *val) {
	return km_mstate_parse(m, flow, key, strlen(key), val, val ? strlen(val) : 0);
}

/* What is written is read back; other flows' records and bad ones are not
 * taken. */
static void test_records(void **state) {
	km_mstate_map_t m = {0};
	char key[128], val[64];
	km_mstate_ent_t *e;

	(void)state;
	assert_int_equal(km_mstate_key(key, sizeof(key), "ab", "orders.v1"), 18);
	assert_string_equal(key, "ab/orders.v1/state");
	assert_true(km_mstate_is_key(key, strlen(key)));
	assert_false(km_mstate_is_key("ab/orders.v1/0", 14));
	assert_int_equal(km_mstate_key(key, 8, "ab", "orders.v1"), -1);
	assert_true(
	    km_mstate_value(val, sizeof(val), KM_MS_STOPPED, 1765040000000, KM_MC_FAILOVER) > 0);
	assert_string_equal(val, "STOPPED 1765040000000 failover");
	assert_int_equal(km_mstate_value(val, 10, KM_MS_STOPPED, 1, KM_MC_FAILOVER), -1);

	assert_int_equal(km_mstate_of(&m, "orders"), KM_MS_ACTIVE);
	assert_int_equal(parse(&m, "ab", "ab/orders/state", "STOPPED 1765040000000 failover"), 1);
	assert_non_null(e = km_mstate_get(&m, "orders"));
	assert_int_equal(e->state, KM_MS_STOPPED);
	assert_int_equal(e->by, KM_MC_FAILOVER);
	assert_int_equal(e->since_ms, 1765040000000);
	assert_true(e->persisted);
	/* a later record wins; a tombstone makes it ACTIVE */
	assert_int_equal(parse(&m, "ab", "ab/orders/state", "PAUSED 7 pause"), 1);
	assert_int_equal(km_mstate_of(&m, "orders"), KM_MS_PAUSED);
	assert_int_equal(parse(&m, "ab", "ab/orders/state", NULL), 1);
	assert_int_equal(km_mstate_of(&m, "orders"), KM_MS_ACTIVE);
	/* another flow's, even with a name that starts the same */
	assert_int_equal(parse(&m, "ab", "abc/orders/state", "PAUSED 7 pause"), 0);
	assert_int_equal(parse(&m, "ab", "ba/orders/state", "PAUSED 7 pause"), 0);
	assert_int_equal(km_mstate_of(&m, "orders"), KM_MS_ACTIVE);
	/* malformed */
	assert_int_equal(parse(&m, "ab", "ab/orders/state", "PAUSED"), -1);
	assert_int_equal(parse(&m, "ab", "ab/orders/state", "PAUSED 7"), -1);
	assert_int_equal(parse(&m, "ab", "ab/orders/state", "PAUSED x pause"), -1);
	assert_int_equal(parse(&m, "ab", "ab/orders/state", "PAUSED -7 pause"), -1);
	assert_int_equal(parse(&m, "ab", "ab/orders/state", "SLEEPING 7 pause"), -1);
	assert_int_equal(parse(&m, "ab", "ab/orders/state", "PAUSED 7 nap"), -1);
	assert_int_equal(parse(&m, "ab", "ab/orders/state", "PAUSED 7 pause extra"), -1);
	assert_int_equal(parse(&m, "ab", "ab/orders/state", ""), -1);
	assert_int_equal(parse(&m, "ab", "ab/a/b/state", "PAUSED 7 pause"), -1);
	assert_int_equal(parse(&m, "ab", "ab//state", "PAUSED 7 pause"), -1);
	assert_int_equal(parse(&m, "ab", "ab/orders/0", "PAUSED 7 pause"), -1);
	assert_int_equal(km_mstate_of(&m, "orders"), KM_MS_ACTIVE);
	km_mstate_map_free(&m);
}

/* Many topics: each found, set and kept apart. */
static void test_map(void **state) {
	km_mstate_map_t m = {0};
	char name[32];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		km_mstate_ent_t *e;
		snprintf(name, sizeof(name), "t%d", i);
		assert_non_null(e = km_mstate_add(&m, name));
		km_mstate_set(e, i % 2 ? KM_MS_STOPPED : KM_MS_PAUSED, KM_MC_PAUSE, i);
	}
	assert_int_equal(m.cnt, 5000);
	assert_ptr_equal(km_mstate_add(&m, "t17"), km_mstate_get(&m, "t17"));
	assert_int_equal(m.cnt, 5000);
	assert_int_equal(km_mstate_of(&m, "t17"), KM_MS_STOPPED);
	assert_int_equal(km_mstate_of(&m, "t4242"), KM_MS_PAUSED);
	assert_int_equal(km_mstate_get(&m, "t4242")->since_ms, 4242);
	assert_null(km_mstate_get(&m, "t5000"));
	km_mstate_map_free(&m);
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_transitions),
	    cmocka_unit_test(test_records),
	    cmocka_unit_test(test_map),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
