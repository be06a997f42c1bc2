/* The parts of test_tls, one program on one bed started with --sasl
 * --mtls: test_tls.c (SASL_SSL) and test_tls_mtls.c (mutual TLS,
 * certificates refused, secrets). */
#ifndef KTEST_TLS_H
#define KTEST_TLS_H

#include <stddef.h>

#include "ktest.h"

/* Appends to @p buf (a `clusters:` section, "" to start one) cluster
 * @p alias: test-bed cluster @p bed (a or b) over its @p listener ("sasl",
 * "mtls": KM_TESTBED_<bed>_<listener>), then @p props (more librdkafka
 * properties, YAML lines indented 6). */
void tls_add_cluster(char *buf, size_t size, const char *alias, const char *bed,
                     const char *listener, const char *props);
/* The same over the SASL_SSL listener, as
 * @p user with @p password (YAML text: a ${...} reference works), trusting
 * the bed's CA. */
void tls_add_sasl_cluster(char *buf, size_t size, const char *alias, const char *bed,
                          const char *user, const char *password);

/* Starts @p d (configured), waits until flow @p topic copied its @p n
 * records of @p partitions partitions (@p admin: a client of the source),
 * stops it; nothing in the log complains about TLS, SASL or a cluster, and
 * @p mirror is an exact copy. */
void tls_assert_clean_copy(ktest_daemon_t *d, rd_kafka_t *admin, const char *topic,
                           const char *mirror, int partitions, int n);

void test_mtls_exact_copy(void **state);
void test_certificates_refused(void **state);
void test_secrets_never_shown(void **state);

#endif
