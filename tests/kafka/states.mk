# Real-Kafka suite of mirror-topic states: pause, resume, promote and
# failover through the REST API and kmirrorctl (see test_states.c).
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_states
tests_kafka_test_states_SOURCES = tests/kafka/test_states.c tests/kafka/ktest_rest.c \
	tests/kafka/ktest_rest.h core/http_get.c
tests_kafka_test_states_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS) \
	$(JANSSON_CFLAGS) -I$(top_srcdir)/core
tests_kafka_test_states_LDADD = tests/kafka/libktest.la core/libkmcore.la $(JANSSON_LIBS)
EXTRA_tests_kafka_test_states_DEPENDENCIES = core/kmirrord core/kmirrorctl $(plugins_LTLIBRARIES)
endif
