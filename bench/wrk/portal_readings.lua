-- Reading submissions through the personal account's form, for wrk:
--   CLIENTS=clients.txt THREADS=2 wrk -t2 -c64 -d20s --latency -s bench/wrk/portal_readings.lua URL
-- clients.txt is `portal-bench setup`'s output (cookie token, form token, meter, last value per
-- line). Each wrk thread takes every other client and sends their readings round robin, each
-- 1 kWh above that meter's last, so with many more clients than connections no meter has two
-- readings in flight. A reading counts when the answer is the redirect to the outcome (sent after
-- the commit); any other answer is counted as a failure and printed at the end.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  thread:set("count", 0)
  counter = counter + 1
  table.insert(threads, thread)
end

local clients = {}
local next_client = 1
local failures = 0
local stored = 0

function init(args)
  local path = os.getenv("CLIENTS") or "clients.txt"
  local i = 0
  for line in io.lines(path) do
    local token, csrf, meter, last = line:match("^(%S+)%s+(%S+)%s+(%S+)%s+(%S+)")
    if token then
      if i % tonumber(os.getenv("THREADS") or "2") == index then
        table.insert(clients, {token = token, csrf = csrf, meter = meter, last = tonumber(last)})
      end
      i = i + 1
    end
  end
end

function request()
  local c = clients[next_client]
  next_client = next_client % #clients + 1
  c.last = c.last + 1
  return wrk.format("POST", "/my/meters/" .. c.meter .. "/readings", {
    ["Cookie"] = "abonent_portal=" .. c.token,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "_csrf=" .. c.csrf .. "&values=" .. c.last)
end

function response(status, headers, body)
  if status == 303 then
    stored = stored + 1
  else
    failures = failures + 1
    if failures <= 3 then
      io.stderr:write("status " .. status .. ": " .. body:sub(1, 300) .. "\n")
    end
  end
  count = stored
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
    "| readings stored | per second | failed | p50 ms | p90 ms | p99 ms |\n|---|---|---|---|---|---|\n| %d | %.0f | %d | %.2f | %.2f | %.2f |\n",
    s, s / secs, f,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
