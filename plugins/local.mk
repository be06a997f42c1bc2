# plugins/: topic, group and config filters and record transforms as
# shared-object plugins (KM_PLUGIN_CFLAGS and KM_PLUGIN_LDFLAGS come from
# policies/local.mk).
EXTRA_DIST += plugins/README.md docs/plugins.md

plugins_LTLIBRARIES += plugins/topic_regex.la
plugins_topic_regex_la_SOURCES = plugins/topic_regex.c
plugins_topic_regex_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
plugins_topic_regex_la_CFLAGS = $(KM_PLUGIN_CFLAGS) $(PCRE2_CFLAGS)
plugins_topic_regex_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS)
plugins_topic_regex_la_LIBADD = $(PCRE2_LIBS)
