"""Prints what background jobs cost and carry in a generated service: the microseconds a request's
transaction pays to enqueue a job (its outbox row), the throughput of the relay and one worker
(jobs/s), and the delay from enqueue to start (p50, p99) at a steady rate the worker keeps up with.

    uv run python benchmarks/bench_jobs.py [--broker redis|rabbitmq] [--jobs 5000] [--rate 50]

One PostgreSQL service generated with `--data jobs=BROKER`, a no-op task added by
`fastapi-domains task items touch`, one worker process (`python -m src.core.jobs worker`, default
settings but its log level). Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and the
broker: Redis on 127.0.0.1:6379 or RabbitMQ on 127.0.0.1:5672 (guest/guest).
"""

import argparse
import json
import os
import statistics
import subprocess
import time
import uuid

from bench_service import cli, database, migrate, service_url
from serving import psql
from template_snapshot import copy_service, run, scratch, service_venv

BROKERS = {"redis": "redis://127.0.0.1:6379/0", "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/"}
# Run by the service's python: the median microseconds of a transaction inserting an item, with
# and without enqueueing a job in it, interleaved, and of the enqueue call itself; then `count`
# jobs enqueued in one transaction.
ENQUEUE = """
import asyncio, json, statistics, sys, time
import sqlalchemy as sa
from src import database
from src.core import jobs
from src.items import tasks
from src.items.models import item_table

async def main(rounds, count):
    engine = database.engine
    timings = {"plain": [], "enqueue": [], "call": []}
    for index in range(rounds):
        for kind in ("plain", "enqueue"):
            started = time.perf_counter()
            async with engine.begin() as connection:
                insert = sa.insert(item_table).values(name="x", price=1).returning(item_table.c.id)
                item_id = (await connection.execute(insert)).scalar_one()
                if kind == "enqueue":
                    called = time.perf_counter()
                    await jobs.enqueue(connection, tasks.touch, item_id=item_id)
                    timings["call"].append(time.perf_counter() - called)
            timings[kind].append(time.perf_counter() - started)
    async with engine.begin() as connection:
        await connection.execute(sa.delete(jobs.JOB))
    if count:
        async with engine.begin() as connection:
            for index in range(count):
                await jobs.enqueue(connection, tasks.touch, item_id=index)
    await engine.dispose()
    print(json.dumps({kind: statistics.median(values) * 1e6 for kind, values in timings.items()}))

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
"""
# Enqueues one job every 1/rate seconds, each in its own transaction, `count` in all.
STEADY = """
import asyncio, sys, time
from src import database
from src.core import jobs
from src.items import tasks

async def main(count, rate):
    started = time.perf_counter()
    for index in range(count):
        async with database.engine.begin() as connection:
            await jobs.enqueue(connection, tasks.touch, item_id=index)
        await asyncio.sleep(max(0.0, started + (index + 1) / rate - time.perf_counter()))
    await database.engine.dispose()

asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
"""

# This run's RabbitMQ queues and exchange, deleted.
DELETE_QUEUE = """
import asyncio, aio_pika
from src.config import settings

async def main():
    async with await aio_pika.connect_robust(settings.JOBS_BROKER_URL) as connection:
        channel = await connection.channel()
        for queue in (settings.JOBS_QUEUE, settings.JOBS_QUEUE + ".dead_letter"):
            await channel.queue_delete(queue)
        await channel.exchange_delete(settings.JOBS_QUEUE)

asyncio.run(main())
"""


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", choices=sorted(BROKERS), default="redis")
    parser.add_argument("--jobs", type=int, default=5000, help="jobs through the worker for its throughput")
    parser.add_argument("--rate", type=float, default=50, help="jobs a second for the delay figures")
    parser.add_argument("--steady", type=int, default=500, help="jobs enqueued at that rate")
    parser.add_argument("--rounds", type=int, default=1000, help="transactions timed with and without a job")
    return parser.parse_args()


def done(name: str) -> int:
    return int(psql("SELECT count(*) FROM background_job WHERE status = 'done'", name))


def wait_done(name: str, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while done(name) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {done(name)} of {count} jobs done after {timeout:.0f}s")
        time.sleep(0.2)


def main() -> None:
    args = arguments()
    with scratch() as (root, env, template), database() as name:
        service = root / "acme"
        copy_service(template, service, env, "database=postgresql", f"jobs={args.broker}")
        run(*cli(), "task", "items", "touch", cwd=service, env=env)
        python = service_venv(service, root / "venv")
        migrate(service, python, name)
        service_env = {
            **os.environ,
            "DATABASE_URL": service_url(name),
            "JOBS_BROKER_URL": BROKERS[args.broker],
            "JOBS_QUEUE": f"bench_{uuid.uuid4().hex[:8]}",
            "METRICS_ENABLED": "false",
            "JOBS_HEARTBEAT_FILE": str(root / "heartbeat"),
            "LOG_LEVEL": "WARNING",
        }
        measured = subprocess.run(
            [python, "-c", ENQUEUE, str(args.rounds), str(args.jobs)],
            cwd=service, env=service_env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        cost = json.loads(measured.stdout)
        log = (root / "worker.log").open("w")
        worker = subprocess.Popen([python, "-m", "src.core.jobs", "worker"], cwd=service, env=service_env,
                                  stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            wait_done(name, args.jobs, timeout=600)
            spread = psql("SELECT extract(epoch FROM max(finished_at) - min(finished_at)) FROM background_job", name)
            throughput = args.jobs / float(spread)
            psql("DELETE FROM background_job", name)
            subprocess.run([python, "-c", STEADY, str(args.steady), str(args.rate)], cwd=service, env=service_env,
                           check=True)  # fmt: skip
            wait_done(name, args.steady, timeout=120)
            delays = sorted(
                float(value)
                for value in psql(
                    "SELECT extract(epoch FROM finished_at - created_at) FROM background_job", name
                ).split()
            )
        finally:
            worker.terminate()
            worker.wait(timeout=60)
            log.close()
            if args.broker == "rabbitmq":  # RabbitMQ keeps a queue until it is deleted.
                subprocess.run([python, "-c", DELETE_QUEUE], cwd=service, env=service_env, check=False)
    p50 = statistics.median(delays) * 1000
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))] * 1000
    print(f"broker: {args.broker}; PostgreSQL; one worker process, default JOBS_* settings")
    print(
        f"enqueue in a request's transaction: {cost['call']:.0f} µs a call (a transaction inserting a row: "
        f"{cost['plain']:.0f} µs, with a job: {cost['enqueue']:.0f} µs; medians of {args.rounds})"
    )
    print(f"relay + worker throughput: {throughput:.0f} jobs/s ({args.jobs} jobs enqueued at once)")
    print(f"enqueue to start at {args.rate:g} jobs/s: p50 {p50:.0f} ms, p99 {p99:.0f} ms ({len(delays)} jobs)")


if __name__ == "__main__":
    main()
