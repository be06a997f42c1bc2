# Real-Kafka suite of provenance headers: active/active with identity names
# and producers on both clusters, a ring of three clusters (c, or the shared
# bed's `old`), the header's cluster ids, provenance: false and
# provenance.header (see test_provenance.c; KTEST_LONG=1 for 100,000 records
# each).
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_provenance
tests_kafka_test_provenance_SOURCES = tests/kafka/test_provenance.c
tests_kafka_test_provenance_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_provenance_LDADD = tests/kafka/libktest.la
EXTRA_tests_kafka_test_provenance_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES)
endif
