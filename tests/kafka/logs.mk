# Real-Kafka suite of what kmirrord logs: no warning on a healthy start,
# one line per cluster outage and one per recovery (see test_logs.c).
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_logs
tests_kafka_test_logs_SOURCES = tests/kafka/test_logs.c
tests_kafka_test_logs_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_logs_LDADD = tests/kafka/libktest.la
EXTRA_tests_kafka_test_logs_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES)
endif
