-- GET /api/concerts/1/schedules/1/seats (the hottest read), each request with the next token of $BENCH_TOKENS.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local tokens, i

function init(args)
  tokens = read_lines(os.getenv("BENCH_TOKENS"))
  local nthreads = tonumber(os.getenv("BENCH_THREADS")) or 1
  i = math.floor(#tokens * (tid or 0) / nthreads)
end

function request()
  i = i % #tokens + 1
  return wrk.format("GET", "/api/concerts/1/schedules/1/seats", { ["Queue-Token"] = tokens[i] })
end
