-- POST /api/users/{id}/balance/charges {"amount": $BENCH_CHARGE_AMOUNT}, user ids 1..$BENCH_USERS round-robin
-- (threads start at their own share). Charges are repeatable, so this one runs for a duration.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local users = tonumber(os.getenv("BENCH_USERS") or "1")
local body = string.format('{"amount":%d}', tonumber(os.getenv("BENCH_CHARGE_AMOUNT") or "1"))
local i

function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS")) or 1
  i = math.floor(users * (tid or 0) / nthreads)
end

function request()
  i = i % users + 1
  return wrk.format("POST", "/api/users/" .. i .. "/balance/charges", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  -- counted with the 201s: the success of this endpoint
  count(status, 200)
end
