-- wrk script: POST a new post through the real form (not htmx: the answer is a 303).
-- bench/run.py puts the url-encoded form (csrf_token + post) in BENCH_FORM and the
-- logged-in session cookie in BENCH_COOKIE. Any answer but 303 (a refused form, a login
-- redirect) is counted and reported as "Unexpected status: N".
wrk.method = "POST"
wrk.body = os.getenv("BENCH_FORM") or ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE") or ""
wrk.headers["User-Agent"] = os.getenv("BENCH_USER_AGENT") or ""

local threads = {}
local counter = 0
local run = os.time()

-- Each post says something new (a run stamp and a counter after the text): the app takes
-- the same words from the same author within minutes for a resent form, and stores one.
function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, wrk.body .. "+" .. run .. "-" .. counter)
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
end

function response(status, headers, body)
  if status ~= 303 then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
  end
  io.write(string.format("Unexpected status: %d\n", total))
end
