-- group_stats.lua: length, lag and pending of one work stream for the consumer group.
--
-- Redis reports a NULL lag after a restart, or when entries were deleted out of order
-- (it can no longer tell how many entries lie after the group's last-delivered id).
-- The backlog is real all the same, so then it is counted: the entries after the
-- last-delivered id, up to ARGV[2]; past that, XLEN - pending (exact while finished
-- entries are deleted, which the workers always do).
--
-- KEYS[1]  {p}:jobs:<priority>
-- ARGV[1]  group
-- ARGV[2]  most entries to count one by one
-- ARGV[3]  the tenant queue's pseudo consumer: its entries were sorted into tenant
--          queues (take.lua) and wait for their turn, so they count as lag, not pending
--
-- Returns {length, lag, pending, source}: source 'redis' (XINFO's lag), 'counted',
-- 'estimated' (XLEN - pending) or 'no_group' (every entry is lag).
local len = redis.call('XLEN', KEYS[1])
if len == 0 and redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0, 0, 'no_group'} end
local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1])
if not ok then return {len, len, 0, 'no_group'} end
for _, g in ipairs(groups) do
  local f = {}
  for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
  if f['name'] == ARGV[1] then
    local sorted = 0
    for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
      local name, n
      for i = 1, #c, 2 do
        if c[i] == 'name' then name = c[i + 1] end
        if c[i] == 'pending' then n = c[i + 1] end
      end
      if name == ARGV[3] then sorted = n or 0 end
    end
    local pending = (f['pending'] or 0) - sorted
    local lag = f['lag']
    if type(lag) == 'number' then return {len, lag + sorted, pending, 'redis'} end
    local last = f['last-delivered-id'] or '0-0'
    local bound = tonumber(ARGV[2])
    local after = redis.call('XRANGE', KEYS[1], '(' .. last, '+', 'COUNT', bound)
    if #after < bound then return {len, #after + sorted, pending, 'counted'} end
    local est = len - pending
    if est < #after + sorted then est = #after + sorted end
    return {len, est, pending, 'estimated'}
  end
end
return {len, len, 0, 'no_group'}
