-- The signed-in account page, for wrk:
--   CLIENTS=clients.txt THREADS=2 wrk -t2 -c64 -d15s --latency -s bench/wrk/portal_home.lua URL
-- clients.txt is `portal-bench setup`'s output; each thread takes every other client and asks
-- for their pages round robin (each request another client's account). Answers other than 200
-- are counted as failures and printed at the end.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local clients = {}
local next_client = 1
local pages = 0
local failures = 0

function init(args)
  local path = os.getenv("CLIENTS") or "clients.txt"
  local i = 0
  for line in io.lines(path) do
    local token = line:match("^(%S+)")
    if token then
      if i % tonumber(os.getenv("THREADS") or "2") == index then
        table.insert(clients, token)
      end
      i = i + 1
    end
  end
end

function request()
  local token = clients[next_client]
  next_client = next_client % #clients + 1
  return wrk.format("GET", "/my", {["Cookie"] = "abonent_portal=" .. token})
end

function response(status, headers, body)
  if status == 200 then
    pages = pages + 1
  else
    failures = failures + 1
    if failures <= 3 then
      io.stderr:write("status " .. status .. "\n")
    end
  end
  count = pages
  failed = failures
end

function done(summary, latency, requests)
  local s, f = 0, 0
  for _, t in ipairs(threads) do
    s = s + (t:get("count") or 0)
    f = f + (t:get("failed") or 0)
  end
  local secs = summary.duration / 1e6
  io.write(string.format(
    "| pages | per second | failed | p50 ms | p90 ms | p99 ms |\n|---|---|---|---|---|---|\n| %d | %.0f | %d | %.2f | %.2f | %.2f |\n",
    s, s / secs, f,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
