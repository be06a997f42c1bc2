/* libFuzzer target of the configuration's loader and binder
 * (core/yaml_tree.c, core/params.c, core/config_model.c): the input is a
 * kmirror.yaml. Whatever it holds, loading returns a configuration or a
 * refusal that says where ("<fuzz>:LINE:COL: ...") and why, and no
 * refusal shows a secret that came from ${env:KM_FUZZ_SECRET} or
 * ${file:/tmp/kmirror-fuzz-secret}. The seeds in tests/fuzz/corpus/config/
 * are etc/kmirror.yaml and small configurations near the refusals. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_model.h"
#include "fuzz_secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char err[1024] = "", *text = malloc(size + 1);
	km_config_t *conf;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	conf = km_config_load_string("<fuzz>", text, err, sizeof(err));
	if (conf) {
		km_config_destroy(conf);
	} else {
		fuzz_refusal_check(err, data, size);
	}
	free(text);
	return 0;
}
