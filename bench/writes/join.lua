-- POST /api/queue/tokens (no body), each request as the next user of $BENCH_BEARERS, each user once while the list
-- lasts (threads start at their own share): a 201 is a new token written; a 200 would be a user joining again
-- (an insert refused by their live token, then a read of it), so only the 201s count as joins.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local bearers, i, last

function init(args)
  bearers = read_lines(os.getenv("BENCH_BEARERS"))
  for j = 1, #bearers do bearers[j] = "Bearer " .. bearers[j] end
  local n = tonumber(os.getenv("BENCH_THREADS")) or 1
  i = first_index(#bearers)
  last = math.floor(#bearers * ((tid or 0) + 1) / n)
end

function request()
  i = i + 1
  if i > last then i = last end   -- list spent: the same user again (answered 200, not counted as a join)
  return wrk.format("POST", "/api/queue/tokens", { ["Authorization"] = bearers[i] }, nil)
end

function response(status, headers, body)
  count(status, 201)
end
