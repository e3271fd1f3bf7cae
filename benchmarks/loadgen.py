"""Closed-loop HTTP load with ``wrk`` (Debian package, installed by scripts/setup.sh).

A load generator written in Python spends about as much CPU per request as the server it
measures; on a 2-core machine that halves what the server can show. wrk is C and event-driven:
``connections`` keep-alive connections each send the next request as soon as the answer is in,
cycling through a fixed list of requests (one per simulated terminal and endpoint).

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
    base_url: str, requests: list[HttpRequest], connections: int, seconds: float, threads: int = 1
) -> LoadResult:
    """Drive ``base_url`` with ``connections`` concurrent keep-alive clients for ``seconds``."""
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
        script.write_text(_LUA % specs)
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
