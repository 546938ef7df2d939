#include "cluster/redis_functions.hpp"

namespace smartlog::cluster {

namespace {

// Numbers pass through string.format('%d') (Lua 5.1 would print 1e+15 with tostring); offsets
// and times stay far below 2^53, where Lua's doubles are exact. Epochs come from TIME in
// microseconds and only grow, so a restarted, emptied Redis makes an epoch no node has seen.
constexpr std::string_view kLibrary = R"lua(#!lua name=smartlog

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function new_epoch(old)
  local t = redis.call('TIME')
  local e = tonumber(string.format('%d%06d', tonumber(t[1]), tonumber(t[2])))
  if old and e <= tonumber(old) then e = tonumber(old) + 1 end
  return string.format('%d', e)
end

local function header(kind, epoch, first, count, time, app)
  return string.format('%s%s %d %d %d %d:%s\n', kind, epoch, first, count, time, #app, app)
end

-- KEYS: meta, stream, and the batch's retry key when its producer named it. ARGV: app, count,
-- payload, keep (entries to keep), channel, run (this Redis' run id as the caller read it; may be
-- empty); with a retry key, how long to remember it (ms). Returns {epoch, first offset, time},
-- and a 4th element 1 when a batch was appended under that key already: then nothing is done
-- now, and the answer is the first one's.
-- The first append under a new run id remembers, as 'base', the top it found: what survived
-- from the previous run (a restart or a failover), which smartlog_verify compares with what
-- the nodes had seen.
local function append(keys, args)
  local app, n, payload = args[1], tonumber(args[2]), args[3]
  local keep, channel, run = tonumber(args[4]), args[5], args[6] or ''
  if keys[3] then
    local seen = redis.call('GET', keys[3])
    if seen then
      local e, f, t = string.match(seen, '^(%S+) (%d+) (%d+)$')
      if e then return {e, tonumber(f), tonumber(t), 1} end
    end
  end
  local m = redis.call('HMGET', keys[1], 'epoch', 'top', 'time', 'run')
  local epoch = m[1]
  local top = tonumber(m[2] or '0')
  local time = now_ms()
  if not epoch then
    epoch = new_epoch(nil)
  end
  if run ~= '' and m[4] ~= run then
    redis.call('HSET', keys[1], 'run', run, 'base', string.format('%d', top))
  end
  local last = tonumber(m[3] or '0')
  if time < last then time = last end
  local first = top + 1
  top = top + n
  redis.call('HSET', keys[1], 'epoch', epoch, 'top', string.format('%d', top),
             'time', string.format('%d', time))
  local msg = header('B', epoch, first, n, time, app) .. payload
  local minid = top - keep + 1
  if minid > 1 then
    redis.call('XADD', keys[2], 'MINID', '~', string.format('%d', minid),
               string.format('%d-0', first), 'm', msg)
  else
    redis.call('XADD', keys[2], string.format('%d-0', first), 'm', msg)
  end
  redis.call('PUBLISH', channel, msg)
  if keys[3] then
    redis.call('SET', keys[3], string.format('%s %d %d', epoch, first, time), 'PX', args[7])
  end
  return {epoch, first, time}
end

-- KEYS: meta, stream. ARGV: app, cleared_by, count, channel. A new epoch; offsets go on.
local function clear(keys, args)
  local app, by, count, channel = args[1], args[2], tonumber(args[3]), args[4]
  local m = redis.call('HMGET', keys[1], 'epoch', 'top', 'time')
  local epoch = new_epoch(m[1])
  local top = tonumber(m[2] or '0')
  local time = now_ms()
  local last = tonumber(m[3] or '0')
  if time < last then time = last end
  redis.call('DEL', keys[2])
  redis.call('HSET', keys[1], 'epoch', epoch, 'top', string.format('%d', top),
             'time', string.format('%d', time))
  redis.call('PUBLISH', channel, header('C', epoch, top + 1, count, time, app) .. by)
  return {epoch, top + 1, time}
end

-- KEYS: meta, stream. ARGV: from (an offset; 0: the tail), limit (entries).
-- Returns {epoch or false, top, batch messages oldest first}: every kept batch holding an
-- offset >= from (a repair: all the stream still keeps of it), or with from = 0 the batches
-- holding the last `limit` offsets.
local function read(keys, args)
  local m = redis.call('HMGET', keys[1], 'epoch', 'top')
  if not m[1] then return {false, 0} end
  local top = tonumber(m[2] or '0')
  local lowest = top - tonumber(args[2]) + 1
  local from = tonumber(args[1])
  if from > 0 then lowest = from end
  local newest_first = {}
  local last = '+'
  local done = false
  while not done do
    local chunk = redis.call('XREVRANGE', keys[2], last, '-', 'COUNT', 64)
    for _, e in ipairs(chunk) do
      newest_first[#newest_first + 1] = e[2][2]
      last = '(' .. e[1]
      if tonumber(string.match(e[1], '^(%d+)')) <= lowest then
        done = true
        break
      end
    end
    if #chunk < 64 then done = true end
  end
  local out = {m[1], top}
  for i = #newest_first, 1, -1 do out[#out + 1] = newest_first[i] end
  return out
end

-- KEYS: meta, stream. ARGV: epoch, top (the app's position as the caller last saw it, under
-- another run id of this Redis), run (this Redis' run id now). When Redis has lost acknowledged
-- entries of that epoch (the meta key is gone, or fewer offsets survived than the caller saw),
-- a new epoch: the stream is deleted (what survived would resume viewers past a hole without
-- a gap), offsets go on from the highest seen. Returns {epoch, 1 when a new one was made}.
local function verify(keys, args)
  local known_epoch, known_top, run = args[1], tonumber(args[2]), args[3]
  local m = redis.call('HMGET', keys[1], 'epoch', 'top', 'time', 'run', 'base')
  if m[1] and m[1] ~= known_epoch then return {m[1], 0} end
  local top = tonumber(m[2] or '0')
  local survived = top
  if m[4] == run then survived = tonumber(m[5] or m[2] or '0') end
  if m[1] and survived >= known_top then return {m[1], 0} end
  local epoch = new_epoch(m[1] or known_epoch)
  if known_top > top then top = known_top end
  local time = now_ms()
  local last = tonumber(m[3] or '0')
  if time < last then time = last end
  redis.call('DEL', keys[2])
  redis.call('HSET', keys[1], 'epoch', epoch, 'top', string.format('%d', top),
             'time', string.format('%d', time), 'run', run, 'base', string.format('%d', top))
  return {epoch, 1}
end

-- KEYS: the app's connections hash (a field per node: "<count> <expiry ms>"). ARGV: node, count,
-- ttl (ms). Sets this node's count (0 removes it), forgets the counts of nodes that stopped
-- publishing, and returns the sum of the other nodes' counts.
local function connections(keys, args)
  local node, count, ttl = args[1], tonumber(args[2]), tonumber(args[3])
  local now = now_ms()
  if count > 0 then
    redis.call('HSET', keys[1], node, string.format('%d %d', count, now + ttl))
    if redis.call('PTTL', keys[1]) < ttl then redis.call('PEXPIRE', keys[1], ttl) end
  else
    redis.call('HDEL', keys[1], node)
  end
  local others = 0
  local all = redis.call('HGETALL', keys[1])
  for i = 1, #all, 2 do
    local c, expiry = string.match(all[i + 1], '^(%d+) (%d+)$')
    if not c or tonumber(expiry) <= now then
      redis.call('HDEL', keys[1], all[i])
    elseif all[i] ~= node then
      others = others + tonumber(c)
    end
  end
  return others
end

redis.register_function('smartlog_append', append)
redis.register_function('smartlog_connections', connections)
redis.register_function('smartlog_clear', clear)
redis.register_function('smartlog_verify', verify)
redis.register_function{function_name = 'smartlog_read', callback = read, flags = {'no-writes'}}
)lua";

}  // namespace

std::string_view function_library() { return kLibrary; }

std::string meta_key(std::string_view app) {
    return "smartlog:{" + std::string(app) + "}:meta";
}

std::string stream_key(std::string_view app) {
    return "smartlog:{" + std::string(app) + "}:stream";
}

std::string retry_key(std::string_view app, std::string_view user_id, std::string_view ref,
                      std::uint64_t digest) {
    return "smartlog:{" + std::string(app) + "}:ref:" + std::to_string(digest) + ":" +
           std::to_string(user_id.size()) + ":" + std::string(user_id) + ":" + std::string(ref);
}

std::string connections_key(std::string_view app) {
    return "smartlog:{" + std::string(app) + "}:connections";
}

}  // namespace smartlog::cluster
