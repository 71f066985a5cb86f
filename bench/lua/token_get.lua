-- GET of wrk's URL (the queue poll, the seat map, ...), each request with the next token of $BENCH_TOKENS, so the
-- load is spread over many different callers.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local tokens, i

function init(args)
  tokens = read_lines(os.getenv("BENCH_TOKENS"))
  local nthreads = tonumber(os.getenv("BENCH_THREADS")) or 1
  i = math.floor(#tokens * (tid or 0) / nthreads)
end

function request()
  i = i % #tokens + 1
  return wrk.format("GET", nil, { ["Queue-Token"] = tokens[i] })
end
