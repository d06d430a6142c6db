-- release.lua: hands entries this consumer still owns back to the group for immediate
-- claim-back (shutdown past the grace period, or entries fetched but never started).
-- They move to the hand-back consumer with an idle time past the claim idle time, so
-- the next reclaim.lua of any worker takes them, and it does not count a death.
--
-- KEYS[1]    {p}:jobs:<priority>
-- ARGV[1]    group
-- ARGV[2]    this consumer
-- ARGV[3]    the hand-back consumer
-- ARGV[4]    idle ms to set (larger than the claim idle time)
-- ARGV[5..]  entry ids
--
-- Returns how many entries were handed back.
local n = 0
for i = 5, #ARGV do
  local eid = ARGV[i]
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], eid, eid, 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, eid, 'IDLE', ARGV[4], 'JUSTID')
    n = n + 1
  end
end
return n
