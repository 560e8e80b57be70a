"""The product defaults, read with a clean environment (tests/conftest.py pins the LLM off for the rest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.config import Settings
from recommender.llm.backends import close_backends, get_backend
from recommender.llm.local import LocalBackend
from recommender.llm.packaged import PACKAGED_MODELS, locate_parts


def test_the_default_llm_is_the_packaged_local_model_and_it_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECSYS_LLM_BACKEND", raising=False)
    monkeypatch.delenv("RECSYS_LLM_MODEL", raising=False)
    settings = Settings(_env_file=None, var_dir=tmp_path)  # type: ignore[call-arg]
    assert (settings.llm_backend, settings.llm_model) == ("local", "qwen2.5-coder-0.5b")
    backend = get_backend(settings)
    try:
        assert isinstance(backend, LocalBackend) and not backend.loaded  # built lazily: nothing loaded yet
    finally:
        close_backends()
    # requirements/app-nodeps.txt installs the default model's weight packages (no hub at run time)
    assert len(locate_parts(PACKAGED_MODELS[settings.llm_model])) == 6


# -- secure defaults (docs/security.md) ---------------------------------------------------------------

def test_settings_files_are_found_relative_to_the_project_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recommender.config import ENV_FILES, PROJECT_ROOT

    assert all(Path(f).is_absolute() and Path(f).is_relative_to(PROJECT_ROOT) for f in ENV_FILES)
    assert Path(__file__).resolve().parents[2] == PROJECT_ROOT  # this checkout, wherever pytest runs
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("RECSYS_DATABASE_URL=sqlite:///somewhere-else.db\n")
    # (tests/conftest.py turns the files off for every other test; here they are read as in production)
    assert Settings(_env_file=ENV_FILES).database_url != "sqlite:///somewhere-else.db"  # type: ignore[call-arg]


def test_an_installed_package_uses_the_folder_it_is_started_from_or_recsys_project_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import recommender.config as config

    site = tmp_path / "site-packages" / "recommender"
    site.mkdir(parents=True)
    monkeypatch.setattr(config, "__file__", str(site / "config.py"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECSYS_PROJECT_DIR", raising=False)
    assert config._project_root() == tmp_path
    monkeypatch.setenv("RECSYS_PROJECT_DIR", str(tmp_path / "bot"))
    assert config._project_root() == tmp_path / "bot"


def test_production_refuses_the_public_development_key(tmp_path: Path) -> None:
    from recommender.config import InsecureConfigurationError

    settings = Settings(_env_file=None, var_dir=tmp_path, environment="production")  # type: ignore[call-arg]
    with pytest.raises(InsecureConfigurationError, match="RECSYS_USER_ID_SECRET"):
        settings.require_secure()
    Settings(_env_file=None, var_dir=tmp_path, environment="production",  # type: ignore[call-arg]
             user_id_secret="a-long-random-value").require_secure()  # with the key it starts
    Settings(_env_file=None, var_dir=tmp_path).require_secure()  # type: ignore[call-arg]  # development warns only


def test_the_service_does_not_start_in_production_without_the_key(tmp_path: Path) -> None:
    from recommender.config import InsecureConfigurationError
    from recommender.service import RecommenderService

    settings = Settings(_env_file=None, var_dir=tmp_path, environment="production")  # type: ignore[call-arg]
    with pytest.raises(InsecureConfigurationError):
        RecommenderService(settings=settings)


@pytest.mark.parametrize("environment", ["development", "production"])
def test_an_action_server_on_the_network_needs_a_token(tmp_path: Path, environment: str) -> None:
    from recommender.config import InsecureConfigurationError

    common = {"_env_file": None, "var_dir": tmp_path, "environment": environment, "user_id_secret": "k" * 32}
    exposed = Settings(**common, action_host="0.0.0.0")  # type: ignore[arg-type]
    with pytest.raises(InsecureConfigurationError, match="RECSYS_ACTION_TOKEN"):
        exposed.require_secure(exposed_action_server=True)
    Settings(**common, action_host="0.0.0.0", action_token="t" * 32).require_secure(  # type: ignore[arg-type]
        exposed_action_server=True)
    loopback = Settings(**common)  # type: ignore[arg-type]
    if environment == "production":  # production wants the token even on loopback
        with pytest.raises(InsecureConfigurationError, match="RECSYS_ACTION_TOKEN"):
            loopback.require_secure(exposed_action_server=True)
    else:
        loopback.require_secure(exposed_action_server=True)
