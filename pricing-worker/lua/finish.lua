-- finish.lua: stores a final record (done, failed, dead) unless one exists, emits the
-- one final event, dead-letters when asked, releases the lock, drops the job hash,
-- acknowledges and deletes the entry. All or nothing.
--
-- KEYS[1]  {p}:result:<id>
-- KEYS[2]  {p}:events
-- KEYS[3]  {p}:jobs:<priority>   the entry's work stream
-- KEYS[4]  {p}:lock:<id>
-- KEYS[5]  {p}:dead
-- KEYS[6]  {p}:job:<id>
-- KEYS[7]  {p}:running           the tenants' in-flight marks
-- ARGV[1]  group
-- ARGV[2]  entry id
-- ARGV[3]  token
-- ARGV[4]  record (JSON)
-- ARGV[5]  status: done, failed or dead
-- ARGV[6]  id
-- ARGV[7]  total price for the event, or ''
-- ARGV[8]  record ttl_s
-- ARGV[9]  events/dead MAXLEN (approximate)
-- ARGV[10] the entry's in-flight mark, "<tenant>|<token>"
-- ARGV[11..] when status is dead: the dead-letter entry's field/value pairs
--
-- Returns 1 when the record was stored, 0 when a final record already existed.
local stored = 0
if not is_final(redis.call('GET', KEYS[1])) then
  stored = 1
  redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[8])
  local ev = {'id', ARGV[6], 'status', ARGV[5]}
  if ARGV[7] ~= '' then table.insert(ev, 'total'); table.insert(ev, ARGV[7]) end
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[9], '*', unpack(ev))
  if ARGV[5] == 'dead' and #ARGV > 10 then
    local f = {}
    for i = 11, #ARGV do table.insert(f, ARGV[i]) end
    redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[9], '*', unpack(f))
  end
end
if redis.call('GET', KEYS[4]) == ARGV[3] then redis.call('DEL', KEYS[4]) end
redis.call('DEL', KEYS[6])
redis.call('ZREM', KEYS[7], ARGV[10])
redis.call('XACK', KEYS[3], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
return stored
