# configure's refusals and its jemalloc summary line: a script runs the
# source tree's configure in scratch directories (tests/unit/sdk.mk gives
# it KM_TEST_PKG_CONFIG).
UNIT_SH_TESTS += tests/unit/test_configure.sh
EXTRA_DIST += tests/unit/test_configure.sh
