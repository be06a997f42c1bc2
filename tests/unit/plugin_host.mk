# Unit tests of the plugin host (core/plugin_host.c) and of
# `kmirrord --check-config`: the real loader, the real config loader, the
# built plugins, and small broken plugins built for the tests only
# (tests/plugins/, never installed: -rpath /nowhere makes them shared
# modules although they are check_LTLIBRARIES).
if HAVE_CMOCKA
UNIT_TESTS += tests/unit/test_plugin_host

TP_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -rpath /nowhere
TP_PLUGINS = tests/plugins/tp_abi99.la tests/plugins/tp_tiny.la \
	tests/plugins/tp_misnamed.la tests/plugins/tp_nosym.la tests/plugins/tp_noops.la \
	tests/plugins/tp_failing.la tests/plugins/tp_oldminor.la tests/plugins/tp_newer.la \
	tests/plugins/tp_opsize.la tests/plugins/tp_oldstage.la tests/plugins/tp_newtype.la \
	tests/plugins/tp_group.la tests/plugins/tp_group_abi1.la tests/plugins/tp_group_opsize.la \
	tests/plugins/tp_config.la tests/plugins/tp_config_opsize.la tests/plugins/tp_newkind.la
check_LTLIBRARIES += $(TP_PLUGINS)
EXTRA_DIST += tests/plugins/tp_common.h

tests_plugins_tp_abi99_la_SOURCES = tests/plugins/tp_abi99.c
tests_plugins_tp_abi99_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_abi99_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_tiny_la_SOURCES = tests/plugins/tp_tiny.c
tests_plugins_tp_tiny_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_tiny_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_misnamed_la_SOURCES = tests/plugins/tp_misnamed.c
tests_plugins_tp_misnamed_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_misnamed_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_nosym_la_SOURCES = tests/plugins/tp_nosym.c
tests_plugins_tp_nosym_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_nosym_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_noops_la_SOURCES = tests/plugins/tp_noops.c
tests_plugins_tp_noops_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_noops_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_failing_la_SOURCES = tests/plugins/tp_failing.c
tests_plugins_tp_failing_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_failing_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_oldminor_la_SOURCES = tests/plugins/tp_oldminor.c
tests_plugins_tp_oldminor_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_oldminor_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_newer_la_SOURCES = tests/plugins/tp_newer.c
tests_plugins_tp_newer_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_newer_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_opsize_la_SOURCES = tests/plugins/tp_opsize.c
tests_plugins_tp_opsize_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_opsize_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_oldstage_la_SOURCES = tests/plugins/tp_oldstage.c
tests_plugins_tp_oldstage_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_oldstage_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)

tests_plugins_tp_newtype_la_SOURCES = tests/plugins/tp_newtype.c
tests_plugins_tp_newtype_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_newtype_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)

# ABI 2.3: group and config-property filters, and a kind from a later SDK
tests_plugins_tp_group_la_SOURCES = tests/plugins/tp_group.c
tests_plugins_tp_group_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_group_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_group_abi1_la_SOURCES = tests/plugins/tp_group_abi1.c
tests_plugins_tp_group_abi1_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_group_abi1_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_group_opsize_la_SOURCES = tests/plugins/tp_group_opsize.c
tests_plugins_tp_group_opsize_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_group_opsize_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_config_la_SOURCES = tests/plugins/tp_config.c
tests_plugins_tp_config_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_config_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_config_opsize_la_SOURCES = tests/plugins/tp_config_opsize.c
tests_plugins_tp_config_opsize_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_config_opsize_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
tests_plugins_tp_newkind_la_SOURCES = tests/plugins/tp_newkind.c
tests_plugins_tp_newkind_la_LDFLAGS = $(TP_LDFLAGS)
tests_plugins_tp_newkind_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)

tests_unit_test_plugin_host_SOURCES = tests/unit/test_plugin_host.c
tests_unit_test_plugin_host_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_plugin_host_LDADD = core/libkmcore.la $(CMOCKA_LIBS)
EXTRA_tests_unit_test_plugin_host_DEPENDENCIES = core/kmirrord $(plugins_LTLIBRARIES) \
	$(TP_PLUGINS)
endif
