# plugins/: topic, group and config filters and record transforms as
# shared-object plugins (KM_PLUGIN_CFLAGS and KM_PLUGIN_LDFLAGS come from
# policies/local.mk).
EXTRA_DIST += plugins/README.md docs/plugins.md

# MirrorMaker 2's default filters, one module per kind, sharing the
# include/exclude lists of regex_list.c.
RL_SOURCES = plugins/regex_list.c plugins/regex_list.h

plugins_LTLIBRARIES += plugins/topic_regex.la
plugins_topic_regex_la_SOURCES = plugins/topic_regex.c $(RL_SOURCES)
plugins_topic_regex_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
plugins_topic_regex_la_CFLAGS = $(KM_PLUGIN_CFLAGS) $(PCRE2_CFLAGS)
plugins_topic_regex_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS)
plugins_topic_regex_la_LIBADD = $(PCRE2_LIBS)

plugins_LTLIBRARIES += plugins/group_regex.la
plugins_group_regex_la_SOURCES = plugins/group_regex.c $(RL_SOURCES)
plugins_group_regex_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
plugins_group_regex_la_CFLAGS = $(KM_PLUGIN_CFLAGS) $(PCRE2_CFLAGS)
plugins_group_regex_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS)
plugins_group_regex_la_LIBADD = $(PCRE2_LIBS)

plugins_LTLIBRARIES += plugins/config_regex.la
plugins_config_regex_la_SOURCES = plugins/config_regex.c $(RL_SOURCES)
plugins_config_regex_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
plugins_config_regex_la_CFLAGS = $(KM_PLUGIN_CFLAGS) $(PCRE2_CFLAGS)
plugins_config_regex_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS)
plugins_config_regex_la_LIBADD = $(PCRE2_LIBS)


# Record-stage transforms, one module each (docs/plugins.md). The helpers
# they share are linked into each: transform_common.c into all, and
# transform_regex.c (PCRE2) into those with regular expressions.
TX_COMMON = plugins/transform_common.c plugins/transform_common.h
TX_REGEX = $(TX_COMMON) plugins/transform_regex.c plugins/transform_regex.h

plugins_LTLIBRARIES += plugins/header_insert.la
plugins_header_insert_la_SOURCES = plugins/header_insert.c $(TX_COMMON)
plugins_header_insert_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
plugins_header_insert_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS)
plugins_header_insert_la_CFLAGS = $(KM_PLUGIN_CFLAGS)

plugins_LTLIBRARIES += plugins/header_drop.la
plugins_header_drop_la_SOURCES = plugins/header_drop.c $(TX_REGEX)
plugins_header_drop_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
plugins_header_drop_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS)
plugins_header_drop_la_CFLAGS = $(KM_PLUGIN_CFLAGS) $(PCRE2_CFLAGS)
plugins_header_drop_la_LIBADD = $(PCRE2_LIBS)

plugins_LTLIBRARIES += plugins/topic_router.la
plugins_topic_router_la_SOURCES = plugins/topic_router.c $(TX_REGEX)
plugins_topic_router_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
plugins_topic_router_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS)
plugins_topic_router_la_CFLAGS = $(KM_PLUGIN_CFLAGS) $(PCRE2_CFLAGS)
plugins_topic_router_la_LIBADD = $(PCRE2_LIBS)

plugins_LTLIBRARIES += plugins/filter.la
plugins_filter_la_SOURCES = plugins/filter.c $(TX_REGEX)
plugins_filter_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
plugins_filter_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS)
plugins_filter_la_CFLAGS = $(KM_PLUGIN_CFLAGS) $(PCRE2_CFLAGS)
plugins_filter_la_LIBADD = $(PCRE2_LIBS)

plugins_LTLIBRARIES += plugins/timestamp.la
plugins_timestamp_la_SOURCES = plugins/timestamp.c $(TX_COMMON)
plugins_timestamp_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
plugins_timestamp_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS)
plugins_timestamp_la_CFLAGS = $(KM_PLUGIN_CFLAGS)

plugins_LTLIBRARIES += plugins/partition.la
plugins_partition_la_SOURCES = plugins/partition.c $(TX_COMMON)
plugins_partition_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
plugins_partition_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS)
plugins_partition_la_CFLAGS = $(KM_PLUGIN_CFLAGS)
