# MirrorMaker 2's record formats and offset translation (core/mm2_codec.c,
# core/mm2_translate.c) and exact translation (core/xlate.c): golden bytes,
# malformed input, MM2's vectors, simulated partitions.
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_mm2_codec tests/unit/test_mm2_translate tests/unit/test_xlate
tests_unit_test_mm2_codec_SOURCES = tests/unit/test_mm2_codec.c
tests_unit_test_mm2_codec_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_mm2_codec_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
tests_unit_test_mm2_translate_SOURCES = tests/unit/test_mm2_translate.c
tests_unit_test_mm2_translate_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_mm2_translate_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
tests_unit_test_xlate_SOURCES = tests/unit/test_xlate.c
tests_unit_test_xlate_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_xlate_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
endif
