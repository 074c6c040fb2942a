-- Holds with admitted tokens, each followed on the same thread by a cancel (hold) or a payment (holdpay).
--   wrk ... -s holds.lua -- <hold|holdpay> <tokens file> <threads> <scheduleId:firstSeatId:seats> ...
-- hold cycles tokens and seats (each hold is cancelled at once); holdpay uses each token and seat once
-- (payment revokes the token), then falls back to GET /healthz: size the token file to the run.
-- HOLDS_PAUSE_MS set: each connection pauses that long before each request, a paced load instead of
-- the most the server can take (wrk asks for delay() when the script is loaded, before init).
local pause = tonumber(os.getenv("HOLDS_PAUSE_MS") or "")
if pause then
    function delay() return pause end
end

local threads_seen = {}
function setup(thread)
    thread:set("thread_index", #threads_seen)
    table.insert(threads_seen, thread)
end

-- Requests that were not part of the measured mix (tokens or seats ran out): printed for the caller.
function done(summary, latency, requests)
    local fillers = 0
    for _, thread in ipairs(threads_seen) do fillers = fillers + thread:get("fillers") end
    print("fillers " .. fillers)
end

local json = {["Content-Type"] = "application/json"}

function init(args)
    mode, threads = args[1], tonumber(args[3])
    tokens, users, by_user = {}, {}, {}
    local n = 0
    for line in io.lines(args[2]) do
        local user, token = line:match("(%d+) (%S+)")
        if user and n % threads == thread_index then
            table.insert(users, user)
            by_user[user] = token
        end
        n = n + 1
    end
    seats = {}
    for k = 4, #args do
        local schedule, first, count = args[k]:match("(%d+):(%d+):(%d+)")
        for s = tonumber(first) + thread_index, tonumber(first) + tonumber(count) - 1, threads do
            table.insert(seats, {schedule, s})
        end
    end
    next_user, next_seat, followups, fillers = 1, 1, {}, 0
end

function request()
    local followup = table.remove(followups)
    if followup then
        if mode == "hold" then
            return wrk.format("DELETE", "/v1/reservations/" .. followup[1], {["Authorization"] = "Bearer " .. followup[2]})
        end
        local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. followup[2]}
        return wrk.format("POST", "/v1/payments", headers, '{"reservationId":' .. followup[1] .. '}')
    end
    if mode == "holdpay" and (next_user > #users or next_seat > #seats) then
        fillers = fillers + 1
        return wrk.format("GET", "/healthz")
    end
    if mode == "hold" then
        if next_user > #users then next_user = 1 end
        if next_seat > #seats then next_seat = 1 end
    end
    local user, seat = users[next_user], seats[next_seat]
    next_user, next_seat = next_user + 1, next_seat + 1
    local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. by_user[user]}
    return wrk.format("POST", "/v1/reservations", headers, '{"scheduleId":' .. seat[1] .. ',"seatIds":[' .. seat[2] .. ']}')
end

function response(status, headers, body)
    if status == 201 and body:find('"status":"HELD"', 1, true) then
        local id, user = body:match('^{"id":(%d+),"userId":(%d+)')
        if id and by_user[user] then table.insert(followups, {id, by_user[user]}) end
    end
end
