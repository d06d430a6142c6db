-- heartbeat.lua: resets the idle time of the entries this consumer still owns on one
-- work stream (XCLAIM ... JUSTID counts no delivery), extends their locks, and renews
-- their tenants' in-flight marks (take.lua counts them against max_in_flight).
--
-- KEYS[1]     {p}:jobs:<priority>
-- KEYS[2]     {p}:running
-- KEYS[3..]   {p}:lock:<id>, one per entry, in the order of the triples below
-- ARGV[1]     group
-- ARGV[2]     consumer
-- ARGV[3]     lease_ms
-- ARGV[4..]   (entry id, token, in-flight mark "<tenant>|<token>") triples
--
-- Returns how many entries were still ours.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = 0
local k = 3
for i = 4, #ARGV, 3 do
  local eid = ARGV[i]
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], eid, eid, 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, eid, 'JUSTID')
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[i + 2])
    n = n + 1
  end
  if redis.call('GET', KEYS[k]) == ARGV[i + 1] then
    redis.call('PEXPIRE', KEYS[k], ARGV[3])
  end
  k = k + 1
end
return n
