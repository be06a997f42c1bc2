# Unit tests of the configuration (core/yaml_tree.c, core/params.c,
# core/config_model.c).
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_conf tests/unit/test_config

tests_unit_test_conf_SOURCES = tests/unit/test_conf.c
tests_unit_test_conf_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_conf_LDADD = core/libkmcore.la $(CMOCKA_LIBS)

tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_config_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
endif
