# Real-Kafka suites of mirror topics, errors and naming (see test_topics.c
# and test_naming.c).
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_topics tests/kafka/test_naming

tests_kafka_test_topics_SOURCES = tests/kafka/test_topics.c
tests_kafka_test_topics_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_topics_LDADD = tests/kafka/libktest.la
EXTRA_tests_kafka_test_topics_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES)

tests_kafka_test_naming_SOURCES = tests/kafka/test_naming.c
tests_kafka_test_naming_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_naming_LDADD = tests/kafka/libktest.la
EXTRA_tests_kafka_test_naming_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES)
endif
