# lua/: the Lua 5.4 record stage, itself a plugin (lua.so), built only when
# configure finds Lua 5.4 (--disable-lua turns it off): a build without Lua
# still has every other plugin.
EXTRA_DIST += lua/README.md
