-- heartbeat.lua: resets the idle time of the entries this consumer still owns on one
-- work stream (XCLAIM ... JUSTID counts no delivery) and extends their locks.
--
-- KEYS[1]     {p}:jobs:<priority>
-- KEYS[2..]   {p}:lock:<id>, one per entry, in the order of the pairs below
-- ARGV[1]     group
-- ARGV[2]     consumer
-- ARGV[3]     lease_ms
-- ARGV[4..]   (entry id, token) pairs
--
-- Returns how many entries were still ours.
local n = 0
local k = 2
for i = 4, #ARGV, 2 do
  local eid = ARGV[i]
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], eid, eid, 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, eid, 'JUSTID')
    n = n + 1
  end
  if redis.call('GET', KEYS[k]) == ARGV[i + 1] then
    redis.call('PEXPIRE', KEYS[k], ARGV[3])
  end
  k = k + 1
end
return n
