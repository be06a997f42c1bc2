/* Kafka's murmur2 and default partitioner (see murmur2.h). */
#include "config.h"

#include "murmur2.h"

/* Java computes in a signed int whose overflow wraps; uint32_t wraps the
 * same way without undefined behaviour, and Java's '>>>' is our '>>'. */
static uint32_t murmur2_u32(const void *key, size_t len) {
	const uint32_t m = 0x5bd1e995u;
	const int r = 24;
	const unsigned char *p = key;
	/* Java's length is an int: a key of 2 GiB or more cannot exist there. */
	uint32_t h = 0x9747b28cu ^ (uint32_t)len;
	size_t i;

	/* Little-endian words read byte by byte: any alignment, any host. */
	for (i = 0; len - i >= 4; i += 4) {
		uint32_t k = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
		             (uint32_t)p[i + 3] << 24;

		k *= m;
		k ^= k >> r;
		k *= m;
		h *= m;
		h ^= k;
	}

	/* Unsigned bytes, like Java's data[i] & 0xff: a byte >= 0x80 must not
	 * sign-extend into the upper bits. */
	switch (len & 3) {
	case 3:
		h ^= (uint32_t)p[i + 2] << 16;
		/* fall through */
	case 2:
		h ^= (uint32_t)p[i + 1] << 8;
		/* fall through */
	case 1:
		h ^= (uint32_t)p[i];
		h *= m;
	}

	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return h;
}

int32_t km_murmur2(const void *key, size_t len) {
	uint32_t h = murmur2_u32(key, len);

	/* Java's int from the same 32 bits, without C's implementation-defined
	 * conversion of an out-of-range unsigned value. */
	if (h & 0x80000000u)
		return -(int32_t)~h - 1;
	return (int32_t)h;
}

int32_t km_murmur2_partition(const void *key, size_t len, int32_t partition_cnt) {
	if (partition_cnt <= 0)
		return -1;
	return (int32_t)((murmur2_u32(key, len) & 0x7fffffffu) % (uint32_t)partition_cnt);
}
