# Real-Kafka suite of on_error: records failed by a stage or refused by the
# target, sent to the dead-letter topic or stopping their partition (see
# test_deadletter.c).
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_deadletter
tests_kafka_test_deadletter_SOURCES = tests/kafka/test_deadletter.c
tests_kafka_test_deadletter_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_deadletter_LDADD = tests/kafka/libktest.la
EXTRA_tests_kafka_test_deadletter_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES) \
	tests/kafka/stage_test.la
endif

# Records the target refuses (too large, too large by a header, too old for
# the topic's timestamp policy) under each on_error (see test_badrecords.c).
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_badrecords
tests_kafka_test_badrecords_SOURCES = tests/kafka/test_badrecords.c
tests_kafka_test_badrecords_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_badrecords_LDADD = tests/kafka/libktest.la
EXTRA_tests_kafka_test_badrecords_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES)
endif
