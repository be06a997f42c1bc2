# core/: kmirrord, kmirrorctl and the core library they share.
noinst_LTLIBRARIES += core/libkmcore.la
core_libkmcore_la_SOURCES = \
	core/err.c \
	core/log.c core/log.h \
	core/kafka.c core/kafka.h \
	core/plugin_host.c core/plugin_host.h \
	core/policy.c core/policy.h \
	core/pipeline.c core/pipeline.h \
	core/progress.c core/progress.h \
	core/flow.c core/flow.h
core_libkmcore_la_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(YAML_CFLAGS) $(PCRE2_CFLAGS)
core_libkmcore_la_LIBADD = $(RDKAFKA_LIBS) $(YAML_LIBS) $(PCRE2_LIBS) $(LTDL_LIBS)

# The public plugin SDK.
kmirrorincludedir = $(includedir)/kmirror
kmirrorinclude_HEADERS = \
	core/include/kmirror/err.h \
	core/include/kmirror/record.h \
	core/include/kmirror/plugin.h

sbin_PROGRAMS += core/kmirrord
core_kmirrord_SOURCES = core/kmirrord.c
core_kmirrord_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
core_kmirrord_LDADD = core/libkmcore.la

bin_PROGRAMS += core/kmirrorctl
core_kmirrorctl_SOURCES = core/kmirrorctl.c
core_kmirrorctl_LDADD = core/libkmcore.la

include core/config.mk
