# Unit-test programs: each fragment adds to UNIT_TESTS and defines its
# program (cmocka, TAP output).
include tests/unit/config.mk
include tests/unit/policies.mk
include tests/unit/transforms.mk
include tests/unit/core.mk
include tests/unit/acls.mk
include tests/kafka/daemon.mk
include tests/kafka/topics.mk
include tests/kafka/logs.mk
include tests/kafka/deadletter.mk
include tests/kafka/transforms.mk
include tests/kafka/interop.mk
include tests/kafka/heartbeats.mk
include tests/kafka/provenance.mk
include tests/kafka/tls.mk
include tests/kafka/acls.mk
include tests/kafka/memcheck.mk
include tests/kafka/failover.mk
include tests/kafka/mm2_handover.mk
include tests/kafka/lua.mk
include tests/unit/plugin_host.mk
include tests/bench/local.mk
include tests/unit/murmur2.mk
include tests/unit/ctl.mk
include tests/unit/rest.mk
include tests/kafka/rest.mk
include tests/kafka/states.mk
include tests/unit/logs.mk
include tests/unit/mm2.mk
include tests/unit/lua.mk
if HAVE_LUA
include tests/unit/lua_json.mk
endif
include tests/unit/sdk.mk
include tests/unit/configure.mk
