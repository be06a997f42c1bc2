/* The configuration check of kmirrord --check-config and kmirrorctl
 * validate: the file, the plugins it names (loaded, each instance made
 * with its parameters), and what the REST API needs of this build.
 * Nothing connects to Kafka. @locality main */
#ifndef KM_CHECK_H
#define KM_CHECK_H

#include <stddef.h>

#include "kmirror/err.h"

/* KM_OK with the counts of clusters and enabled flows, or an error with
 * "FILE:LINE:COL: ..." in errstr. */
km_err_t km_config_check(const char *path, size_t *clusters, size_t *flows, char *errstr,
                         size_t errstr_size);

#endif
