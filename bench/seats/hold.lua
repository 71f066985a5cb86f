-- The seat rush: POST /api/reservations {"seatId": s} with s random in $BENCH_SEAT_MIN..$BENCH_SEAT_MAX, each
-- request as the next caller of $BENCH_TOKENS / $BENCH_BEARERS (round-robin, threads start at their own share).
-- Counts 201 / 409 / other answers for the BENCH line.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local tokens, bearers, i
local lo = tonumber(os.getenv("BENCH_SEAT_MIN") or "1")
local hi = tonumber(os.getenv("BENCH_SEAT_MAX") or "50")

function init(args)
  tokens, bearers = read_callers()
  i = first_index(#tokens)
  math.randomseed(os.time() + 7919 * (tid or 0))
end

function request()
  i = i % #tokens + 1
  local body = string.format('{"seatId":%d}', math.random(lo, hi))
  return wrk.format("POST", "/api/reservations",
    { ["Authorization"] = bearers[i], ["Queue-Token"] = tokens[i], ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  count(status, 201)
end
