"""Where the generated service's CPU goes on a read: the server under cProfile while wrk drives it,
then its time per request by package and its costliest functions.

cProfile slows every Python call, so the absolute figures are larger than in the timed runs;
the shares are what to read. Also runnable alone against a loaded database:

    uv run python benchmarks/profile_get.py SERVICE PYTHON DATABASE [one|list]
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench_http import Data
from bench_service import id_range
from serving import App, drive, served

# Run by the service's own Python (a profile file is read by the version that wrote it).
REPORT = r"""
import pstats, sys
from collections import defaultdict

stats = pstats.Stats(sys.argv[1]).stats
# Requests received: uvicorn's parser calls this once per request (an `async def` would count each
# of its resumptions as a call).
requests = sum(v[0] for k, v in stats.items() if k[2] == "on_message_complete" and "uvicorn/protocols" in k[0])

def package(filename):
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/src/" in filename:
        return "src/" + filename.split("/src/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if filename.startswith("<") or filename == "~":
        return "built-ins"
    return "stdlib " + filename.rsplit("/", 1)[-1].removesuffix(".py")

shares = defaultdict(float)
for (filename, _line, _name), (_calls, _primitive, own, _cumulative, _callers) in stats.items():
    shares[package(filename)] += own
total = sum(shares.values())
print(f"  {'where':32} {'µs/req':>8} {'share':>6}")
for name, own in sorted(shares.items(), key=lambda item: -item[1])[:14]:
    print(f"  {name:32} {own / requests * 1e6:8.1f} {own / total:6.1%}")
print(f"  {'all (under the profiler)':32} {total / requests * 1e6:8.1f}")
print()
print(f"  {'function (own time)':60} {'µs/req':>8} {'calls/req':>9}")
top = sorted(stats.items(), key=lambda item: -item[1][2])[:20]
for (filename, line, name), (calls, _primitive, own, _cumulative, _callers) in top:
    where = f"{package(filename)}: {name}" + (f" ({filename.rsplit('/', 1)[-1]}:{line})" if line else "")
    print(f"  {where[:60]:60} {own / requests * 1e6:8.1f} {calls / requests:9.1f}")
"""


def profile(app: App, python: Path, data: Data, scenario: str, seconds: int, connections: int, logs: Path) -> str:
    """The report of a profiled run of `scenario`, after a warm-up as long, not profiled."""
    output = logs / f"{app.name}-{scenario}.prof"
    with served(app, python, app.database_env(data.database), data.ready_path,
                logs / f"{app.name}-{scenario}-profile.log", profile=output) as server:  # fmt: skip
        drive(server, data.lua_env(scenario), seconds, connections)  # warm-up, not profiled
        os.kill(server.pid, signal.SIGUSR1)
        drive(server, data.lua_env(scenario), seconds, connections)
        os.kill(server.pid, signal.SIGUSR2)
        deadline = time.monotonic() + 60
        while not output.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # the last of the file written
    report = subprocess.run([python, "-c", REPORT, output], capture_output=True, text=True,
                            check=True, timeout=120)  # fmt: skip
    return report.stdout


def main() -> None:
    service, python, database = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    scenario = sys.argv[4] if len(sys.argv) > 4 else "one"
    data = Data(database, *id_range(database))
    app = App("generated", "src.main:app", service, "DATABASE_URL", "postgresql+asyncpg",
              {"ORDERS_OFFSET_MAX": "1000000", "ENVIRONMENT": "local"})  # fmt: skip
    logs = Path(service) / "profile-logs"
    logs.mkdir(exist_ok=True)
    print(profile(app, python, data, scenario, 5, 32, logs))


if __name__ == "__main__":
    main()
