# MirrorMaker 2's record formats (core/mm2_codec.c): golden bytes, round
# trips, malformed input.
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_mm2_codec
tests_unit_test_mm2_codec_SOURCES = tests/unit/test_mm2_codec.c
tests_unit_test_mm2_codec_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_mm2_codec_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
endif
