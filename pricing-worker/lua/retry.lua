-- retry.lua: after a transient failure, stores the queued record (with the error),
-- emits a queued event, schedules the retry in the delayed set, releases the lock,
-- acknowledges and deletes the entry. Nothing is scheduled if a final record exists.
--
-- KEYS[1]  {p}:result:<id>
-- KEYS[2]  {p}:events
-- KEYS[3]  {p}:jobs:<priority>
-- KEYS[4]  {p}:lock:<id>
-- KEYS[5]  {p}:delayed
-- KEYS[6]  {p}:running           the tenants' in-flight marks
-- ARGV[1]  group
-- ARGV[2]  entry id
-- ARGV[3]  token
-- ARGV[4]  record (JSON)
-- ARGV[5]  id
-- ARGV[6]  record ttl_s
-- ARGV[7]  events MAXLEN (approximate)
-- ARGV[8]  due time, ms since the epoch (the sorted set's score)
-- ARGV[9]  payload (JSON: p, id, model, params, name, tenant, enqueued_at, n)
-- ARGV[10] the entry's in-flight mark, "<tenant>|<token>"
--
-- Returns 1 when the retry was scheduled, 0 when a final record already existed.
local stored = 0
if not is_final(redis.call('GET', KEYS[1])) then
  stored = 1
  redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[6])
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', 'id', ARGV[5], 'status', 'queued')
  redis.call('ZADD', KEYS[5], ARGV[8], ARGV[9])
end
if redis.call('GET', KEYS[4]) == ARGV[3] then redis.call('DEL', KEYS[4]) end
redis.call('ZREM', KEYS[6], ARGV[10])
redis.call('XACK', KEYS[3], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
return stored
