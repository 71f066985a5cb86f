-- GET of wrk's URL (the queue poll, the seat map, ...), each request as the next caller of $BENCH_TOKENS /
-- $BENCH_BEARERS (its bearer token and its own queue token), so the load is spread over many different callers.
-- Every caller's request is built once, in init() (~1.2 s per thread for 100,000 callers): request() only hands out
-- the next one, where formatting the headers in Lua for each request took wrk's thread a good part of the core it
-- shares with the service. Threads wait for the last one's init() before their first request (ready_wait() in
-- common.lua), so nothing is sent before wrk's clock starts. What remains of the client's cost beside wrk's own
-- prebuilt /health/live request (a call into Lua per request, larger requests) is what "/health/live sent as the
-- polls are" measures.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local requests, n, i

function init(args)
  local tokens, bearers = read_callers()
  requests, n = {}, #tokens
  for j = 1, n do
    requests[j] = wrk.format("GET", nil, { ["Authorization"] = bearers[j], ["Queue-Token"] = tokens[j] })
  end
  i = first_index(n)
  ready_signal()
end

function request()
  ready_wait()
  i = i % n + 1
  return requests[i]
end
