-- Shared by every wrk script in bench/: numbers the threads, and prints one machine-readable line when done:
-- BENCH <req/s> <p50 ms> <p99 ms> <requests> <non-2xx/3xx> <socket errors> <201s> <409s> <other statuses>
-- (the status counts are filled in by scripts that count in response(); otherwise 0).
-- Used alone it is the plain baseline (GET of wrk's URL); other scripts dofile() it first.

local threads = {}
local next_id = 0
local ready_file   -- the main state's: handed to every thread as its global ready_path (see ready_signal())

function setup(thread)
  if not ready_file then
    ready_file = os.tmpname()   -- created by mkstemp: removed, so that it exists only once the last init is done
    os.remove(ready_file)
  end
  thread:set("tid", next_id)
  thread:set("ready_path", ready_file)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- wrk runs the threads' init() one after another and starts each thread as soon as its own init() is done, but its
-- clock only after the last: a script whose init() takes long (100,000 callers' requests: ~1.2 s) would have thread
-- 0 sending, and counted, for that long before the measured duration starts (+5-7 % on a 10 s run). A script with a
-- long init() calls ready_signal() at its end and ready_wait() first in request(): every thread then waits until the
-- last thread's init() is done (in steps of 5 ms, at most 60 s, then it goes on and says so).
function ready_signal()
  local nthreads = tonumber(os.getenv("BENCH_THREADS")) or 1
  if tid == nthreads - 1 then
    local f = assert(io.open(ready_path, "w"))
    f:close()
  end
end

local waited, calls = false, 0
function ready_wait()
  if waited then return end
  calls = calls + 1
  -- wrk itself calls thread 0's request() once from its main thread, to check the request, before any thread starts
  -- (script_verify_request): waiting there would hold up the other threads' init() for good.
  if tid == 0 and calls == 1 then return end
  waited = true
  local deadline = os.time() + 60
  while os.time() < deadline do
    local f = io.open(ready_path, "r")
    if f then f:close(); return end
    os.execute("sleep 0.005")
  end
  io.stderr:write("wrk thread " .. tostring(tid) .. ": the other threads' init() was not done after 60 s; going on\n")
end

-- Per-thread counters; scripts that define response() bump these through count().
n201, n409, nother = 0, 0, 0

-- Counts one answer: `success` (201, or 200 for an endpoint whose success is 200) with the 201s, 409s apart.
function count(status, success)
  if status == success then
    n201 = n201 + 1
  elseif status == 409 then
    n409 = n409 + 1
  else
    nother = nother + 1
  end
end

-- Reads a file of lines (tokens, ids...) into a table; fails loudly if it is missing or empty.
function read_lines(path)
  local lines = {}
  local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in f:lines() do
    if line ~= "" then lines[#lines + 1] = line end
  end
  f:close()
  assert(#lines > 0, "no lines in " .. path)
  return lines
end

-- The bench's callers: line i of $BENCH_TOKENS (queue tokens) belongs to the user whose bearer token is line i of
-- $BENCH_BEARERS, as every client sends both. Returns the two lists; fails loudly if they are not aligned.
function read_callers()
  local tokens = read_lines(os.getenv("BENCH_TOKENS"))
  local bearers = read_lines(os.getenv("BENCH_BEARERS"))
  assert(#tokens == #bearers, "BENCH_TOKENS and BENCH_BEARERS differ in length")
  for j = 1, #bearers do bearers[j] = "Bearer " .. bearers[j] end
  return tokens, bearers
end

-- A thread's first index into a list of n callers: each thread starts at its own share.
function first_index(n)
  local nthreads = tonumber(os.getenv("BENCH_THREADS")) or 1
  return math.floor(n * (tid or 0) / nthreads)
end

function done(summary, latency, requests)
  if ready_file then os.remove(ready_file) end
  local c201, c409, cother = 0, 0, 0
  for _, t in ipairs(threads) do
    c201 = c201 + (t:get("n201") or 0)
    c409 = c409 + (t:get("n409") or 0)
    cother = cother + (t:get("nother") or 0)
  end
  local e = summary.errors
  io.write(string.format("BENCH\t%.1f\t%.3f\t%.3f\t%d\t%d\t%d\t%d\t%d\t%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    c201, c409, cother))
end
