-- fan_in_prefix.lua: stamps the region a record comes from on it, for a
-- fan-in topology (see fan_in.yaml): several regional clusters copied into
-- one aggregate cluster. The flows' prefix policy keeps the origin in the
-- topic name (us-east.orders, eu-west.orders, ...); this script keeps it in
-- the record too, so that a consumer of a merged stream still knows it.
--
--   pipeline:
--     - plugin: lua
--       script: fan_in_prefix.lua
--       params: {header: region}   # the default
--
-- Assumes: each regional cluster's alias in kmirror.yaml is the region's
-- name (kmirror.source is the flow's source alias). The header is set, not
-- added: a record that already carries one (copied from a region that
-- copied it from elsewhere) keeps only the first region it was produced in.

local header = "region"

function init(params)
  header = params.header or header
end

function process_record(r)
  if r:header(header) == nil then
    r:set_header(header, kmirror.source)
  end
end
