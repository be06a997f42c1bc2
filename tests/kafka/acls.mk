# Real-Kafka suite of ACL sync and the WRITE grant of promote and failover
# (see test_acls.c). Under make check-kafka's plain bed only its case of a
# source without an authorizer runs; make check-kafka-acl (tests/local.mk)
# runs it all, on clusters with an authorizer and SASL beside a plain one.
if HAVE_CMOCKA
KAFKA_TESTS += tests/kafka/test_acls
tests_kafka_test_acls_SOURCES = tests/kafka/test_acls.c tests/kafka/ktest_rest.c \
	tests/kafka/ktest_rest.h core/http_get.c
tests_kafka_test_acls_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) \
	-I$(top_srcdir)/core
tests_kafka_test_acls_LDADD = tests/kafka/libktest.la core/libkmcore.la $(JANSSON_LIBS)
EXTRA_tests_kafka_test_acls_DEPENDENCIES = core/kmirrord core/kmirrorctl $(plugins_LTLIBRARIES)
endif
