/*
 * kmirror's interoperability probe: MirrorMaker 2's own Java client code
 * (connect-mirror-client, the connect-mirror formatters, kafka-clients)
 * reading what kmirror wrote, and consumer groups driven from Java, for the
 * real-Kafka tests. Run it through tests/interop/run, which compiles it
 * against the MM2 jars of the test bed; see tests/interop/README.md.
 *
 * Every subcommand prints plain text on stdout, sorted or in offset order so
 * that a test can compare it literally; diagnostics go to stderr. Exit
 * status: 0 done, 1 failed, 2 bad usage.
 */

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.MessageFormatter;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.mirror.MirrorClient;
import org.apache.kafka.connect.mirror.RemoteClusterUtils;
import org.apache.kafka.connect.mirror.formatters.CheckpointFormatter;
import org.apache.kafka.connect.mirror.formatters.HeartbeatFormatter;
import org.apache.kafka.connect.mirror.formatters.OffsetSyncFormatter;

public final class MirrorInterop {
    /* How long one subcommand may wait on Kafka before it gives up. */
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(200);

    private static final String USAGE = String.join("\n",
            "usage: MirrorInterop [-p KEY=VALUE]... SUBCOMMAND ARGS...",
            "  translate BOOTSTRAP REMOTE_ALIAS GROUP",
            "  hops BOOTSTRAP ALIAS",
            "  upstream BOOTSTRAP",
            "  format BOOTSTRAP TOPIC offset-sync|checkpoint|heartbeat",
            "  consume BOOTSTRAP TOPIC GROUP COUNT classic|consumer",
            "  hold BOOTSTRAP TOPIC GROUP classic|consumer",
            "-p adds a client property to every client the tool makes.");

    /* Thrown for a command line this tool does not understand. */
    private static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String msg) {
            super(msg);
        }
    }

    /* stdout as UTF-8 whatever the locale: Java 17 would follow LANG. */
    private static final PrintStream OUT =
            new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);

    private final Map<String, Object> extra = new HashMap<>();

    public static void main(String[] args) {
        int rc;
        try {
            rc = new MirrorInterop().run(args);
        } catch (UsageException e) {
            System.err.println("MirrorInterop: " + e.getMessage());
            System.err.println(USAGE);
            rc = 2;
        } catch (Exception e) {
            System.err.println("MirrorInterop: " + String.join(" ", args) + ": " + e);
            for (Throwable c = e.getCause(); c != null; c = c.getCause())
                System.err.println("  caused by: " + c);
            rc = 1;
        }
        OUT.flush();
        /* Client threads that linger must not keep the JVM alive. */
        System.exit(rc);
    }

    private int run(String[] args) throws Exception {
        int i = 0;
        while (i < args.length && args[i].equals("-p")) {
            if (i + 1 >= args.length)
                throw new UsageException("-p needs KEY=VALUE");
            String kv = args[i + 1];
            int eq = kv.indexOf('=');
            if (eq <= 0)
                throw new UsageException("-p '" + kv + "': expected KEY=VALUE");
            extra.put(kv.substring(0, eq), kv.substring(eq + 1));
            i += 2;
        }
        if (i >= args.length)
            throw new UsageException("no subcommand");
        String cmd = args[i];
        List<String> a = List.of(args).subList(i + 1, args.length);
        switch (cmd) {
        case "translate":
            need(cmd, a, 3);
            return translate(a.get(0), a.get(1), a.get(2));
        case "hops":
            need(cmd, a, 2);
            return hops(a.get(0), a.get(1));
        case "upstream":
            need(cmd, a, 1);
            return upstream(a.get(0));
        case "format":
            need(cmd, a, 3);
            return format(a.get(0), a.get(1), formatter(a.get(2)));
        case "consume":
            need(cmd, a, 5);
            return consume(a.get(0), a.get(1), a.get(2), count(a.get(3)), protocol(a.get(4)));
        case "hold":
            need(cmd, a, 4);
            return hold(a.get(0), a.get(1), a.get(2), protocol(a.get(3)));
        default:
            throw new UsageException("unknown subcommand '" + cmd + "'");
        }
    }

    private static void need(String cmd, List<String> a, int n) throws UsageException {
        if (a.size() != n)
            throw new UsageException(cmd + " takes " + n + " arguments, not " + a.size());
    }

    private static int count(String s) throws UsageException {
        try {
            int n = Integer.parseInt(s);
            if (n > 0)
                return n;
        } catch (NumberFormatException e) {
            /* reported below */
        }
        throw new UsageException("COUNT '" + s + "': expected a positive number");
    }

    private static String protocol(String s) throws UsageException {
        if (!s.equals("classic") && !s.equals("consumer"))
            throw new UsageException("PROTOCOL '" + s + "': expected classic or consumer");
        return s;
    }

    private static MessageFormatter formatter(String kind) throws UsageException {
        switch (kind) {
        case "offset-sync":
            return new OffsetSyncFormatter();
        case "checkpoint":
            return new CheckpointFormatter();
        case "heartbeat":
            return new HeartbeatFormatter();
        default:
            throw new UsageException("record kind '" + kind
                    + "': expected offset-sync, checkpoint or heartbeat");
        }
    }

    /* The properties of every client: the bootstrap, then the -p ones. */
    private Map<String, Object> props(String bootstrap) {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.putAll(extra);
        return p;
    }

    private Map<String, Object> consumerProps(String bootstrap) {
        Map<String, Object> p = props(bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putAll(extra);
        return p;
    }

    private int translate(String bootstrap, String remoteAlias, String group) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets =
                RemoteClusterUtils.translateOffsets(props(bootstrap), remoteAlias, group, DEADLINE);
        TreeSet<String> lines = new TreeSet<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet())
            lines.add(e.getKey().topic() + " " + e.getKey().partition() + " " + e.getValue().offset());
        lines.forEach(OUT::println);
        return 0;
    }

    private int hops(String bootstrap, String alias) throws Exception {
        try (MirrorClient client = new MirrorClient(props(bootstrap))) {
            OUT.println(client.replicationHops(alias));
        }
        return 0;
    }

    private int upstream(String bootstrap) throws Exception {
        try (MirrorClient client = new MirrorClient(props(bootstrap))) {
            new TreeSet<>(client.upstreamClusters()).forEach(OUT::println);
        }
        return 0;
    }

    /* Partition 0 of TOPIC from its start to its end, each record through
     * MM2's formatter, one line per record. */
    private int format(String bootstrap, String topic, MessageFormatter fmt) throws Exception {
        TopicPartition tp = new TopicPartition(topic, 0);
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps(bootstrap))) {
            consumer.assign(Collections.singletonList(tp));
            consumer.seekToBeginning(Collections.singletonList(tp));
            long end = consumer.endOffsets(Collections.singletonList(tp), DEADLINE).get(tp);
            while (consumer.position(tp, DEADLINE) < end) {
                if (System.nanoTime() > deadline)
                    throw new IllegalStateException(topic + " [0]: not at its end offset " + end
                            + " after " + DEADLINE.toSeconds() + " s (at "
                            + consumer.position(tp) + ")");
                for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(POLL).records(tp)) {
                    if (rec.offset() >= end)
                        continue;
                    ByteArrayOutputStream buf = new ByteArrayOutputStream();
                    try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
                        fmt.writeTo(rec, ps);
                    }
                    OUT.println(buf.toString(StandardCharsets.UTF_8).stripTrailing());
                }
            }
        } finally {
            fmt.close();
        }
        return 0;
    }

    private KafkaConsumer<byte[], byte[]> groupConsumer(String bootstrap, String group, String protocol) {
        Map<String, Object> p = consumerProps(bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        p.putAll(extra);
        return new KafkaConsumer<>(p);
    }

    /* Reads exactly COUNT records as GROUP and commits just past them; prints
     * them by partition, then offset. */
    private int consume(String bootstrap, String topic, String group, int count, String protocol) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(bootstrap, group, protocol)) {
            consumer.subscribe(Collections.singletonList(topic));
            while (got.size() < count) {
                if (System.nanoTime() > deadline)
                    throw new IllegalStateException("group " + group + " read " + got.size()
                            + " of " + count + " records of " + topic + " in "
                            + DEADLINE.toSeconds() + " s");
                ConsumerRecords<byte[], byte[]> recs = consumer.poll(POLL);
                for (ConsumerRecord<byte[], byte[]> rec : recs) {
                    if (got.size() == count)
                        break;
                    got.add(rec);
                    commit.put(new TopicPartition(rec.topic(), rec.partition()),
                            new OffsetAndMetadata(rec.offset() + 1));
                }
            }
            consumer.commitSync(commit, DEADLINE);
        }
        /* partitions interleave as fetches come: sorted, the answer is stable */
        got.sort(Comparator.<ConsumerRecord<byte[], byte[]>>comparingInt(ConsumerRecord::partition)
                .thenComparingLong(ConsumerRecord::offset));
        for (ConsumerRecord<byte[], byte[]> rec : got) {
            String key = rec.key() == null ? "" : new String(rec.key(), StandardCharsets.UTF_8);
            OUT.println(rec.partition() + " " + rec.offset() + " " + key);
        }
        return 0;
    }

    /* A member of GROUP until stdin ends: says "ready" once it has an
     * assignment, then polls on, committing nothing. */
    private int hold(String bootstrap, String topic, String group, String protocol) throws Exception {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        AtomicBoolean eof = new AtomicBoolean(false);
        try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(bootstrap, group, protocol)) {
            Thread stdin = new Thread(() -> {
                byte[] buf = new byte[256];
                try {
                    while (System.in.read(buf) >= 0) {
                        /* anything before EOF is ignored */
                    }
                } catch (IOException e) {
                    /* a broken stdin ends the hold as EOF does */
                }
                eof.set(true);
                consumer.wakeup();
            }, "stdin");
            stdin.setDaemon(true);
            stdin.start();
            consumer.subscribe(Collections.singletonList(topic));
            boolean ready = false;
            while (!eof.get()) {
                try {
                    consumer.poll(POLL);
                } catch (WakeupException e) {
                    break;
                }
                if (!ready && !consumer.assignment().isEmpty()) {
                    OUT.println("ready");
                    OUT.flush();
                    ready = true;
                }
                if (!ready && System.nanoTime() > deadline)
                    throw new IllegalStateException("group " + group + " got no assignment of "
                            + topic + " in " + DEADLINE.toSeconds() + " s");
            }
        }
        return 0;
    }
}
