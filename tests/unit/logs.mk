# What kmirrord logs: lines of any length.
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_log
tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_log_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
endif
