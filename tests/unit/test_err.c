/* Unit tests: km_err2str() and km_err2name(). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "kmirror/err.h"

static void test_local_codes_have_names(void **state) {
	for (int e = KM_OK; e > KM_ERR__END; e--) {
		const char *name = km_err2name((km_err_t)e);
		assert_non_null(name);
		assert_string_not_equal(name, "KM_ERR_UNKNOWN");
		assert_true(strncmp(name, "KM_", 3) == 0);
		assert_string_not_equal(km_err2str((km_err_t)e), "Unknown error");
	}
	assert_string_equal(km_err2name(KM_ERR_ABI), "KM_ERR_ABI");
	assert_string_equal(km_err2str(KM_OK), "Success");
}

static void test_unknown_local_code(void **state) {
	assert_string_equal(km_err2name(KM_ERR__END), "KM_ERR_UNKNOWN");
	assert_string_equal(km_err2str((km_err_t)-1000), "Unknown error");
}

/* Each Kafka code is named and described, not "Kafka broker error". */
static void test_kafka_codes_pass_through(void **state) {
	/* 10 is Kafka's MESSAGE_TOO_LARGE */
	assert_string_equal(km_err2name((km_err_t)10), "KAFKA_MSG_SIZE_TOO_LARGE");
	assert_string_equal(km_err2str((km_err_t)10), "Broker: Message size too large");
	assert_string_equal(km_err2name((km_err_t)38), "KAFKA_INVALID_REPLICATION_FACTOR");
	assert_string_equal(km_err2str((km_err_t)3), "Broker: Unknown topic or partition");
	/* a code this librdkafka does not know keeps its number */
	assert_string_equal(km_err2name((km_err_t)9999), "KAFKA_9999");
	assert_string_equal(km_err2str((km_err_t)9999),
	                    "Kafka error code unknown to this librdkafka");
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_local_codes_have_names),
	    cmocka_unit_test(test_unknown_local_code),
	    cmocka_unit_test(test_kafka_codes_pass_through),
	};
	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
