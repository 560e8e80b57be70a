"""The deployment files that no test here can run (Docker is not available on this machine) are at
least well-formed: the Compose file parses and names the layout of docs/deploy.md, both nginx
configurations pass `nginx -t`, and the replica profile's endpoints.yml names the stores it promises.
The replica profile itself runs in tests/e2e/test_replicas.py."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
NGINX = Path(os.environ.get("NGINX_BIN", "/usr/sbin/nginx"))


def _nginx_t(conf: Path, prefix: Path) -> subprocess.CompletedProcess[str]:
    if not NGINX.is_file():
        pytest.fail(f"nginx not found at {NGINX}: run `make nginx` (Debian's nginx), or set NGINX_BIN", pytrace=False)
    env = {k: v for k, v in os.environ.items() if k != "NGINX"}  # nginx reads $NGINX as inherited sockets
    return subprocess.run([str(NGINX), "-t", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
                          capture_output=True, text=True, env=env, timeout=30, check=False)


def test_compose_file_describes_the_replica_layout() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "vllm", "rasa", "actions", "worker", "ingest", "nginx"}
    assert services["rasa"]["deploy"]["replicas"] == 2 and services["actions"]["deploy"]["replicas"] == 2
    assert services["actions"]["environment"]["RECSYS_LLM_BACKEND"] == "openai"
    assert services["actions"]["environment"]["RECSYS_LLM_BASE_URL"] == "http://vllm:8000/v1"
    assert services["rasa"]["environment"]["REPLICA_ACTION_FRONT"] == "nginx:5055"  # action calls through nginx
    for name in ("actions", "worker"):  # one shared model folder
        assert "models:/var/lib/recsys/models/serving" in services[name]["volumes"]
    # every secret from the environment, required (${VAR:?...}), never a literal
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    for secret in ("RECSYS_USER_ID_SECRET", "RECSYS_ACTION_TOKEN", "RECSYS_RASA_AUTH_TOKEN",
                   "RECSYS_SOCKETIO_SECRET", "RECSYS_REST_TOKEN", "POSTGRES_PASSWORD", "REDIS_PASSWORD"):
        assert f"${{{secret}:?" in text, secret


def test_replica_endpoints_use_the_shared_stores_and_no_literal_secret() -> None:
    endpoints = yaml.safe_load((DEPLOY / "local" / "endpoints.yml").read_text(encoding="utf-8"))
    assert endpoints["tracker_store"]["type"] == "rasa_addons.tracker_store.ForgetfulSQLTrackerStore"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["lock_store"]["type"] == "redis"
    assert endpoints["action_endpoint"]["headers"]["Authorization"] == "Bearer ${RECSYS_ACTION_TOKEN}"
    assert endpoints["tracker_store"]["password"] == "${RASA_TRACKER_DB_PASSWORD}"
    assert endpoints["lock_store"]["password"] == "${RASA_REDIS_PASSWORD}"


def test_local_nginx_template_passes_nginx_t(tmp_path: Path) -> None:
    conf = (DEPLOY / "local" / "nginx.conf.template").read_text(encoding="utf-8")
    values = {"RUN_DIR": str(tmp_path), "USER_LINE": "", "FRONT_PORT": "5105", "ACTION_FRONT_PORT": "5155",
              "RASA_PORT_1": "5101", "RASA_PORT_2": "5102", "ACTION_PORT_1": "5151", "ACTION_PORT_2": "5152"}
    for name, value in values.items():
        conf = conf.replace(f"@{name}@", value)
    assert "@" not in re.sub(r"#.*", "", conf), "a placeholder run_replicas.sh does not fill in"
    (tmp_path / "log").mkdir()
    (tmp_path / "nginx").mkdir()  # run_replicas.sh makes nginx's temp folders in it
    (tmp_path / "nginx.conf").write_text(conf, encoding="utf-8")
    checked = _nginx_t(tmp_path / "nginx.conf", tmp_path)
    assert checked.returncode == 0, checked.stderr


def test_compose_nginx_conf_passes_nginx_t(tmp_path: Path) -> None:
    # Compose's service names resolve only inside Compose: loopback stands in for them here
    conf = (DEPLOY / "docker" / "nginx.conf").read_text(encoding="utf-8")
    conf = re.sub(r"server (rasa|actions):", "server 127.0.0.1:", conf)
    conf = conf.replace("listen 5005;", "listen 127.0.0.1:5005;").replace("listen 5055;", "listen 127.0.0.1:5055;")
    conf = conf.replace("http {", f"http {{\n    client_body_temp_path {tmp_path}/cb;\n    proxy_temp_path {tmp_path}/p;\n"
                        f"    fastcgi_temp_path {tmp_path}/f;\n    uwsgi_temp_path {tmp_path}/u;\n"
                        f"    scgi_temp_path {tmp_path}/s;", 1)
    conf = f"pid {tmp_path}/nginx.pid;\n" + conf
    (tmp_path / "nginx.conf").write_text(conf, encoding="utf-8")
    checked = _nginx_t(tmp_path / "nginx.conf", tmp_path)
    assert checked.returncode == 0, checked.stderr


def test_kubernetes_examples_in_the_deploy_guide_parse() -> None:
    guide = (REPO_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", guide, flags=re.S)
    documents = [doc for block in blocks for doc in yaml.safe_load_all(block) if doc]
    kinds = {doc["kind"]: doc for doc in documents}
    assert set(kinds) >= {"Ingress", "Deployment"}, list(kinds)
    assert kinds["Ingress"]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
