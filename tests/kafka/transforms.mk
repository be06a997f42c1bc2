# Real-Kafka suite of the bundled transform stages: header_insert, filter,
# topic_router and partition in one pipeline, checked on the target (see
# test_transforms.c).
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_transforms
tests_kafka_test_transforms_SOURCES = tests/kafka/test_transforms.c
tests_kafka_test_transforms_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_transforms_LDADD = tests/kafka/libktest.la core/libkmcore.la
EXTRA_tests_kafka_test_transforms_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES)
endif
