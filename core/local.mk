# core/: kmirrord, kmirrorctl and the core library they share.
noinst_LTLIBRARIES += core/libkmcore.la
core_libkmcore_la_SOURCES = \
	core/err.c \
	core/yaml_tree.c core/yaml_tree.h \
	core/params.c core/params.h \
	core/config_schema.c \
	core/config_model.c core/config_model.h \
	core/rest_config.c \
	core/config_provenance.c \
	core/provenance.c core/provenance.h \
	core/log.c core/log.h \
	core/logstate.c core/logstate.h \
	core/kafka.c core/kafka.h \
	core/plugin_host.c core/plugin_host.h \
	core/policy.c core/policy.h \
	core/pipeline.c core/pipeline.h \
	core/progress.c core/progress.h \
	core/mstate.c core/mstate.h \
	core/internal_topics.c core/internal_topics.h \
	core/topic_read.c core/topic_read.h \
	core/status.c core/status.h \
	core/metrics.c core/metrics.h \
	core/rest.c core/rest.h \
	core/rest_router.c \
	core/check.c core/check.h \
	core/inflight.c core/inflight.h \
	core/tasks.c core/tasks.h \
	core/ratelimit.h \
	core/catalog.c core/catalog.h \
	core/tmeta.c core/tmeta.h \
	core/murmur2.c core/murmur2.h \
	core/mm2_codec.c core/mm2_codec.h \
	core/mm2_translate.c core/mm2_translate.h \
	core/xlate.c core/xlate.h \
	core/offset_syncs.c \
	core/flow.c core/flow.h core/flow_int.h \
	core/flow_cmd.c \
	core/clients.c \
	core/stall.c \
	core/data_thread.c \
	core/consume.c \
	core/copy.c \
	core/failed.c \
	core/waiting.c \
	core/progress_writer.c \
	core/control.c \
	core/topic_admin.c core/topic_admin.h \
	core/task_topics.c \
	core/task_partitions.c \
	core/task_configs.c \
	core/task_routes.c \
	core/task_resets.c \
	core/task_checkpoints.c \
	core/task_groups.c \
	core/task_states.c \
	core/acls.c core/acls.h \
	core/task_acls.c \
	core/task_heartbeats.c \
	core/task_clusters.c
core_libkmcore_la_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(YAML_CFLAGS) $(MHD_CFLAGS) \
	$(JANSSON_CFLAGS) $(SYSTEMD_CFLAGS)
# libsystemd (optional): log.c writes to the journal with fields
core_libkmcore_la_LIBADD = $(RDKAFKA_LIBS) $(YAML_LIBS) $(LTDL_LIBS) $(MHD_LIBS) \
	$(JANSSON_LIBS) $(SYSTEMD_LIBS) -lm

# The public plugin SDK.
kmirrorincludedir = $(includedir)/kmirror
kmirrorinclude_HEADERS = \
	core/include/kmirror/err.h \
	core/include/kmirror/record.h \
	core/include/kmirror/plugin.h

sbin_PROGRAMS += core/kmirrord
core_kmirrord_SOURCES = core/kmirrord.c
core_kmirrord_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(SYSTEMD_CFLAGS) $(JEMALLOC_CFLAGS)
# jemalloc (configure's --disable-jemalloc): its malloc serves the whole
# process, librdkafka included
core_kmirrord_LDADD = $(JEMALLOC_LIBS) core/libkmcore.la $(SYSTEMD_LIBS)

bin_PROGRAMS += core/kmirrorctl
core_kmirrorctl_SOURCES = core/kmirrorctl.c core/http_get.c core/http_get.h
core_kmirrorctl_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
core_kmirrorctl_LDADD = core/libkmcore.la $(JANSSON_LIBS)


# The plugin SDK's pkg-config file: an out-of-tree plugin needs only
# `pkg-config --cflags kmirror-plugin`.
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = core/kmirror-plugin.pc
CLEANFILES += core/kmirror-plugin.pc
EXTRA_DIST += core/kmirror-plugin.pc.in
# abi_major and abi_minor are read from the SDK header, so they cannot
# disagree with it. Paths under the prefix are written ${prefix}/..., so
# the file stays right when the tree is moved (pkg-config --define-prefix)
# or staged with DESTDIR (PKG_CONFIG_SYSROOT_DIR).
core/kmirror-plugin.pc: $(srcdir)/core/kmirror-plugin.pc.in $(srcdir)/core/include/kmirror/plugin.h Makefile
	$(AM_V_GEN)$(MKDIR_P) core && h=$(srcdir)/core/include/kmirror/plugin.h && \
		abi=`sed -n 's/^#define KM_PLUGIN_ABI_MAJOR \([0-9][0-9]*\).*/\1/p' $$h` && \
		minor=`sed -n 's/^#define KM_PLUGIN_ABI_MINOR \([0-9][0-9]*\).*/\1/p' $$h` && \
		test -n "$$abi" && test -n "$$minor" && \
		inc='$(includedir)' && plg='$(pluginsdir)' && pfx='$(prefix)' && \
		case $$inc in "$$pfx"/*) inc='$${prefix}'$${inc#"$$pfx"};; esac && \
		case $$plg in "$$pfx"/*) plg='$${prefix}'$${plg#"$$pfx"};; esac && \
		sed -e "s|@prefix[@]|$$pfx|g" \
		-e "s|@includedir[@]|$$inc|g" -e "s|@pluginsdir[@]|$$plg|g" \
		-e 's|@VERSION[@]|$(VERSION)|g' -e "s|@ABI[@]|$$abi|g" \
		-e "s|@ABI_MINOR[@]|$$minor|g" $(srcdir)/core/kmirror-plugin.pc.in >$@

dist_man_MANS = docs/man/kmirrord.8 docs/man/kmirrorctl.1
