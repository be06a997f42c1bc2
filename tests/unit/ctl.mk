# kmirrorctl, the built program, run on status files and bad input.
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_kmirrorctl
tests_unit_test_kmirrorctl_SOURCES = tests/unit/test_kmirrorctl.c
tests_unit_test_kmirrorctl_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_kmirrorctl_LDADD = $(CMOCKA_LIBS)
EXTRA_tests_unit_test_kmirrorctl_DEPENDENCIES = core/kmirrorctl
endif
