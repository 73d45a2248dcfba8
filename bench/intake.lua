-- Each request is a new chat: POST /api/v1/rooms with an external id never sent before
-- (this run's random prefix and a counter). The summary line comes from summary.lua.
dofile(os.getenv("BENCH_SUMMARY_LUA"))

math.randomseed(os.time())
local prefix = string.format("%x%x", os.time(), math.random(0, 0xffffff))
local counter = 0

request = function()
  counter = counter + 1
  local body = string.format(
    '{"channel": "whatsapp", "external_id": "bench-%s-%d", "customer_name": "Bench %d"}',
    prefix, counter, counter)
  return wrk.format("POST", nil, nil, body)
end
