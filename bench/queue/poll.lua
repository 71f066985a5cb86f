-- GET /api/queue/tokens/current, each request with the next waiting token of the list in $BENCH_TOKENS
-- (round-robin; each thread starts at its own share of the list, so the polls spread over many tokens).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local tokens, i

function init(args)
  tokens = read_lines(os.getenv("BENCH_TOKENS"))
  local nthreads = tonumber(os.getenv("BENCH_THREADS")) or 1
  i = math.floor(#tokens * (tid or 0) / nthreads)
end

function request()
  i = i % #tokens + 1
  return wrk.format("GET", "/api/queue/tokens/current", { ["Queue-Token"] = tokens[i] })
end
