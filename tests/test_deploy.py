"""Deployment files: Dockerfile, compose.yaml, .dockerignore, Procfile, deploy/ (Grafana, alerts).

Docker itself is not needed: the files are parsed, and the health check command is run
against a local /healthz.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.settings import Settings
from tests.support import REPO_ROOT, serve_locally


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        """The arguments as a list: JSON exec form, or shell words."""
        text = self.arguments.strip()
        return list(json.loads(text)) if text.startswith("[") else shlex.split(text)


def dockerfile_stages(text: str) -> list[list[Instruction]]:
    """The Dockerfile's instructions (continuations joined, comments dropped), per stage."""
    logical, pending = [], ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[list[Instruction]] = []
    for line in logical:
        keyword, _, arguments = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append(Instruction(keyword.upper(), arguments.strip()))
    return stages


def _only(stage: list[Instruction], keyword: str) -> Instruction:
    (instruction,) = [i for i in stage if i.keyword == keyword]
    return instruction


@pytest.fixture(scope="module")
def stages() -> list[list[Instruction]]:
    return dockerfile_stages((REPO_ROOT / "Dockerfile").read_text())


@pytest.fixture(scope="module")
def final(stages: list[list[Instruction]]) -> list[Instruction]:
    return stages[-1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_the_image_is_multi_stage_on_the_locked_python(stages: list[list[Instruction]]) -> None:
    python = (REPO_ROOT / ".python-version").read_text().strip()
    assert len(stages) >= 2
    for stage in stages:
        assert stage[0].arguments.split()[0] == f"python:{python}-slim"


def test_the_builder_installs_the_hashed_lock_into_a_venv(
    stages: list[list[Instruction]],
) -> None:
    runs = " ".join(i.arguments for stage in stages[:-1] for i in stage if i.keyword == "RUN")
    assert "-m venv /opt/venv" in runs
    assert "--require-hashes -r requirements.txt" in runs
    assert "--no-deps ." in runs


def test_the_final_stage_runs_as_a_non_root_user(final: list[Instruction]) -> None:
    user = _only(final, "USER").arguments.split(":")[0]
    assert user not in ("root", "0")
    assert not any(i.keyword == "RUN" for i in final[final.index(_only(final, "USER")) :])


def test_the_final_stage_carries_only_the_venv(final: list[Instruction]) -> None:
    copies = [i.arguments for i in final if i.keyword in ("COPY", "ADD")]
    assert copies == ["--from=builder /opt/venv /opt/venv"]


def test_the_entry_is_python_m_bot_on_port_3000(final: list[Instruction]) -> None:
    assert not any(i.keyword == "ENTRYPOINT" for i in final)
    assert _only(final, "CMD").exec_form() == ["python", "-m", "bot"]  # exec form: gets SIGTERM
    assert _only(final, "EXPOSE").arguments == "3000"


def _healthcheck_command(final: list[Instruction]) -> list[str]:
    options, _, command = _only(final, "HEALTHCHECK").arguments.partition("CMD ")
    assert "--interval=" in options
    return json.loads(command)


def test_the_health_check_asks_healthz_with_python_urllib(final: list[Instruction]) -> None:
    command = _healthcheck_command(final)
    assert command[:2] == ["python", "-c"]
    assert "urllib.request" in command[2] and "/healthz" in command[2]


async def _run_health_check(command: list[str], status: int) -> int:
    """Run the image's check (with this Python) against a local /healthz answering status."""

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "redis": "ok"}, status=status)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner, port = await serve_locally(app)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *command[1:], env={"PORT": str(port)}, stderr=asyncio.subprocess.PIPE
        )
        await asyncio.wait_for(process.communicate(), 20)
        assert process.returncode is not None
        return process.returncode
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
async def test_the_health_check_passes_only_on_a_2xx(
    final: list[Instruction], status: int, healthy: bool
) -> None:
    code = await _run_health_check(_healthcheck_command(final), status)
    assert (code == 0) is healthy


def test_the_build_context_leaves_out_secrets_and_the_venv() -> None:
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git"} <= set(ignored)
    for needed in ("requirements.txt", "pyproject.toml", "README.md", "bot", "handlers"):
        assert needed not in ignored


def test_compose_runs_redis_7_with_a_volume(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    assert redis["image"].startswith("redis:7")
    volume, _, target = redis["volumes"][0].partition(":")
    assert target == "/data" and volume in compose["volumes"]
    assert "redis-cli" in redis["healthcheck"]["test"]


def test_compose_runs_the_bot_after_redis_on_its_url(compose: dict[str, Any]) -> None:
    bot = compose["services"]["bot"]
    assert bot["build"] == "."
    assert bot["env_file"] == ".env"
    assert bot["depends_on"]["redis"]["condition"] == "service_healthy"
    url = bot["environment"]["REDIS_URL"]
    assert url == "redis://redis:6379/0"
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])
    assert bot["ports"] == ["${PORT:-3000}:3000"] and bot["environment"]["PORT"] == "3000"
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "GITBOOK_API_TOKEN": "g",
        "GITBOOK_ORGANIZATION_ID": "o",
        "GITBOOK_SITE_ID": "s",
        **bot["environment"],
    }
    assert str(Settings.from_env(env).redis_url) == url


def test_the_procfile_runs_the_same_entry() -> None:
    assert Path(REPO_ROOT / "Procfile").read_text() == "web: python -m bot\n"


# --- deploy/: the Grafana dashboard and the Prometheus alerts ------------------------------

# The metrics GET /metrics serves (CONTRACT.md, HTTP surface), and their kinds.
CONTRACT_METRICS = {
    "docsbot_questions_total": "counter",
    "docsbot_answer_first_text_seconds": "histogram",
    "docsbot_gitbook_first_chunk_seconds": "histogram",
    "docsbot_slack_calls_total": "counter",
    "docsbot_slack_ratelimited_total": "counter",
    "docsbot_answers_in_flight": "gauge",
    "docsbot_cache_hits_total": "counter",
}
HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")
PROMQL_WORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "bool"}
PROMQL_FUNCTIONS = {
    "sum", "rate", "increase", "histogram_quantile", "clamp_min", "max", "min", "avg", "abs",
}  # fmt: skip


def _series_of(metric: str) -> set[str]:
    if CONTRACT_METRICS[metric] == "histogram":
        return {metric + suffix for suffix in HISTOGRAM_SERIES}
    return {metric}


KNOWN_SERIES = set().union(*(_series_of(m) for m in CONTRACT_METRICS))


def metric_names(expr: str) -> set[str]:
    """Every metric an expression selects (fails on an identifier it cannot place)."""
    text = re.sub(r'"[^"]*"', "", expr)  # label values
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges, $__rate_interval included
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", text)  # grouping labels
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word, rest = match.group(), text[match.end() :].lstrip()
        if rest.startswith("("):
            assert word in PROMQL_FUNCTIONS, f"unexpected function {word!r} in {expr!r}"
        elif word not in PROMQL_WORDS:
            names.add(word)
    assert text.count("(") == text.count(")"), expr
    return names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("sum by (method) (rate(docsbot_slack_calls_total{result!=\"ok\"}[5m]))",
         {"docsbot_slack_calls_total"}),
        ("histogram_quantile(0.95, sum by (le) (rate(x_bucket[$__rate_interval]))) > 2",
         {"x_bucket"}),
        ("a / b > 0.2 and c >= 5", {"a", "b", "c"}),
    ],
)  # fmt: skip
def test_metric_names_finds_every_selector(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


@pytest.fixture(scope="module")
def alert_rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load((REPO_ROOT / "deploy" / "prometheus-alerts.yml").read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    loaded = json.loads((REPO_ROOT / "deploy" / "grafana-dashboard.json").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def test_the_alerts_cover_rate_limits_gitbook_errors_load_and_silence(
    alert_rules: list[dict[str, Any]],
) -> None:
    assert {
        "DocsbotSlackRateLimited",
        "DocsbotGitBookErrors",
        "DocsbotAnswersInFlightHigh",
        "DocsbotNoQuestionsAnswered",
    } <= {rule["alert"] for rule in alert_rules}
    for rule in alert_rules:
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_the_alerts_use_only_the_contract_metrics(alert_rules: list[dict[str, Any]]) -> None:
    for rule in alert_rules:
        names = metric_names(rule["expr"])
        assert names and names <= KNOWN_SERIES, (rule["alert"], names - KNOWN_SERIES)


def test_the_dashboard_uses_only_and_shows_every_contract_metric(
    dashboard: dict[str, Any],
) -> None:
    used = set().union(*(metric_names(expr) for expr in _dashboard_exprs(dashboard)))
    assert used <= KNOWN_SERIES, used - KNOWN_SERIES
    for metric in CONTRACT_METRICS:
        assert used & _series_of(metric), f"no panel shows {metric}"


def test_the_dashboard_is_importable(dashboard: dict[str, Any]) -> None:
    panels = dashboard["panels"]
    assert dashboard["uid"] and dashboard["title"] and isinstance(dashboard["schemaVersion"], int)
    assert len({p["id"] for p in panels}) == len(panels)
    (variable,) = dashboard["templating"]["list"]
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
    for panel in panels:
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert panel["datasource"]["uid"] == "${" + variable["name"] + "}"


def test_a_plain_install_ships_every_package() -> None:
    """`pip install .` (the Dockerfile, Heroku) must carry every subpackage, not just bot/."""
    import tomllib

    from setuptools import find_packages

    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    shipped = set(find_packages(where=str(REPO_ROOT), include=include))
    on_disk = {
        ".".join(init.parent.relative_to(REPO_ROOT).parts)
        for top in ("bot", "handlers")
        for init in (REPO_ROOT / top).rglob("__init__.py")
    }
    assert on_disk <= shipped, sorted(on_disk - shipped)
