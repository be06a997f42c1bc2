/**
 * @file kmirror/err.h
 * @brief kmirror's error codes, shared by the core and plugins.
 *
 * One enum: 0 is success, negative values are kmirror's own local errors,
 * positive values are Apache Kafka's protocol error codes passed through
 * unchanged (for example 10 is MESSAGE_TOO_LARGE).
 */
#ifndef KMIRROR_ERR_H
#define KMIRROR_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum km_err {
	KM_OK = 0,
	KM_ERR_FAIL = -1,    /**< unspecified failure; the errstr says more */
	KM_ERR_NOMEM = -2,   /**< out of memory, or a configured bound reached */
	KM_ERR_INVALID = -3, /**< invalid argument or configuration value */
	KM_ERR_NOENT = -4,   /**< no such thing (file, plugin, topic, key) */
	KM_ERR_EXISTS = -5,  /**< already exists (duplicate plugin, flow) */
	KM_ERR_ABI = -6,     /**< plugin built against another ABI major */
	KM_ERR_IO = -7,      /**< I/O error on a local file or socket */
	KM_ERR_TIMEOUT = -8, /**< a wait ran out of time */
	KM_ERR_STATE = -9,   /**< not allowed in the current state */
	KM_ERR_KAFKA = -10,  /**< a local librdkafka error; details in the errstr */
	KM_ERR_STAGE = -11,  /**< a record stage failed the record; its message says why */
	KM_ERR__END = -12    /**< first unused local code */
} km_err_t;

/**
 * @brief A short, constant, human-readable description of @p err; for a
 *        Kafka code, librdkafka's ("Broker: Message size too large").
 *
 * @param[in] err any km_err_t value, including Kafka error codes (> 0).
 * @returns a static string; never NULL.
 */
const char *km_err2str(km_err_t err);

/**
 * @brief The symbolic name of @p err ("KM_ERR_INVALID", "KAFKA_MSG_SIZE_TOO_LARGE";
 *        "KAFKA_<code>" for a Kafka code the installed librdkafka does not know).
 * @returns a static string for local codes; for Kafka codes a string in a
 *          thread-local buffer, valid until the next call on that thread.
 */
const char *km_err2name(km_err_t err);

#ifdef __cplusplus
}
#endif
#endif /* KMIRROR_ERR_H */
