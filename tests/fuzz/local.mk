# tests/fuzz/: libFuzzer targets for MirrorMaker 2's record formats, one
# per format, the configuration's loader and binder, ${...} expansion, the
# progress record, the REST router, and the Lua stage's JSON module and
# record bridge (with Lua), built with
# clang (FUZZ_CC, found by configure) apart from the rest of the build, from
# the sources they test:
#   make fuzz                           builds them
#   make fuzz-run [FUZZ_SECONDS=20]     runs each for FUZZ_SECONDS from the
#                                       corpus in tests/fuzz/corpus/
FUZZ_TARGETS = tests/fuzz/fuzz_offset_sync tests/fuzz/fuzz_checkpoint tests/fuzz/fuzz_heartbeat \
	tests/fuzz/fuzz_rest tests/fuzz/fuzz_config tests/fuzz/fuzz_expand tests/fuzz/fuzz_progress
FUZZ_SECONDS = 20
FUZZ_SRCS = $(top_srcdir)/tests/fuzz/fuzz_mm2.c $(top_srcdir)/core/mm2_codec.c
FUZZ_DEPS = $(FUZZ_SRCS) $(top_srcdir)/core/mm2_codec.h config.h
FUZZ_CCLD = $(AM_V_CCLD)$(MKDIR_P) tests/fuzz && $(FUZZ_CC) -std=c11 -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer $(WARN_CFLAGS) -I$(top_builddir)
FUZZ_BUILD = $(FUZZ_CCLD) -I$(top_srcdir)/core/include -I$(top_srcdir)/core $(FUZZ_SRCS) -o $@

# kmirror.json: the target includes lua/json.c, to check set's offsets.
# The Lua stage's record bridge: with the stage's own sources.
if HAVE_LUA
FUZZ_TARGETS += tests/fuzz/fuzz_lua_json tests/fuzz/fuzz_lua_record
endif
FUZZ_LUA_JSON_DEPS = $(top_srcdir)/tests/fuzz/fuzz_lua_json.c $(top_srcdir)/lua/json.c \
	$(top_srcdir)/lua/json.h config.h
FUZZ_LUA_SRCS = $(top_srcdir)/tests/fuzz/fuzz_lua_record.c $(top_srcdir)/lua/stage.c \
	$(top_srcdir)/lua/record.c $(top_srcdir)/lua/sandbox.c $(top_srcdir)/lua/json.c \
	lua/lua_libs.c $(top_srcdir)/core/pipeline.c

# The REST API's router, over METHOD \0 PATH \0 AUTHORIZATION \0 BODY (no socket).
FUZZ_REST_SRCS = $(top_srcdir)/tests/fuzz/fuzz_rest.c $(top_srcdir)/core/rest_router.c \
	$(top_srcdir)/core/metrics.c $(top_srcdir)/core/status.c $(top_srcdir)/core/mstate.c \
	$(top_srcdir)/core/catalog.c

EXTRA_DIST += tests/fuzz/fuzz_rest.c

# The configuration: the YAML loader with the schema binder (fuzz_config),
# and the loader alone for ${env:}/${file:} expansion (fuzz_expand).
FUZZ_CONF_SRCS = $(top_srcdir)/core/err.c $(top_srcdir)/core/yaml_tree.c \
	$(top_srcdir)/core/params.c $(top_srcdir)/core/config_schema.c \
	$(top_srcdir)/core/config_model.c $(top_srcdir)/core/rest_config.c \
	$(top_srcdir)/core/config_provenance.c
FUZZ_CONF_DEPS = $(FUZZ_CONF_SRCS) $(top_srcdir)/tests/fuzz/fuzz_secret.h \
	$(top_srcdir)/core/yaml_tree.h $(top_srcdir)/core/params.h \
	$(top_srcdir)/core/config_model.h config.h
FUZZ_CONF_BUILD = $(FUZZ_CCLD) -I$(top_srcdir)/core/include -I$(top_srcdir)/core \
	$(RDKAFKA_CFLAGS) $(YAML_CFLAGS) $(FUZZ_CONF_SRCS) -o $@ $(RDKAFKA_LIBS) $(YAML_LIBS) -lm
# The progress record: progress.c with what its loader calls.
FUZZ_PROGRESS_SRCS = $(top_srcdir)/tests/fuzz/fuzz_progress.c $(top_srcdir)/core/progress.c \
	$(top_srcdir)/core/mstate.c $(top_srcdir)/core/catalog.c \
	$(top_srcdir)/core/internal_topics.c $(top_srcdir)/core/topic_read.c \
	$(top_srcdir)/core/log.c $(top_srcdir)/core/logstate.c $(top_srcdir)/core/kafka.c \
	$(top_srcdir)/core/err.c
EXTRA_DIST += tests/fuzz/fuzz_config.c tests/fuzz/fuzz_expand.c tests/fuzz/fuzz_secret.h \
	tests/fuzz/fuzz_progress.c
EXTRA_DIST += tests/fuzz/fuzz_mm2.c tests/fuzz/fuzz_lua_json.c tests/fuzz/fuzz_lua_record.c \
	tests/fuzz/run tests/fuzz/corpus

if HAVE_FUZZ
fuzz: $(FUZZ_TARGETS)

tests/fuzz/fuzz_offset_sync: $(FUZZ_DEPS)
	$(FUZZ_BUILD) -DFUZZ_CODEC=offset_sync
tests/fuzz/fuzz_checkpoint: $(FUZZ_DEPS)
	$(FUZZ_BUILD) -DFUZZ_CODEC=checkpoint
tests/fuzz/fuzz_heartbeat: $(FUZZ_DEPS)
	$(FUZZ_BUILD) -DFUZZ_CODEC=heartbeat
tests/fuzz/fuzz_rest: $(FUZZ_REST_SRCS) $(top_srcdir)/core/rest.h $(top_srcdir)/core/metrics.h config.h
	$(FUZZ_CCLD) -I$(top_srcdir)/core/include -I$(top_srcdir)/core $(JANSSON_CFLAGS) \
		$(FUZZ_REST_SRCS) -o $@ $(JANSSON_LIBS) -lm

tests/fuzz/fuzz_config: $(top_srcdir)/tests/fuzz/fuzz_config.c $(FUZZ_CONF_DEPS)
	$(FUZZ_CONF_BUILD) $(top_srcdir)/tests/fuzz/fuzz_config.c
tests/fuzz/fuzz_expand: $(top_srcdir)/tests/fuzz/fuzz_expand.c $(FUZZ_CONF_DEPS)
	$(FUZZ_CONF_BUILD) $(top_srcdir)/tests/fuzz/fuzz_expand.c
tests/fuzz/fuzz_progress: $(FUZZ_PROGRESS_SRCS) $(top_srcdir)/core/progress.h config.h
	$(FUZZ_CCLD) -I$(top_srcdir)/core/include -I$(top_srcdir)/core $(RDKAFKA_CFLAGS) \
		$(SYSTEMD_CFLAGS) $(FUZZ_PROGRESS_SRCS) -o $@ $(RDKAFKA_LIBS) $(SYSTEMD_LIBS) -lm

tests/fuzz/fuzz_lua_json: $(FUZZ_LUA_JSON_DEPS)
	$(FUZZ_CCLD) -I$(top_srcdir)/lua $(LUA_CFLAGS) $(top_srcdir)/tests/fuzz/fuzz_lua_json.c \
		-o $@ $(LUA_LIBS) -lm

tests/fuzz/fuzz_lua_record: $(FUZZ_LUA_SRCS) $(top_srcdir)/lua/lua_stage.h config.h
	$(FUZZ_CCLD) -I$(top_srcdir)/core/include -I$(top_srcdir)/core -I$(top_srcdir)/lua \
		$(LUA_CFLAGS) $(FUZZ_LUA_SRCS) -o $@ $(LUA_LIBS) -lm

fuzz-run: $(FUZZ_TARGETS)
	$(top_srcdir)/tests/fuzz/run --seconds $(FUZZ_SECONDS) --work tests/fuzz/work \
		--log tests/fuzz-suite.log $(FUZZ_TARGETS)
else
fuzz fuzz-run:
	@echo "clang with libFuzzer not found: install the Debian packages clang-14 and libclang-rt-14-dev (scripts/install-deps does it) and re-run configure" >&2; exit 1
endif

clean-local: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_TARGETS) tests/fuzz/work tests/fuzz-suite.log

.PHONY: fuzz fuzz-run clean-fuzz
