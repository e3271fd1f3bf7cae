"""`python main.py [--demo]`: the kiosk UI, wired to the devices, backend and print journal.

Kivy reads its settings from the environment and kivy.config at import time, so everything
Kivy-related is imported only after ``prepare_kivy_environment``.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.config import KNOWN_SERVICES
from kiosk.config import KioskConfig
from kiosk.watchdog import Watchdog

if TYPE_CHECKING:
    from cli.runtime import Runtime

logger = logging.getLogger(__name__)

# Settings a scripted story brings for its own run, as if given with --set before the command
# line's own --set (which still win); config files and config/default.toml are not touched. The
# idle-timeout story shortens the session timing: with the default 60 s + 15 s countdown nobody
# would sit through it.
SCRIPT_SETTINGS: dict[str, tuple[str, ...]] = {
    "idle-timeout": ("session.idle_timeout=5", "session.countdown=3"),
    # The application wizard is not in the default menu: the story offers one application.
    "wizard": ("services.enabled=['insurance_info','print_insured_certificate','contact_update']",),
    # The staff story's PIN is 480915 (demo.display_stories.STAFF_DEMO_PIN); only its hash is set.
    # The tour visits every service of the catalogue: all of them are offered for its run.
    "tour": ("services.enabled=" + repr(list(KNOWN_SERVICES)),),
    # The 办理 journeys (demo.wizard_stories) open every application wizard from the menu, and 办事进度.
    # Its messages stay 2 s (default 5): it reads each one, and sees dozens of them.
    "wizards": (
        "services.enabled="
        + repr(["applications", *KNOWN_SERVICES[KNOWN_SERVICES.index("unemployment_registration") :]]),
        "session.message_seconds=2",
    ),
    # The 查询/打印 story visits these (demo.record_stories.SERVICES).
    "records": (
        "services.enabled=['insurance_info','contributions','benefits','applications','rights_statement','card_info',"
        "'print_payment_certificate','print_transfer_certificate']",
    ),
    # 修改社保卡密码 (demo.change_pin_stories), on the shuffled PIN pad.
    "change-pin": ("services.enabled=['insurance_info','change_pin']", "ui.shuffled_pin_pad=true"),
    "staff": (
        "ui.staff_pin_hash='pbkdf2_sha256$200000$6b696f736b2d64656d6f2d7374616666$1b17850156c65b5aa99b2bd14df706c9c8af7cfcb511ac6687b654859341d661'",
    ),
}


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def prepare_kivy_environment(config: KioskConfig, headless: bool, extra_width: int = 0) -> None:
    """Environment and kivy.config settings that must precede the first Kivy import."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our own argparse owns the command line
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # Kivy logs through the logging module
    if "KIVY_HOME" not in os.environ:
        # Kivy writes its config/logs there; a private directory keeps ~/.kivy out of the kiosk.
        os.environ["KIVY_HOME"] = tempfile.mkdtemp(prefix="renshe-kivy-")
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
        # Off-screen nobody listens either: SDL's dummy audio driver plays the voice prompts into
        # nothing (with no sound card SDL's mixer would fail to open and the prompts go silent).
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")  # right-click must not leave dots
    Config.set("graphics", "fullscreen", "auto" if config.ui.fullscreen and not headless else "0")
    Config.set("graphics", "width", str(config.ui.width + extra_width))
    Config.set("graphics", "height", str(config.ui.height))
    Config.set("graphics", "resizable", "0")
    # No multisampling: the screens are axis-aligned rectangles and text, which it leaves unchanged,
    # and Kivy's default 2× MSAA doubled the cost of every frame with software GL (Mesa llvmpipe):
    # touch → frame went from about 45 to 17 ms (benchmarks/bench_kiosk.py).
    Config.set("graphics", "multisamples", "0")


def run_ui(args: argparse.Namespace) -> int:
    from cli.runtime import open_runtime

    headless = not has_display()
    script = getattr(args, "script", None)
    if headless and getattr(args, "demo", False) and script is None:
        script = "journey"
        print("no display: running the scripted demo journey off-screen")
    if headless and not getattr(args, "demo", False):
        print("no display (DISPLAY is not set): the kiosk UI needs an X display; try --demo for an off-screen run")
        return 2
    apply_script_settings(args, script)
    runtime = open_runtime(args, camera=True)
    try:
        return _run_app(runtime, headless, script, getattr(args, "output", None))
    finally:
        runtime.close()


def apply_script_settings(args: argparse.Namespace, script: str | None) -> None:
    """Put ``script``'s own settings (SCRIPT_SETTINGS) ahead of ``args.overrides``, so they hold for
    this run only and an explicit ``--set`` of the same key still wins; say so on stdout."""
    settings = SCRIPT_SETTINGS.get(script or "", ())
    if not settings:
        return
    args.overrides = [*settings, *(getattr(args, "overrides", None) or [])]
    print(f"the {script} story runs with {', '.join(settings)} (this run only; --set overrides them)")
    logger.info("script %s: settings %s for this run", script, ", ".join(settings))


def _run_app(runtime: Runtime, headless: bool, script: str | None, output: Path | None) -> int:
    config = runtime.config
    demo = runtime.world is not None
    dock_width = 380 if demo else 0
    prepare_kivy_environment(config, headless, extra_width=dock_width)

    from cli.runtime import assemble_kiosk
    from drivers.warm_up import start_warm_up
    from screens.app import KioskApp, kivy_post
    from screens.fonts import install_default_font

    install_default_font(config.ui.font_path)
    kiosk = assemble_kiosk(runtime, kivy_post)
    controller = kiosk.controller
    result: dict[str, int] = {"code": 0}
    dock_factory = None
    on_started = None
    if demo:
        from demo.dock import DemoDock

        def dock_factory() -> Any:
            return DemoDock(runtime.world, width=dock_width)

    if script is not None:
        from demo.stories import DemoStories

        out_dir = Path(output) if output else Path(tempfile.mkdtemp(prefix="renshe-demo-journey-"))

        def on_started(app: Any) -> None:
            app.journey = DemoStories(app, runtime.world, out_dir, result, script)  # Kivy's Clock holds it weakly
            app.journey.start()

    app = KioskApp(controller, dock_factory=dock_factory, on_started=on_started)

    def stop_app(code: int) -> None:
        result["code"] = code
        app.stop()

    from cli.fleet_wiring import RESTART_EXIT_CODE, start_agent

    controller.staff.restart_handler = lambda: stop_app(RESTART_EXIT_CODE)
    agents: list[Any] = []

    def after_first_frame() -> None:
        """What the attract screen does not need: the device libraries, and the fleet agent (its
        first heartbeat imports requests). The UI is up: systemd hears READY=1."""
        watchdog.ready()
        start_warm_up()
        agents.append(start_agent(runtime, controller, kiosk.printing, kiosk.monitor, kivy_post))

    kiosk.monitor.start()
    watchdog = _start_watchdog()
    _after_first_frame(after_first_frame)
    try:
        app.run()
    finally:
        for agent in agents:
            if agent is not None:
                agent.stop()
        watchdog.stopping()
        kiosk.stop()
    return result["code"]


def _start_watchdog() -> Watchdog:
    """systemd's watchdog (kiosk/watchdog.py): WATCHDOG=1 from a Clock interval on the UI thread, so
    the pings stop when that thread hangs and systemd restarts the kiosk. Inert without $NOTIFY_SOCKET."""
    from kivy.clock import Clock

    watchdog = Watchdog()
    if watchdog.enabled:
        Clock.schedule_interval(lambda _dt: watchdog.ping(), watchdog.interval)
    return watchdog


def _after_first_frame(callback: Callable[[], None]) -> None:
    """Call ``callback`` on the Kivy thread once the first frame is on screen (the frame after the
    first buffer swap): what the attract screen does not need loads then, not before it."""
    from kivy.clock import Clock
    from kivy.core.window import Window

    def flipped(*_args: Any) -> None:
        Window.unbind(on_flip=flipped)
        Clock.schedule_once(lambda _dt: callback(), 0)  # the swap of this frame happens after its handlers

    Window.bind(on_flip=flipped)
