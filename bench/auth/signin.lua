-- POST /api/auth/token with the next sign-in body of $BENCH_LOGINS (one JSON body a line:
-- {"email": ..., "password": ...}), round-robin over the accounts, threads start at their own share. Counts 200
-- (with the 201s) / 409 / other answers for the BENCH line.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local logins, i

function init(args)
  logins = read_lines(os.getenv("BENCH_LOGINS"))
  i = first_index(#logins)
end

function request()
  i = i % #logins + 1
  return wrk.format("POST", "/api/auth/token", { ["Content-Type"] = "application/json" }, logins[i])
end

function response(status, headers, body)
  count(status, 200)
end
