/* /metrics: the flows' status snapshots in Prometheus' text format
 * (version 0.0.4). Each flow is visited once, under its lock, and its
 * samples go into one buffer per metric family, so that the output groups
 * every family's samples under one HELP and TYPE line, as the format asks.
 * Nothing here reads the data path: only the published snapshots and the
 * plugins' atomic counters. Every metric: docs/metrics.md.
 * @locality any thread (the REST thread) */
#ifndef KM_METRICS_H
#define KM_METRICS_H

#include <stdio.h>

#include "status.h"

typedef struct km_metrics km_metrics_t;

/* A scrape being built; NULL when out of memory. */
km_metrics_t *km_metrics_new(void);
/* Adds flow @p s (borrowed: read now, under the flow's lock). */
void km_metrics_flow(km_metrics_t *m, const km_flow_status_t *s);
/* Writes the scrape to @p out and frees @p m. 0, or -1 when a buffer ran
 * out of memory (the output is then incomplete). */
int km_metrics_finish(km_metrics_t *m, FILE *out);

/* The content type of the text format. */
#define KM_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
