-- take.lua: the fair dispatcher. Sorts new entries of the work streams into per-tenant
-- queues, then hands this worker the next entry of the first allowed priority that has
-- one, round-robin over that priority's tenants across all workers.
--
-- The enqueue stays one XADD on {p}:jobs:<priority> (field `tenant`, optional). New
-- entries are read by the group's pseudo consumer ARGV[3] (`tenant-queue`), so they stay
-- in the group's PEL, owned by no worker, until they are taken: then XCLAIM moves them
-- to this worker and everything else (heartbeat, finish, claim-back) is unchanged. The
-- per-tenant queues only order entry ids; the entries themselves never leave the stream.
--
-- Keys of one tenant are built from ARGV[4] (the prefix, one hash tag): they cannot be
-- declared in advance, and they share the slot of the declared keys.
--
-- KEYS[1..3]  {p}:jobs:urgent, {p}:jobs:normal, {p}:jobs:bulk
-- KEYS[4..6]  {p}:ready:urgent, {p}:ready:normal, {p}:ready:bulk
--             lists of the tenants with queued entries, in turn order
-- KEYS[7]     {p}:running     zset "<tenant>|<token>" -> lease end, ms (in flight)
-- KEYS[8]     {p}:rate        hash tenant -> "<tokens> <ms>" (the rate buckets)
-- KEYS[9]     {p}:events
-- ARGV[1]     group
-- ARGV[2]     this consumer
-- ARGV[3]     the queue's pseudo consumer (`tenant-queue`)
-- ARGV[4]     prefix
-- ARGV[5]     lease ms (the claim idle time: an in-flight mark outlives no worker)
-- ARGV[6]     priorities to take from, in order, as stream indexes: e.g. "1,2,3"; ""
--             sorts new entries only
-- ARGV[7]     most new entries to sort per stream in one call
-- ARGV[8]     limits (JSON, see tenants.rs) or "" for none
-- ARGV[9]     worker name, for records of jobs failed here
-- ARGV[10]    now, RFC 3339 (the `finished_at` of those records)
-- ARGV[11]    record ttl_s
-- ARGV[12]    events MAXLEN (approximate)
--
-- Returns {stream index, entry id, fields, tenant, queued_ms} when an entry was taken,
-- else {0, wait_ms, more, last ids of the three streams}: wait_ms is how long until a
-- rate-limited tenant may start again, or 50 when a tenant waits at its in-flight cap
-- (-1: nothing waits on a limit), more is 1 when new entries are left to sort.
local group, me, queue_consumer, prefix = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prio = {'urgent', 'normal', 'bulk'}

local limits = nil
if ARGV[8] ~= '' then limits = cjson.decode(ARGV[8]) end
local function limit(tenant, field)
  if not limits then return nil end
  local l = limits.t and limits.t[tenant]
  if l and l[field] then return l[field] end
  return limits.d and limits.d[field]
end

local function qkey(tenant, s) return prefix .. ':tq:' .. prio[s] .. ':' .. tenant end
local function queued(tenant)
  local n = 0
  for s = 1, 3 do n = n + redis.call('LLEN', qkey(tenant, s)) end
  return n
end

-- Fails a job at once (over its tenant's queue cap, or a bad tenant name) exactly as
-- finish.lua would: a final record unless one exists, one final event, ack + delete.
local function fail(s, eid, id, f, code, message)
  local rk = prefix .. ':result:' .. id
  if not is_final(redis.call('GET', rk)) then
    local rec = {id = id, status = 'failed', attempts = 0, worker = ARGV[9],
      error = {code = code, message = message}, finished_at = ARGV[10]}
    if f.enqueued_at then rec.enqueued_at = string.sub(f.enqueued_at, 1, 64) end
    redis.call('SET', rk, cjson.encode(rec), 'EX', ARGV[11])
    redis.call('XADD', KEYS[9], 'MAXLEN', '~', ARGV[12], '*', 'id', id, 'status', 'failed')
  end
  redis.call('XACK', KEYS[s], group, eid)
  redis.call('XDEL', KEYS[s], eid)
end

-- Sorting: every new entry goes to its tenant's queue, or fails at once.
local more = 0
local batch = tonumber(ARGV[7])
for s = 1, 3 do
  local r = redis.call('XREADGROUP', 'GROUP', group, queue_consumer, 'COUNT', batch,
    'STREAMS', KEYS[s], '>')
  local entries = (r and r[1] and r[1][2]) or {}
  if #entries >= batch then more = 1 end
  for _, e in ipairs(entries) do
    local eid, flat = e[1], e[2]
    local f = {}
    for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
    local tenant = f.tenant or ''
    if tenant == '' then tenant = 'default' end
    local good = #tenant <= 64 and string.match(tenant, '^[%w%._:%-]+$') ~= nil
    local id = string.match(f.id or '', '^%s*(.-)%s*$')
    local id_ok = #id > 0 and #id <= 1024
    -- A job that ran before (a duplicate, a retry) is never refused here: its first
    -- entry decides.
    local fresh = id_ok and not is_final(redis.call('GET', prefix .. ':result:' .. id))
      and redis.call('EXISTS', prefix .. ':lock:' .. id, prefix .. ':job:' .. id) == 0
    if not good and fresh then
      fail(s, eid, id, f, 'bad_tenant', 'the tenant field must be 1 to 64 letters, digits, ".", "_", ":" or "-" (e.g. partner-42); this job was not priced')
    else
      if not good then tenant = 'default' end
      local cap = limit(tenant, 'q')
      local n = cap and queued(tenant) or 0
      if cap and n >= cap and fresh then
        fail(s, eid, id, f, 'quota_exceeded', 'tenant ' .. tenant .. ' has ' .. n ..
          ' jobs queued, its limit is ' .. cap .. ': retry later (HTTP 429)')
      else
        local q = qkey(tenant, s)
        if redis.call('RPUSH', q, eid) == 1 then redis.call('RPUSH', KEYS[3 + s], tenant) end
      end
    end
  end
end

-- In flight per tenant, across all workers (marks of stopped workers expire).
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now)
local running = nil
local function in_flight(tenant)
  if not running then
    running = {}
    for _, m in ipairs(redis.call('ZRANGE', KEYS[7], 0, -1)) do
      local tn = string.match(m, '^(.-)|')
      if tn then running[tn] = (running[tn] or 0) + 1 end
    end
  end
  return running[tenant] or 0
end

-- The rate bucket of a tenant: tokens refilled at rate/min up to the burst. Returns
-- whether a job may start now and, if not, in how many ms.
local function bucket(tenant)
  local rate = limit(tenant, 'r')
  if not rate then return true, nil, nil end
  local burst = limit(tenant, 'b') or 1
  local tokens, at = burst, now
  local v = redis.call('HGET', KEYS[8], tenant)
  if v then
    local a, b = string.match(v, '^(%S+) (%S+)$')
    tokens, at = tonumber(a) or burst, tonumber(b) or now
  end
  tokens = math.min(burst, tokens + (now - at) * rate / 60000)
  if tokens >= 1 then return true, tokens, nil end
  return false, tokens, math.ceil((1 - tokens) * 60000 / rate)
end

local wait = -1
for d in string.gmatch(ARGV[6], '%d') do
  local s = tonumber(d)
  local ring = KEYS[3 + s]
  local n = redis.call('LLEN', ring)
  for _ = 1, n do
    local tenant = redis.call('LMOVE', ring, ring, 'LEFT', 'RIGHT')
    if not tenant then break end
    local cap = limit(tenant, 'f')
    local ok, tokens, after = bucket(tenant)
    if not ok and (wait < 0 or after < wait) then wait = after end
    local capped = cap and in_flight(tenant) >= cap
    -- At its in-flight cap: a job finishing on another worker frees it, so look again soon.
    if capped and (wait < 0 or wait > 50) then wait = 50 end
    if ok and not capped then
      local q = qkey(tenant, s)
      local eid = redis.call('LPOP', q)
      if redis.call('LLEN', q) == 0 then redis.call('LREM', ring, -1, tenant) end
      if eid then
        local got = redis.call('XCLAIM', KEYS[s], group, me, 0, eid, 'JUSTID')
        local e = got[1] and redis.call('XRANGE', KEYS[s], eid, eid)[1]
        if e then
          local token = prio[s] .. '/' .. eid
          redis.call('ZADD', KEYS[7], now + tonumber(ARGV[5]), tenant .. '|' .. token)
          if tokens then
            redis.call('HSET', KEYS[8], tenant, tostring(tokens - 1) .. ' ' .. now)
          end
          local ms = tonumber(string.match(eid, '^(%d+)')) or now
          return {s, eid, e[2], tenant, now - ms}
        elseif got[1] then
          -- Claimed but deleted (XDEL by hand): nothing to price.
          redis.call('XACK', KEYS[s], group, eid)
        end
      end
    end
  end
end

local last = {}
for s = 1, 3 do
  local ok, info = pcall(redis.call, 'XINFO', 'STREAM', KEYS[s])
  local id = '0-0'
  if ok then
    for i = 1, #info, 2 do if info[i] == 'last-generated-id' then id = info[i + 1] end end
  end
  last[s] = id
end
return {0, wait, more, last[1], last[2], last[3]}
