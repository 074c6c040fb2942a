-- Requests over a range of user ids, spread over wrk's threads (scripts/bench-http).
--   wrk ... -s users.lua -- <create|join|charge> <first> <count> <threads> <once|cycle> [concert|amount] [tokens]
-- once: each id once, then GET /healthz as filler (a setup step: check its effect, not wrk's numbers);
-- cycle: round and round (a benchmark). With `tokens` (join, one connection per thread, so that each
-- response answers the thread's last request) "userId token" lines go to <tokens>.<thread>.
local created = 0
function setup(thread)
    thread:set("thread_index", created)
    created = created + 1
end

local json = {["Content-Type"] = "application/json"}

function init(args)
    action, first, count, threads, mode, extra = args[1], tonumber(args[2]), tonumber(args[3]), tonumber(args[4]), args[5], args[6]
    i = thread_index
    if args[7] then out = io.open(args[7] .. "." .. thread_index, "w") end
end

function request()
    -- wrk calls thread 0's request() once before the run to count pipelined requests: not an id.
    if thread_index == 0 and not verified then
        verified = true
        return wrk.format("GET", "/healthz")
    end
    if mode == "once" and i >= count then
        -- Done: cheap filler until the script that started wrk sees the effect and stops it (stopping
        -- the thread here would drop the requests still in flight on its other connections).
        pending = nil
        return wrk.format("GET", "/healthz")
    end
    pending = first + (i % count)
    i = i + threads
    if action == "create" then
        return wrk.format("POST", "/v1/users", json, '{"name":"bench"}')
    elseif action == "join" then
        return wrk.format("POST", "/v1/concerts/" .. extra .. "/queue", json, '{"userId":' .. pending .. '}')
    end
    return wrk.format("POST", "/v1/users/" .. pending .. "/balance/charge", json, '{"amount":' .. extra .. '}')
end

function response(status, headers, body)
    if out and pending then
        local token = body:match('"token":"([^"]+)"')
        if token then
            out:write(pending, " ", token, "\n")
            out:flush()
        end
    end
end
