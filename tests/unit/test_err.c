/* Unit tests: km_err2str() and km_err2name(), and the km_err_t of a
 * librdkafka error (km_kafka_err2km, core/kafka.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "kmirror/err.h"
#include "kafka.h"

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

/* Kafka's codes pass through; librdkafka's local ones become local codes. */
static void test_kafka_err2km(void **state) {
	assert_int_equal(km_kafka_err2km(RD_KAFKA_RESP_ERR_NO_ERROR), KM_OK);
	assert_int_equal(km_kafka_err2km(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE), 10);
	assert_int_equal(km_kafka_err2km(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS), 36);
	assert_int_equal(km_kafka_err2km(RD_KAFKA_RESP_ERR__TIMED_OUT), KM_ERR_TIMEOUT);
	assert_int_equal(km_kafka_err2km(RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE), KM_ERR_TIMEOUT);
	assert_int_equal(km_kafka_err2km(RD_KAFKA_RESP_ERR__TRANSPORT), KM_ERR_KAFKA);
	assert_int_equal(km_kafka_err2km(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT), KM_ERR_TIMEOUT);
	assert_int_equal(km_kafka_err2km(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC), KM_ERR_NOENT);
	assert_int_equal(km_kafka_err2km(RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION), KM_ERR_NOENT);
	assert_int_equal(km_kafka_err2km(RD_KAFKA_RESP_ERR__FATAL), KM_ERR_KAFKA);
	assert_string_equal(km_err2name(KM_ERR_STAGE), "KM_ERR_STAGE");
	assert_string_equal(
	    km_err2name(km_kafka_err2km(RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR)),
	    "KAFKA_INVALID_REPLICATION_FACTOR");
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_local_codes_have_names),
	    cmocka_unit_test(test_unknown_local_code),
	    cmocka_unit_test(test_kafka_codes_pass_through),
	    cmocka_unit_test(test_kafka_err2km),
	};
	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
