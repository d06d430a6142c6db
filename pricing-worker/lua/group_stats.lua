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
    local pending = f['pending'] or 0
    local lag = f['lag']
    if type(lag) == 'number' then return {len, lag, pending, 'redis'} end
    local last = f['last-delivered-id'] or '0-0'
    local bound = tonumber(ARGV[2])
    local after = redis.call('XRANGE', KEYS[1], '(' .. last, '+', 'COUNT', bound)
    if #after < bound then return {len, #after, pending, 'counted'} end
    local est = len - pending
    if est < #after then est = #after end
    return {len, est, pending, 'estimated'}
  end
end
return {len, len, 0, 'no_group'}
