/* Batches with an arena, and running record stages over them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

#define KM_ARENA_BLOCK 65536

km_err_t km_batchbuf_init(km_batchbuf_t *bb, size_t cap, size_t max_records, size_t arena_max) {
	memset(bb, 0, sizeof(*bb));
	if (!(bb->pub.records = calloc(cap, sizeof(km_record_t))) ||
	    !(bb->failed_by = calloc(cap, sizeof(*bb->failed_by)))) {
		free(bb->pub.records);
		return KM_ERR_NOMEM;
	}
	bb->pub.stride = sizeof(km_record_t);
	bb->cap = cap;
	bb->max_records = max_records < cap ? cap : max_records;
	bb->arena_max = arena_max;
	return KM_OK;
}

void km_batchbuf_reset(km_batchbuf_t *bb) {
	km_arena_block_t *b;

	bb->pub.cnt = 0;
	for (b = bb->blocks; b; b = b->next)
		b->used = 0;
}

void km_batchbuf_free(km_batchbuf_t *bb) {
	km_arena_block_t *b, *next;

	for (b = bb->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(bb->pub.records);
	free(bb->failed_by);
	memset(bb, 0, sizeof(*bb));
}

void *km_batch_arena_alloc(km_batch_t *batch, size_t size) {
	km_batchbuf_t *bb = (km_batchbuf_t *)batch;
	km_arena_block_t *b;
	size_t need = (size + 15) & ~(size_t)15, bsize;

	/* First fit among the kept blocks: they are few (bounded by arena_max). */
	for (b = bb->blocks; b; b = b->next) {
		if (b->size - b->used >= need) {
			void *p = b->data + b->used;
			b->used += need;
			return p;
		}
	}
	bsize = need > KM_ARENA_BLOCK ? need : KM_ARENA_BLOCK;
	if (bb->arena_bytes + bsize > bb->arena_max)
		return NULL;
	if (!(b = malloc(sizeof(*b) + bsize)))
		return NULL;
	b->size = bsize;
	b->used = need;
	b->next = bb->blocks;
	bb->blocks = b;
	bb->arena_bytes += bsize;
	return b->data;
}

km_record_t *km_batch_add(km_batch_t *batch, const km_record_t *from) {
	km_batchbuf_t *bb = (km_batchbuf_t *)batch;
	km_record_t *r, copy;
	const unsigned char *base = batch->records;

	/* a `from` that is not a record of this batch (a plugin's bug: a copy
	 * kept from an earlier batch) would carry a stale progress handle:
	 * the record gets no source instead */
	if (from && ((const unsigned char *)from < base ||
	             (const unsigned char *)from >= base + batch->cnt * batch->stride))
		from = NULL;
	if (from)
		copy = *from; /* the array may move */
	if (batch->cnt == bb->cap) {
		size_t ncap = bb->cap * 2;
		void *recs;
		if (ncap > bb->max_records)
			ncap = bb->max_records;
		if (ncap <= bb->cap)
			return NULL;
		if (!(recs = realloc(batch->records, ncap * sizeof(km_record_t))))
			return NULL;
		batch->records = recs;
		if (!(recs = realloc(bb->failed_by, ncap * sizeof(*bb->failed_by))))
			return NULL; /* the records' array is larger: cap stays, no harm */
		bb->failed_by = recs;
		bb->cap = ncap;
	}
	r = km_batch_record(batch, batch->cnt);
	bb->failed_by[batch->cnt] = 0;
	if (from) {
		*r = copy;
		r->flags = 0;
		r->error = NULL;
	} else {
		memset(r, 0, sizeof(*r));
		r->timestamp = -1;
		r->partition = -1;
		r->source_partition = -1;
		r->source_offset = -1;
	}
	batch->cnt++;
	return r;
}

km_stage_action_t km_pipeline_run(const km_pipeline_t *pl, size_t first, km_batch_t *batch,
                                  size_t *failed, char *msg, size_t msg_size) {
	km_batchbuf_t *bb = (km_batchbuf_t *)batch;

	for (size_t i = first; i < pl->cnt; i++) {
		km_instance_t *st = pl->stages[i];

		msg[0] = '\0';
		if (st->plugin->stage->process(st->data, batch, msg, msg_size) != KM_STAGE_OK) {
			*failed = i;
			if (!msg[0])
				snprintf(msg, msg_size, "(no reason given)");
			return KM_STAGE_ERROR;
		}
		/* who marked a record failed: the first stage that did */
		for (size_t r = 0; r < batch->cnt; r++)
			if (!bb->failed_by[r] &&
			    (km_batch_record(batch, r)->flags & KM_RECORD_F_ERROR))
				bb->failed_by[r] = (uint16_t)(i + 1);
	}
	return KM_STAGE_OK;
}

km_stage_action_t km_pipeline_tick(const km_pipeline_t *pl, size_t idx, km_batch_t *batch,
                                   int64_t now_ms, size_t *failed, char *msg, size_t msg_size) {
	km_instance_t *st = pl->stages[idx];

	msg[0] = '\0';
	if (st->plugin->stage->tick(st->data, batch, now_ms, msg, msg_size) != KM_STAGE_OK) {
		*failed = idx;
		if (!msg[0])
			snprintf(msg, msg_size, "(no reason given)");
		return KM_STAGE_ERROR;
	}
	return batch->cnt ? km_pipeline_run(pl, idx + 1, batch, failed, msg, msg_size)
	                  : KM_STAGE_OK;
}
