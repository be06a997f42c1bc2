# Real-Kafka suite of a migration from MirrorMaker 2: MM2 itself (the jars
# of `testbed fetch --mm2`) writes checkpoints and offset syncs, kmirrord
# takes the flow over and reads them (see test_mm2_handover.c).
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_mm2_handover
tests_kafka_test_mm2_handover_SOURCES = tests/kafka/test_mm2_handover.c
tests_kafka_test_mm2_handover_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_mm2_handover_LDADD = tests/kafka/libktest.la core/libkmcore.la
EXTRA_tests_kafka_test_mm2_handover_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES)
endif
