/* Runs of acknowledged records, exact translation, and when offset syncs go
 * out (see xlate.h). */
#include "config.h"

#include <string.h>

#include "xlate.h"

void km_xlate_init(km_xlate_t *x) {
	memset(x, 0, sizeof(*x));
	km_mm2_syncs_init(&x->syncs);
	x->last_sync_down = x->delayed_up = x->delayed_down = x->max_down = -1;
}

static km_xrun_t *nth(km_xlate_t *x, uint32_t i) {
	return &x->run[(x->first + i) % KM_XLATE_RUNS];
}

static const km_xrun_t *cnth(const km_xlate_t *x, uint32_t i) {
	return &x->run[(x->first + i) % KM_XLATE_RUNS];
}

void km_xlate_rewind(km_xlate_t *x, int64_t up) {
	while (x->cnt && nth(x, x->cnt - 1)->up >= up)
		x->cnt--;
	if (x->cnt) {
		km_xrun_t *r = nth(x, x->cnt - 1);
		if (r->up + r->len > up) /* up is inside it */
			r->len = up - r->up;
	}
}

static void new_run(km_xlate_t *x, int64_t up, int64_t down) {
	if (x->cnt == KM_XLATE_RUNS) {
		x->first = (x->first + 1) % KM_XLATE_RUNS;
		x->cnt--;
		x->runs_dropped++;
	}
	*nth(x, x->cnt++) = (km_xrun_t){up, down, 1};
}

int km_xlate_add(km_xlate_t *x, int64_t up, int64_t down, int64_t last_down, int64_t lag_max) {
	km_xrun_t *r = x->cnt ? nth(x, x->cnt - 1) : NULL;
	int started = 1;

	if (r && up < r->up + r->len) { /* copied again from stored progress */
		km_xlate_rewind(x, up);
		r = x->cnt ? nth(x, x->cnt - 1) : NULL;
	}
	if (r && down <= r->down + r->len - 1) { /* the target partition went backwards */
		x->cnt = 0;
		x->max_down = -1;
		r = NULL;
	}
	if (r && up == r->up + r->len && down == r->down + r->len) {
		r->len++;
		started = 0;
	} else {
		new_run(x, up, down);
	}
	if (last_down > x->max_down)
		x->max_down = last_down;
	x->delayed_up = up;
	x->delayed_down = down;
	return started || x->last_sync_down < 0 || down - (x->last_sync_down + 1) >= lag_max;
}

void km_xlate_synced(km_xlate_t *x, int64_t up, int64_t down) {
	x->last_sync_down = down;
	if (x->delayed_up == up)
		x->delayed_up = x->delayed_down = -1;
	km_mm2_syncs_add(&x->syncs, up, down, 0);
}

int km_xlate_take_delayed(km_xlate_t *x, int64_t *up, int64_t *down) {
	if (x->delayed_up < 0)
		return 0;
	*up = x->delayed_up;
	*down = x->delayed_down;
	return 1;
}

km_err_t km_xlate_translate(const km_xlate_t *x, int64_t g, int64_t processed, int64_t *down,
                            int *exact) {
	uint32_t i = x->cnt;

	while (i && cnth(x, i - 1)->up > g)
		i--;
	if (i) {
		const km_xrun_t *r = cnth(x, i - 1);
		*exact = 1;
		if (g < r->up + r->len) {
			*down = r->down + (g - r->up);
		} else if (i < x->cnt) { /* nothing of the gap reached the target */
			*down = cnth(x, i)->down;
		} else { /* after the newest run: exact when copied up to g */
			*down = x->max_down + 1;
			*exact = g <= processed;
		}
		return KM_OK;
	}
	if (km_mm2_syncs_translate(&x->syncs, g, down) != KM_OK || *down < 0)
		return KM_ERR_NOENT;
	*exact = 0;
	return KM_OK;
}
