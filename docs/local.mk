# docs/: the manual pages. kmirrord(8) and kmirrorctl(1) are written by
# hand (core/local.mk ships them); the others are generated at build time
# so that they cannot drift from what they describe:
#   kmirror.yaml(5)    by core/schema-man, from the schema tables the
#                      binder checks the configuration against, and from
#                      the schema of every plugin this build makes
#   kmirror-lua(7)     from docs/lua.md       (docs/man/md2man.awk)
#   kmirror-plugin(3)  from docs/plugin-sdk.md
EXTRA_DIST += docs/man/md2man.awk
noinst_PROGRAMS += core/schema-man
core_schema_man_SOURCES = core/schema_man.c
core_schema_man_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
core_schema_man_LDADD = core/libkmcore.la

nodist_man_MANS = docs/man/kmirror.yaml.5 docs/man/kmirror-lua.7 docs/man/kmirror-plugin.3
CLEANFILES += $(nodist_man_MANS)

# Each plugin's module is X/.libs/NAME.so beside its X/NAME.la. Leak
# checking is off: an ASan build's schema-man keeps the modules loaded.
docs/man/kmirror.yaml.5: core/schema-man$(EXEEXT) $(plugins_LTLIBRARIES)
	$(AM_V_GEN)$(MKDIR_P) docs/man && sos= && for la in $(plugins_LTLIBRARIES); do \
		sos="$$sos `dirname $$la`/.libs/`basename $$la .la`.so"; done && \
		ASAN_OPTIONS=detect_leaks=0 ./core/schema-man$(EXEEXT) '$(VERSION)' $$sos >$@.tmp && mv $@.tmp $@

KM_MD2MAN = $(AWK) -v version='$(VERSION)' -v manual='kmirror Manual' -f $(srcdir)/docs/man/md2man.awk
docs/man/kmirror-lua.7: $(srcdir)/docs/lua.md $(srcdir)/docs/man/md2man.awk
	$(AM_V_GEN)$(MKDIR_P) docs/man && $(KM_MD2MAN) -v name=kmirror-lua -v section=7 \
		-v title="Lua scripts in kmirror's record pipeline" $(srcdir)/docs/lua.md >$@.tmp && mv $@.tmp $@
docs/man/kmirror-plugin.3: $(srcdir)/docs/plugin-sdk.md $(srcdir)/docs/man/md2man.awk
	$(AM_V_GEN)$(MKDIR_P) docs/man && $(KM_MD2MAN) -v name=kmirror-plugin -v section=3 \
		-v title="writing kmirror plugins with the SDK" $(srcdir)/docs/plugin-sdk.md >$@.tmp && mv $@.tmp $@
