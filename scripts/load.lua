-- wrk script for scripts/load.sh: one token class per wrk process.
--
-- wrk ... -s scripts/load.lua URL -- CLASS PATH VALUES RESULT BEFORE SWITCH_AT AFTER
--   VALUES    file of Authorization header values, one per line, sent round-robin
--   BEFORE    statuses allowed before unix time SWITCH_AT (comma-separated)
--   AFTER     statuses allowed from SWITCH_AT + GRACE on; in between, either set
--   RESULT    file the per-class summary line is appended to
-- A class whose answer does not change over time passes SWITCH_AT = 0.

local GRACE = 3 -- seconds for the server to notice a JWKS change (cooldown 1 s, refetch)

local function set(list)
  local s = {}
  for code in string.gmatch(list or "", "%d+") do s[tonumber(code)] = true end
  return s
end

local class, path, result
local before, after, switch_at
local values = {}
local next_value = 1
counts = {}
wrong = 0
wrong_example = ""

function init(args)
  class, path, result = args[1], args[2], args[4]
  class_name, result_path = class, result
  before, switch_at, after = set(args[5]), tonumber(args[6]) or 0, set(args[7])
  for line in io.lines(args[3]) do
    if #line > 0 then table.insert(values, line) end
  end
  next_value = math.random(#values)
end

function request()
  local value = values[next_value]
  next_value = next_value % #values + 1
  return wrk.format("GET", path, { ["Authorization"] = value })
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  local now = os.time()
  local ok
  if now < switch_at then
    ok = before[status]
  elseif now >= switch_at + GRACE then
    ok = after[status]
  else
    ok = before[status] or after[status]
  end
  if not ok then
    wrong = wrong + 1
    if wrong_example == "" then
      wrong_example = status .. "@" .. now
    end
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  -- The class and output path live in the threads' Lua states: read them from there.
  local t1 = threads[1]
  local name, out = t1:get("class_name"), t1:get("result_path")
  local statuses, bad, example = {}, 0, ""
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("counts")) do
      statuses[code] = (statuses[code] or 0) + n
    end
    bad = bad + thread:get("wrong")
    if example == "" then example = thread:get("wrong_example") end
  end
  local codes = {}
  for code, n in pairs(statuses) do table.insert(codes, code .. ":" .. n) end
  table.sort(codes)
  local e = summary.errors
  local f = assert(io.open(out, "a"))
  f:write(string.format(
    "class=%s requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d "
      .. "socket_errors=%d timeouts=%d wrong=%d wrong_example=%s statuses=%s\n",
    name, summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect + e.read + e.write, e.timeout, bad,
    example == "" and "-" or example, table.concat(codes, ",")))
  f:close()
end
