-- promote.lua: moves due retries from the delayed set back onto their work streams.
--
-- KEYS[1]  {p}:delayed
-- KEYS[2]  {p}:jobs:urgent
-- KEYS[3]  {p}:jobs:normal
-- KEYS[4]  {p}:jobs:bulk
-- ARGV[1]  now, ms since the epoch
-- ARGV[2]  most retries to move in one call
--
-- A payload's `p` is the priority index (0 urgent, 1 normal, 2 bulk). Returns how many
-- payloads were taken off the set (malformed ones are dropped).
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, p in ipairs(due) do
  redis.call('ZREM', KEYS[1], p)
  local ok, d = pcall(cjson.decode, p)
  if ok and type(d) == 'table' and type(d.id) == 'string' and type(d.model) == 'string' then
    local key = KEYS[2 + (tonumber(d.p) or 1)] or KEYS[3]
    local f = {'id', d.id, 'model', d.model}
    if type(d.params) == 'string' then table.insert(f, 'params'); table.insert(f, d.params) end
    if type(d.name) == 'string' then table.insert(f, 'name'); table.insert(f, d.name) end
    if type(d.tenant) == 'string' then table.insert(f, 'tenant'); table.insert(f, d.tenant) end
    if type(d.enqueued_at) == 'string' then table.insert(f, 'enqueued_at'); table.insert(f, d.enqueued_at) end
    redis.call('XADD', key, '*', unpack(f))
  end
end
return #due
