-- paid.lua - wrk script: every request carries its own pre-signed x402
-- payment (bench/presign output, one base64 header per line), each used
-- once.  Thread k of n sends lines k, k+n, k+2n, ...  When a thread runs
-- out it re-sends its last header (a replay: the server answers 402, and
-- wrk counts a non-2xx response, so exhaustion is visible in the table).
--   wrk -s paid.lua URL -- HEADERS_FILE
local threads = {}
local counter = 0

function setup(thread)
	thread:set("tid", counter)
	table.insert(threads, thread)
	counter = counter + 1
end

function init(args)
	hdrs = {}
	local nth = 2
	if args[2] then nth = tonumber(args[2]) end
	local i = 0
	for line in io.lines(args[1]) do
		if i % nth == tid then hdrs[#hdrs + 1] = line end
		i = i + 1
	end
	next_i = 0
end

function request()
	next_i = next_i + 1
	local h = hdrs[next_i] or hdrs[#hdrs]
	return wrk.format("GET", nil, { ["PAYMENT-SIGNATURE"] = h })
end
