-- fan_out.lua: one record to two topics. Each record goes to its mirror
-- topic as usual, and a copy of it (same key, value, headers and
-- timestamp) goes to a second topic, e.g. an audit topic.
--
--   pipeline:
--     - plugin: lua
--       script: fan_out.lua
--       params: {also_to: audit.orders}
--
-- Assumes: `also_to` is a valid topic name. kmirror creates it on the target
-- when it is missing, with the source topic's partition count, and the copy
-- goes to the same partition number as the record it was made from (set
-- `partition` in the emit below to choose another). The copy is made from
-- the record, so the source offset is done only once both are on the
-- target: a crash copies both again, nothing is lost.

local also_to

function init(params)
  also_to = assert(params.also_to, "params.also_to: the second topic is required")
end

function process_record(r)
  emit{topic = also_to} -- every field not given is the record's own
end
