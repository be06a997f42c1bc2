/* Unit tests: kmirrord's configuration model (core/config.c). A catalogue
 * of refused configurations, each asserting the whole message, and the
 * model built from good ones. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_model.h"

#define SECRET "s3cr3t-Value-9q"

/* Two clusters, a and b; a flow's keys follow (indented 4). */
#define CLUSTERS                                                                                   \
	"clusters:\n"                                                                              \
	"  a:\n"                                                                                   \
	"    kafka:\n"                                                                             \
	"      bootstrap.servers: a1:9092\n"                                                       \
	"  b:\n"                                                                                   \
	"    kafka:\n"                                                                             \
	"      bootstrap.servers: b1:9092\n"
/* lines 1-7 are CLUSTERS; the flow's first key is on line 9 */
#define FLOW                                                                                       \
	CLUSTERS "flows:\n"                                                                        \
	         "  - name: ab\n"                                                                  \
	         "    source: a\n"                                                                 \
	         "    target: b\n"

/* a flow's keys, in the order the message lists them */
#define FLOW_KEYS                                                                                  \
	"name, source, target, topics, policy, pipeline, consumer, producer, groups, "             \
	"config.properties, start, on_error, dead_letter.topic, isolation, replication.factor, "   \
	"refresh.topics.interval, refresh.target.interval, sync.topic.configs, "                   \
	"sync.topic.configs.interval, sync.topic.acls.enabled, sync.topic.acls.interval, "         \
	"emit.offset-syncs, offset-syncs.topic.location, offset.lag.max, "                         \
	"offset-syncs.flush.interval, emit.checkpoints, emit.checkpoints.interval, "               \
	"sync.group.offsets, sync.group.offsets.interval, config.properties.exclude, "             \
	"batch.records, max.inflight.records, max.inflight.bytes, producer.connections, "          \
	"one.batch.per.partition, enabled, emit.heartbeats, emit.heartbeats.interval, "            \
	"heartbeats.replication.enabled, internal.topics.replication.factor, provenance, "         \
	"provenance.header"

typedef struct bad_case {
	const char *name;
	const char *yaml;
	const char *want;
} bad_case_t;

/* clang-format off */
static const bad_case_t bad_cases[] = {
    {"syntax_error", "clusters: {a: 1\n",
     "t.yaml:2:1: YAML syntax error: did not find expected ',' or '}' (while parsing a flow "
     "mapping at 1:11)"},
    {"duplicate_cluster", CLUSTERS "  a:\n    kafka: {bootstrap.servers: x:1}\nflows: []\n",
     "t.yaml:8:3: key 'a' appears twice (first at 2:3)"},
    {"empty_file", "", "t.yaml:1:1: the file holds no settings; it must be a mapping of keys "
     "(key: value)"},
    {"top_level_list", "- clusters\n",
     "t.yaml:1:1: the top level is a list; it must be a mapping of keys (key: value)"},
    {"anchor", CLUSTERS "flows:\n  - &f {name: ab, source: a, target: b}\n",
     "t.yaml:9:5: anchors (&f) are not supported; write the value out in full"},
    {"unknown_top_key", "log_level: info\nclusterz: {}\n",
     "t.yaml:2:1: key 'clusterz' is not known in the top level; allowed keys: clusters, flows, "
     "rest, plugin_dirs, log_level"},
    /* rest: (lines 12 on) */
    {"rest_listen_no_port", FLOW "rest:\n  listen: 10.0.0.1\n", 
     "t.yaml:13:11: key 'listen': '10.0.0.1' is not an address to listen on: write HOST:PO"
     "RT, HOST an IPv4 address, [IPv6] or localhost, PORT 0 to 65535 (0: any free port), e"
     ".g. 127.0.0.1:8085"},
    {"rest_listen_port_range", FLOW "rest:\n  listen: 127.0.0.1:70000\n", 
     "t.yaml:13:11: key 'listen': '127.0.0.1:70000' is not an address to listen on: write "
     "HOST:PORT, HOST an IPv4 address, [IPv6] or localhost, PORT 0 to 65535 (0: any free p"
     "ort), e.g. 127.0.0.1:8085"},
    {"rest_listen_hostname", FLOW "rest:\n  listen: example.com:8085\n", 
     "t.yaml:13:11: key 'listen': 'example.com:8085' is not an address to listen on: write"
     " HOST:PORT, HOST an IPv4 address, [IPv6] or localhost, PORT 0 to 65535 (0: any free "
     "port), e.g. 127.0.0.1:8085"},
    {"rest_listen_v6_unbracketed", FLOW "rest:\n  listen: ::1:8085\n", 
     "t.yaml:13:11: key 'listen': '::1:8085' is not an address to listen on: write HOST:PO"
     "RT, HOST an IPv4 address, [IPv6] or localhost, PORT 0 to 65535 (0: any free port), e"
     ".g. 127.0.0.1:8085"},
    {"rest_unknown_key", FLOW "rest:\n  port: 8085\n", 
     "t.yaml:13:3: key 'port' is not known in rest; allowed keys: enabled, listen, token, "
     "tls.cert, tls.key"},
    {"rest_not_a_map", FLOW "rest: 8085\n", 
     "t.yaml:12:7: rest must be a mapping (key: value), not a scalar"},
    {"rest_token_empty", FLOW "rest:\n  token: \"\"\n", 
     "t.yaml:13:10: key 'token': is empty or holds spaces or control characters: a bearer "
     "token is one word (e.g. 32 random hex digits)"},
    {"rest_token_space", FLOW "rest:\n  token: two words\n", 
     "t.yaml:13:10: key 'token': is empty or holds spaces or control characters: a bearer "
     "token is one word (e.g. 32 random hex digits)"},
    {"rest_token_cleartext", FLOW "rest:\n  listen: 0.0.0.0:8085\n  token: abc\n", 
     "t.yaml:14:10: key 'token': is set, but listen is not a loopback address and there is"
     " no tls.cert: the token would cross the network in clear text; set tls.cert and tls."
     "key, or listen on 127.0.0.1"},
    {"rest_tls_cert_alone", FLOW "rest:\n  tls.cert: /etc/kmirror/rest.pem\n", 
     "t.yaml:13:13: key 'tls.cert': needs its pair: set both tls.cert (PEM certificate) an"
     "d tls.key (its PEM private key)"},
    {"rest_tls_key_alone", FLOW "rest:\n  tls.key: /etc/kmirror/rest.key\n", 
     "t.yaml:13:12: key 'tls.key': needs its pair: set both tls.cert (PEM certificate) and"
     " tls.key (its PEM private key)"},
    {"rest_enabled_bad", FLOW "rest:\n  enabled: maybe\n", 
     "t.yaml:13:12: key 'enabled': 'maybe' is not a boolean; use true or false (yes/no and"
     " on/off also work)"},
    {"bad_log_level", "log_level: verbose\n" FLOW,
     "t.yaml:1:12: key 'log_level': 'verbose' is not allowed; use one of err, warning, notice, "
     "info, debug"},
    {"missing_clusters", "log_level: info\nflows: []\n",
     "t.yaml:1:1: the top level: key 'clusters' is required (the Kafka clusters, by alias: "
     "clusters: {ALIAS: {kafka: {bootstrap.servers: HOST:PORT}}})"},
    {"empty_clusters", "clusters: {}\n",
     "t.yaml:1:11: key 'clusters' is empty; it must be a mapping of at least one cluster alias "
     "to its settings (ALIAS: {kafka: {...}})"},
    {"clusters_list", "clusters: [a]\n",
     "t.yaml:1:11: key 'clusters' is a list; it must be a mapping of at least one cluster "
     "alias to its settings (ALIAS: {kafka: {...}})"},
    {"missing_flows", CLUSTERS,
     "t.yaml:1:1: the top level: key 'flows' is required (the list of flows: - name: NAME, "
     "source: ALIAS, target: ALIAS)"},
    {"empty_flows", CLUSTERS "flows:\n",
     "t.yaml:8:1: key 'flows' is empty; it must be a list of at least one flow (- name: NAME, "
     "source: ALIAS, target: ALIAS)"},
    {"flows_mapping", CLUSTERS "flows: {ab: 1}\n",
     "t.yaml:8:8: key 'flows' is a mapping; it must be a list of at least one flow (- name: "
     "NAME, source: ALIAS, target: ALIAS)"},
    {"bad_alias_dot", "clusters:\n  dc.east:\n    kafka: {bootstrap.servers: x:1}\n",
     "t.yaml:2:3: key 'dc.east': a cluster alias may hold only letters, digits, '_' and '-' "
     "(the prefix policy puts '.' between alias and topic)"},
    {"unknown_cluster_key", "clusters:\n  a:\n    kafka: {bootstrap.servers: x:1}\n"
     "    bootstrap.servers: x:1\n",
     "t.yaml:4:5: key 'bootstrap.servers' is not known in clusters.a; allowed keys: kafka"},
    {"missing_kafka", "clusters:\n  a:\n    {}\n",
     "t.yaml:3:5: clusters.a: key 'kafka' is required (the cluster's librdkafka properties, "
     "at least bootstrap.servers)"},
    {"missing_bootstrap", "clusters:\n  a:\n    kafka:\n      client.id: x\n",
     "t.yaml:4:7: clusters.a.kafka: key 'bootstrap.servers' is required (the brokers to "
     "connect to first: HOST:PORT[,HOST:PORT...])"},
    {"empty_bootstrap", "clusters:\n  a:\n    kafka:\n      bootstrap.servers: ''\n",
     "t.yaml:4:26: key 'bootstrap.servers' is empty; give HOST:PORT[,HOST:PORT...]"},
    {"kafka_not_mapping", "clusters:\n  a:\n    kafka: [x]\n",
     "t.yaml:3:12: key 'kafka' is a list; it must be a mapping of librdkafka properties (name: "
     "value)"},
    {"kafka_list_value", "clusters:\n  a:\n    kafka:\n      bootstrap.servers: [x:1, y:1]\n",
     "t.yaml:4:26: key 'bootstrap.servers' is a list; a librdkafka property's value must be a "
     "scalar (lists are written comma-separated: a,b)"},
    {"kafka_null_value", "clusters:\n  a:\n    kafka:\n      bootstrap.servers:\n",
     "t.yaml:4:7: key 'bootstrap.servers' has no value; give the property's value, or remove "
     "the key"},
    {"unknown_rdkafka_property", "clusters:\n  a:\n    kafka:\n      bootstrap.servers: x:1\n"
     "      bootstrap.server: x:1\n",
     "t.yaml:5:7: key 'bootstrap.server': No such configuration property: \"bootstrap.server\""},
    {"bad_rdkafka_value", "clusters:\n  a:\n    kafka:\n      bootstrap.servers: x:1\n"
     "      security.protocol: tls\n",
     "t.yaml:5:26: key 'security.protocol': Invalid value \"tls\" for configuration property "
     "\"security.protocol\""},
    {"bad_rdkafka_range", FLOW "    producer:\n      linger.ms: -5\n",
     "t.yaml:13:18: key 'linger.ms': Configuration property \"queue.buffering.max.ms\" value "
     "-5 is outside allowed range 0..900000"},
    {"owned_group_id", "clusters:\n  a:\n    kafka:\n      bootstrap.servers: x:1\n"
     "      group.id: mine\n",
     "t.yaml:5:7: key 'group.id' cannot be set: kmirror names its own clients' groups"},
    {"owned_enable_auto_commit", FLOW "    consumer:\n      enable.auto.commit: true\n",
     "t.yaml:13:7: key 'enable.auto.commit' cannot be set: progress is stored on the target "
     "after acknowledgement, not by auto-commit"},
    {"owned_enable_auto_offset_store", FLOW "    consumer: {enable.auto.offset.store: false}\n",
     "t.yaml:12:16: key 'enable.auto.offset.store' cannot be set: progress is stored on the "
     "target after acknowledgement, not by auto-commit"},
    {"owned_partitioner", FLOW "    producer: {partitioner: murmur2}\n",
     "t.yaml:12:16: key 'partitioner' cannot be set: records keep their source partition "
     "number"},
    {"owned_allow_auto_create_topics", FLOW "    producer: {allow.auto.create.topics: true}\n",
     "t.yaml:12:16: key 'allow.auto.create.topics' cannot be set: kmirror creates the topics "
     "it writes itself, with the source's partitions and configs"},
    {"owned_transactional_id", FLOW "    producer: {transactional.id: t}\n",
     "t.yaml:12:16: key 'transactional.id' cannot be set: kmirror's producers are idempotent, not transactional: with a transactional id librdkafka would refuse every record sent outside a transaction"},
    {"consumer_not_mapping", FLOW "    consumer: fetch.min.bytes=1\n",
     "t.yaml:12:15: key 'consumer' is a scalar; it must be a mapping of librdkafka properties "
     "(name: value)"},
    {"flow_not_mapping", CLUSTERS "flows:\n  - ab\n",
     "t.yaml:9:5: flows[0] is a scalar; a flow must be a mapping (name:, source:, target:, ...)"},
    {"unknown_flow_key", FLOW "    topic: {include: [x]}\n",
     "t.yaml:12:5: key 'topic' is not known in flows[0]; allowed keys: " FLOW_KEYS},
    /* offset syncs, checkpoints, groups */
    /* groups: and config.properties: name filter plugins; their
     * parameters are bound when the plugins load (test_plugin_host) */
    {"groups_list", FLOW "    groups: [a]\n",
     "t.yaml:12:13: flows[0].groups is a list; it must name a plugin (NAME) or be a mapping "
     "with key 'plugin' and the plugin's parameters"},
    {"groups_bad_plugin_name", FLOW "    groups: {plugin: My-Filter}\n",
     "t.yaml:12:22: key 'plugin': 'My-Filter' is not a plugin name; plugin names use only a-z, "
     "0-9 and '_'"},
    {"groups_null_plugin", FLOW "    groups: {plugin: }\n",
     "t.yaml:12:14: key 'plugin' is empty; it must name a plugin"},
    {"config_properties_list", FLOW "    config.properties: [a]\n",
     "t.yaml:12:24: flows[0].config.properties is a list; it must name a plugin (NAME) or be a "
     "mapping with key 'plugin' and the plugin's parameters"},
    {"config_properties_bad_name", FLOW "    config.properties: Mine\n",
     "t.yaml:12:24: key 'config.properties': 'Mine' is not a plugin name; plugin names use only "
     "a-z, 0-9 and '_'"},
    {"config_properties_both", FLOW "    config.properties.exclude: [a]\n"
                                    "    config.properties: {exclude: [b]}\n",
     "t.yaml:13:5: keys 'config.properties' (13:5) and 'config.properties.exclude' (12:5) are "
     "both given; keep one: config.properties.exclude: [...] is short for config.properties: "
     "{exclude: [...]}"},
    {"config_properties_both_reversed", FLOW "    config.properties: mine\n"
                                             "    config.properties.exclude: []\n",
     "t.yaml:13:5: keys 'config.properties' (12:5) and 'config.properties.exclude' (13:5) are "
     "both given; keep one: config.properties.exclude: [...] is short for config.properties: "
     "{exclude: [...]}"},
    {"osync_location_bad", FLOW "    offset-syncs.topic.location: both\n", 
     "t.yaml:12:34: key 'offset-syncs.topic.location': 'both' is not allowed; use one of "
     "source, target"},
    {"lag_max_negative", FLOW "    offset.lag.max: -1\n", 
     "t.yaml:12:21: key 'offset.lag.max': '-1' is out of range; it must be between 0 and "
     "1000000000"},
    {"osync_flush_small", FLOW "    offset-syncs.flush.interval: 10ms\n", 
     "t.yaml:12:34: key 'offset-syncs.flush.interval': '10ms' is out of range; it must be "
     "between 100ms and 1h"},
    {"ckpt_interval_small", FLOW "    emit.checkpoints.interval: 500ms\n", 
     "t.yaml:12:32: key 'emit.checkpoints.interval': '500ms' is out of range; it must be "
     "at least 1s"},
    {"group_sync_interval_text", FLOW "    sync.group.offsets.interval: often\n", 
     "t.yaml:12:34: key 'sync.group.offsets.interval': 'often' is not a duration; give a "
     "whole number with a unit: ms, s, m or h (e.g. 250ms, 5s); it must be at least 1s"},
    {"group_sync_without_checkpoints",
     FLOW "    emit.checkpoints: false\n    sync.group.offsets: true\n",
     "t.yaml:13:25: key 'sync.group.offsets': true needs emit.checkpoints: true (group offsets "
     "are the checkpoints' offsets); remove one of the two"},
    /* ACL sync */
    {"acls_enabled_not_bool", FLOW "    sync.topic.acls.enabled: sometimes\n",
     "t.yaml:12:30: key 'sync.topic.acls.enabled': 'sometimes' is not a boolean; use true or "
     "false (yes/no and on/off also work)"},
    {"acls_interval_seconds", FLOW "    sync.topic.acls.interval: 600\n",
     "t.yaml:12:31: key 'sync.topic.acls.interval': '600' has no unit; add a unit: ms, s, m or "
     "h (e.g. 250ms, 5s, 10m, 1h)"},
    {"acls_interval_small", FLOW "    sync.topic.acls.interval: 500ms\n",
     "t.yaml:12:31: key 'sync.topic.acls.interval': '500ms' is out of range; it must be at "
     "least 1s"},
    {"acls_mm2_interval_key", FLOW "    sync.topic.acls.interval.seconds: 600\n",
     "t.yaml:12:5: key 'sync.topic.acls.interval.seconds' is not known in flows[0]; allowed "
     "keys: " FLOW_KEYS},
    {"emit_checkpoints_not_bool", FLOW "    emit.checkpoints: maybe\n", 
     "t.yaml:12:23: key 'emit.checkpoints': 'maybe' is not a boolean; use true or false "
     "(yes/no and on/off also work)"},
    {"missing_name", CLUSTERS "flows:\n  - source: a\n    target: b\n",
     "t.yaml:9:5: flows[0]: key 'name' is required (a unique name of letters, digits, '_', '.' "
     "and '-')"},
    {"bad_name", CLUSTERS "flows:\n  - name: a to b\n    source: a\n    target: b\n",
     "t.yaml:9:11: key 'name': 'a to b' is not a valid flow name; use letters, digits, '_', "
     "'.' and '-'"},
    {"duplicate_flow_name", FLOW "  - name: ab\n    source: b\n    target: a\n",
     "t.yaml:12:11: key 'name': flow 'ab' is defined twice (first at 9:11); flow names must be "
     "unique"},
    {"missing_source", CLUSTERS "flows:\n  - name: ab\n    target: b\n",
     "t.yaml:9:5: flows[0]: key 'source' is required (the alias of the cluster to copy from)"},
    {"missing_target", CLUSTERS "flows:\n  - name: ab\n    source: a\n",
     "t.yaml:9:5: flows[0]: key 'target' is required (the alias of the cluster to copy to)"},
    {"unknown_source", CLUSTERS "flows:\n  - name: ab\n    source: c\n    target: b\n",
     "t.yaml:10:13: key 'source': 'c' is not a cluster; clusters: a, b"},
    {"unknown_target", CLUSTERS "flows:\n  - name: ab\n    source: a\n    target: B\n",
     "t.yaml:11:13: key 'target': 'B' is not a cluster; clusters: a, b"},
    {"source_is_target", CLUSTERS "flows:\n  - name: ab\n    source: a\n    target: a\n",
     "t.yaml:11:13: key 'target': 'a' is also the source; a flow copies from one cluster to "
     "another"},
    {"source_list", CLUSTERS "flows:\n  - name: ab\n    source: [a]\n    target: b\n",
     "t.yaml:10:13: key 'source' is a list; the alias of the cluster to copy from"},
    {"bad_start", FLOW "    start: sometimes\n",
     "t.yaml:12:12: key 'start': 'sometimes' is not allowed; use one of earliest, latest"},
    {"bad_on_error", FLOW "    on_error: ignore\n",
     "t.yaml:12:15: key 'on_error': 'ignore' is not allowed; use one of stop, skip, "
     "dead-letter"},
    {"dead_letter_without_topic", FLOW "    on_error: dead-letter\n",
     "t.yaml:12:15: key 'on_error': dead-letter needs key 'dead_letter.topic', the topic on the "
     "target that failed records go to"},
    {"dead_letter_topic_without_mode", FLOW "    dead_letter.topic: failed\n",
     "t.yaml:12:24: key 'dead_letter.topic' is set but on_error is 'stop'; set on_error: "
     "dead-letter, or remove dead_letter.topic"},
    {"dead_letter_topic_with_skip", FLOW "    on_error: skip\n    dead_letter.topic: failed\n",
     "t.yaml:13:24: key 'dead_letter.topic' is set but on_error is 'skip'; set on_error: "
     "dead-letter, or remove dead_letter.topic"},
    {"dead_letter_topic_bad_name", FLOW "    on_error: dead-letter\n    dead_letter.topic: a/b\n",
     "t.yaml:13:24: key 'dead_letter.topic': 'a/b' is not a valid Kafka topic name; use 1 to "
     "249 letters, digits, '.', '_' and '-' (but not '.' or '..')"},
    {"dead_letter_topic_progress",
     FLOW "    on_error: dead-letter\n    dead_letter.topic: kmirror-progress.internal\n",
     "t.yaml:13:24: key 'dead_letter.topic': 'kmirror-progress.internal' is kmirror's progress "
     "topic; name another topic"},
    {"dead_letter_topic_dotdot", FLOW "    on_error: dead-letter\n    dead_letter.topic: '..'\n",
     "t.yaml:13:24: key 'dead_letter.topic': '..' is not a valid Kafka topic name; use 1 to "
     "249 letters, digits, '.', '_' and '-' (but not '.' or '..')"},
    {"bad_isolation", FLOW "    isolation: committed\n",
     "t.yaml:12:16: key 'isolation': 'committed' is not allowed; use one of read_committed, "
     "read_uncommitted"},
    {"replication_factor_range", FLOW "    replication.factor: 0\n",
     "t.yaml:12:25: key 'replication.factor': 0 is not allowed; use -1 (the target broker's "
     "default) or 1 to 10000"},
    /* librdkafka's CreateTopics refuses more than 10000: it would be retried forever */
    {"replication_factor_range_high", FLOW "    replication.factor: 20000\n",
     "t.yaml:12:25: key 'replication.factor': '20000' is out of range; it must be between -1 "
     "and 10000"},
    {"replication_factor_type", FLOW "    replication.factor: three\n",
     "t.yaml:12:25: key 'replication.factor': 'three' is not a whole number; it must be "
     "between -1 and 10000"},
    {"heartbeats_interval_too_small", FLOW "    emit.heartbeats.interval: 10ms\n",
     "t.yaml:12:31: key 'emit.heartbeats.interval': '10ms' is out of range; it must be "
     "between 100ms and 1h"},
    {"heartbeats_interval_too_large", FLOW "    emit.heartbeats.interval: 2h\n",
     "t.yaml:12:31: key 'emit.heartbeats.interval': '2h' is out of range; it must be "
     "between 100ms and 1h"},
    {"heartbeats_interval_string", FLOW "    emit.heartbeats.interval: often\n",
     "t.yaml:12:31: key 'emit.heartbeats.interval': 'often' is not a duration; give a whole "
     "number with a unit: ms, s, m or h (e.g. 250ms, 5s); it must be between 100ms and 1h"},
    {"emit_heartbeats_bad_bool", FLOW "    emit.heartbeats: maybe\n",
     "t.yaml:12:22: key 'emit.heartbeats': 'maybe' is not a boolean; use true or false "
     "(yes/no and on/off also work)"},
    {"heartbeats_replication_bad_bool", FLOW "    heartbeats.replication.enabled: 2\n",
     "t.yaml:12:37: key 'heartbeats.replication.enabled': '2' is not a boolean; use true or "
     "false (yes/no and on/off also work)"},
    {"internal_rf_zero", FLOW "    internal.topics.replication.factor: 0\n",
     "t.yaml:12:41: key 'internal.topics.replication.factor': 0 is not allowed; use -1 (the "
     "broker's default) or 1 to 10000"},
    {"internal_rf_high", FLOW "    internal.topics.replication.factor: 10001\n",
     "t.yaml:12:41: key 'internal.topics.replication.factor': '10001' is out of range; it must "
     "be between -1 and 10000"},
    {"refresh_bare_number", FLOW "    refresh.topics.interval: 5\n",
     "t.yaml:12:30: key 'refresh.topics.interval': '5' has no unit; add a unit: ms, s, m or h "
     "(e.g. 250ms, 5s, 10m, 1h)"},
    {"refresh_too_small", FLOW "    refresh.topics.interval: 10ms\n",
     "t.yaml:12:30: key 'refresh.topics.interval': '10ms' is out of range; it must be at least "
     "100ms"},
    {"sync_interval_too_small", FLOW "    sync.topic.configs.interval: 500ms\n",
     "t.yaml:12:34: key 'sync.topic.configs.interval': '500ms' is out of range; it must be at "
     "least 1s"},
    {"bad_bool", FLOW "    enabled: sometimes\n",
     "t.yaml:12:14: key 'enabled': 'sometimes' is not a boolean; use true or false (yes/no and "
     "on/off also work)"},
    {"batch_records_range", FLOW "    batch.records: 100001\n",
     "t.yaml:12:20: key 'batch.records': '100001' is out of range; it must be between 1 and "
     "100000"},
    {"max_inflight_records_range", FLOW "    max.inflight.records: 0\n",
     "t.yaml:12:27: key 'max.inflight.records': '0' is out of range; it must be between 1 and "
     "10000000"},
    {"producer_connections_range", FLOW "    producer.connections: 17\n",
     "t.yaml:12:27: key 'producer.connections': '17' is out of range; it must be between 1 and "
     "16"},
    {"batch_over_inflight", FLOW "    max.inflight.records: 100\n",
     "t.yaml:12:27: flows[0]: batch.records (1000) is more than max.inflight.records (100); a "
     "batch must fit in flight"},
    {"bad_size", FLOW "    max.inflight.bytes: 64 megs\n",
     "t.yaml:12:25: key 'max.inflight.bytes': '64 megs' is not a size; give a number of bytes, "
     "optionally with a unit: B, KB, MB, GB (e.g. 64MB); it must be at least 1MB"},
    {"size_too_small", FLOW "    max.inflight.bytes: 1000\n",
     "t.yaml:12:25: key 'max.inflight.bytes': '1000' is out of range; it must be at least 1MB"},
    {"exclude_mapping_item", FLOW "    config.properties.exclude: [a, {b: c}]\n",
     "t.yaml:12:36: key 'config.properties.exclude': item 2 is a mapping; the items must be "
     "text"},
    {"plugin_dirs_mapping", "plugin_dirs: {a: b}\n" FLOW,
     "t.yaml:1:14: key 'plugin_dirs' is a mapping; give a list ([a, b]) or a comma-separated "
     "text"},
    {"policy_list", FLOW "    policy: [prefix]\n",
     "t.yaml:12:13: flows[0].policy is a list; it must name a plugin (NAME) or be a mapping "
     "with key 'plugin' and the plugin's parameters"},
    {"policy_bad_plugin_name", FLOW "    policy: {plugin: My-Policy}\n",
     "t.yaml:12:22: key 'plugin': 'My-Policy' is not a plugin name; plugin names use only a-z, "
     "0-9 and '_'"},
    {"pipeline_missing_plugin", FLOW "    pipeline:\n      - plugin: lua\n      - script: x\n",
     "t.yaml:14:9: flows[0].pipeline[1]: key 'plugin' is required (the name of the plugin to "
     "run)"},
    {"pipeline_not_list", FLOW "    pipeline: {plugin: lua}\n",
     "t.yaml:12:15: key 'pipeline' is a mapping; it must be a list of stages ([{plugin: NAME, "
     "...}, ...])"},
    {"pipeline_empty_item", FLOW "    pipeline:\n      -\n",
     "t.yaml:13:8: flows[0].pipeline[0] is empty; name a stage plugin (- NAME) or give "
     "{plugin: NAME, ...}"},
    {"env_unset", "clusters:\n  a:\n    kafka:\n      bootstrap.servers: x:1\n"
     "      sasl.password: ${env:KM_T_UNSET}\n",
     "t.yaml:5:22: key 'sasl.password': ${env:KM_T_UNSET}: the environment variable "
     "KM_T_UNSET is not set"},
    {"secret_file_unreadable", "clusters:\n  a:\n    kafka:\n      bootstrap.servers: x:1\n"
     "      ssl.key.password: ${file:/nonexistent/pw}\n",
     "t.yaml:5:25: key 'ssl.key.password': ${file:/nonexistent/pw}: the file cannot be read: "
     "No such file or directory"},
    /* secrets never appear in messages */
    {"secret_bad_rdkafka_value", "clusters:\n  a:\n    kafka:\n      bootstrap.servers: x:1\n"
     "      security.protocol: ${env:KM_T_SECRET}\n",
     "t.yaml:5:26: key 'security.protocol': librdkafka refuses the value (not shown: it is "
     "secret); see librdkafka's CONFIGURATION.md for what this property accepts"},
    {"secret_bad_rdkafka_range", FLOW "    producer:\n      linger.ms: ${env:KM_T_SECRET_NUM}\n",
     "t.yaml:13:18: key 'linger.ms': librdkafka refuses the value (not shown: it is secret); "
     "see librdkafka's CONFIGURATION.md for what this property accepts"},
    {"secret_bad_enum", FLOW "    start: ${env:KM_T_SECRET}\n",
     "t.yaml:12:12: key 'start': a secret value is not allowed; use one of earliest, latest"},
    {"secret_unknown_cluster", CLUSTERS "flows:\n  - name: ab\n    source: ${env:KM_T_SECRET}\n"
     "    target: b\n",
     "t.yaml:10:13: key 'source': a secret value is not a cluster; clusters: a, b"},
    /* files librdkafka would read only when it makes the clients */
    {"missing_ca_file", "clusters:\n  a:\n    kafka:\n      bootstrap.servers: x:1\n"
     "      ssl.ca.location: /nonexistent/km/ca.pem\n",
     "t.yaml:5:24: clusters.a: key 'ssl.ca.location': cannot read '/nonexistent/km/ca.pem': "
     "No such file or directory; name a file kmirrord can read: the PEM file (or directory) "
     "of the CA that signed the brokers' certificates, or 'probe'"},
    {"missing_client_key", FLOW "    producer:\n      ssl.key.location: ${env:KM_T_SECRET}\n",
     "t.yaml:13:25: flows[0].producer: key 'ssl.key.location': cannot read a secret value: No "
     "such file or directory; name a file kmirrord can read: the client certificate's PEM "
     "private key"},
    {"missing_client_cert", FLOW "    consumer:\n      ssl.certificate.location: /nonexistent/c\n",
     "t.yaml:13:33: flows[0].consumer: key 'ssl.certificate.location': cannot read "
     "'/nonexistent/c': No such file or directory; name a file kmirrord can read: the "
     "client's PEM certificate"},
    {"secret_rest_listen", FLOW "rest:\n  listen: ${env:KM_T_SECRET}\n",
     "t.yaml:13:11: key 'listen': a secret value is not an address to listen on: write "
     "HOST:PORT, HOST an IPv4 address, [IPv6] or localhost, PORT 0 to 65535 (0: any free "
     "port), e.g. 127.0.0.1:8085"},
    /* provenance headers: a->b and b->a with the identity policy loop
     * unless both carry and read the same header */
    {"identity_pair_no_provenance", FLOW "    policy: identity\n    provenance: false\n"
     "  - name: ba\n    source: b\n    target: a\n    policy: identity\n",
     "t.yaml:13:17: key 'provenance': false with policy identity while flow 'ba' (flows[1]) "
     "copies back from b to a: every record would be copied back and forth for ever (the "
     "identity policy keeps topic names, so nothing tells a copy from its original); remove "
     "provenance: false (it is on by default), or use the prefix policy on both flows"},
    {"identity_plugin_pair_no_provenance", FLOW "    policy: {plugin: identity}\n"
     "  - name: ba\n    source: b\n    target: a\n    policy: {plugin: identity}\n"
     "    provenance: false\n",
     "t.yaml:17:17: key 'provenance': false with policy identity while flow 'ab' (flows[0]) "
     "copies back from a to b: every record would be copied back and forth for ever (the "
     "identity policy keeps topic names, so nothing tells a copy from its original); remove "
     "provenance: false (it is on by default), or use the prefix policy on both flows"},
    {"identity_reverse_prefix_no_provenance", FLOW "    policy: identity\n"
     "    provenance: false\n  - name: ba\n    source: b\n    target: a\n",
     "t.yaml:13:17: key 'provenance': false with policy identity while flow 'ba' (flows[1]) "
     "copies back from b to a: every record would be copied back and forth for ever (the "
     "identity policy keeps topic names, so nothing tells a copy from its original); remove "
     "provenance: false (it is on by default), or use the prefix policy on both flows"},
    {"identity_pair_header_differs", FLOW "    policy: identity\n"
     "  - name: ba\n    source: b\n    target: a\n    policy: identity\n"
     "    provenance.header: seen\n",
     "t.yaml:17:24: key 'provenance.header': 'seen' differs from 'kmirror.provenance' of flow "
     "'ab' (flows[0]), which copies back from a to b: neither flow would read the other's "
     "header and records would be copied back and forth for ever; give both flows the same "
     "provenance.header"},
    {"provenance_header_empty", FLOW "    provenance.header: ''\n",
     "t.yaml:12:24: key 'provenance.header' is empty; name the header (the default is "
     "kmirror.provenance), the same on every flow"},
};
/* clang-format on */

static void run_bad_case(void **state) {
	const bad_case_t *c = *state;
	char err[2048] = "";
	km_config_t *conf = km_config_load_string("t.yaml", c->yaml, err, sizeof(err));
	if (conf) {
		km_config_destroy(conf);
		fail_msg("accepted:\n%s", c->yaml);
	}
	assert_string_equal(err, c->want);
	assert_null(strstr(err, SECRET));
	assert_null(strstr(err, "98765"));
}

/* ------------------------------------------------------------------------ */
/* Good configurations                                                       */
/* ------------------------------------------------------------------------ */

static km_config_t *load_ok(const char *text) {
	char err[1024] = "";
	km_config_t *conf = km_config_load_string("t.yaml", text, err, sizeof(err));
	if (!conf)
		fail_msg("refused: %s", err);
	return conf;
}

/* rest: the default listener, and the forms accepted. */
static void test_rest_accepted(void **state) {
	km_config_t *conf = load_ok(FLOW);

	(void)state;
	assert_true(conf->rest.enabled);
	assert_string_equal(conf->rest.host, "127.0.0.1");
	assert_int_equal(conf->rest.port, 8085);
	assert_true(conf->rest.loopback);
	assert_null(conf->rest.token);
	km_config_destroy(conf);

	conf = load_ok(FLOW "rest:\n  listen: \"[::1]:0\"\n  token: abc123\n");
	assert_string_equal(conf->rest.host, "::1");
	assert_int_equal(conf->rest.port, 0);
	assert_true(conf->rest.loopback);
	assert_string_equal(conf->rest.token, "abc123");
	km_config_destroy(conf);

	/* not loopback and no token: reads only (commands get 403) */
	conf = load_ok(FLOW "rest:\n  listen: 0.0.0.0:9100\n");
	assert_false(conf->rest.loopback);
	km_config_destroy(conf);

	/* a token off loopback is fine over TLS */
	conf = load_ok(FLOW "rest:\n  listen: 10.1.2.3:8443\n  token: t\n"
	                    "  tls.cert: /k/c.pem\n  tls.key: /k/k.pem\n");
	assert_string_equal(conf->rest.cert, "/k/c.pem");
	km_config_destroy(conf);

	conf = load_ok(FLOW "rest: {enabled: false, listen: localhost:1}\n");
	assert_false(conf->rest.enabled);
	assert_string_equal(conf->rest.host, "127.0.0.1");
	km_config_destroy(conf);
}

/* Provenance: on by default with its header name; the pairs that do not
 * loop are accepted (both on, the prefix policy, no reverse flow). */
static void test_provenance_ok(void **state) {
	static const char *const ok[] = {
	    FLOW "    policy: identity\n  - name: ba\n    source: b\n    target: a\n"
	         "    policy: {plugin: identity}\n",
	    FLOW "    provenance: false\n  - name: ba\n    source: b\n    target: a\n"
	         "    provenance: false\n",
	    FLOW "    policy: identity\n    provenance: false\n",
	    FLOW "    policy: identity\n    provenance.header: seen\n"
	         "  - name: ba\n    source: b\n    target: a\n    policy: identity\n"
	         "    provenance.header: seen\n",
	};
	km_config_t *conf = load_ok(FLOW);

	(void)state;
	assert_true(km_params_bool(conf->flows[0].params, "provenance"));
	assert_string_equal(km_params_str(conf->flows[0].params, "provenance.header"),
	                    "kmirror.provenance");
	km_config_destroy(conf);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		km_config_destroy(load_ok(ok[i]));
}

static void test_minimal_defaults(void **state) {
	km_config_t *conf = load_ok(FLOW);

	assert_string_equal(conf->path, "t.yaml");
	assert_int_equal(conf->cluster_cnt, 2);
	assert_string_equal(conf->clusters[0].alias, "a");
	assert_int_equal(conf->clusters[0].kafka.cnt, 1);
	assert_string_equal(conf->clusters[0].kafka.kvs[0].key, "bootstrap.servers");
	assert_string_equal(conf->clusters[0].kafka.kvs[0].val, "a1:9092");
	assert_false(conf->clusters[0].kafka.kvs[0].secret);
	assert_ptr_equal(km_config_cluster(conf, "b"), &conf->clusters[1]);
	assert_null(km_config_cluster(conf, "c"));

	assert_int_equal(conf->plugin_dir_cnt, 1);
	assert_string_equal(conf->plugin_dirs[0], PLUGINSDIR);
	assert_string_equal(km_params_str(conf->params, "log_level"), "info");

	assert_int_equal(conf->flow_cnt, 1);
	const km_flow_conf_t *f = &conf->flows[0];
	assert_string_equal(f->name, "ab");
	assert_ptr_equal(f->source, &conf->clusters[0]);
	assert_ptr_equal(f->target, &conf->clusters[1]);
	assert_string_equal(f->topics.plugin, "topic_regex");
	assert_null(f->topics.node);
	assert_ptr_equal(f->topics.where, f->node);
	assert_string_equal(f->topics.path, "flows[0].topics");
	assert_string_equal(f->policy.plugin, "prefix");
	assert_string_equal(f->policy.path, "flows[0].policy");
	assert_int_equal(f->pipeline_cnt, 0);
	assert_int_equal(f->consumer.cnt, 0);
	assert_int_equal(f->producer.cnt, 0);

	assert_string_equal(km_params_str(f->params, "start"), "earliest");
	assert_string_equal(km_params_str(f->params, "on_error"), "stop");
	assert_null(km_params_str(f->params, "dead_letter.topic"));
	assert_string_equal(km_params_str(f->params, "isolation"), "read_committed");
	assert_int_equal(km_params_int(f->params, "replication.factor"), -1);
	assert_int_equal(km_params_int(f->params, "refresh.topics.interval"), 5000);
	assert_int_equal(km_params_bool(f->params, "sync.topic.configs"), 1);
	assert_int_equal(km_params_int(f->params, "sync.topic.configs.interval"), 60000);
	/* the filters: MM2's defaults, as plugins with their own defaults */
	assert_false(km_params_isset(f->params, "config.properties.exclude"));
	assert_string_equal(f->configs.plugin, "config_regex");
	assert_null(f->configs.node);
	assert_null(f->configs.key_prefix);
	assert_string_equal(f->configs.path, "flows[0].config.properties");
	assert_string_equal(f->groups.plugin, "group_regex");
	assert_null(f->groups.node);
	assert_ptr_equal(f->groups.where, f->node);
	assert_string_equal(f->groups.path, "flows[0].groups");
	/* offset syncs, checkpoints and group offsets: MM2's names, its defaults
	 * but for sync.group.offsets (on) and the flush (10 s) */
	assert_int_equal(km_params_bool(f->params, "emit.offset-syncs"), 1);
	assert_string_equal(km_params_str(f->params, "offset-syncs.topic.location"), "source");
	assert_int_equal(km_params_int(f->params, "offset.lag.max"), 100);
	assert_int_equal(km_params_int(f->params, "offset-syncs.flush.interval"), 10000);
	assert_int_equal(km_params_bool(f->params, "emit.checkpoints"), 1);
	assert_int_equal(km_params_int(f->params, "emit.checkpoints.interval"), 60000);
	assert_int_equal(km_params_bool(f->params, "sync.group.offsets"), 1);
	assert_int_equal(km_params_int(f->params, "sync.group.offsets.interval"), 60000);
	/* ACL sync: on, every 10 minutes (MM2's 600 s) */
	assert_int_equal(km_params_bool(f->params, "sync.topic.acls.enabled"), 1);
	assert_int_equal(km_params_int(f->params, "sync.topic.acls.interval"), 600000);
	assert_int_equal(km_params_int(f->params, "batch.records"), 1000);
	assert_int_equal(km_params_int(f->params, "max.inflight.records"), 100000);
	assert_int_equal(km_params_int(f->params, "max.inflight.bytes"), 64 * 1024 * 1024);
	assert_int_equal(km_params_bool(f->params, "enabled"), 1);
	km_config_destroy(conf);
}

static void test_full_config(void **state) {
	setenv("KM_T_SECRET", SECRET, 1);
	setenv("KM_T_USER", "mirror", 1);
	km_config_t *conf = load_ok("plugin_dirs: /opt/a, /opt/b\n"
	                            "log_level: debug\n"
	                            "clusters:\n"
	                            "  east-1:\n"
	                            "    kafka:\n"
	                            "      bootstrap.servers: e1:9092,e2:9092\n"
	                            "      security.protocol: SASL_SSL\n"
	                            "      sasl.mechanisms: SCRAM-SHA-512\n"
	                            "      sasl.username: ${env:KM_T_USER}\n"
	                            "      sasl.password: ${env:KM_T_SECRET}\n"
	                            "  west_2:\n"
	                            "    kafka:\n"
	                            "      bootstrap.servers: w1:9092\n"
	                            "      ssl.key.password: plain-in-file\n"
	                            "flows:\n"
	                            "  - name: east.to-west_1\n"
	                            "    source: east-1\n"
	                            "    target: west_2\n"
	                            "    topics: {include: ['orders\\..*'], exclude: [tmp]}\n"
	                            "    policy: identity\n"
	                            "    pipeline:\n"
	                            "      - plugin: lua\n"
	                            "        script: /etc/kmirror/x.lua\n"
	                            "      - headers_drop\n"
	                            "    consumer:\n"
	                            "      fetch.max.bytes: 1048576\n"
	                            "    producer:\n"
	                            "      compression.type: zstd\n"
	                            "      linger.ms: 20\n"
	                            "    start: latest\n"
	                            "    on_error: skip\n"
	                            "    isolation: read_uncommitted\n"
	                            "    replication.factor: 3\n"
	                            "    refresh.topics.interval: 30s\n"
	                            "    sync.topic.configs: no\n"
	                            "    sync.topic.configs.interval: 10m\n"
	                            "    config.properties.exclude: []\n"
	                            "    batch.records: 500\n"
	                            "    max.inflight.records: 5000\n"
	                            "    max.inflight.bytes: 128MiB\n"
	                            "    enabled: off\n"
	                            "  - name: back\n"
	                            "    source: west_2\n"
	                            "    target: east-1\n"
	                            "    policy: {plugin: prefix, separator: _}\n"
	                            "    on_error: dead-letter\n"
	                            "    dead_letter.topic: kmirror.dead-letter_1\n"
	                            "    groups: {include: ['app-.*'], exclude: []}\n"
	                            "    offset-syncs.topic.location: target\n"
	                            "    offset.lag.max: 0\n"
	                            "    emit.checkpoints: false\n");
	const char *const *items;

	assert_int_equal(conf->plugin_dir_cnt, 2);
	assert_string_equal(conf->plugin_dirs[0], "/opt/a");
	assert_string_equal(conf->plugin_dirs[1], "/opt/b");
	assert_string_equal(km_params_str(conf->params, "log_level"), "debug");

	const km_cluster_conf_t *e = km_config_cluster(conf, "east-1");
	assert_non_null(e);
	assert_int_equal(e->kafka.cnt, 5);
	assert_string_equal(e->kafka.kvs[3].key, "sasl.username");
	assert_string_equal(e->kafka.kvs[3].val, "mirror");
	assert_true(e->kafka.kvs[3].secret); /* came from ${env:} */
	assert_string_equal(e->kafka.kvs[4].key, "sasl.password");
	assert_string_equal(e->kafka.kvs[4].val, SECRET);
	assert_true(e->kafka.kvs[4].secret);
	assert_false(e->kafka.kvs[1].secret);
	const km_cluster_conf_t *w = km_config_cluster(conf, "west_2");
	assert_string_equal(w->kafka.kvs[1].key, "ssl.key.password");
	assert_true(w->kafka.kvs[1].secret); /* a sensitive key */

	const km_flow_conf_t *f = &conf->flows[0];
	assert_string_equal(f->name, "east.to-west_1");
	assert_ptr_equal(f->source, e);
	assert_ptr_equal(f->target, w);
	assert_string_equal(f->topics.plugin, "topic_regex");
	assert_ptr_equal(f->topics.node, km_node_get(f->node, "topics"));
	assert_string_equal(f->policy.plugin, "identity");
	assert_null(f->policy.node);
	assert_ptr_equal(f->policy.where, km_node_get(f->node, "policy"));
	assert_int_equal(f->pipeline_cnt, 2);
	assert_string_equal(f->pipeline[0].plugin, "lua");
	assert_string_equal(f->pipeline[0].path, "flows[0].pipeline[0]");
	assert_string_equal(km_node_get(f->pipeline[0].node, "script")->scalar,
	                    "/etc/kmirror/x.lua");
	assert_string_equal(f->pipeline[1].plugin, "headers_drop");
	assert_null(f->pipeline[1].node);
	assert_string_equal(f->pipeline[1].path, "flows[0].pipeline[1]");
	assert_int_equal(f->consumer.cnt, 1);
	assert_string_equal(f->consumer.kvs[0].key, "fetch.max.bytes");
	assert_int_equal(f->producer.cnt, 2);
	assert_string_equal(f->producer.kvs[1].val, "20");

	assert_string_equal(km_params_str(f->params, "start"), "latest");
	assert_string_equal(km_params_str(f->params, "on_error"), "skip");
	assert_string_equal(km_params_str(f->params, "isolation"), "read_uncommitted");
	assert_int_equal(km_params_int(f->params, "replication.factor"), 3);
	assert_int_equal(km_params_int(f->params, "refresh.topics.interval"), 30000);
	assert_int_equal(km_params_bool(f->params, "sync.topic.configs"), 0);
	assert_int_equal(km_params_int(f->params, "sync.topic.configs.interval"), 600000);
	assert_int_equal(km_params_list(f->params, "config.properties.exclude", &items), 0);
	assert_true(km_params_isset(f->params, "config.properties.exclude"));
	/* MM2's spelling is config_regex's exclude, named as written */
	assert_string_equal(f->configs.plugin, "config_regex");
	assert_string_equal(f->configs.key_prefix, "config.properties");
	assert_int_equal(f->configs.node->cnt, 1);
	assert_string_equal(f->configs.node->keys[0]->scalar, "exclude");
	assert_int_equal(f->configs.node->keys[0]->line, 37);
	assert_int_equal(f->configs.node->keys[0]->col, 5);
	assert_ptr_equal(f->configs.node->vals[0],
	                 km_node_get(f->node, "config.properties.exclude"));
	assert_int_equal(km_params_int(f->params, "batch.records"), 500);
	assert_int_equal(km_params_int(f->params, "max.inflight.records"), 5000);
	assert_int_equal(km_params_int(f->params, "max.inflight.bytes"), 128 * 1024 * 1024);
	assert_int_equal(km_params_bool(f->params, "enabled"), 0);

	f = &conf->flows[1];
	assert_string_equal(f->policy.plugin, "prefix");
	assert_ptr_equal(f->policy.node, km_node_get(f->node, "policy"));
	assert_string_equal(f->policy.where->scalar, "prefix");
	assert_string_equal(f->policy.path, "flows[1].policy");
	assert_string_equal(km_params_str(f->params, "on_error"), "dead-letter");
	assert_string_equal(km_params_str(f->params, "dead_letter.topic"), "kmirror.dead-letter_1");
	assert_string_equal(f->groups.plugin, "group_regex");
	assert_ptr_equal(f->groups.node, km_node_get(f->node, "groups"));
	assert_string_equal(km_node_get(f->groups.node, "include")->vals[0]->scalar, "app-.*");
	assert_string_equal(km_params_str(f->params, "offset-syncs.topic.location"), "target");
	assert_int_equal(km_params_int(f->params, "offset.lag.max"), 0);
	/* without checkpoints, the default sync.group.offsets: true is no error */
	assert_int_equal(km_params_bool(f->params, "emit.checkpoints"), 0);
	km_config_destroy(conf);
}

/* A real file, with a secret read from a file next to it. */
static void test_load_file(void **state) {
	char dir[] = "/tmp/km_test_config_XXXXXX";
	char path[128], spath[128], err[512] = "";
	assert_non_null(mkdtemp(dir));
	snprintf(spath, sizeof(spath), "%s/pw", dir);
	snprintf(path, sizeof(path), "%s/kmirror.yaml", dir);
	FILE *fp = fopen(spath, "w");
	fputs(SECRET "\n", fp);
	fclose(fp);
	fp = fopen(path, "w");
	fputs("clusters:\n"
	      "  a: {kafka: {bootstrap.servers: 'x:1', sasl.password: '${file:pw}'}}\n"
	      "  b: {kafka: {bootstrap.servers: 'y:1'}}\n"
	      "flows:\n"
	      "  - {name: f, source: a, target: b}\n",
	      fp);
	fclose(fp);

	km_config_t *conf = km_config_load(path, err, sizeof(err));
	if (!conf)
		fail_msg("%s", err);
	assert_string_equal(conf->path, path);
	assert_string_equal(conf->clusters[0].kafka.kvs[1].val, SECRET);
	assert_true(conf->clusters[0].kafka.kvs[1].secret);
	km_config_destroy(conf);

	/* and errors name the real file */
	fp = fopen(path, "w");
	fputs("clusters:\n  a: {kafka: {bootstrap.servers: 'x:1', group.id: g}}\n", fp);
	fclose(fp);
	assert_null(km_config_load(path, err, sizeof(err)));
	char *want = NULL;
	assert_true(asprintf(&want,
	                     "%s:2:41: key 'group.id' cannot be set: kmirror names its own "
	                     "clients' groups",
	                     path) > 0);
	assert_string_equal(err, want);
	free(want);

	assert_null(km_config_load("/nonexistent/kmirror.yaml", err, sizeof(err)));
	assert_string_equal(err,
	                    "/nonexistent/kmirror.yaml: cannot be read: No such file or directory");
	unlink(spath);
	unlink(path);
	rmdir(dir);
}

static void test_sensitive_keys(void **state) {
	km_config_t *conf = load_ok("clusters:\n"
	                            "  a:\n"
	                            "    kafka:\n"
	                            "      bootstrap.servers: x:1\n"
	                            "      sasl.password: sss\n"
	                            "      ssl.keystore.password: sss\n"
	                            "      ssl.key.pem: sss\n"
	                            "      sasl.oauthbearer.config: sss\n"
	                            "      client.id: c\n"
	                            "  b: {kafka: {bootstrap.servers: 'y:1'}}\n"
	                            "flows: [{name: f, source: a, target: b}]\n");
	const km_kvlist_t *kv = &conf->clusters[0].kafka;
	assert_int_equal(kv->cnt, 6);
	assert_false(kv->kvs[0].secret);
	for (size_t i = 1; i < 5; i++)
		assert_true(kv->kvs[i].secret);
	assert_false(kv->kvs[5].secret);
	km_config_destroy(conf);
}

int main(void) {
	static const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_minimal_defaults), cmocka_unit_test(test_rest_accepted),
	    cmocka_unit_test(test_provenance_ok),    cmocka_unit_test(test_full_config),
	    cmocka_unit_test(test_load_file),        cmocka_unit_test(test_sensitive_keys),
	};
	size_t nbad = sizeof(bad_cases) / sizeof(bad_cases[0]);
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *tests = calloc(nbad + nfixed, sizeof(*tests));
	char **names = calloc(nbad, sizeof(*names));

	setenv("KM_T_SECRET", SECRET, 1);
	setenv("KM_T_SECRET_NUM", "-98765", 1);
	unsetenv("KM_T_UNSET");
	for (size_t i = 0; i < nfixed; i++)
		tests[i] = fixed[i];
	for (size_t i = 0; i < nbad; i++) {
		if (asprintf(&names[i], "refused_%s", bad_cases[i].name) < 0)
			return 1;
		tests[nfixed + i] = (struct CMUnitTest){
		    .name = names[i],
		    .test_func = run_bad_case,
		    .initial_state = (void *)&bad_cases[i],
		};
	}
	int ret = _cmocka_run_group_tests("config", tests, nbad + nfixed, NULL, NULL);
	for (size_t i = 0; i < nbad; i++)
		free(names[i]);
	free(names);
	free(tests);
	return ret;
}
