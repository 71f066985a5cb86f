-- Shared by every wrk script in bench/: numbers the threads, and prints one machine-readable line when done:
-- BENCH <req/s> <p50 ms> <p99 ms> <requests> <non-2xx/3xx> <socket errors> <201s> <409s> <other statuses>
-- (the status counts are filled in by scripts that count in response(); otherwise 0).
-- Used alone it is the plain baseline (GET of wrk's URL); other scripts dofile() it first.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
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
