-- The benchmark's Lua stage (tests/bench/run, contender kmirrord_lua): it
-- reads a header of every record and keeps 90% of them. kbench's records
-- carry "origin: kbench" and keys key-0 .. key-(N-1); those whose key ends
-- in 0 are dropped, so the target gets a known count.
function process_record(r)
	if r:header("origin") ~= "kbench" then
		return false
	end
	if r.key:byte(-1) == 48 then -- "0"
		return false
	end
end
