/* Unit tests of the log rate limit (core/ratelimit.h). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ratelimit.h"

/* A burst passes, the rest is counted, and the count comes back once, when
 * the window is over; a quiet window has nothing to say. */
static void test_burst_then_count(void **state) {
	km_ratelimit_t rl = KM_RATELIMIT_INIT(10000, 3);
	int allowed = 0;

	(void)state;
	assert_int_equal(km_ratelimit_roll(&rl, 1000), 0);
	for (int i = 0; i < 10; i++)
		allowed += km_ratelimit_allow(&rl);
	assert_int_equal(allowed, 3);
	assert_int_equal(km_ratelimit_roll(&rl, 5000), 0); /* the window goes on */
	assert_int_equal(km_ratelimit_allow(&rl), 0);
	assert_int_equal(km_ratelimit_roll(&rl, 11000), 8); /* over: 7 + 1 held back */
	assert_int_equal(km_ratelimit_roll(&rl, 11001), 0); /* said once */
	assert_int_equal(km_ratelimit_allow(&rl), 1);       /* a new burst */
	assert_int_equal(km_ratelimit_roll(&rl, 30000), 0); /* nothing held back */
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_then_count),
	};
	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
