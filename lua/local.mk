# lua/: the Lua 5.4 record stage, itself a plugin (built only with Lua).
EXTRA_DIST += lua/README.md
