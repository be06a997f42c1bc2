/* The config check of provenance headers across flows: a pair of flows
 * a->b and b->a with the identity policy copies every record back and
 * forth for ever unless both carry and read the same provenance header
 * (docs/active-active.md). Refused with the position of the key that
 * breaks it, why, and what to do. */
#include "config.h"

#include <string.h>

#include "config_model.h"

static int identity(const km_flow_conf_t *f) {
	return f->policy.plugin && !strcmp(f->policy.plugin, "identity");
}

/* The flow copying back what @p f copies (target -> source), or NULL. */
static const km_flow_conf_t *reverse_of(const km_config_t *conf, const km_flow_conf_t *f,
                                        size_t *idx) {
	for (size_t i = 0; i < conf->flow_cnt; i++) {
		const km_flow_conf_t *g = &conf->flows[i];
		if (g != f && g->source == f->target && g->target == f->source) {
			*idx = i;
			return g;
		}
	}
	return NULL;
}

static km_err_t check_flow(const km_config_t *conf, size_t i, char *errstr, size_t errstr_size) {
	const km_flow_conf_t *f = &conf->flows[i], *g;
	const char *name = km_params_str(f->params, "provenance.header");
	size_t j;

	if (!name || !*name) {
		km_node_err(errstr, errstr_size, km_params_node(f->params, "provenance.header"),
		            "key 'provenance.header' is empty; name the header (the default is "
		            "%s), the same on every flow",
		            "kmirror.provenance");
		return KM_ERR_INVALID;
	}
	if (!(g = reverse_of(conf, f, &j)) || (!identity(f) && !identity(g)))
		return KM_OK;
	if (identity(f) && !km_params_bool(f->params, "provenance")) {
		km_node_err(errstr, errstr_size, km_params_node(f->params, "provenance"),
		            "key 'provenance': false with policy identity while flow '%s' "
		            "(flows[%zu]) copies back from %s to %s: every record would be copied "
		            "back and forth for ever (the identity policy keeps topic names, so "
		            "nothing tells a copy from its original); remove provenance: false (it "
		            "is on by default), or use the prefix policy on both flows",
		            g->name, j, f->target->alias, f->source->alias);
		return KM_ERR_INVALID;
	}
	/* said at the flow that set a name (both default: the same) */
	if (km_params_bool(f->params, "provenance") && km_params_bool(g->params, "provenance") &&
	    km_params_node(f->params, "provenance.header") &&
	    strcmp(name, km_params_str(g->params, "provenance.header"))) {
		km_node_err(errstr, errstr_size, km_params_node(f->params, "provenance.header"),
		            "key 'provenance.header': '%s' differs from '%s' of flow '%s' "
		            "(flows[%zu]), which copies back from %s to %s: neither flow would "
		            "read the other's header and records would be copied back and forth "
		            "for ever; give both flows the same provenance.header",
		            name, km_params_str(g->params, "provenance.header"), g->name, j,
		            f->target->alias, f->source->alias);
		return KM_ERR_INVALID;
	}
	return KM_OK;
}

km_err_t km_config_check_provenance(const km_config_t *conf, char *errstr, size_t errstr_size) {
	for (size_t i = 0; i < conf->flow_cnt; i++)
		if (check_flow(conf, i, errstr, errstr_size) != KM_OK)
			return KM_ERR_INVALID;
	return KM_OK;
}
