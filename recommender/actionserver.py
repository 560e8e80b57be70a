"""`python -m recommender.actionserver`: rasa-sdk's action server with our actions plus `GET /metrics`.

It takes rasa-sdk's own command-line options (`--actions recommender.actions --port 5055 ...`) and runs the
app exactly as `python -m rasa_sdk` does (rasa-sdk's `create_app_for_serve`, Sanic's loader and
worker), with one more route: `GET /metrics`, the Prometheus text format of
`recommender.observability.metrics.REGISTRY`, and a warm-up once the worker serves (the first
model bundle, and the local LLM loading in the background). It binds `RECSYS_ACTION_HOST` (default
127.0.0.1) and, with `RECSYS_ACTION_TOKEN` set, answers every route but `/health` only when the
call carries `Authorization: Bearer <token>` (Rasa sends it from endpoints.yml's action_endpoint
`headers`); it refuses to start on another interface without a token, and in production
without its secrets (`Settings.require_secure`, docs/security.md). Metrics live in the process that runs the actions:
keep one Sanic worker (rasa-sdk's default) so one scrape sees every turn; with more workers each
keeps its own numbers (run replicas behind Prometheus service discovery instead).
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)


def _store() -> Any:
    """The configured store: the same cached object the service uses (one per database URL)."""
    from recommender.store.repository import get_store

    return get_store()


def add_metrics_route(app: Sanic) -> Sanic:
    """Add `GET /metrics` (and the retrain collector reading the database) to a Sanic app."""
    from recommender.observability.metrics import CONTENT_TYPE_LATEST, exposition, register_store

    register_store(_store)

    @app.get("/metrics")
    async def metrics(_: Request) -> HTTPResponse:
        # off the event loop (the retrain collector queries the database), and not on the
        # service's single thread, so a scrape never waits behind a recommendation
        body = await asyncio.get_running_loop().run_in_executor(None, exposition)
        return response.raw(body, content_type=CONTENT_TYPE_LATEST)

    return app


OPEN_PATHS = frozenset({"/health"})  # a liveness probe learns nothing and changes nothing


def presented_token(request: Request) -> str | None:
    """The bearer token of the request (`Authorization: Bearer ...`), else its `?token=` argument."""
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.args.get("token") or None


def add_token_check(app: Sanic, token: str | None) -> Sanic:
    """With a token, every route but /health answers 401 unless the call carries it (constant-time check)."""
    if not token:
        return app
    expected = token.encode()

    @app.on_request
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or request.method == "OPTIONS":
            return None
        presented = presented_token(request)
        if presented is not None and hmac.compare_digest(presented.encode(), expected):
            return None
        return response.json({"error": "the action server needs `Authorization: Bearer <RECSYS_ACTION_TOKEN>`"},
                             status=401)

    return app


def add_warm_up(app: Sanic) -> Sanic:
    """Once the worker serves, warm the service up in a thread (first bundle, LLM load).

    In the worker, not at import and not in the main process: rasa-sdk's Sanic forks a worker,
    and what the parent loaded would be loaded twice.
    """

    async def warm_up(_: Sanic) -> None:
        def run() -> None:
            from recommender.service import get_service

            try:
                get_service().warm_up()
            except Exception:  # the first turn builds it again and reports the error to the user
                logger.exception("warm-up failed; the first recommendation will retry")

        asyncio.get_running_loop().run_in_executor(None, run)

    app.register_listener(warm_up, "after_server_start")
    return app


def configure_worker_logging(loglevel: str | None) -> None:
    """rasa-sdk's log format and level in this process, unless logging is configured already.

    Sanic serves from a worker process that does not inherit the parent's logging setup: without
    this, every INFO line of the recommender (each request with its id and latency, the LLM
    loading) is dropped in the worker, and only warnings reach the log.
    """
    if logging.getLogger().handlers:
        return
    from rasa_sdk import utils

    utils.configure_colored_logging(loglevel)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)


def create_app(action_executor: Any, loglevel: str | None = None, **kwargs: Any) -> Sanic:
    """rasa-sdk's app (routes, CORS, tracing, plugins) with `/metrics` and the warm-up;
    module-level so Sanic's loader can rebuild it in each worker (logging included)."""
    from rasa_sdk.endpoint import create_app_for_serve

    from recommender.config import get_settings

    configure_worker_logging(loglevel)
    settings = get_settings()
    token = settings.action_token.get_secret_value() if settings.action_token else None
    return add_token_check(add_warm_up(add_metrics_route(create_app_for_serve(action_executor, **kwargs))), token)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse rasa-sdk's options, register the actions and serve until stopped."""
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_argument_parser, create_ssl_config
    from rasa_sdk.executor import ActionExecutor
    from sanic.worker.loader import AppLoader

    from recommender.config import get_settings

    args: argparse.Namespace = create_argument_parser().parse_args(argv)
    settings = get_settings()
    settings.require_secure(exposed_action_server=True)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()
    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    loader = AppLoader(
        factory=partial(create_app, executor, loglevel=args.loglevel, cors_origins=args.cors,
                        auto_reload=args.auto_reload, endpoints=args.endpoints)
    )
    app = loader.load()
    host = settings.action_host
    ssl = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    logger.info("action server with /metrics on %s:%s (%s)", host, args.port,
                "token required" if settings.action_token else "no token: loopback only")
    app.prepare(host=host, port=args.port, ssl=ssl, workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
