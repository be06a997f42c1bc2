# ACL sync's and the WRITE grant's rules for one binding (core/acls.c),
# without Kafka; tests/kafka/test_acls.c runs them against brokers.
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_acls
tests_unit_test_acls_SOURCES = tests/unit/test_acls.c
tests_unit_test_acls_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(RDKAFKA_CFLAGS)
tests_unit_test_acls_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
endif
