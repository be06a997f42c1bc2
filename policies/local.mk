# policies/: replication policies as shared-object plugins (prefix, identity).
# They arrive with the daemon core.
EXTRA_DIST += policies/README.md
