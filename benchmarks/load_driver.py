"""The load benchmark's open-loop driver (benchmarks/load.py): requests sent at fixed moments
whatever the answers do, by threads with keep-alive connections, a request's time counted from
the moment it was due (queueing included: no coordinated omission); and a closed loop of many
connections at once."""

from __future__ import annotations

import http.client
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from load import Endpoint

MAX_THREADS = 100
TIMEOUT = 10.0


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, from the moment due
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    wall: float = 0.0
    sent: int = 0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def add(self, latency: float, status: int, lock: threading.Lock) -> None:
        with lock:
            self.latencies.append(latency)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if not 200 <= status < 400:
                self.errors += 1


DISCONNECTED, TIMED_OUT = -1, -2  # statuses of requests with no answer


def _get(
    conn: http.client.HTTPConnection | None, base: tuple[str, int], path: str, headers: dict
) -> tuple[http.client.HTTPConnection | None, int]:
    """GET ``path`` on the keep-alive ``conn`` (a new one if None): the connection to use next
    and the answer's status, or DISCONNECTED / TIMED_OUT (a time-out, a refused connection)."""
    try:
        if conn is None:
            conn = http.client.HTTPConnection(*base, timeout=TIMEOUT)
        conn.request("GET", path, headers={"Host": "localhost", **headers})
        answer = conn.getresponse()
        answer.read()
        if answer.will_close:
            conn.close()
            return None, answer.status
        return conn, answer.status
    except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
        return None, DISCONNECTED
    except OSError:
        return None, TIMED_OUT


class Driver:
    """Threads with one keep-alive connection each; work arrives on a queue at fixed moments."""

    def __init__(self, base: tuple[str, int], threads: int = MAX_THREADS) -> None:
        self.base = base
        self.work: queue.Queue = queue.Queue()
        self.threads = [threading.Thread(target=self._serve, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _serve(self) -> None:
        conn: http.client.HTTPConnection | None = None
        while True:
            item = self.work.get()
            if item is None:
                return
            due, path, headers, result, lock = item
            conn, status = _get(conn, self.base, path, headers)
            if status == DISCONNECTED:  # the server closed an idle keep-alive one: once more
                conn, status = _get(conn, self.base, path, headers)
            result.add(time.perf_counter() - due, status, lock)

    def run(
        self,
        targets: list[Endpoint],
        rate: float,
        seconds: float,
        per_endpoint: bool = False,
    ) -> dict[str, Result]:
        """``rate`` requests a second, spread evenly over ``targets`` in turn."""
        results = {e.name: Result() for e in targets}
        lock = threading.Lock()
        count = max(int(rate * seconds), 1)
        started = time.perf_counter()
        for n in range(count):
            endpoint = targets[n % len(targets)]
            due = started + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            path, headers = endpoint.make(n)
            results[endpoint.name].sent += 1
            self.work.put((due, path, headers, results[endpoint.name], lock))
        # Bounded: wait for the answers, at most TIMEOUT past the last one due.
        deadline = started + count / rate + TIMEOUT + 1
        while time.perf_counter() < deadline:
            with lock:
                if sum(len(r.latencies) for r in results.values()) >= count:
                    break
            time.sleep(0.01)
        wall = time.perf_counter() - started
        for r in results.values():
            r.wall = wall
        self.drain()
        return results

    def drain(self, limit: float = 90.0) -> None:
        """Wait until the server is idle again: requests a client gave up on are still queued
        there, and would slow the next step. Idle: a static file answers at once, twice."""
        deadline, quick = time.perf_counter() + limit, 0
        while quick < 2 and time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(*self.base, timeout=limit)
                conn.request("GET", "/static/clients/site.css", headers={"Host": "localhost"})
                conn.getresponse().read()
                conn.close()
            except OSError:
                time.sleep(0.5)
                continue
            quick = quick + 1 if time.perf_counter() - began < 0.05 else 0
            time.sleep(0.2)

    def stop(self) -> None:
        for _ in self.threads:
            self.work.put(None)


def closed_loop(base: tuple[str, int], endpoint: Endpoint, connections: int, seconds: float):
    """``connections`` clients at once, each sending its next request when the last answers."""
    result = Result()
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(k: int) -> None:
        n = k
        conn = None
        while time.perf_counter() < stop:
            path, headers = endpoint.make(n)
            n += connections
            began = time.perf_counter()
            conn, status = _get(conn, base, path, headers)
            result.add(time.perf_counter() - began, status, lock)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + TIMEOUT + 5)
    result.wall = time.perf_counter() - started
    return result
