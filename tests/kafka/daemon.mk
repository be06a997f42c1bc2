# Real-Kafka suites of kmirrord's data path: exact copies, restarts,
# crashes, broker restarts, the producer rebuilt after a fatal error.
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_mirror
tests_kafka_test_mirror_SOURCES = tests/kafka/test_mirror.c
tests_kafka_test_mirror_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS)
tests_kafka_test_mirror_LDADD = tests/kafka/libktest.la -lpthread
EXTRA_tests_kafka_test_mirror_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES)
endif

# A record stage for the pipeline tests, built for tests only.
if HAVE_CMOCKA
check_LTLIBRARIES += tests/kafka/stage_test.la
tests_kafka_stage_test_la_SOURCES = tests/kafka/stage_test.c
tests_kafka_stage_test_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_kafka_stage_test_la_CFLAGS = $(KM_PLUGIN_CFLAGS)
tests_kafka_stage_test_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS) -rpath /nowhere
EXTRA_tests_kafka_test_mirror_DEPENDENCIES += tests/kafka/stage_test.la
endif
