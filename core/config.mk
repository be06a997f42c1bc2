# The YAML configuration: tree, schema binding, kmirrord's config model.
core_libkmcore_la_SOURCES += core/conf.c core/conf.h core/config.c core/kmconfig.h
