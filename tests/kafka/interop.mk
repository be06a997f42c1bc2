# Real-Kafka suite of kmirror's MirrorMaker 2 records read by MM2's own Java
# code (tests/interop/run: RemoteClusterUtils, MirrorClient, the console
# formatters) and of Java consumers on the KIP-848 group protocol as
# librdkafka sees them (see test_interop.c). Needs a JDK (javac):
# scripts/install-deps installs it.
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_interop
tests_kafka_test_interop_SOURCES = tests/kafka/test_interop.c
tests_kafka_test_interop_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_interop_LDADD = tests/kafka/libktest.la core/libkmcore.la
endif
