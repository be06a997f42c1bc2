# Unit tests of core pieces without Kafka (progress format, batches).
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_core
tests_unit_test_core_SOURCES = tests/unit/test_core.c
tests_unit_test_core_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(RDKAFKA_CFLAGS)
tests_unit_test_core_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
endif
