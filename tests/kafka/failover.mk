# Real-Kafka suite of failover: offset syncs and checkpoints in MirrorMaker
# 2's bytes, and a group that resumes on the target at its checkpoint with
# nothing skipped and nothing given twice (see test_failover.c).
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_failover
tests_kafka_test_failover_SOURCES = tests/kafka/test_failover.c
tests_kafka_test_failover_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_failover_LDADD = tests/kafka/libktest.la core/libkmcore.la
EXTRA_tests_kafka_test_failover_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES) \
	tests/kafka/stage_test.la
endif
