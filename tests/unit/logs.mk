# What kmirrord logs: lines of any length, and the state that turns
# librdkafka's retries and outages into one line per change.
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_log tests/unit/test_logstate
tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_log_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
tests_unit_test_logstate_SOURCES = tests/unit/test_logstate.c
tests_unit_test_logstate_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(RDKAFKA_CFLAGS)
tests_unit_test_logstate_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
endif
