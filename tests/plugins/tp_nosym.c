/* A shared object that is not a kmirror plugin: no km_plugin symbol. */
#include <kmirror/plugin.h>

KM_PLUGIN_EXPORT int tp_nosym_answer(void);
KM_PLUGIN_EXPORT int tp_nosym_answer(void) {
	return 42;
}
