"""Build the configured printer from the ``[printer]`` config table (config/default.toml)."""

from __future__ import annotations

import logging
from typing import Any

from drivers.printer.base import Printer
from drivers.printer.connectors import EscPosPrinter, build_connector
from drivers.printer.encoder import EscPosEncoder
from drivers.printer.virtual_printer import VirtualNetworkPrinter
from kiosk.errors import ConfigError

logger = logging.getLogger(__name__)

KINDS = ("network", "usb", "serial", "file", "virtual")


def _check(cfg: dict[str, Any]) -> None:
    kind = cfg.get("kind", "network")
    if kind not in KINDS:
        raise ConfigError(f"printer.kind = {kind!r}: expected one of {', '.join(KINDS)}")
    width = cfg.get("paper_width_dots", 576)
    if width not in (384, 576):
        raise ConfigError(f"printer.paper_width_dots = {width!r}: expected 576 (80 mm) or 384 (58 mm)")
    if cfg.get("encoding", "gb18030") not in ("gb18030", "gbk"):
        raise ConfigError(f'printer.encoding = {cfg.get("encoding")!r}: expected "gb18030" or "gbk"')
    if cfg.get("qr_mode", "native") not in ("native", "raster"):
        raise ConfigError(f'printer.qr_mode = {cfg.get("qr_mode")!r}: expected "native" or "raster"')
    timeout = cfg.get("status_timeout", 2.0)
    if not isinstance(timeout, (int, float)) or not 0.1 <= timeout <= 10:
        raise ConfigError(f"printer.status_timeout = {timeout!r}: expected seconds between 0.1 and 10")


def create_printer(cfg: dict[str, Any]) -> Printer:
    """An EscPosPrinter for ``cfg``; kind "virtual" also starts a VirtualNetworkPrinter, exposed as
    ``printer.virtual`` (the demo dock scripts it; stop it with ``printer.virtual.stop()``)."""
    _check(cfg)
    kind = cfg.get("kind", "network")
    encoder = EscPosEncoder(
        paper_width_dots=int(cfg.get("paper_width_dots", 576)),
        encoding=cfg.get("encoding", "gb18030"),
        qr_mode=cfg.get("qr_mode", "native"),
        font_path=cfg.get("font_path") or None,
    )
    timeout = float(cfg.get("status_timeout", 2.0))
    conn_cfg = dict(cfg)
    virtual = None
    if kind == "virtual":
        virtual = VirtualNetworkPrinter().start()
        conn_cfg.update(host=virtual.host, port=virtual.port)
    name = {
        "network": f"network {conn_cfg.get('host')}:{conn_cfg.get('port', 9100)}",
        "virtual": f"virtual 127.0.0.1:{conn_cfg.get('port')}",
        "usb": f"usb {int(cfg.get('vendor_id', 0)):04x}:{int(cfg.get('product_id', 0)):04x}",
        "serial": f"serial {cfg.get('device')}",
        "file": f"file {cfg.get('path')}",
    }[kind]
    printer = EscPosPrinter(
        lambda: build_connector(conn_cfg, timeout),
        encoder,
        name=name,
        status_timeout=timeout,
        has_status=kind != "file",
    )
    printer.virtual = virtual
    if kind in ("network", "usb", "serial"):
        # Real printers print from their buffer after accepting the bytes: watch them finish.
        printer.settle_seconds = float(cfg.get("settle_seconds", 3.0))
    logger.info("printer configured: %s, %d dots, %s", name, encoder.paper_width_dots, encoder.encoding)
    return printer
