"""The terminal's side of the fleet manager: HTTP client, command dispatcher and the agent loop.

- ``FleetClient``: typed calls to ``/api/v1/terminal/*`` (server/fleet/router.py) on ``requests``;
  connection problems and 5xx → ``BackendUnavailable``, timeouts → ``BackendTimeout``, 4xx →
  ``BackendRejected``. No retries inside: the agent simply tries again at its next beat.
- ``CommandDispatcher``: maps command kinds to callbacks the composition root provides; on a
  kiosk each posts a staff intent to the session core (cli/fleet_wiring.py, kiosk/staff_intents.py),
  which runs it between residents; ``refresh_config`` is handled by the agent itself. The print
  service counts every printout, whoever asked for it, in the heartbeat's ``totals``.
- ``FleetAgent``: a daemon thread that beats every ``interval`` seconds (the server's answer sets
  it), fetches the config when the server's version differs from ours, runs and acknowledges
  waiting commands, and lets ``ConfigApplier`` apply pending config at idle moments.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.backend import pooled_session
from kiosk.config import KioskConfig
from kiosk.errors import BackendRejected, BackendTimeout, BackendUnavailable, ConfigError, KioskError
from kiosk.heartbeat import HeartbeatBuilder
from kiosk.remote_config import Accepted, BundleRejected, ConfigApplier, RemoteConfig, pin_server_key, write_private

if TYPE_CHECKING:  # requests loads with the first call, not at the kiosk's start
    import requests

logger = logging.getLogger(__name__)

TERMINAL_API = "/api/v1/terminal"
# Acknowledged before running: the command ends this process (its ack would never be sent).
ACK_FIRST = frozenset({"restart_app"})


class FleetClient:
    def __init__(self, base_url: str, token: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._headers["User-Agent"] = "renshe-kiosk-fleet/1"
        self._session: requests.Session | None = None
        self._session_lock = threading.Lock()

    @property
    def _http(self) -> requests.Session:
        """The pooled session, made at the first call: requests is not imported at start."""
        with self._session_lock:
            if self._session is None:
                self._session = pooled_session(1, 2, self._headers)
            return self._session

    def close(self) -> None:
        with self._session_lock:
            if self._session is not None:
                self._session.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        import requests

        url = self.base_url + TERMINAL_API + path
        headers = {"X-Request-ID": uuid.uuid4().hex[:16], **kwargs.pop("headers", {})}
        try:
            resp = self._http.request(method, url, headers=headers, timeout=(self.timeout, self.timeout), **kwargs)
        except requests.Timeout as exc:
            raise BackendTimeout(f"{method} {path}: timed out after {self.timeout}s") from exc
        except requests.RequestException as exc:
            raise BackendUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
        if resp.status_code >= 500:
            raise BackendUnavailable(f"{method} {path}: HTTP {resp.status_code}")
        if resp.status_code >= 400:
            try:
                err = resp.json().get("error", {})
            except ValueError:
                err = {}
            raise BackendRejected(
                resp.status_code,
                str(err.get("code", "http_error")),
                str(err.get("message_zh", "")),
                str(err.get("message_en", "")),
            )
        return resp

    def _json(self, resp: requests.Response) -> Any:
        try:
            return resp.json()
        except ValueError as exc:
            raise BackendUnavailable(f"{resp.request.method} {resp.url}: answer is not JSON") from exc

    def server_key(self) -> dict[str, Any]:
        return self._json(self._call("GET", "/server-key"))

    def get_config(self, since: int | None) -> dict[str, Any] | None:
        """The signed envelope, or None when ``since`` is the server's current version (304)."""
        params = {"since": since} if since is not None else {}
        resp = self._call("GET", "/config", params=params)
        if resp.status_code == 304:
            return None
        return self._json(resp)

    def heartbeat(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._json(self._call("POST", "/heartbeat", json=payload))

    def commands(self) -> list[dict[str, Any]]:
        return list(self._json(self._call("GET", "/commands")).get("commands", []))

    def ack(self, command_id: int, ok: bool, result: str = "") -> None:
        self._call("POST", f"/commands/{int(command_id)}/ack", json={"ok": ok, "result": result[:500]})


CommandHandler = Callable[[], str | None]


class CommandFailed(Exception):
    """A command ran and failed; its text is what staff read in the console, as it is."""


class CommandDispatcher:
    """Runs a command by kind; a handler returns a short result text or raises."""

    def __init__(self, handlers: dict[str, CommandHandler] | None = None) -> None:
        self.handlers: dict[str, CommandHandler] = dict(handlers or {})

    @classmethod
    def for_kiosk(
        cls,
        set_out_of_service: Callable[[bool], None],
        restart_app: Callable[[], None],
        print_test_page: Callable[[], str | None],
        clear_print_queue: Callable[[], int],
        reprint_pending: Callable[[], int] | None = None,
    ) -> CommandDispatcher:
        """The standard wiring; the lead passes the controller's and printer queue's methods."""
        dispatcher = cls()

        def maintenance(on: bool) -> CommandHandler:
            def run() -> str:
                set_out_of_service(on)
                return "maintenance on" if on else "maintenance off"

            return run

        def restart() -> str:
            restart_app()
            return "restarting"

        def clear() -> str:
            return f"{clear_print_queue()} jobs removed"

        dispatcher.handlers.update(
            {
                "maintenance_on": maintenance(True),
                "maintenance_off": maintenance(False),
                "restart_app": restart,
                "print_test_page": print_test_page,
                "clear_print_queue": clear,
            }
        )
        if reprint_pending is not None:
            dispatcher.handlers["reprint_pending"] = lambda: f"{reprint_pending()} jobs reprinted"
        return dispatcher

    def run(self, kind: str) -> tuple[bool, str]:
        handler = self.handlers.get(kind)
        if handler is None:
            return False, f"unsupported command {kind}"
        try:
            return True, handler() or "done"
        except CommandFailed as exc:
            return False, str(exc)[:500]
        except KioskError as exc:
            return False, f"{exc.message_key}: {exc.detail}"[:500]
        except Exception as exc:  # a failing command is reported to staff, never kills the agent
            logger.exception("command %s failed", kind)
            return False, f"{type(exc).__name__}: {exc}"[:500]


class FleetAgent:
    """Heartbeats, config sync and commands on a daemon thread (``start``/``stop``)."""

    def __init__(
        self,
        client: FleetClient,
        remote: RemoteConfig,
        applier: ConfigApplier,
        heartbeat: HeartbeatBuilder,
        dispatcher: CommandDispatcher,
        interval: float = 30.0,
        max_backoff: float = 300.0,
    ) -> None:
        self.client = client
        self.remote = remote
        self.applier = applier
        self.heartbeat = heartbeat
        self.dispatcher = dispatcher
        self.interval = interval
        self.max_backoff = max_backoff
        self.server_version: int | None = None
        self._done_ids: set[int] = set()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.beats = 0
        # kiosk.update.updater.Updater (or None): told after each accepted beat (kiosk/update/wiring.py).
        self.updater: Any = None
        if self.applier.applied_version is None:
            self.applier.applied_version = remote.version

    def sync_config(self) -> Accepted | None:
        """Fetch and accept the config now; hands a new one to the applier. Raises BundleRejected
        (reported in the next heartbeat) and backend errors."""
        envelope = self.client.get_config(self.remote.version)
        if envelope is None:
            return None
        try:
            accepted = self.remote.accept(envelope)
        except BundleRejected as exc:
            self.heartbeat.note_error(f"config bundle refused: {exc.detail}")
            raise
        if accepted is not None:
            self.applier.offer(accepted)
        return accepted

    def run_commands(self) -> int:
        done = 0
        for command in self.client.commands():
            cid, kind = int(command["id"]), str(command["kind"])
            if cid in self._done_ids:
                self.client.ack(cid, True, "already done")
                continue
            if kind == "refresh_config":
                ok, result = self._refresh()
            elif kind in ACK_FIRST:
                self._done_ids.add(cid)
                self.client.ack(cid, True, "restarting")
                self.dispatcher.run(kind)
                done += 1
                continue
            else:
                ok, result = self.dispatcher.run(kind)
            self._done_ids.add(cid)
            self.client.ack(cid, ok, result)
            logger.info("command #%d %s: %s", cid, kind, "ok" if ok else "failed")
            done += 1
        return done

    def _refresh(self) -> tuple[bool, str]:
        try:
            self.sync_config()
        except BundleRejected as exc:
            return False, f"refused: {exc.detail}"
        return True, f"version {self.remote.version}"

    def beat_once(self) -> dict[str, Any]:
        """One heartbeat and whatever its answer asks for. Raises backend errors."""
        self.applier.tick()
        payload = self.heartbeat.build(self.applier.applied_version)
        try:
            answer = self.client.heartbeat(payload)
        except KioskError:
            self.heartbeat.rollback_counts(payload)
            raise
        self.beats += 1
        self.interval = float(answer.get("interval", self.interval))
        self.server_version = answer.get("config_version")
        if self.server_version is not None and self.server_version != self.remote.version:
            try:
                self.sync_config()
            except BundleRejected:
                pass  # already noted for the next beat; the last good config stays
        if answer.get("commands_pending"):
            self.run_commands()
        self.applier.tick()
        if self.updater is not None:
            self.updater.after_beat()
        return answer

    def wake(self) -> None:
        """Beat now (e.g. the kiosk just became idle with a config pending)."""
        self._wake.set()

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self.beat_once()
                failures = 0
                delay = self.interval
            except KioskError as exc:
                failures += 1
                self.heartbeat.note_error(f"fleet: {exc.detail}")
                delay = min(self.max_backoff, self.interval * min(2 ** (failures - 1), 8))
                logger.warning("fleet heartbeat failed (%s); next try in %.0f s", exc.detail, delay)
            self._wake.wait(delay)
            self._wake.clear()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="fleet-agent", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.client.close()


CREDENTIAL_FILE = "terminal.json"


def store_credential(data_dir: Path, terminal_id: str, server: str, token: str) -> Path:
    """Write the terminal's credential, readable by the kiosk's user alone (0600 in a 0700 directory).

    Atomically (temporary file, fsync, rename, directory fsync): a power cut during enrolment
    leaves the previous credential or the new one, never a file the kiosk cannot boot with."""
    path = Path(data_dir) / CREDENTIAL_FILE
    record = {"terminal_id": terminal_id, "server": server, "token": token}
    write_private(path, json.dumps(record).encode("utf-8"))
    return path


def load_credential(data_dir: Path) -> dict[str, str] | None:
    """``{"terminal_id", "server", "token"}`` written by ``main.py enroll``, or None before enrolment."""
    try:
        record = json.loads((Path(data_dir) / CREDENTIAL_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise ConfigError(f"{Path(data_dir) / CREDENTIAL_FILE} is not valid JSON") from exc
    if not all(isinstance(record.get(k), str) for k in ("terminal_id", "server", "token")):
        raise ConfigError(f"{Path(data_dir) / CREDENTIAL_FILE} lacks terminal_id, server or token")
    return record


def pin_after_enrolment(server_url: str, token: str, data_dir: Path, timeout: float = 5.0) -> str:
    """Fetch the fleet manager's public key with the fresh token and pin it (replacing an older pin:
    enrolment is the moment of trust). Returns the key id. Raises backend errors."""
    client = FleetClient(server_url, token, timeout)
    try:
        key = client.server_key()
    finally:
        client.close()
    pin_server_key(Path(data_dir), str(key["public_key"]), str(key.get("key_id", "")), replace=True)
    return str(key.get("key_id", ""))


def sync_config_now(
    data_dir: Path, build: Callable[[dict[str, Any]], KioskConfig], timeout: float = 5.0
) -> dict[str, Any]:
    """``main.py config sync``: fetch, verify and cache the bundle now.

    Returns ``{"applied": bool, "version": int|None, "reason": str|None}``: ``applied`` is True when
    a new bundle was accepted, or the cached one is already current (reason "up to date").
    """
    credential = load_credential(data_dir)
    if credential is None:
        return {"applied": False, "version": None, "reason": "not enrolled (python main.py enroll)"}
    remote = RemoteConfig(Path(data_dir), credential["terminal_id"], build)
    remote.load_cached()
    client = FleetClient(credential["server"], credential["token"], timeout)
    try:
        envelope = client.get_config(remote.version)
        if envelope is None:
            return {"applied": True, "version": remote.version, "reason": "up to date"}
        accepted = remote.accept(envelope)
    except BundleRejected as exc:
        return {"applied": False, "version": remote.version, "reason": f"refused: {exc.detail}"}
    except KioskError as exc:
        return {"applied": False, "version": remote.version, "reason": f"{exc.message_key}: {exc.detail}"}
    finally:
        client.close()
    return {"applied": True, "version": remote.version, "reason": None if accepted is not None else "up to date"}


def start_fleet_agent(
    data_dir: Path,
    build: Callable[[dict[str, Any]], KioskConfig],
    *,
    app_version: str,
    is_idle: Callable[[], bool],
    apply_live: Callable[[KioskConfig, set[str]], None],
    request_restart: Callable[[KioskConfig, set[str]], None],
    dispatcher: CommandDispatcher,
    devices: dict[str, Any],
    totals: Callable[[], tuple[int, int]],
    print_queue: Callable[[], int] = lambda: 0,
    maintenance: Callable[[], bool] = lambda: False,
    timeout: float = 5.0,
) -> FleetAgent | None:
    """Wire and start the agent for an enrolled terminal (None before enrolment). ``build`` is
    ``lambda overlay: load_config(local_path, remote_bundle=overlay)``; the boot itself should use
    ``RemoteConfig(...).load_cached()`` as ``load_config``'s ``remote_bundle``."""
    credential = load_credential(data_dir)
    if credential is None:
        logger.info("terminal not enrolled: fleet agent not started")
        return None
    remote = RemoteConfig(Path(data_dir), credential["terminal_id"], build)
    remote.load_cached()
    applier = ConfigApplier(is_idle, apply_live, request_restart)
    builder = HeartbeatBuilder(app_version, devices, totals=totals, maintenance=maintenance, print_queue=print_queue)
    agent = FleetAgent(
        FleetClient(credential["server"], credential["token"], timeout), remote, applier, builder, dispatcher
    )
    agent.start()
    return agent
