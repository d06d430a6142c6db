-- start.lua: claims job <id> for one stream entry and counts the attempt.
--
-- KEYS[1]  {p}:result:<id>   the job's record
-- KEYS[2]  {p}:lock:<id>     which entry is pricing the id
-- KEYS[3]  {p}:job:<id>      hash: attempts, deaths, alone (the one attempts counter)
-- ARGV[1]  token             "<priority>/<entry id>"
-- ARGV[2]  lease_ms          lock lifetime (the heartbeat extends it)
-- ARGV[3]  death             'none', 'shared' or 'alone': how the entry's last holder
--                            ended (claimed back from a dead worker that held other
--                            jobs too, or this job alone)
-- ARGV[4]  ttl_s             lifetime of the job hash (and of the running record)
--
-- Optionally, the running mark in the same call (what running.lua does, saving the
-- worker a round trip), written only when the job is to be priced: attempts within
-- ARGV[5] and deaths alone under ARGV[6], the worker's own rules (retry::at_start),
-- which still decide; this only keeps a poison or exhausted job from showing running.
-- KEYS[4]  {p}:events
-- ARGV[5]  max attempts
-- ARGV[6]  max deaths alone (max_deliveries)
-- ARGV[7]  the running record (JSON) up to its attempts number
-- ARGV[8]  the running record after its attempts number
-- ARGV[9]  events MAXLEN (approximate)
-- ARGV[10] id
--
-- Returns {'final', record} when a final record exists, {'busy', holder} when another
-- entry (a duplicate enqueue) holds the id, else
-- {'ok', previous record or false, attempts, deaths, alone, marked (1 or 0)}.
-- Deaths and the attempt are counted only on 'ok', so a duplicate changes nothing.
local cur = redis.call('GET', KEYS[1])
if is_final(cur) then return {'final', cur} end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {'busy', holder} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
if ARGV[3] == 'shared' or ARGV[3] == 'alone' then
  redis.call('HINCRBY', KEYS[3], 'deaths', 1)
end
if ARGV[3] == 'alone' then
  redis.call('HINCRBY', KEYS[3], 'alone', 1)
end
local attempts = redis.call('HINCRBY', KEYS[3], 'attempts', 1)
redis.call('EXPIRE', KEYS[3], ARGV[4])
local deaths = tonumber(redis.call('HGET', KEYS[3], 'deaths') or '0')
local alone = tonumber(redis.call('HGET', KEYS[3], 'alone') or '0')
local marked = 0
if ARGV[10] and alone < tonumber(ARGV[6]) and attempts <= tonumber(ARGV[5]) then
  redis.call('SET', KEYS[1], ARGV[7] .. attempts .. ARGV[8], 'EX', ARGV[4])
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[9], '*', 'id', ARGV[10], 'status', 'running')
  marked = 1
end
return {'ok', cur or false, attempts, deaths, alone, marked}
