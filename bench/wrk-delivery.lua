-- wrk-delivery.lua: POSTs an Okta event-hook delivery with the Authorization secret; every request
-- carries a fresh event uuid and eventId (MODE=dup: the same delivery every time, the duplicate path).
-- Environment: DELIVERY (file), SECRET, MODE (unique|dup), RUN_ID (8 hex digits), HOOK_PATH.
-- done() prints one line "WRKJSON {...}" that bench/run.sh parses.
local uuid_token = "f1d0b993-cc19-11ed-a688-db22c99ef6c4"
local id_token = "85b60edb-4263-4e13-993b-818e26201052"
local mode = os.getenv("MODE") or "unique"
local run_id = os.getenv("RUN_ID") or "00000000"
local path = os.getenv("HOOK_PATH") or "/hooks/okta"
local nthreads = 0

function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end

local parts, fixed, headers
local counter = 0

local function split(s, tok)
  local out, pos = {}, 1
  while true do
    local a, b = string.find(s, tok, pos, true)
    if not a then break end
    table.insert(out, string.sub(s, pos, a - 1))
    pos = b + 1
  end
  table.insert(out, string.sub(s, pos))
  return out
end

function init(args)
  local f = assert(io.open(os.getenv("DELIVERY"), "rb"))
  local body = f:read("*a")
  f:close()
  headers = {
    ["Authorization"] = os.getenv("SECRET"),
    ["Content-Type"] = "application/json",
  }
  if mode == "dup" then
    fixed = wrk.format("POST", path, headers, body)
    return
  end
  -- body = piece1 uuid piece2 eventId piece3 (each token may occur more than once: split on both)
  parts = {}
  for _, p in ipairs(split(body, uuid_token)) do
    table.insert(parts, split(p, id_token))
  end
end

function request()
  if fixed then return fixed end
  counter = counter + 1
  local uuid = string.format("%s-%04x-4%03x-8%03x-%06x%06x", run_id, tid, 0, 0, math.floor(counter / 16777216), counter % 16777216)
  local eid = string.format("e%s-%04x-4%03x-8%03x-%06x%06x", string.sub(run_id, 2), tid, 0, 0, math.floor(counter / 16777216), counter % 16777216)
  local out = {}
  for i, group in ipairs(parts) do
    if i > 1 then table.insert(out, uuid) end
    for j, p in ipairs(group) do
      if j > 1 then table.insert(out, eid) end
      table.insert(out, p)
    end
  end
  return wrk.format("POST", path, headers, table.concat(out))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"non2xx3xx":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
