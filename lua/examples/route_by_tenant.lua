-- route_by_tenant.lua: routes each record to a topic per tenant, named
-- after a field of its JSON value: {"tenant": "acme", ...} goes to
-- orders.acme.
--
--   pipeline:
--     - plugin: lua
--       script: route_by_tenant.lua
--       params: {field: tenant, prefix: orders}
--
-- Assumes: values are JSON documents and tenant names are made of letters,
-- digits, '_' and '-'. Without `prefix` the record's own target topic is the
-- prefix (us-east.orders.acme with the prefix policy). A record without the
-- field (or a null value) stays in its mirror topic. A value that is not
-- JSON, or a tenant that cannot be part of a topic name, fails the record
-- and the flow's on_error decides. kmirror creates a tenant's topic on the
-- target the first time a record goes there, with the source topic's
-- partition count; records keep their source partition. Offsets of routed
-- records are not translated for failover (status: "translation").

local json = require("kmirror.json")

local field, prefix = "tenant", nil

function init(params)
  field = params.field or field
  prefix = params.prefix
end

function process_record(r)
  local doc = r.value
  if doc == nil then
    return
  end
  local tenant, err = json.get(doc, field)
  if err then
    r:fail("not JSON: " .. err)
    return
  end
  if tenant == nil or tenant == json.null then
    return
  end
  tenant = tostring(tenant)
  if not tenant:match("^[%w_-]+$") then
    r:fail("tenant '" .. tenant .. "' cannot be part of a topic name")
    return
  end
  r.topic = (prefix or r.topic) .. "." .. tenant
end
