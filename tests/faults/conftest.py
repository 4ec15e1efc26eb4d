"""Services we can break: a Redis server of our own (persisting to a temporary folder, so a
restart keeps its queues) and Celery workers in their own processes."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """redis-server on a free port; `stop()` shuts it down with its data saved, `start()` again."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)  # redis saves its append-only file and exits
        self.process.wait(10)

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(port=self.port, db=db)


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (CI starts it; apt-get install redis-server)")
    server = RedisServer(tmp_path).start()
    yield server
    if server.process.poll() is None:
        server.stop()


class WorkerProcess:
    """`celery -A podindex worker` in its own process, on our test database and broker."""

    def __init__(self, env: dict, queues: str, log):
        self.env = env
        self.queues = queues
        self.log = log
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "podindex",
                "worker",
                "-Q",
                self.queues,
                "--pool",
                "solo",
                "-l",
                "warning",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self):
        """SIGKILL: no cleanup, no ack; what a crashed machine or the OOM killer does."""
        self.process.kill()
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker_env(settings, private_redis):
    """Environment for worker processes: this test's PostgreSQL database and our Redis."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("worker processes need a database they can share: PostgreSQL")
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": private_redis.url + "/0",
        # A lost task comes back after this many seconds (Redis has no broker-side ack).
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "PODINDEX_ALLOW_PRIVATE_URLS": "1",
        "PODINDEX_ASR_ENABLED": "0",
        "DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def workers(worker_env, tmp_path):
    """Start worker processes; their output goes to workers.log in the test's folder."""
    started = []
    log = (tmp_path / "workers.log").open("ab")

    def start(queues: str = "default", **env) -> WorkerProcess:
        worker = WorkerProcess({**worker_env, **env}, queues, log).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    log.close()
