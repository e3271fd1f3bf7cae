"""``create_app(settings)``: the FastAPI gateway, wired to its database and data source."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse

from server import api, api_queries, applications, card_photos, card_sessions, face_checks, face_sessions, verify
from server.applications.office import build_back_office
from server.applications.settings import BackOfficeSettings
from server.card_keys import FileKeyStore, IssuerKeyStore, key_file_path
from server.context import GatewayContext, get_ctx
from server.db import (
    SERVING_STATEMENT_TIMEOUT_MS,
    WORKER_THREADS,
    ReadConnections,
    make_engine,
    make_session_factory,
    migrate,
    ping,
)
from server.errors import COMMON_ERROR_RESPONSES, error_body, install_error_handlers
from server.esscard import router as esscard_router
from server.fleet.router import install_fleet
from server.fleet.router import router as fleet_router
from server.middleware import FaultState
from server.notify.base import Notifier
from server.reference.api import router as reference_router
from server.replica import ReadRouter, make_replica_engine
from server.schemas import HealthResponse
from server.session_seen import LastSeenWriter
from server.settings import ServerSettings
from server.store.base import ResidentDataSource
from server.store.sql import SqlResidentDataSource

logger = logging.getLogger(__name__)


def create_app(
    settings: ServerSettings,
    source: ResidentDataSource | None = None,
    key_store: IssuerKeyStore | None = None,
    back_office: BackOfficeSettings | None = None,
    notifier: Notifier | None = None,
) -> FastAPI:
    """Build the gateway. Migrates the database first (unless disabled); ``source`` replaces the
    reference data store with a core-system adapter, ``key_store`` the card issuer key file with a
    hardware security module (server.card_keys); ``back_office`` (default: from the environment)
    and ``notifier`` (default: the SMS gateway when configured, else the log) set up the
    applications' review and notifications (server.applications.office)."""
    if settings.migrate_on_start:
        migrations = make_engine(settings.database_url)
        migrate(migrations)
        migrations.dispose()
    engine = make_engine(settings.database_url, SERVING_STATEMENT_TIMEOUT_MS)
    sessions = make_session_factory(engine)
    reads = ReadConnections(engine)
    # The hot resident reads may go to a streaming replica (server.replica); credentials, sessions,
    # /healthz and every write stay on the primary (``reads`` and ``sessions``).
    replica_engine = make_replica_engine(settings.replica_database_url) if settings.replica_database_url else None
    router = ReadRouter(
        reads,
        ReadConnections(replica_engine) if replica_engine is not None else None,
        max_lag_seconds=settings.replica_max_lag_seconds,
    )
    seen = LastSeenWriter(reads)
    faults = FaultState()
    office = build_back_office(back_office or BackOfficeSettings.from_env(), sessions, notifier)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The database pools are sized for this many concurrent handler threads (see server.db).
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        router.pin_to_current_thread()  # the primary's and the replica's
        office.dispatcher.start()  # sends the residents' notifications; never inside a request
        try:
            yield
        finally:
            office.dispatcher.stop()
            await seen.flush()
            reads.close()
            router.close()
            if replica_engine is not None:
                replica_engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="人社自助终端网关 Renshe terminal gateway",
        version="1.0.0",
        description="Resident-data API for self-service terminals, certificate issue and verification.",
    )
    app.state.ctx = GatewayContext(
        settings=settings,
        engine=engine,
        sessions=sessions,
        source=source or SqlResidentDataSource(sessions, router),
        faults=faults,
        reads=reads,
        seen=seen,
        card_keys=key_store or FileKeyStore.load_or_create(key_file_path(settings.data_dir, settings.card_key_file)),
        router=router,
    )
    app.state.backoffice = office
    install_error_handlers(app)
    app.add_middleware(face_sessions.FaceUploadMiddleware, max_body_bytes=settings.max_body_bytes, faults=faults)

    @app.get("/healthz", response_model=HealthResponse, tags=["health"], responses=COMMON_ERROR_RESPONSES)
    async def healthz(ctx: GatewayContext = Depends(get_ctx)) -> HealthResponse | JSONResponse:
        """200 when the database answers, 503 otherwise (one sub-millisecond ping, on the loop)."""
        if not ping(ctx.reads):
            return JSONResponse(
                error_body("database_unreachable", "数据库暂时不可用", "Database unreachable"), status_code=503
            )
        return HealthResponse(status="ok", database=ctx.engine.url.get_backend_name())

    # Routes are matched in order: the hot ones first (resident queries, heartbeats), so a request
    # is not tried against every console page before it finds its handler.
    app.include_router(face_sessions.router)
    app.include_router(face_checks.router)
    app.include_router(esscard_router.router)
    app.include_router(card_sessions.router)
    app.include_router(api.router)
    app.include_router(api_queries.router)
    install_fleet(app, settings.data_dir)
    app.include_router(fleet_router)
    app.include_router(applications.router)
    app.include_router(card_photos.router)
    app.include_router(reference_router)
    app.include_router(verify.router)
    return app
