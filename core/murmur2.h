/* Kafka's default-partitioner hash: murmur2 exactly as the Java client's
 * org.apache.kafka.common.utils.Utils.murmur2(byte[]), and the partition it
 * picks for a key. This is the one implementation in kmirror: the host table
 * hands it to plugins, and the Lua stage uses it, so that every key lands on
 * the partition a Java producer would choose. */
#ifndef KM_MURMUR2_H
#define KM_MURMUR2_H

#include <stddef.h>
#include <stdint.h>

/**
 * @brief Kafka's murmur2 of a key: the value Java's Utils.murmur2() returns
 *        for the same bytes (seed 0x9747b28c, m 0x5bd1e995, r 24).
 *
 * @param[in] key  borrowed, read only during the call; may be NULL only when
 *                 @p len is 0 (hashed as the empty key)
 * @param[in] len  length of @p key in bytes
 *
 * @returns the hash as Java's signed int (negative values are common).
 *
 * @locality any thread; pure, allocates nothing.
 */
int32_t km_murmur2(const void *key, size_t len);

/**
 * @brief The partition Kafka's default partitioner picks for a non-null
 *        key: toPositive(murmur2(key)) % partition_cnt, where toPositive is
 *        h & 0x7fffffff (not abs()).
 *
 * A record without a key is not hashed by the Java producer (it sticks to a
 * partition per batch): the caller decides that case before calling. Passing
 * NULL with @p len 0 gives the empty key's partition, which is what
 * librdkafka's rd_kafka_msg_partitioner_murmur2() does with a NULL key.
 *
 * @param[in] key            borrowed; as for km_murmur2()
 * @param[in] len            length of @p key in bytes
 * @param[in] partition_cnt  the topic's number of partitions
 *
 * @returns a partition in [0, partition_cnt), or -1 when partition_cnt <= 0.
 *
 * @locality any thread; pure, allocates nothing.
 */
int32_t km_murmur2_partition(const void *key, size_t len, int32_t partition_cnt);

#endif /* KM_MURMUR2_H */
