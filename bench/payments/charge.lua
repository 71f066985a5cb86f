-- POST /api/users/{id}/balance/charges {"amount": $BENCH_CHARGE_AMOUNT}, user ids 1..n round-robin (threads start
-- at their own share), each signed in as that user: line i of $BENCH_BEARERS is user i's bearer token. Charges are
-- repeatable, so this one runs for a duration.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local body = string.format('{"amount":%d}', tonumber(os.getenv("BENCH_CHARGE_AMOUNT") or "1"))
local bearers, i

function init(args)
  bearers = read_lines(os.getenv("BENCH_BEARERS"))
  for j = 1, #bearers do bearers[j] = "Bearer " .. bearers[j] end
  i = first_index(#bearers)
end

function request()
  i = i % #bearers + 1
  return wrk.format("POST", "/api/users/" .. i .. "/balance/charges",
    { ["Authorization"] = bearers[i], ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  -- counted with the 201s: the success of this endpoint
  count(status, 200)
end
