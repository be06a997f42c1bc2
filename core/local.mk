# core/: kmirrord, kmirrorctl and the core library they share.
noinst_LTLIBRARIES += core/libkmcore.la
core_libkmcore_la_SOURCES = \
	core/err.c
core_libkmcore_la_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(YAML_CFLAGS) $(PCRE2_CFLAGS)
core_libkmcore_la_LIBADD = $(RDKAFKA_LIBS) $(YAML_LIBS) $(PCRE2_LIBS) $(LTDL_LIBS)

kmirrorincludedir = $(includedir)/kmirror
kmirrorinclude_HEADERS = \
	core/include/kmirror/err.h

sbin_PROGRAMS += core/kmirrord
core_kmirrord_SOURCES = core/kmirrord.c
core_kmirrord_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
core_kmirrord_LDADD = core/libkmcore.la

bin_PROGRAMS += core/kmirrorctl
core_kmirrorctl_SOURCES = core/kmirrorctl.c
core_kmirrorctl_LDADD = core/libkmcore.la
