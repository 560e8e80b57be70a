"""Settings from environment variables (prefix RECSYS_), the project's `.env`, and `var/secrets.env`.

One `Settings` object, cached by `get_settings()`; tests build their own `Settings(...)`.
Both files are found relative to the project (`PROJECT_ROOT`), never the current directory: a command
run from elsewhere (`python -m recommender forget ...`) must use the same database and the same
pseudonymisation key as the bot. `var/secrets.env` is what `make run` generates when a secret
is absent (scripts/run_stack.sh); `.env` (yours) and the environment take precedence over it.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _project_root() -> Path:
    """The project whose `var/` and `.env` these settings use: RECSYS_PROJECT_DIR when set; else this
    source checkout (the reference bot: the package sits beside pyproject.toml); else, for the package
    installed into a bot's environment, the folder the bot's servers are started from."""
    configured = os.environ.get("RECSYS_PROJECT_DIR", "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "recommender" / "config.py").is_file():
        return checkout
    return Path.cwd()


PROJECT_ROOT = _project_root()
DEV_USER_ID_SECRET = "dev-only-secret-change-me"
# Later files win; the environment wins over both.
ENV_FILES = (PROJECT_ROOT / "var" / "secrets.env", PROJECT_ROOT / ".env")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class InsecureConfigurationError(RuntimeError):
    """The settings would expose users' data (see `Settings.security_problems`)."""


class Settings(BaseSettings):
    """Everything that differs between a laptop, CI and production."""

    model_config = SettingsConfigDict(env_prefix="RECSYS_", env_file=ENV_FILES, extra="ignore")

    environment: Literal["development", "production"] = Field(
        default="development",
        description="production: every secret below is required and a server without one refuses to start "
        "(docs/security.md); development: `make run` on a laptop, with secrets generated into var/secrets.env.",
    )

    var_dir: Path = Field(default=PROJECT_ROOT / "var", description="Runtime state: database, data, models.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means a SQLite file var/recommender.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    user_id_secret: str = Field(
        default=DEV_USER_ID_SECRET,
        description="Key for the HMAC that turns channel user ids into pseudonymous ids. Required in production; "
        "`make run` generates one into var/secrets.env. Keep it: another key turns every user into a new one.",
    )
    action_host: str = Field(
        default="127.0.0.1",
        description="Interface the action server binds. Anything but loopback requires RECSYS_ACTION_TOKEN.",
    )
    action_token: SecretStr | None = Field(
        default=None,
        description="Shared secret every call to the action server must carry (`Authorization: Bearer ...`, "
        "which Rasa sends from endpoints.yml's action_endpoint headers). Required in production.",
    )
    default_k: int = Field(default=5, ge=1, le=20, description="Items per recommendation turn.")
    ask_vague_openers: bool = Field(
        default=True,
        description="Answer a vague opener with nothing to go on with one question (quick replies) instead of "
        "a popular list; never two questions in a row.",
    )
    knn_neighbours: int = Field(default=50, ge=1, description="Neighbours kept per item in item-kNN.")
    knn_shrinkage: float = Field(default=25.0, ge=0, description="Shrinkage of item-item cosine toward 0.")
    popularity_prior: float = Field(default=20.0, ge=0, description="Bayesian prior count for mean ratings.")
    like_threshold: float = Field(default=4.0, description="A rating at or above this counts as a like.")
    max_message_chars: int = Field(default=2000, ge=1, description="Longer user messages are cut before NLU (every rasa_addons channel reads the same RECSYS_MAX_MESSAGE_CHARS) and again by the actions before they reach the recommender.")
    shared_data_dir: Path = Field(
        default=PROJECT_ROOT.parent / "shared" / "data",
        description="Read-only shared datasets (goodbooks-10k, ml-latest-small, ...); never copied into the project.",
    )

    # -- database faults (recommender/store/db.py, recommender/serving/db_guard.py, docs/faults.md) --
    db_connect_timeout_seconds: int = Field(
        default=3, ge=1,
        description="PostgreSQL: give up connecting after this many seconds (libpq connect_timeout; libpq "
        "treats 1 as 2), and wait at most this long for a free pooled connection. A database that is down or "
        "a port that accepts and never answers then fails fast instead of stalling every conversation.",
    )
    db_statement_timeout_ms: int = Field(
        default=5000, ge=0,
        description="PostgreSQL statement_timeout of every session (0: none): a statement waiting on a lock "
        "or a hung server is cancelled after this long. Bulk maintenance (imports, purges, migrations) lifts "
        "it for its own transaction.",
    )
    sqlite_busy_timeout_seconds: float = Field(
        default=5.0, ge=0,
        description="SQLite: how long a write waits for another process's write lock before it fails "
        "(was a fixed 30 s).",
    )
    db_retry_seconds: float = Field(
        default=10.0, gt=0,
        description="After a database error on the turn path (profile, impressions, user rows), turns skip the "
        "database for this long and answer from the loaded model; a background probe then checks it again.",
    )
    feedback_spool_max_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024,
        description="Largest size of the local feedback spool (var/spool/feedback.jsonl) that keeps feedback "
        "while the database is down. When full, new feedback is refused (the user is told it was not saved) "
        "and the spooled events are kept: the oldest are never dropped.",
    )

    model_check_seconds: float = Field(
        default=10.0, gt=0,
        description="How often the service looks for a newly published model version (or a changed catalog).",
    )

    def security_problems(self, exposed_action_server: bool = False) -> list[str]:
        """What makes these settings unsafe for real users: always when the action server would be reachable
        from the network without a token; in production also every missing secret."""
        problems = []
        token = self.action_token.get_secret_value() if self.action_token else ""
        if exposed_action_server and self.action_host not in LOOPBACK_HOSTS and not token:
            problems.append(f"the action server would listen on {self.action_host} without RECSYS_ACTION_TOKEN: "
                            "anyone who reaches it could post a forged tracker and act as any user")
        if self.environment == "production":
            if self.user_id_secret in ("", DEV_USER_ID_SECRET):
                problems.append("RECSYS_USER_ID_SECRET is not set: user ids would be hashed with the public "
                                "development key")
            if exposed_action_server and not token:
                problems.append("RECSYS_ACTION_TOKEN is not set")
        return problems

    def require_secure(self, exposed_action_server: bool = False) -> None:
        """Raise `InsecureConfigurationError` naming every problem (`security_problems`), if any."""
        problems = self.security_problems(exposed_action_server)
        if problems:
            raise InsecureConfigurationError(
                f"refusing to start (RECSYS_ENVIRONMENT={self.environment}): " + "; ".join(problems)
                + ". Set the missing secrets (long random values) in the environment or .env; see docs/security.md."
            )

    @property
    def models_dir(self) -> Path:
        """Where published and rejected serving model versions live (one folder per version)."""
        return self.var_dir / "models" / "serving"

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under `var_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'recommender.db'}"

    @property
    def data_dir(self) -> Path:
        """Where fetched source data (MovieLens parquet files) is kept."""
        return self.var_dir / "data"

    # -- LLM re-ranking and generation (recommender/llm) ------------------------------------------
    # The default is the packaged local model, offline: the turn keeps its budget with template
    # reasons, and push channels get the validated LLM message when it is ready (docs/llm.md).
    llm_backend: Literal["none", "local", "openai"] = Field(
        default="local",
        description="none: template reasons only; local: a packaged model through transformers on this "
        "machine; openai: any OpenAI-compatible server (vLLM, Ollama, llama.cpp server, hosted APIs).",
    )
    llm_model: str = Field(
        default="qwen2.5-coder-0.5b",
        description="local: a packaged model name (smollm2-135m, qwen2.5-coder-0.5b, qwen2.5-coder-1.5b), "
        "a .gguf file or a transformers folder; openai: the model name the server expects.",
    )
    llm_model_sha256: str = Field(
        default="", description="Expected sha256 of a local .gguf given by path (packaged models carry their own)."
    )
    llm_device: str = Field(default="", description="torch device for the local model; empty: cuda if present, else cpu.")
    llm_threads: int = Field(
        default=1, ge=0,
        description="torch CPU threads for the local model (0: torch's default). 1 measured 2-3x faster than 2 "
        "on 2 shared cores: a second thread waits for a busy core.",
    )
    llm_base_url: str = Field(
        default="http://127.0.0.1:8000/v1", description="OpenAI-compatible endpoint, including the /v1 prefix."
    )
    llm_api_key: SecretStr | None = Field(
        default=None, description="Bearer token for the OpenAI-compatible endpoint; from the environment only."
    )
    llm_timeout_s: float = Field(
        default=60.0, gt=0, description="Hard cap for one LLM call (and for a follow-up message written after the turn)."
    )
    llm_max_retries: int = Field(default=2, ge=0, le=10, description="Retries on 429, 5xx and connection errors.")
    llm_max_tokens: int = Field(default=220, ge=16, description="Longest generated reply, in tokens.")
    llm_temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="0 means greedy (reproducible).")
    llm_rerank: bool = Field(default=True, description="Let the LLM score the top candidates (a blend feature).")
    llm_rerank_top_n: int = Field(default=10, ge=2, le=50, description="How many top candidates the LLM sees.")
    llm_rerank_mode: Literal["auto", "listwise", "pointwise"] = Field(
        default="auto",
        description="pointwise: log-likelihood of each title (local models); listwise: the LLM returns an "
        "ordered id list (any backend); auto: pointwise where the backend can score, else listwise.",
    )
    llm_generate: bool = Field(default=True, description="Let the LLM write the reply and one reason per item.")
    llm_prompt_variants: str = Field(
        default="explain_v1,explain_v2,explain_v3",
        description="Comma-separated explanation prompt variants; a Thompson-sampling bandit picks one per request.",
    )
    llm_prompt_variants_zh: str = Field(
        default="explain_zh_v1",
        description="The explanation prompt variants for turns in Chinese (task explain_zh), picked by the same bandit.",
    )
    turn_budget_ms: int = Field(
        default=1500, ge=50,
        description="Time one recommendation turn may take; past it the template reasons go out first.",
    )
    turn_reserve_ms: int = Field(
        default=60, ge=0,
        description="Of the turn budget, the part kept for what follows the LLM stages (logging the "
        "impressions, composing the reply), so that the whole turn, not only the LLM, keeps the budget.",
    )
    llm_rerank_budget_share: float = Field(
        default=0.5, gt=0, le=1, description="Share of the turn budget that re-ranking may use."
    )
    llm_rerank_weight: float = Field(
        default=0.3, ge=0,
        description="Weight of the LLM score next to the base score (scaled to 0-1) until the learned "
        "blend sets it from feedback; 0 logs the LLM score without letting it move anything.",
    )
    llm_followups: bool = Field(
        default=True,
        description="On push channels (socket.io, Slack, Telegram) send the LLM-written message after the "
        "turn when it missed the budget.",
    )
    llm_followup_max_backlog: int = Field(
        default=4, ge=1,
        description="Most follow-ups waiting for (or running on) the two LLM workers. Past it the oldest "
        "that has not started is dropped (it is the stalest; the newest belongs to the list the user reads "
        "now), or the newest when all others are running; drops are counted in recsys_llm_events_total.",
    )
    rasa_url: str = Field(
        default="http://127.0.0.1:5005", description="Rasa server, for follow-ups through its HTTP API."
    )
    rasa_auth_token: SecretStr | None = Field(
        default=None, description="Rasa's --auth-token, sent with follow-ups; from the environment only."
    )

    # -- feedback loop: retrain job, scheduler worker, retention (recommender/jobs, recommender/worker) --
    retrain_interval_minutes: float = Field(
        default=60.0, gt=0, description="How often the worker retrains from the feedback log (skipped when nothing is new)."
    )
    retrain_first_delay_seconds: float = Field(
        default=15.0, ge=0,
        description="When no model version is published yet, the worker's first retrain runs this long after start.",
    )
    retrain_model: str = Field(default="blend", description="Registry name of the model the retrain job trains.")
    retrain_params: dict[str, Any] = Field(
        default_factory=lambda: {
            "refit": False, "l2": 1e-3, "refit_warm_epochs": 1, "epochs": 200,
            "base_params": {"sasrec": {"warm_epochs": 4, "warm_lr": 2e-3}},
        },
        description="Overrides of the registry defaults for the retrained model (JSON in the environment). The job "
        "fits the candidate and the contender without refit (they are evaluated first) and refits the contender on "
        "every event itself when it publishes (recommender/training/retrain_fit.py); the SASRec base continues "
        "from the published version for 4 epochs at lr 2e-3 (6 at 5e-3 from scratch), and 1 more in the refit; "
        "the blend's weights learn for 200 epochs. Chosen on the validation split "
        "(docs/evaluation/training-time.md); a retrain of MovieLens 100K fits the 60 s budget on 2 cores "
        "(benchmarks/results/retrain.md).",
    )
    retrain_budget_seconds: float = Field(
        default=60.0, gt=0, description="Target duration of one retrain; a slower run is logged as a warning."
    )
    retrain_eval_k: int = Field(default=10, ge=1, le=100, description="Cut-off of the NDCG the publish decision uses.")
    retrain_min_eval_users: int = Field(
        default=20, ge=1,
        description="Fewest users with new positive feedback for the recent slice to decide; with fewer, the "
        "candidate's offline NDCG is compared with the one recorded for the published version.",
    )
    retrain_eval_max_users: int = Field(
        default=500, ge=10, description="Most users scored per evaluation set (a fixed-seed sample beyond that)."
    )
    retrain_tolerance: float = Field(
        default=0.0, ge=0,
        description="A candidate may score this much NDCG below the published version and still count as not worse.",
    )
    retrain_noise_z: float = Field(
        default=1.64, ge=0,
        description="A candidate counts as worse only when it is below the published version by more than this "
        "many standard errors of the paired per-user NDCG difference (1.64: one-sided 95%); 0 compares the means.",
    )
    retrain_keep_versions: int = Field(
        default=5, ge=1,
        description="Version folders kept on disk (newest first; the published one is always kept) for audit "
        "and rollback; rows in model_versions are kept for ever.",
    )
    retention_days: float = Field(
        default=180.0, ge=0,
        description="Raw chat events (chat feedback, impressions, recommendation requests) older than this are "
        "purged by the retention job; 0 keeps them forever. Imported datasets are never purged.",
    )
    retention_check_hours: float = Field(default=24.0, gt=0, description="How often the retention job runs.")
    worker_lease_seconds: float = Field(
        default=900.0, gt=0,
        description="A job's lease (one replica runs it) expires this long after the holder's last heartbeat; "
        "a holder on the same host whose process died is taken over at once.",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
