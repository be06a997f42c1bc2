-- drop_by_header.lua: records whose header says they must stay where they
-- are (by default `residency: local`) are not copied; every other record is
-- copied unchanged.
--
--   pipeline:
--     - plugin: lua
--       script: drop_by_header.lua          # relative to kmirror.yaml's directory
--       params: {header: residency, value: local}   # the defaults
--
-- Assumes: the producers set the header. Its value is compared byte for
-- byte; a record without the header, or with another value, is copied. When
-- a record carries the header more than once, any of its values counts.
-- Dropped records are counted in the stage's `dropped` counter (status,
-- `plugins`) and their source offsets are done: a restart does not send
-- them.

local header, value = "residency", "local"

function init(params)
  header = params.header or header
  value = params.value and tostring(params.value) or value
end

function process_record(r)
  for _, h in ipairs(r:headers()) do
    if h[1] == header and h[2] == value then
      return false -- dropped
    end
  end
end
