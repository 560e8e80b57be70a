"""`python -m recommender.actionserver`: rasa-sdk's action server with our actions plus `GET /metrics`.

It takes rasa-sdk's own command-line options (`--actions recommender.actions --port 5055 ...`) and runs the
app exactly as `python -m rasa_sdk` does (rasa-sdk's `create_app_for_serve`, Sanic's loader and
worker), with one more route: `GET /metrics`, the Prometheus text format of
`recommender.observability.metrics.REGISTRY`, and a warm-up once the worker serves (the first
model bundle, and the local LLM loading in the background). Metrics live in the process that runs the actions:
keep one Sanic worker (rasa-sdk's default) so one scrape sees every turn; with more workers each
keeps its own numbers (run replicas behind Prometheus service discovery instead).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
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


def add_warm_up(app: Sanic) -> Sanic:
    """Once the worker serves, warm the service up in a thread (first bundle, LLM load).

    In the worker, not at import and not in the main process: rasa-sdk's Sanic forks a worker,
    and what the parent loaded would be loaded twice.
    """

    async def warm_up(_: Sanic) -> None:
        def run() -> None:
            from recommender.service import get_service

            try:
                resolve_transformers()
                get_service().warm_up()
            except Exception:  # the first turn builds it again and reports the error to the user
                logger.exception("warm-up failed; the first recommendation will retry")

        asyncio.get_running_loop().run_in_executor(None, run)

    app.register_listener(warm_up, "after_server_start")
    return app


# What the warm-up's threads take from transformers (the LLM load, the text embeddings).
_TRANSFORMERS_NAMES = ("AutoModel", "AutoModelForCausalLM", "AutoTokenizer", "GgufConfig", "MaxTimeCriteria",
                       "StoppingCriteriaList")


def resolve_transformers() -> None:
    """Import transformers and resolve the names the warm-up uses, before it starts its threads.

    transformers imports its names lazily, and two threads resolving them at once can fail: on a
    fresh clone the LLM loader and the text-embedding warm-up raced, and the embeddings died with
    "cannot import name 'AutoModel' from 'transformers'". Resolved once here, later imports only
    read attributes. Without transformers installed nothing is done (the warm-up reports it).
    """
    try:
        import transformers
    except ImportError:
        return
    for name in _TRANSFORMERS_NAMES:
        getattr(transformers, name, None)


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

    configure_worker_logging(loglevel)
    return add_warm_up(add_metrics_route(create_app_for_serve(action_executor, **kwargs)))


def main(argv: Sequence[str] | None = None) -> None:
    """Parse rasa-sdk's options, register the actions and serve until stopped."""
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_argument_parser, create_ssl_config
    from rasa_sdk.executor import ActionExecutor
    from sanic.worker.loader import AppLoader

    args: argparse.Namespace = create_argument_parser().parse_args(argv)
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
    host = os.environ.get("SANIC_HOST", "0.0.0.0")
    ssl = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    logger.info("action server with /metrics on %s:%s", host, args.port)
    app.prepare(host=host, port=args.port, ssl=ssl, workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
