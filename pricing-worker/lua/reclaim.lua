-- reclaim.lua: claims back the entries of workers that stopped renewing them (dead or
-- cut off), and says for each how many entries its last holder held when it stopped:
-- the one fact that tells "this job killed its worker" from "the worker was killed
-- with several jobs in flight" (docs/protocol.md, "Poison").
--
-- Every idle entry of a holder is claimed in the same call, so the holder's count is
-- taken from one snapshot and no later caller sees a partial one.
--
-- KEYS[1..3]  {p}:jobs:urgent, {p}:jobs:normal, {p}:jobs:bulk
-- ARGV[1]     group
-- ARGV[2]     this consumer
-- ARGV[3]     min idle ms (the claim idle time)
-- ARGV[4]     most idle entries to look at per stream
-- ARGV[5]     the hand-back consumer: its entries were released on shutdown, not
--             left by a death
-- ARGV[6]     the tenant queue's pseudo consumer: its entries wait for their turn
--             (take.lua), they are not in flight
--
-- Returns a flat list of {stream index (1..3), entry id, fields, holder, held, deliveries}.
local group, me, idle = ARGV[1], ARGV[2], ARGV[3]
local held = {}
for s = 1, 3 do
  if redis.call('EXISTS', KEYS[s]) == 1 then
    local ok, cons = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[s], group)
    if ok then
      for _, c in ipairs(cons) do
        local name, pending
        for i = 1, #c, 2 do
          if c[i] == 'name' then name = c[i + 1] end
          if c[i] == 'pending' then pending = c[i + 1] end
        end
        if name then held[name] = (held[name] or 0) + (pending or 0) end
      end
    end
  end
end
local holders = {}
for s = 1, 3 do
  if redis.call('EXISTS', KEYS[s]) == 1 then
    local ok, pend = pcall(redis.call, 'XPENDING', KEYS[s], group, 'IDLE', idle, '-', '+', ARGV[4])
    if ok then
      for _, p in ipairs(pend) do
        -- Our own entries idle this long are orphans too (a take.lua reply lost on a
        -- dropped connection): the heartbeat renews every entry this process holds.
        if p[2] ~= ARGV[6] then holders[p[2]] = true end
      end
    end
  end
end
local out = {}
for holder, _ in pairs(holders) do
  for s = 1, 3 do
    if redis.call('EXISTS', KEYS[s]) == 1 then
      local pend = redis.call('XPENDING', KEYS[s], group, 'IDLE', idle, '-', '+', 1000, holder)
      for _, p in ipairs(pend) do
        local got = redis.call('XCLAIM', KEYS[s], group, me, idle, p[1])
        if got[1] and got[1] ~= false then
          table.insert(out, {s, got[1][1], got[1][2], holder, held[holder] or 1, p[4] + 1})
        end
      end
    end
  end
end
return out
