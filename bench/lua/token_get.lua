-- GET of wrk's URL (the queue poll, the seat map, ...), each request as the next caller of $BENCH_TOKENS /
-- $BENCH_BEARERS (its bearer token and its own queue token), so the load is spread over many different callers.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local tokens, bearers, i

function init(args)
  tokens, bearers = read_callers()
  i = first_index(#tokens)
end

function request()
  i = i % #tokens + 1
  return wrk.format("GET", nil, { ["Authorization"] = bearers[i], ["Queue-Token"] = tokens[i] })
end
