-- wrk script for bench/ingest's max-throughput phase (run by `loadgen max --engine wrk`).
-- Sends the payload with GitLab's headers and fresh UUIDs on every request (so none is a duplicate),
-- counts answers by status and the bot's "accepted" answers, and prints them for LoadGen to read.
-- Arguments (after --): payload file, webhook secret token, a run nonce (8 hex digits, new per wrk run).

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  payload = file:read("*a")
  file:close()
  headers = {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "GitLab/18.0.0",
    ["X-Gitlab-Event"] = "Merge Request Hook",
    ["X-Gitlab-Token"] = args[2],
    ["X-Gitlab-Instance"] = "https://gitlab.example.com",
  }
  -- UUID-shaped and unique across threads and runs: the run nonce, the thread id, a counter.
  run = args[3]
  sent = 0
  statuses = {}
  accepted = 0
end

local function uuid(kind)
  return string.format("%s-%04x-4%03x-8000-%012x", run, thread_id, kind, sent)
end

function request()
  sent = sent + 1
  headers["Idempotency-Key"] = uuid(1)
  headers["X-Gitlab-Event-UUID"] = uuid(2)
  headers["X-Gitlab-Webhook-UUID"] = uuid(3)
  return wrk.format("POST", nil, headers, payload)
end

function response(status, _, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 200 and status < 300 and body and string.find(body, '"accepted"', 1, true) then
    accepted = accepted + 1
  end
end

function done(summary, latency, _)
  -- sent counts requests written; those still unanswered when wrk stopped were abandoned, though the
  -- server may have committed them (LoadGen reports them so the row count can be checked honestly).
  local counts, total_accepted, total_sent = {}, 0, 0
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
    total_accepted = total_accepted + thread:get("accepted")
  end
  local e = summary.errors
  io.write(string.format("wrk.result requests=%d sent=%d duration_us=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d accepted=%d\n",
    summary.requests, total_sent, summary.duration, e.connect, e.read, e.write, e.timeout, total_accepted))
  io.write(string.format("wrk.latency_us p50=%d p90=%d p99=%d p999=%d max=%d mean=%.1f\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
  for status, n in pairs(counts) do
    io.write(string.format("wrk.status %d=%d\n", status, n))
  end
end
