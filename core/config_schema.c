/* The schema of kmirrord's own options: the top level's and each flow's
 * (name, type, default, range, doc). The binder (params.c) checks the YAML
 * against it; the same table documents the options. */
#include "config.h"

#include <stdint.h>

#include "config_model.h"

#ifndef PLUGINSDIR
#define PLUGINSDIR "/usr/local/lib/kmirror/plugins"
#endif

/* clang-format off */
const km_param_t km_config_params[] = {
    {.name = "plugin_dirs", .type = KM_PARAM_LIST, .def = PLUGINSDIR,
     .doc = "Directories searched for plugins, in order"},
    {.name = "log_level", .type = KM_PARAM_ENUM, .def = "info",
     .choices = "err|warning|notice|info|debug",
     .doc = "The least severe messages logged"},
    {0},
};

const km_param_t km_rest_params[] = {
    {.name = "enabled", .type = KM_PARAM_BOOL, .def = "true",
     .doc = "Serve the REST API and /metrics"},
    {.name = "listen", .type = KM_PARAM_STRING, .def = "127.0.0.1:8085",
     .doc = "HOST:PORT of the REST API: an IPv4 address, [IPv6] or localhost; port 0 takes "
            "any free port (the log says which)"},
    {.name = "token", .type = KM_PARAM_STRING, .flags = KM_PARAM_F_SENSITIVE,
     .doc = "The bearer token that commands (POST) need; with ${file:PATH} or ${env:NAME}"},
    {.name = "tls.cert", .type = KM_PARAM_PATH,
     .doc = "PEM certificate (chain) file: the REST API then speaks HTTPS"},
    {.name = "tls.key", .type = KM_PARAM_PATH, .doc = "PEM private key file of tls.cert"},
    {0},
};

const km_param_t km_flow_params[] = {
    {.name = "start", .type = KM_PARAM_ENUM, .def = "earliest", .choices = "earliest|latest",
     .doc = "Where to start in a source partition with no stored progress"},
    {.name = "on_error", .type = KM_PARAM_ENUM, .def = "stop", .choices = "stop|skip|dead-letter",
     .doc = "What happens to a record the target refuses or a stage fails: stop its partition "
            "there, skip the record, or send it unchanged to dead_letter.topic"},
    {.name = "dead_letter.topic", .type = KM_PARAM_STRING,
     .doc = "The topic on the target that on_error: dead-letter sends failed records to, "
            "with headers that say why; created like a routed topic when missing"},
    {.name = "isolation", .type = KM_PARAM_ENUM, .def = "read_committed",
     .choices = "read_committed|read_uncommitted",
     .doc = "read_committed skips aborted transactional records; read_uncommitted copies "
            "everything"},
    {.name = "replication.factor", .type = KM_PARAM_INT, .def = "-1", .min = -1, .max = 10000,
     .doc = "Replication factor of topics created on the target; -1: the target broker's "
            "default"},
    {.name = "refresh.topics.interval", .type = KM_PARAM_DURATION, .def = "5s", .min = 100,
     .max = INT64_MAX, .doc = "How often the source's topics are listed to find new ones"},
    {.name = "refresh.target.interval", .type = KM_PARAM_DURATION, .def = "10m", .min = 1000,
     .max = INT64_MAX,
     .doc = "How often every topic of the target is listed again; in between, what kmirror "
            "created and what the producer reports is trusted"},
    {.name = "sync.topic.configs", .type = KM_PARAM_BOOL, .def = "true",
     .doc = "Copy topic configurations from the source to the target"},
    {.name = "sync.topic.configs.interval", .type = KM_PARAM_DURATION, .def = "60s",
     .min = 1000, .max = INT64_MAX, .doc = "How often topic configurations are copied"},
    {.name = "sync.topic.acls.enabled", .type = KM_PARAM_BOOL, .def = "true",
     .doc = "Copy the source's literal topic ACLs of the topics the flow copies to their "
            "mirror topics: ALLOW WRITE is dropped, ALLOW ALL becomes ALLOW READ; only adds"},
    {.name = "sync.topic.acls.interval", .type = KM_PARAM_DURATION, .def = "10m", .min = 1000,
     .max = INT64_MAX,
     .doc = "How often topic ACLs are copied (MirrorMaker 2: sync.topic.acls.interval.seconds)"},
    {.name = "emit.offset-syncs", .type = KM_PARAM_BOOL, .def = "true",
     .doc = "Write offset syncs (MirrorMaker 2's format) for the records copied"},
    {.name = "offset-syncs.topic.location", .type = KM_PARAM_ENUM, .def = "source",
     .choices = "source|target",
     .doc = "The cluster of the offset-syncs topic: mm2-offset-syncs.TARGET.internal on the "
            "source, or mm2-offset-syncs.SOURCE.internal on the target"},
    {.name = "offset.lag.max", .type = KM_PARAM_INT, .def = "100", .min = 0,
     .max = 1000000000,
     .doc = "An offset sync goes out at once when the target offset moved this many "
            "records past the last one"},
    {.name = "offset-syncs.flush.interval", .type = KM_PARAM_DURATION, .def = "10s",
     .min = 100, .max = 3600000,
     .doc = "How often each partition's newest offset sync not yet written goes out, so "
            "that idle partitions translate to their end"},
    {.name = "emit.checkpoints", .type = KM_PARAM_BOOL, .def = "true",
     .doc = "Write checkpoints (MirrorMaker 2's format) of the source's consumer groups "
            "to SOURCE.checkpoints.internal on the target"},
    {.name = "emit.checkpoints.interval", .type = KM_PARAM_DURATION, .def = "60s",
     .min = 1000, .max = INT64_MAX, .doc = "How often the groups' offsets are checkpointed"},
    {.name = "sync.group.offsets", .type = KM_PARAM_BOOL, .def = "true",
     .doc = "Commit the checkpointed offsets of groups that are empty or absent on the "
            "target, never moving a group backwards"},
    {.name = "sync.group.offsets.interval", .type = KM_PARAM_DURATION, .def = "60s",
     .min = 1000, .max = INT64_MAX, .doc = "How often group offsets are committed on the target"},
    {.name = "config.properties.exclude", .type = KM_PARAM_LIST,
     .doc = "MirrorMaker 2's spelling of config.properties: {exclude: [...]}: regular "
            "expressions of topic configurations not copied (the config_regex plugin's "
            "exclude; its default when neither is given)"},
    {.name = "batch.records", .type = KM_PARAM_INT, .def = "1000", .min = 1, .max = 100000,
     .doc = "Records per batch through the pipeline"},
    {.name = "max.inflight.records", .type = KM_PARAM_INT, .def = "100000", .min = 1,
     .max = 10000000,
     .doc = "Records consumed but not yet acknowledged by the target: the bound on "
            "duplicates after a crash, and the back-pressure point"},
    {.name = "max.inflight.bytes", .type = KM_PARAM_SIZE, .def = "64MB", .min = 1024 * 1024,
     .max = INT64_MAX, .doc = "Bytes consumed but not yet acknowledged by the target"},
    {.name = "producer.connections", .type = KM_PARAM_INT, .def = "4", .min = 1, .max = 16,
     .doc = "Producer connections to the target, each owning a fixed share of the "
            "partitions: more keep a long link busy"},
    {.name = "one.batch.per.partition", .type = KM_PARAM_BOOL, .def = "false",
     .doc = "A partition hands the target one batch at a time and waits for its "
            "acknowledgement: saves the CPU librdkafka spins on long links, costs "
            "throughput on short ones"},
    {.name = "enabled", .type = KM_PARAM_BOOL, .def = "true",
     .doc = "false keeps the flow in the config without running it"},
    /* MirrorMaker 2's heartbeats and internal topics (task_heartbeats.c,
     * internal_topics.c) */
    {.name = "emit.heartbeats", .type = KM_PARAM_BOOL, .def = "true",
     .doc = "Write a heartbeat every emit.heartbeats.interval into the target's heartbeats "
            "topic, and one into the source's, as MirrorMaker 2 does"},
    {.name = "emit.heartbeats.interval", .type = KM_PARAM_DURATION, .def = "1s", .min = 100,
     .max = 3600000, .doc = "How often heartbeats are written"},
    {.name = "heartbeats.replication.enabled", .type = KM_PARAM_BOOL, .def = "true",
     .doc = "Copy heartbeats topics (heartbeats, a.heartbeats, ...) whatever the topic filter "
            "says; false leaves them to the filter"},
    {.name = "internal.topics.replication.factor", .type = KM_PARAM_INT, .def = "-1",
     .min = -1, .max = 10000,
     .doc = "Replication factor of the heartbeats, checkpoints and offset-syncs topics kmirror "
            "creates; -1: the broker's default"},
    /* provenance headers (provenance.h, copy.c, task_clusters.c) */
    {.name = "provenance", .type = KM_PARAM_BOOL, .def = "true",
     .doc = "Add the source cluster's id to a header of every record copied, and drop records "
            "whose header holds the target's id: flows a->b and b->a never copy a record back"},
    {.name = "provenance.header", .type = KM_PARAM_STRING, .def = "kmirror.provenance",
     .doc = "The name of the provenance header; every flow of a topology must use the same"},
    {0},
};

/* clang-format on */
