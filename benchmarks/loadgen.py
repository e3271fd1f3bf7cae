"""Closed-loop or paced HTTP load with ``wrk`` (Debian package, installed by scripts/setup.sh).

A load generator written in Python spends about as much CPU per request as the server it
measures; on a 2-core machine that halves what the server can show. wrk is C and event-driven:
``connections`` keep-alive connections each send the next request as soon as the answer is in
(or, paced, at a fixed total rate), cycling through a fixed list of requests (one per simulated
terminal and endpoint).

``run_wrk`` returns throughput and latency percentiles as wrk measured them; any response with a
status ≥ 400, a socket error or a timeout is counted in ``errors`` so a fast stream of refusals
cannot pass for throughput.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_LUA = """
local specs = {
%s
}
local prepared = {}
local i = 0

function init(args)
  for k, s in ipairs(specs) do
    prepared[k] = wrk.format(s[1], s[2], {["Authorization"] = s[3]})
  end
  -- Threads start at different places in the list so they do not march in step.
  i = (tonumber(wrk.thread:get("offset")) or 0) %% #prepared
end

local next_offset = 0
function setup(thread)
  thread:set("offset", next_offset)
  next_offset = next_offset + 7
end

function request()
  i = i %% #prepared + 1
  return prepared[i]
end

-- Paced mode: this thread sends one request every interval_ms (a fixed offered rate), on whichever
-- connection is free, instead of each connection sending again as soon as it has its answer.
local interval_ms = %s
if interval_ms > 0 then
  local ffi = require("ffi")
  ffi.cdef[[
    typedef struct { long tv_sec; long tv_nsec; } renshe_timespec;
    int clock_gettime(int clk_id, renshe_timespec *tp);
  ]]
  local ts = ffi.new("renshe_timespec")
  local next_at = 0
  function delay()
    ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
    local now = tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
    if next_at < now - 1000 then
      next_at = now  -- start, or the server fell a second behind: do not burst to catch up
    end
    next_at = next_at + interval_ms
    return math.max(0, next_at - now)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "errors": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


class LoadGeneratorMissing(RuntimeError):
    """wrk is not installed (scripts/setup.sh installs it)."""


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    authorization: str = ""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _lua_string(value: str) -> str:
    if any(ch in value for ch in "[]\n\r"):
        raise ValueError(f"unexpected character in request field: {value!r}")
    return f"[[{value}]]"


def run_wrk(
    base_url: str,
    requests: list[HttpRequest],
    connections: int,
    seconds: float,
    threads: int = 1,
    rate: float | None = None,
) -> LoadResult:
    """Drive ``base_url`` with ``connections`` concurrent keep-alive clients for ``seconds``.

    Without ``rate`` each connection sends its next request as soon as the answer is in (the most
    the server can do at this concurrency). With ``rate`` requests go out at that many per second
    in all, spread over the connections (latency at a given load).
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        raise LoadGeneratorMissing("wrk not found: run scripts/setup.sh (Debian package wrk)")
    if not requests:
        raise ValueError("no requests to send")
    specs = ",\n".join(
        f"  {{{_lua_string(r.method)}, {_lua_string(r.path)}, {_lua_string(r.authorization)}}}" for r in requests
    )
    with tempfile.TemporaryDirectory(prefix="wrk-") as tmp:
        script = Path(tmp) / "load.lua"
        interval_ms = 1000.0 * threads / rate if rate else 0.0
        script.write_text(_LUA % (specs, f"{interval_ms:.6f}"))
        cmd = [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base_url,
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip()[:300]}")
    line = next((ln for ln in reversed(out.stdout.splitlines()) if ln.startswith("{")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {out.stdout[-300:]}")
    data = json.loads(line)
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["errors"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )
