"""``python -m server``: run the gateway, or ``seed`` / ``create-terminal`` (docs/commands.md).

python -m server [--host H] [--port P] [--database-url URL] [--data-dir DIR] [--public-base-url URL] [--no-migrate]
    [--replica-database-url URL]   a streaming replica for the resident reads (docs/read-replica.md)
python -m server migrate [--database-url URL]   the schema to head, as a deployment step of its own
python -m server seed [--persons N] [--seed S] [--json]   (--json: with each card's card_keys)
python -m server create-terminal ID [--region CODE]
python -m server mint-esscard SSN             a 电子社保卡 sign-in code (demo and tests)
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from server.logs import configure_logging
from server.settings import DEFAULT_HOST, DEFAULT_PORT, ServerSettings, public_url_warning

if TYPE_CHECKING:
    from fastapi import FastAPI

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: accepted before or after the sub-command without the sub-parser resetting it to None.
    common.add_argument("--database-url", default=argparse.SUPPRESS, help="SQLAlchemy URL (env RENSHE_DATABASE_URL)")
    common.add_argument(
        "--data-dir", default=argparse.SUPPRESS, help="data directory (env RENSHE_DATA_DIR, default data/server)"
    )
    parser = argparse.ArgumentParser(
        prog="python -m server",
        parents=[common],
        description="Renshe terminal gateway",
        epilog="also: create-terminal ID [--region CODE] [--site S] [--address A], "
        "create-staff USER --role admin|operator|viewer (password on stdin; ends the account's sessions), "
        "disable-staff USER, enable-staff USER, face-compare IMAGE_A IMAGE_B [--json], "
        "mint-esscard SSN (a 电子社保卡 sign-in code, as a resident's phone shows it)",
    )
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="never alter the schema at start (env RENSHE_MIGRATE_ON_START=0): "
        "a deployment runs 'python -m server migrate' once instead",
    )
    parser.add_argument(
        "--public-base-url",
        default=None,
        help="base of the verification URL in certificate QR codes (env RENSHE_PUBLIC_BASE_URL; "
        "default http://HOST:PORT of --host/--port)",
    )
    parser.add_argument(
        "--replica-database-url",
        default=None,
        help="a PostgreSQL streaming replica of the database for the resident reads "
        "(env RENSHE_REPLICA_DATABASE_URL; docs/read-replica.md)",
    )
    sub = parser.add_subparsers(dest="command")
    seed = sub.add_parser("seed", parents=[common], help="create deterministic demo data")
    seed.add_argument("--persons", type=int, default=20)
    seed.add_argument("--seed", type=int, default=2024)
    seed.add_argument(
        "--json",
        action="store_true",
        help="print the demo persons as JSON, each card with its keys (card_keys) from this data directory's key file",
    )
    return parser


def _settings(args: argparse.Namespace) -> ServerSettings:
    # The address served on is the default public base: a certificate printed by a gateway on
    # another port must not point its QR code at the default one, where nothing may answer.
    return ServerSettings.from_env(
        data_dir=getattr(args, "data_dir", None),
        database_url=getattr(args, "database_url", None),
        public_base_url=getattr(args, "public_base_url", None),
        replica_database_url=getattr(args, "replica_database_url", None),
        host=getattr(args, "host", DEFAULT_HOST),
        port=getattr(args, "port", DEFAULT_PORT),
    )


def cmd_seed(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from server.card_keys import FileKeyStore, key_file_path
    from server.db import make_engine, make_session_factory, migrate
    from server.models import Person
    from server.seeding import demo_card_profiles, seed_database

    if args.persons < 1:
        print("--persons must be at least 1", file=sys.stderr)
        return 2
    settings = _settings(args)
    engine = make_engine(settings.database_url)
    migrate(engine)
    with make_session_factory(engine).begin() as db:
        if db.scalar(select(func.count()).select_from(Person)):
            print("database already holds persons; seed an empty database", file=sys.stderr)
            return 1
        seeded = seed_database(db, args.persons, args.seed)
    if args.json:
        # The gateway serving this data directory derives the same card keys from the same key file.
        keys = FileKeyStore.load_or_create(key_file_path(settings.data_dir, settings.card_key_file))
        with make_session_factory(engine)() as db:
            profiles = demo_card_profiles(db, keys)
        hidden = ("pin", "card_status", "has_photo", "card_keys")
        print(
            json.dumps(
                [{**p, "card": {k: v for k, v in p.items() if k not in hidden}} for p in profiles],
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        print(f"seeded {seeded} persons (seed {args.seed})")
    return 0


def _serving_app(settings: ServerSettings) -> FastAPI:
    """The gateway app of a serving process, its start-up objects frozen out of the collector."""
    from server.app import create_app
    from server.face.verifier import start_warm_up

    app = create_app(settings)
    # What exists now (modules, the app, its compiled schemas) lives as long as the process:
    # freezing it keeps it out of every later collection. Without this, each full collection
    # walked all of it and paused the worker for about 90 ms.
    gc.collect()
    gc.freeze()
    # The face models take ~0.3 s to load: in the background now, not on the first resident's request.
    start_warm_up()
    return app


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.fleet.signing import SigningKeyError

    settings = _settings(args)
    settings.migrate_on_start = not args.no_migrate and os.environ.get("RENSHE_MIGRATE_ON_START", "1").strip() != "0"
    if os.environ.get("RENSHE_SIGNING_KEY") and settings.card_key_file is None:
        # A fleet shares its signing key; its card issuer keys must be shared too (docs/server-deploy.md).
        logger.warning("RENSHE_SIGNING_KEY is set but RENSHE_CARD_KEY_FILE is not: card proofs stay per data dir")
    warning = public_url_warning(settings.public_base_url, args.host)
    if warning:
        logger.warning(warning)
    else:
        logger.info("certificate QR codes point to %s/verify/", settings.public_base_url)
    try:
        if args.workers <= 1:
            uvicorn.run(_serving_app(settings), host=args.host, port=args.port, log_config=None, access_log=False)
            return 0
        return _serve_workers(settings, args.host, args.port, args.workers)
    except SigningKeyError as exc:  # a fleet process must not start signing with a key of its own
        print(f"python -m server: {exc}", file=sys.stderr)
        return 2


def _listen(host: str, port: int) -> socket.socket:
    # proto IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that declare it, and uvicorn's
    # own multi-worker socket does not (every response then waits ~40 ms for a delayed ACK).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # One socket per worker on the same port: the kernel spreads new connections over them. With one
    # shared socket the worker that wakes first accepts the whole backlog, and a burst of terminals
    # connecting together could all land on one worker while the other idled (seen in the benchmark).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker(sock: socket.socket, others: list[socket.socket], settings: ServerSettings) -> None:
    import uvicorn

    # Forked with every worker's socket: keep only its own, so a sibling that dies takes its socket
    # with it and the kernel stops sending connections there.
    for other in others:
        other.close()
    configure_logging()
    settings.migrate_on_start = False
    uvicorn.Server(uvicorn.Config(_serving_app(settings), log_config=None, access_log=False)).run(sockets=[sock])


def _serve_workers(settings: ServerSettings, host: str, port: int, workers: int) -> int:
    """Pre-fork ``workers`` uvicorn processes, each on its own ``SO_REUSEPORT`` socket of the port."""
    import multiprocessing
    import signal

    from server.app import create_app

    create_app(settings).state.ctx.engine.dispose()  # migrate once, before forking
    socks = [_listen(host, port)]
    port = socks[0].getsockname()[1]  # port 0: the others join the one the first was given
    socks += [_listen(host, port) for _ in range(workers - 1)]
    ctx = multiprocessing.get_context("fork")
    procs = [
        ctx.Process(
            target=_worker, args=(sock, [o for o in socks if o is not sock], settings), name=f"gateway-worker-{i}"
        )
        for i, sock in enumerate(socks)
    ]
    for proc in procs:
        proc.start()
    # The parent lets go of its copies too (see _worker).
    for sock in socks:
        sock.close()
    logger.info("gateway workers started", extra={"workers": workers, "port": port})

    def _stop(_signum: int, _frame: object) -> None:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    for proc in procs:
        proc.join()
    return 0


# Sub-commands owned by other packages keep their own argument parsers.
DELEGATED = {
    "create-staff": ("server.fleet.cli", "create_staff_main"),
    "disable-staff": ("server.fleet.cli", "disable_staff_main"),
    "enable-staff": ("server.fleet.cli", "enable_staff_main"),
    "create-terminal": ("server.fleet.cli", "create_terminal_main"),
    "face-compare": ("server.face.cli", "main"),
    "mint-esscard": ("server.esscard.cli", "main"),
    "publish-release": ("server.fleet.release_cli", "main"),
    "migrate": ("server.migrate_cli", "main"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        import importlib

        configure_logging(logging.WARNING)
        module, function = DELEGATED[argv[0]]
        return getattr(importlib.import_module(module), function)(argv[1:])
    args = _parser().parse_args(argv)
    configure_logging(logging.INFO if args.command is None else logging.WARNING)
    if args.command == "seed":
        return cmd_seed(args)
    return cmd_serve(args)


if __name__ == "__main__":
    sys.exit(main())
