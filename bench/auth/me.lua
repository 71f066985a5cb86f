-- GET /api/users/me, each request with the next of $PROBE_BEARERS (a file of bearer tokens, one per line).
local bearers = {}
local i = 0
function init(args)
  for line in io.lines(os.getenv("PROBE_BEARERS")) do bearers[#bearers + 1] = "Bearer " .. line end
  i = math.random(#bearers)
end
function request()
  i = i % #bearers + 1
  return wrk.format("GET", "/api/users/me", { ["Authorization"] = bearers[i] })
end
