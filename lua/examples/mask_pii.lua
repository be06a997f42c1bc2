-- mask_pii.lua: masks personal data in JSON values before records leave
-- their region: each field listed (by default user.email) is replaced by
-- "***" when present. Every other byte of the value, and the key, headers
-- and timestamp, are copied unchanged (json.set rewrites only that value's
-- bytes: the field order, spacing and number formats stay as they were).
--
--   on_error: stop        # see below
--   pipeline:
--     - plugin: lua
--       script: mask_pii.lua
--       params: {fields: [user.email, user.phone], mask: "***"}
--
-- Assumes: values are JSON documents; a record without the field, or with a
-- null value (a tombstone), is copied as it is. A value that is not JSON
-- cannot be checked, so it fails: use on_error: stop (or skip) with this
-- script. With on_error: dead-letter a failed record goes unchanged,
-- unmasked, to the dead-letter topic on the target, out of the region.

local json = require("kmirror.json")

local fields = {"user.email"}
local mask = "***"

function init(params)
  if params.fields then
    fields = params.fields
  elseif params.field then
    fields = {params.field} -- one field: params: {field: user.email}
  end
  mask = params.mask and tostring(params.mask) or mask
end

function process_record(r)
  local doc = r.value
  if doc == nil then
    return
  end
  local changed = false
  for _, path in ipairs(fields) do
    local v, err = json.get(doc, path)
    if err then
      r:fail("not JSON, so not masked: " .. err)
      return
    end
    if v ~= nil and v ~= json.null then
      doc = json.set(doc, path, mask)
      changed = true
    end
  end
  if changed then
    r.value = doc
  end
end
