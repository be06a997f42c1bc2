/* libFuzzer target of ${env:NAME} and ${file:PATH} expansion
 * (core/yaml_tree.c): the input is the text of one value, written as a
 * YAML block scalar (`value: |-`, each line indented), so that any bytes
 * reach the expansion. A value that came from a reference is marked
 * secret; a refusal says where and why and never shows the secret of
 * ${env:KM_FUZZ_SECRET} or ${file:/tmp/kmirror-fuzz-secret}; a value that
 * holds the secret (which the input does not) is marked secret. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_secret.h"
#include "yaml_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	/* "value: |-\n" then "  " before every line: at most 3 bytes per byte */
	char err[1024] = "", *doc = malloc(16 + 3 * size), *p = doc;
	const km_node_t *v;
	km_node_t *root;

	if (!doc)
		abort();
	p += sprintf(p, "value: |-\n  ");
	for (size_t i = 0; i < size; i++) {
		if (!data[i])
			break; /* the YAML text ends there, as a file's would */
		*p++ = (char)data[i];
		if (data[i] == '\n') {
			*p++ = ' ';
			*p++ = ' ';
		}
	}
	*p = '\0';
	root = km_yaml_load_string("<fuzz>", doc, err, sizeof(err));
	if (root) {
		v = km_node_get(root, "value");
		if (v && v->type == KM_NODE_SCALAR && strstr(v->scalar, FUZZ_SECRET) &&
		    !memmem(data, size, FUZZ_SECRET, strlen(FUZZ_SECRET)) && !v->secret) {
			fprintf(stderr, "a value holds the secret but is not marked secret\n");
			abort();
		}
		km_node_free(root);
	} else {
		fuzz_refusal_check(err, data, size);
	}
	free(doc);
	return 0;
}
