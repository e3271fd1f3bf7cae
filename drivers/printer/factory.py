"""Build the configured printer from the ``[printer]`` config table (config/default.toml)."""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from common.config import PrinterConfig
from drivers.printer.connectors import EscPosPrinter, build_connector
from drivers.printer.encoder import EscPosEncoder
from drivers.printer.virtual_printer import VirtualNetworkPrinter

logger = logging.getLogger(__name__)

REAL_PRINTER_SETTLE_SECONDS = 3.0


class BuiltPrinter(NamedTuple):
    """The configured printer, and for kind "virtual" the simulator it talks to (the demo dock and the
    tests script it; whoever built it stops it with ``virtual.stop()``)."""

    printer: EscPosPrinter
    virtual: VirtualNetworkPrinter | None


def create_printer(cfg: PrinterConfig) -> BuiltPrinter:
    """An EscPosPrinter for ``cfg`` (already validated by the config schema: the one place printer
    settings are checked); kind "virtual" also starts a VirtualNetworkPrinter and returns it beside."""
    kind = cfg.kind
    encoder = EscPosEncoder(paper_width_dots=cfg.paper_width_dots, encoding=cfg.encoding, qr_mode=cfg.qr_mode)
    timeout = cfg.status_timeout
    conn_cfg: dict[str, Any] = cfg.model_dump()
    virtual = None
    if kind == "virtual":
        virtual = VirtualNetworkPrinter().start()
        conn_cfg.update(host=virtual.host, port=virtual.port)
    name = {
        "network": f"network {conn_cfg.get('host')}:{conn_cfg.get('port', 9100)}",
        "virtual": f"virtual 127.0.0.1:{conn_cfg.get('port')}",
        "usb": f"usb {cfg.vendor_id:04x}:{cfg.product_id:04x}",
        "serial": f"serial {cfg.device}",
        "file": f"file {cfg.path}",
    }[kind]
    printer = EscPosPrinter(
        lambda: build_connector(conn_cfg, timeout),
        encoder,
        name=name,
        status_timeout=timeout,
        has_status=kind != "file",
    )
    if kind in ("network", "usb", "serial"):
        # Real printers print from their buffer after accepting the bytes: watch them finish.
        printer.settle_seconds = REAL_PRINTER_SETTLE_SECONDS
    logger.info("printer configured: %s, %d dots, %s", name, encoder.paper_width_dots, encoder.encoding)
    return BuiltPrinter(printer, virtual)
