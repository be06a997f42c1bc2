-- kmirror.window: tumbling time windows for the Lua stage, in plain Lua.
--
-- It uses only what the stage's sandbox opens (base, string, table, math),
-- keeps no global state, and bounds its memory: at most max_keys keys per
-- window and max_windows windows open at once. What it refuses it counts.
-- lua/window.md documents it.

local window = {}

local Tumbling = {}
Tumbling.__index = Tumbling

local function default_init()
	return 0
end

local function default_fold(acc, v)
	return acc + (v or 1)
end

local function check_count(opts, name, default)
	local n = opts[name]
	if n == nil then
		return default
	end
	if math.type(n) ~= "integer" or n < 1 then
		error("window.tumbling: " .. name .. " must be an integer >= 1, got " .. tostring(n), 3)
	end
	return n
end

-- window.tumbling{size_ms = N, max_keys = N, max_windows = N, init = f, fold = f}
function window.tumbling(opts)
	if type(opts) ~= "table" then
		error("window.tumbling: a table of options expected, got " .. type(opts), 2)
	end
	local size = opts.size_ms
	if math.type(size) ~= "integer" or size < 1 then
		error("window.tumbling: size_ms must be an integer >= 1, got " .. tostring(size), 2)
	end
	for _, name in ipairs({"init", "fold"}) do
		if opts[name] ~= nil and type(opts[name]) ~= "function" then
			error("window.tumbling: " .. name .. " must be a function, got " .. type(opts[name]), 2)
		end
	end
	return setmetatable({
		size_ms = size,
		max_keys = check_count(opts, "max_keys", 10000),
		max_windows = check_count(opts, "max_windows", 1000),
		init = opts.init or default_init,
		fold = opts.fold or default_fold,
		late = 0,     -- records refused: their window was already closed
		refused = 0,  -- records refused: max_keys or max_windows reached
		closed_ms = nil, -- the highest now_ms given to close()
		starts = {},  -- the open windows' starts, oldest first
		open = {},    -- start -> {keys = {...}, accs = {...}, pos = {key -> i}}
	}, Tumbling)
end

-- The place of a new start in the sorted list: records mostly come in time
-- order, so the end is tried first.
local function insert_start(starts, start)
	local n = #starts
	if n == 0 or starts[n] < start then
		starts[n + 1] = start
		return
	end
	local lo, hi = 1, n
	while lo < hi do
		local mid = (lo + hi) // 2
		if starts[mid] < start then
			lo = mid + 1
		else
			hi = mid
		end
	end
	table.insert(starts, lo, start)
end

-- w:add(ts_ms, key, v): folds v into key's accumulator in the window that
-- holds ts_ms. Returns true, or false and why when refused.
function Tumbling:add(ts_ms, key, v)
	if type(ts_ms) ~= "number" or ts_ms ~= ts_ms then
		error("window:add: ts_ms must be a number, got " .. tostring(ts_ms), 2)
	end
	if key == nil or key ~= key then
		error("window:add: key must not be nil or NaN", 2)
	end
	local size = self.size_ms
	local start = math.floor(ts_ms) // size * size
	if self.closed_ms ~= nil and start + size <= self.closed_ms then
		self.late = self.late + 1
		return false, string.format("late: the window [%d, %d) is already closed", start, start + size)
	end
	local win = self.open[start]
	if win == nil then
		if #self.starts >= self.max_windows then
			self.refused = self.refused + 1
			return false, string.format("max_windows (%d) windows are open", self.max_windows)
		end
		win = {keys = {}, accs = {}, pos = {}}
		self.open[start] = win
		insert_start(self.starts, start)
	end
	local i = win.pos[key]
	if i == nil then
		if #win.keys >= self.max_keys then
			self.refused = self.refused + 1
			return false, string.format("max_keys (%d) reached in the window [%d, %d)",
				self.max_keys, start, start + size)
		end
		i = #win.keys + 1
		win.keys[i] = key
		win.pos[key] = i
		win.accs[i] = self.init()
	end
	win.accs[i] = self.fold(win.accs[i], v)
	return true
end

-- for start_ms, key, acc in w:close(now_ms): every window whose end is at
-- or before now_ms, oldest first, keys in the order first seen. They are
-- forgotten at once (breaking out of the loop drops the rest), and records
-- for them are late from then on.
function Tumbling:close(now_ms)
	if type(now_ms) ~= "number" or now_ms ~= now_ms then
		error("window:close: now_ms must be a number, got " .. tostring(now_ms), 2)
	end
	if self.closed_ms == nil or now_ms > self.closed_ms then
		self.closed_ms = now_ms
	end
	local size, starts, done = self.size_ms, self.starts, {}
	local n = 0
	while n < #starts and starts[n + 1] + size <= now_ms do
		n = n + 1
		done[n] = self.open[starts[n]]
		done[n].start = starts[n]
		self.open[starts[n]] = nil
	end
	if n > 0 then
		-- shift the open ones down; the nils past the end clear the tail
		table.move(starts, n + 1, #starts + n, 1)
	end
	local w, k = 1, 0
	return function()
		while done[w] ~= nil do
			local win = done[w]
			k = k + 1
			if win.keys[k] ~= nil then
				return win.start, win.keys[k], win.accs[k]
			end
			w, k = w + 1, 0
		end
		return nil
	end
end

return window
