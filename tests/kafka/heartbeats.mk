# Real-Kafka suite of MirrorMaker 2's heartbeats and internal topics: what
# a flow writes on both clusters, the heartbeats topics copied whatever the
# filter says (chains included), emit.heartbeats: false, and internal
# topics of the wrong shape (see test_heartbeats.c). The chain test uses a
# third cluster: c, or the shared bed's `old`.
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_heartbeats
tests_kafka_test_heartbeats_SOURCES = tests/kafka/test_heartbeats.c
tests_kafka_test_heartbeats_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_heartbeats_LDADD = tests/kafka/libktest.la core/libkmcore.la
EXTRA_tests_kafka_test_heartbeats_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES)
endif
