# lua/: the Lua 5.4 record stage, itself a plugin (lua.so), built only when
# configure finds Lua 5.4 (--disable-lua turns it off): a build without Lua
# still has every other plugin. The helper modules a script can require are
# built into lua.so: kmirror.json (json.c) and the Lua ones in lua/lib/
# (kmirror.window), whose text lua/embed.sh turns into lua_libs.c, so a
# script needs no module path.
KM_LUA_LIBS = lua/lib/window.lua
# Scripts to copy (not installed): lua/examples/README.md lists them.
KM_LUA_EXAMPLES = lua/examples/README.md lua/examples/fan_in.yaml \
	lua/examples/drop_by_header.lua lua/examples/drop_by_json.lua \
	lua/examples/route_by_tenant.lua lua/examples/fan_in_prefix.lua \
	lua/examples/window_counts.lua lua/examples/mask_pii.lua lua/examples/fan_out.lua
EXTRA_DIST += lua/README.md lua/embed.sh docs/lua.md $(KM_LUA_LIBS) $(KM_LUA_EXAMPLES)

if HAVE_LUA
plugins_LTLIBRARIES += lua/lua.la
lua_lua_la_SOURCES = lua/stage.c lua/sandbox.c lua/record.c lua/json.c lua/json.h \
	lua/lua_stage.h lua/lua_embed.h
nodist_lua_lua_la_SOURCES = lua/lua_libs.c
lua_lua_la_CPPFLAGS = $(KM_PLUGIN_CPPFLAGS) -I$(top_srcdir)/lua
lua_lua_la_CFLAGS = $(KM_PLUGIN_CFLAGS) $(LUA_CFLAGS)
lua_lua_la_LDFLAGS = $(KM_PLUGIN_LDFLAGS)
lua_lua_la_LIBADD = $(LUA_LIBS) -lm
CLEANFILES += lua/lua_libs.c
endif

# The Lua library is installed for reading (lua.so has it built in), and
# so is every example script there is (lua/examples/*.lua, whatever the
# glob finds), in $(pkgdatadir)/lua.
kmluadir = $(pkgdatadir)/lua
kmlua_DATA = $(KM_LUA_LIBS)
install-data-local: install-lua-examples
uninstall-local: uninstall-lua-examples
install-lua-examples:
	@for f in $(srcdir)/lua/examples/*.lua; do test -f "$$f" || continue; \
		$(MKDIR_P) '$(DESTDIR)$(kmluadir)/examples' && \
		echo " $(INSTALL_DATA) $$f '$(DESTDIR)$(kmluadir)/examples'" && \
		$(INSTALL_DATA) "$$f" '$(DESTDIR)$(kmluadir)/examples' || exit 1; done
uninstall-lua-examples:
	@for f in $(srcdir)/lua/examples/*.lua; do test -f "$$f" || continue; \
		rm -f '$(DESTDIR)$(kmluadir)/examples/'`basename "$$f"`; done
.PHONY: install-lua-examples uninstall-lua-examples

lua/lua_libs.c: $(KM_LUA_LIBS) $(top_srcdir)/lua/embed.sh
	$(AM_V_GEN)$(MKDIR_P) lua && $(SHELL) $(top_srcdir)/lua/embed.sh $(top_srcdir) $(KM_LUA_LIBS) > $@.tmp && mv $@.tmp $@
