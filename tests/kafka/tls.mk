# Real-Kafka suite of kmirrord over SASL_SSL with SCRAM-SHA-512 (the test
# bed's --sasl listeners): an exact copy, wrong credentials, a producer
# rebuild that fails and is tried again (see test_tls.c); and over mutual
# TLS (--mtls): an exact copy, refused certificates, secrets looked for in
# the log, status, REST API and --check-config (test_tls_mtls.c). Under make
# check-kafka it starts a bed of its own with --sasl --mtls; make check-kafka-tls
# runs it alone, on that bed only.
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_tls
tests_kafka_test_tls_SOURCES = tests/kafka/test_tls.c tests/kafka/test_tls.h \
	tests/kafka/test_tls_mtls.c core/http_get.c
tests_kafka_test_tls_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/core
tests_kafka_test_tls_LDADD = tests/kafka/libktest.la
EXTRA_tests_kafka_test_tls_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES)

check-kafka-tls: tests/kafka/test_tls
	$(top_srcdir)/tests/kafka/with-testbed --sasl --mtls a b -- \
		$(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/kafka/test_tls' TEST_SUITE_LOG=tests/kafka-tls-suite.log
else
check-kafka-tls:
	@echo "cmocka not found: install the Debian package libcmocka-dev and re-run configure" >&2; exit 1
endif
.PHONY: check-kafka-tls
CLEANFILES += tests/kafka-tls-suite.log
