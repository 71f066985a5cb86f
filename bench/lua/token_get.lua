-- GET of wrk's URL (the queue poll, the seat map, ...), each request as the next caller of $BENCH_TOKENS /
-- $BENCH_BEARERS (its bearer token and its own queue token), so the load is spread over many different callers.
-- Every caller's request is built once, in init(): request() only hands out the next one, so the client's share of
-- the machine stays close to that of a request wrk sends unchanged (the /health/live baseline), and the figures
-- measure the service rather than Lua formatting headers (~0.3 s and ~600 bytes a caller per thread, done before
-- wrk's clock starts).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local requests, n, i

function init(args)
  local tokens, bearers = read_callers()
  requests, n = {}, #tokens
  for j = 1, n do
    requests[j] = wrk.format("GET", nil, { ["Authorization"] = bearers[j], ["Queue-Token"] = tokens[j] })
  end
  i = first_index(n)
end

function request()
  i = i % n + 1
  return requests[i]
end
