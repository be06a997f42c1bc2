# The installed plugin SDK is enough for an out-of-tree plugin: a script
# installs into a scratch DESTDIR and builds plugins/examples/ against it
# (not part of the main build), then runs the installed kmirrord on it.
UNIT_SH_TESTS = tests/unit/test_sdk_install.sh
EXTRA_DIST += $(UNIT_SH_TESTS) plugins/examples/README.md plugins/examples/Makefile \
	plugins/examples/group_prefix.c
AM_TESTS_ENVIRONMENT += KM_TEST_MAKE='$(MAKE)'; export KM_TEST_MAKE; \
	KM_TEST_CC='$(CC)'; export KM_TEST_CC; \
	KM_TEST_PKG_CONFIG='$(PKG_CONFIG)'; export KM_TEST_PKG_CONFIG; \
	KM_TEST_PREFIX='$(prefix)'; export KM_TEST_PREFIX; \
	KM_TEST_INCLUDEDIR='$(includedir)'; export KM_TEST_INCLUDEDIR; \
	KM_TEST_LIBDIR='$(libdir)'; export KM_TEST_LIBDIR; \
	KM_TEST_SBINDIR='$(sbindir)'; export KM_TEST_SBINDIR; \
	KM_TEST_PLUGINSDIR='$(pluginsdir)'; export KM_TEST_PLUGINSDIR;
