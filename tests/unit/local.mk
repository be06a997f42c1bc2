# Unit-test programs: each fragment adds to UNIT_TESTS and defines its
# program (cmocka, TAP output).
include tests/unit/config.mk
include tests/unit/policies.mk
