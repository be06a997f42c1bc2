# policies/: replication policies as shared-object plugins (prefix, identity).
# Every plugin is a libtool module that exports only km_plugin and links
# nothing from the core.
EXTRA_DIST += policies/README.md

plugins_LTLIBRARIES =
# A plugin sees the SDK's headers and nothing else of the core: its
# per-target CPPFLAGS replace AM_CPPFLAGS (-I core), and automake's default
# includes (the build's top directories) are not searched for "core/...".
KM_PLUGIN_CPPFLAGS = -I$(top_srcdir)/core/include
KM_PLUGIN_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
KM_PLUGIN_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -no-undefined \
	-export-symbols-regex '^km_plugin$$'

plugins_LTLIBRARIES += policies/prefix.la
policies_prefix_la_SOURCES = policies/prefix.c \
	policies/policy_common.c policies/policy_common.h
policies_prefix_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
policies_prefix_la_CFLAGS = $(KM_PLUGIN_CFLAGS)
policies_prefix_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS)

plugins_LTLIBRARIES += policies/identity.la
policies_identity_la_SOURCES = policies/identity.c \
	policies/policy_common.c policies/policy_common.h
policies_identity_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS)
policies_identity_la_CFLAGS = $(KM_PLUGIN_CFLAGS)
policies_identity_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS)
