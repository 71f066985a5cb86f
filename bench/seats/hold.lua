-- The seat rush: POST /api/reservations {"seatId": s} with s random in $BENCH_SEAT_MIN..$BENCH_SEAT_MAX, each
-- request with the next token of $BENCH_TOKENS (round-robin, threads start at their own share). Counts 201 / 409 /
-- other answers for the BENCH line.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local tokens, i
local lo = tonumber(os.getenv("BENCH_SEAT_MIN") or "1")
local hi = tonumber(os.getenv("BENCH_SEAT_MAX") or "50")

function init(args)
  tokens = read_lines(os.getenv("BENCH_TOKENS"))
  local nthreads = tonumber(os.getenv("BENCH_THREADS")) or 1
  i = math.floor(#tokens * (tid or 0) / nthreads)
  math.randomseed(os.time() + 7919 * (tid or 0))
end

function request()
  i = i % #tokens + 1
  local body = string.format('{"seatId":%d}', math.random(lo, hi))
  return wrk.format("POST", "/api/reservations",
    { ["Queue-Token"] = tokens[i], ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  count(status, 201)
end
