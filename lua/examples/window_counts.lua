-- window_counts.lua: counts records per key in tumbling windows of `size`
-- milliseconds (by record timestamp) and, once a window has closed, emits
-- one summary record per key to `topic`:
--   key: the record key ("" for null keys)
--   value: {"window_start":1700000000000,"window_end":1700000010000,"count":42}
--   timestamp: the window's start
-- The records themselves are copied as usual.
--
--   pipeline:
--     - plugin: lua
--       script: window_counts.lua
--       params: {topic: orders.counts, size: 10000, max_keys: 10000}
--       tick_interval: 1s     # how soon after its end a window is emitted
--
-- Assumes: `topic` exists on the target (records emitted from on_tick have
-- no source record, so nothing waits for their topic to be created). A
-- window is closed by the wall clock: a record that comes after its window
-- was emitted (late, or with an old timestamp) is not counted, and a
-- warning says how many were not, once per tick. Summary records are not
-- tied to source offsets: the counts of windows still open at a stop, a
-- crash or a reload of the flow are lost, and a crash can lose summaries not
-- yet acknowledged. More than `max_keys` keys in a window: the others are
-- not counted (same warning).

local window = require("kmirror.window")

local topic, size, w
local refused, last_why = 0, nil

function init(params)
  topic = assert(params.topic, "params.topic: the summary topic is required")
  size = math.tointeger(params.size or 10000)
  assert(size and size > 0, "params.size: a window's length in ms (an integer > 0)")
  w = window.tumbling{
    size_ms = size,
    max_keys = params.max_keys or 10000,
    init = function() return 0 end,
    fold = function(count) return count + 1 end,
  }
end

function process_record(r)
  local ok, why = w:add(r.timestamp or os.time() * 1000, r.key or "", 1)
  if ok == false then
    refused = refused + 1
    last_why = why
  end
end

function on_tick(now_ms, emit)
  for start_ms, key, count in w:close(now_ms) do
    emit{
      topic = topic,
      key = key,
      value = string.format('{"window_start":%d,"window_end":%d,"count":%d}', start_ms,
        start_ms + size, count),
      timestamp = start_ms,
    }
  end
  if refused > 0 then
    kmirror.log("warning", string.format("%d record(s) not counted: %s", refused,
      tostring(last_why)))
    refused = 0
  end
end
