"""Pages deep in a large table: the latency of the first page, of an offset page near the end and,
where the generated service pages by cursor, of a cursor page near the end; at the loaded size
and again after growing the orders to a million. One sequential client, one keep-alive
connection, the median of a few requests after a warm-up one."""

import statistics
from pathlib import Path
from urllib.parse import quote, urlsplit

from bench_http import PAGE, Data
from bench_service import grow, id_range
from serving import App, Client, served

REPEATS = 5


Latencies = dict[tuple[int, str], dict[str, float | str]]


def _latency(client: Client, path: str | None) -> float | str:
    """Median milliseconds of `path`, the status it answered instead of a 200, or "—" without one."""
    if path is None:
        return "—"
    times = []
    for _ in range(REPEATS + 1):
        status, _body, seconds = client.get(path)
        if status != 200:
            return f"HTTP {status}"
        times.append(seconds)
    return statistics.median(times[1:]) * 1000


def _ms(value: float | str) -> str:
    return f"{value:,.1f}" if isinstance(value, float) else value


def _cursor_path(client: Client, count: int) -> str | None:
    """A path continuing by cursor from the page before the last two, or None without cursors."""
    status, body, _ = client.get(f"/orders?limit={PAGE}&offset={max(count - 3 * PAGE, 0)}")
    following = body.get("next") if status == 200 and isinstance(body, dict) else None
    if not isinstance(following, str) or not following:
        return None
    if following.startswith(("/", "http://", "https://")):
        parts = urlsplit(following)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path
    return f"/orders?limit={PAGE}&cursor={quote(following, safe='')}"


def supports_cursor(body: object) -> bool:
    """Whether a list page of the generated service carries a `next` cursor."""
    return isinstance(body, dict) and "next" in body


def measure(apps: list[App], python: Path, database: str, sizes: list[int], cursor: bool, logs: Path) -> Latencies:
    """Prints a Markdown table of the three latencies for each size and app, a row at a time (the
    table grows in between), and returns them."""
    print("| orders | app | first page ms | offset page near the end ms | cursor page near the end ms |")
    print("|---:|---|---:|---:|---:|", flush=True)
    latencies: Latencies = {}
    for size in sizes:
        grow(database, size)
        low, high, count = id_range(database)
        data = Data(database, low, high, count)
        for app in apps:
            log = logs / f"{app.name}-deep-{size}.log"
            with served(app, python, app.database_env(database), data.ready_path, log) as server:
                client = Client(server, timeout=120)
                try:
                    pages = {
                        "first": _latency(client, f"/orders?limit={PAGE}&offset=0"),
                        "last": _latency(client, f"/orders?limit={PAGE}&offset={count - 2 * PAGE}"),
                        "cursor": _latency(
                            client, _cursor_path(client, count) if cursor and app.name == "generated" else None
                        ),
                    }
                finally:
                    client.close()
            latencies[count, app.name] = pages
            last = f"{_ms(pages['last'])} (offset {count - 2 * PAGE:,})"
            print(f"| {count:,} | {app.name} | {_ms(pages['first'])} | {last} | {_ms(pages['cursor'])} |", flush=True)
    return latencies
