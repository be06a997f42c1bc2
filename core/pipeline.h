/* Batches and the pipeline of record stages they pass through.
 *
 * A km_batchbuf_t is reused from batch to batch by one flow thread: its
 * record array and arena blocks are kept, so steady state allocates nothing.
 * @locality the flow's data thread */
#ifndef KM_PIPELINE_H
#define KM_PIPELINE_H

#include "kmirror/plugin.h"
#include "plugin_host.h"

typedef struct km_arena_block {
	struct km_arena_block *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
} km_arena_block_t;

typedef struct km_batchbuf {
	km_batch_t pub;      /* what stages see; must stay first */
	size_t cap;          /* records allocated */
	uint16_t *failed_by; /* per record: 1 + the stage that marked it
	                        KM_RECORD_F_ERROR, 0: none (km_pipeline_run) */
	size_t max_records;
	km_arena_block_t *blocks; /* current block first */
	size_t arena_bytes;       /* allocated in all blocks */
	size_t arena_max;
} km_batchbuf_t;

/* @p cap records to start with; at most @p max_records and @p arena_max
 * arena bytes (the flow's memory bound for what stages add). KM_ERR_NOMEM
 * when out of memory. */
km_err_t km_batchbuf_init(km_batchbuf_t *bb, size_t cap, size_t max_records, size_t arena_max);
/* Empties the batch for the next one, keeping its memory. */
void km_batchbuf_reset(km_batchbuf_t *bb);
void km_batchbuf_free(km_batchbuf_t *bb);

/* The host API's arena_alloc and batch_add. */
void *km_batch_arena_alloc(km_batch_t *batch, size_t size);
km_record_t *km_batch_add(km_batch_t *batch, const km_record_t *from);

typedef struct km_pipeline {
	km_instance_t **stages;
	size_t cnt;
} km_pipeline_t;

/* Runs the stages from @p first on over @p batch, in order, and notes
 * which stage marked each failed record (km_pipeline_failed_by). On
 * KM_STAGE_ERROR, *@p failed is the stage that failed the whole batch and
 * @p msg its reason ("(no reason given)" when it gave none). */
km_stage_action_t km_pipeline_run(const km_pipeline_t *pl, size_t first, km_batch_t *batch,
                                  size_t *failed, char *msg, size_t msg_size);
/* Stage @p idx's timer: its tick() fills the empty @p batch, which then
 * passes the stages after it; on KM_STAGE_ERROR as km_pipeline_run. */
km_stage_action_t km_pipeline_tick(const km_pipeline_t *pl, size_t idx, km_batch_t *batch,
                                   int64_t now_ms, size_t *failed, char *msg, size_t msg_size);
/* The stage that marked record @p i of the batch KM_RECORD_F_ERROR, or
 * NULL. */
static inline km_instance_t *km_pipeline_failed_by(const km_pipeline_t *pl, const km_batch_t *batch,
                                                   size_t i) {
	uint16_t by = ((const km_batchbuf_t *)batch)->failed_by[i];

	return by ? pl->stages[by - 1] : NULL;
}

#endif
