"""One daemon thread that is a device's only user: tasks run one at a time, in submission order.

A device's owner (the print service for the printer) submits :class:`Task` s from any thread; the
thread runs them and hands each result or exception to ``post`` (the Kivy Clock in the app, a
direct call in tests), never to the submitting thread. The owner plugs its policy in through
hooks: ``admit(task)`` may refuse a task just before it runs (a staff job while a resident is
served), ``on_failure(task, exc)`` sees every failure, ``idle_wait()`` says how long the idle thread may
block and ``on_idle()`` runs when that wait ends with nothing to do (periodic upkeep).

``stop()`` refuses what has not started (``stopped_error``) and lets the running task finish: a
device is never cut off in the middle of a job.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], None]
OnDone = Callable[[Any], None]
OnError = Callable[[BaseException], None]


@dataclass
class Task:
    name: str
    run: Callable[[], Any]
    on_done: OnDone | None = None
    on_error: OnError | None = None
    staff: bool = False


def _no_wait() -> float | None:
    return None


class DeviceThread:
    def __init__(
        self,
        name: str,
        post: Post,
        stopped_error: Callable[[str], BaseException],
        *,
        admit: Callable[[Task], BaseException | None] = lambda task: None,
        on_failure: Callable[[Task, BaseException], None] = lambda task, exc: None,
        idle_wait: Callable[[], float | None] = _no_wait,
        on_idle: Callable[[], None] = lambda: None,
    ) -> None:
        self._post = post
        self._stopped_error = stopped_error
        self._admit = admit
        self._on_failure = on_failure
        self._idle_wait = idle_wait
        self._on_idle = on_idle
        self._queue: queue.Queue[Task | None] = queue.Queue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._outstanding = 0  # queued + running tasks
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, task: Task) -> None:
        """Queue ``task`` (any thread); after ``stop()`` its ``on_error`` gets ``stopped_error``."""
        with self._lock:
            stopped = self.stopping.is_set()
            if not stopped:
                self._outstanding += 1
                self._queue.put(task)
        if stopped:
            self.deliver(task.on_error, self._stopped_error(task.name))

    @property
    def idle(self) -> bool:
        """No task running or queued. Any thread."""
        with self._lock:
            return self._outstanding == 0

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no task is running or queued; False on timeout. Never call it from a callback
        that ``post`` runs on this thread itself."""
        with self._idle:
            return self._idle.wait_for(lambda: self._outstanding == 0, timeout)

    def stop(self, timeout: float = 5.0) -> bool:
        """Refuse what has not started; True if the thread ended within ``timeout``."""
        with self._lock:
            if not self.stopping.is_set():
                self.stopping.set()
                self._queue.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def deliver(self, callback: Callable[[Any], None] | None, value: Any) -> None:
        """Hand ``value`` to ``callback`` through ``post``."""
        if callback is None:
            return
        try:
            self._post(functools.partial(callback, value))
        except Exception:  # a failing callback (run inline by a test's post) must not end the thread
            logger.exception("%s: delivering a callback failed", self._thread.name)

    def _run(self) -> None:
        while True:
            try:
                wait = self._idle_wait()
                task = self._queue.get(timeout=wait) if wait is not None else self._queue.get()
            except queue.Empty:
                self._on_idle()
                continue
            if task is None:
                return
            try:
                self._execute(task)
            finally:
                with self._idle:
                    self._outstanding -= 1
                    if self._outstanding == 0:
                        self._idle.notify_all()

    def _execute(self, task: Task) -> None:
        if self.stopping.is_set():
            self.deliver(task.on_error, self._stopped_error(task.name))
            return
        refusal = self._admit(task)
        if refusal is not None:
            self.deliver(task.on_error, refusal)
            return
        try:
            result = task.run()
        except Exception as exc:
            self._on_failure(task, exc)
            self.deliver(task.on_error, exc)
        else:
            self.deliver(task.on_done, result)
