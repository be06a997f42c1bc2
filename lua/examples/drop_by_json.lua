-- drop_by_json.lua: records whose JSON value has a field with one of the
-- given values are not copied (by default: "env" is "test" or "staging");
-- every other record is copied unchanged.
--
--   pipeline:
--     - plugin: lua
--       script: drop_by_json.lua
--       params: {field: env, values: [test, staging]}   # the defaults
--
-- Assumes: values are JSON documents. `field` is a path: "a.b" for a
-- nested field. A record without the field, with a null value (a
-- tombstone), or whose field has another value, is copied. A value that is
-- not JSON fails the record: the flow's on_error decides (stop, skip or
-- dead-letter), so nothing is dropped by mistake.

local json = require("kmirror.json")

local field = "env"
local drop = {test = true, staging = true}

function init(params)
  field = params.field or field
  if params.values then
    drop = {}
    for _, v in ipairs(params.values) do
      drop[tostring(v)] = true
    end
  end
end

function process_record(r)
  local doc = r.value
  if doc == nil then
    return
  end
  local v, err = json.get(doc, field)
  if err then
    r:fail("not JSON: " .. err)
    return
  end
  if v ~= nil and v ~= json.null and drop[tostring(v)] then
    return false -- dropped
  end
end
