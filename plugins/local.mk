# plugins/: topic, group and config filters and record transforms as
# shared-object plugins. They arrive with the daemon core.
EXTRA_DIST += plugins/README.md
