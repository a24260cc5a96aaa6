-- wrk script: random reads of existing rows, the same sequence for every app (fixed seed).
--   BENCH_MODE=one   GET /orders/{id}, id uniform in [BENCH_ID_MIN, BENCH_ID_MAX]
--   BENCH_MODE=list  GET /orders?limit=BENCH_LIMIT&offset=N, N uniform in [0, BENCH_OFFSET_MAX]
--   BENCH_MODE=fixed GET BENCH_PATH itself (e.g. /health/live)
-- BENCH_PATH reads another collection than /orders; BENCH_TOKEN sends `Authorization: Bearer`.
-- done() prints one machine-readable line: BENCH_RESULT {json}.

local mode = os.getenv("BENCH_MODE") or "one"
local id_min = tonumber(os.getenv("BENCH_ID_MIN") or "1")
local id_max = tonumber(os.getenv("BENCH_ID_MAX") or "1")
local limit = os.getenv("BENCH_LIMIT") or "50"
local offset_max = tonumber(os.getenv("BENCH_OFFSET_MAX") or "0")
local path = os.getenv("BENCH_PATH") or "/orders"
local token = os.getenv("BENCH_TOKEN")
local headers = {}
if token then
  headers["Authorization"] = "Bearer " .. token
end

function init(args)
  math.randomseed(tonumber(os.getenv("BENCH_SEED") or "1"))
end

function request()
  if mode == "fixed" then
    return wrk.format("GET", path, headers)
  end
  if mode == "list" then
    return wrk.format("GET", path .. "?limit=" .. limit .. "&offset=" .. math.random(0, offset_max), headers)
  end
  return wrk.format("GET", path .. "/" .. math.random(id_min, id_max), headers)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), errors))
end
