-- bench/wrk_list.lua: wrk sends the requests of a file, each once, then
-- stops; used by bench/bench.py for what cannot be sent twice (a booking
-- form's token, a confirmation code) and for the forms whose tokens it
-- harvests.
--   wrk -tT ... -s bench/wrk_list.lua URL -- LIST OUT T
-- LIST: one request a line, tab-separated: method, path, Cookie header
-- ("-" for none), body ("-" for none; form-urlencoded). The threads share
-- the lines out (line n to thread n mod threads).
-- OUT (a prefix): each thread writes OUT.<thread> with one line per
-- answer: status, the creneau-client cookie it set (or "-"), the form's
-- action and token when the page has a token field (or "-"), the Location
-- (or "-"), the time of the answer (CLOCK_MONOTONIC, seconds); and a first
-- line "start", the time of its first request. bench/bench.py counts the
-- statuses and the rate from these files: a thread that has sent its
-- whole list stops, but wrk itself runs to the end of -d, so its own
-- Requests/sec would count that idle time.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *tp);
]]
local tsbuf = ffi.new("bench_timespec")
local function now()
   ffi.C.clock_gettime(1, tsbuf)
   return tonumber(tsbuf.tv_sec) + tonumber(tsbuf.tv_nsec) / 1e9
end
local nthreads = 0

function setup(thread)
   thread:set("id", nthreads)
   nthreads = nthreads + 1
end

local reqs, n, out
local stopped = false

function init(args)
   local list, prefix = args[1], args[2]
   reqs = {}
   local total = tonumber(args[3])
   local id = tonumber(wrk.thread:get("id"))
   local lineno = 0
   for line in io.lines(list) do
      if lineno % total == id then
         local m, p, c, b = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
         local h = {}
         if c ~= "-" then h["Cookie"] = c end
         if b == "-" then
            b = nil
         else
            h["Content-Type"] = "application/x-www-form-urlencoded"
         end
         h["Accept-Language"] = "fr"
         table.insert(reqs, wrk.format(m, p, h, b))
      end
      lineno = lineno + 1
   end
   n = 0
   out = io.open(prefix .. "." .. id, "w")
end

function request()
   n = n + 1
   if n == 1 then
      out:write("start\t", string.format("%.6f", now()), "\n")
   end
   if n > #reqs then
      stopped = true
      wrk.thread:stop()
      -- A request must be returned: a harmless one that is not counted.
      return wrk.format("GET", "/healthz")
   end
   return reqs[n]
end

function response(status, headers, body)
   if stopped then return end
   local cookie, action, token, loc = "-", "-", "-", "-"
   local sc = headers["Set-Cookie"] or headers["set-cookie"]
   if sc then
      local c = sc:match("(creneau%-client=[^;]*)")
      if c then cookie = c end
   end
   if body then
      local a = body:match('<form[^>]-action="(/book/[^"]+)"')
      local t = body:match('<input[^>]-name="token"[^>]-value="([^"]*)"')
      if a and t and t ~= "" then action, token = a, t end
   end
   loc = headers["Location"] or headers["location"] or "-"
   out:write(status, "\t", cookie, "\t", action, "\t", token, "\t", loc, "\t",
             string.format("%.6f", now()), "\n")
end
