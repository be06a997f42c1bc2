# Real-Kafka suite of the REST API, /metrics and kmirrorctl against a
# running kmirrord (see test_rest.c).
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_rest
tests_kafka_test_rest_SOURCES = tests/kafka/test_rest.c
tests_kafka_test_rest_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) \
	-I$(top_srcdir)/core
tests_kafka_test_rest_SOURCES += tests/kafka/ktest_rest.c tests/kafka/ktest_rest.h core/http_get.c
tests_kafka_test_rest_LDADD = tests/kafka/libktest.la core/libkmcore.la $(JANSSON_LIBS)
EXTRA_tests_kafka_test_rest_DEPENDENCIES = core/kmirrord core/kmirrorctl $(plugins_LTLIBRARIES)
endif
