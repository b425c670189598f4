"""The production deployment files, checked without a Docker engine or a cluster.

- deploy/compose.yaml against the compose-spec JSON schema (check-jsonschema's vendored copy);
- every manifest of deploy/kubernetes against the Kubernetes OpenAPI schemas that
  kubernetes-validate ships (strict: unknown fields fail), and `kubectl kustomize` when present;
- deploy/haproxy/haproxy.cfg with `haproxy -c`;
- the rules of docs/deploying.md: only the edge publishes a port, every long-running service has
  a health check, every service waits for `setup`, every container has liveness and readiness
  probes, nothing secret is committed, the image runs as non-root with a HEALTHCHECK.

Each rule is a function returning the problems it finds; the tests run it on the real files
(no problem) and on a broken copy (the problem is reported), so no rule can pass vacuously.
"""

import copy
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.support.infra import unavailable

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
HAPROXY_CFG = DEPLOY / "haproxy" / "haproxy.cfg"
KUBERNETES = DEPLOY / "kubernetes"
DOCKERFILE = ROOT / "Dockerfile"
KUBERNETES_VERSION = "1.31.0"

EDGE = "edge"
INFRA = {"postgres", "rabbitmq"}
ROLE_SERVICES = {
    "web-api": ["services.web", "api"],
    **{
        f"{name}-{role}": [f"services.{name}", role]
        for name in ("accounts", "ordering", "logistics", "notifications")
        for role in ("api", "worker")
    },
}
API_DEPLOYMENTS = {name for name in ROLE_SERVICES if name.endswith("-api")}
AUTOSCALED = {"web-api", "ordering-api", "logistics-api"}
SECRET_NAME = re.compile(r"PASSWORD|PASS$|SECRET|TOKEN|PRIVATE_KEY", re.IGNORECASE)
INTERPOLATION = re.compile(r"^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$")
URL_PASSWORD = re.compile(r"://[^/@:\s]+:([^@\s]+)@")
PLACEHOLDERS = {"", "change-me"}


def load_compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def kubernetes_files() -> list[Path]:
    return sorted(p for p in KUBERNETES.rglob("*.yaml") if p.name != "kustomization.yaml")


def kubernetes_documents() -> list[dict[str, Any]]:
    return [
        doc
        for path in kubernetes_files()
        for doc in yaml.safe_load_all(path.read_text())
        if doc is not None
    ]


# --- the rules -------------------------------------------------------------------------------


def is_one_shot(service: dict[str, Any]) -> bool:
    return str(service.get("restart", "")) == "no"


def published_port_problems(doc: dict[str, Any]) -> list[str]:
    return [
        f"{name} publishes {service['ports']} (only {EDGE} may)"
        for name, service in doc["services"].items()
        if service.get("ports") and name != EDGE
    ]


def healthcheck_problems(doc: dict[str, Any]) -> list[str]:
    problems = []
    for name, service in doc["services"].items():
        if is_one_shot(service):
            continue
        check = service.get("healthcheck") or {}
        if check.get("disable") or not check.get("test"):
            problems.append(f"{name} has no health check")
        elif name in ROLE_SERVICES and "/readyz" not in " ".join(check["test"]):
            problems.append(f"{name}'s health check does not ask /readyz")
    return problems


def setup_dependency_problems(doc: dict[str, Any]) -> list[str]:
    services = doc["services"]
    problems = []
    if "setup" not in services or not is_one_shot(services["setup"]):
        problems.append("no one-shot `setup` service")
    for name, service in services.items():
        if name in INFRA or name == "setup":
            continue
        condition = (service.get("depends_on") or {}).get("setup", {}).get("condition")
        if condition != "service_completed_successfully":
            problems.append(f"{name} does not wait for setup (service_completed_successfully)")
    return problems


def role_problems(doc: dict[str, Any]) -> list[str]:
    services = doc["services"]
    problems = []
    for name, command in ROLE_SERVICES.items():
        if name not in services:
            problems.append(f"no {name} service")
            continue
        if services[name].get("command") != command:
            problems.append(f"{name} runs {services[name].get('command')}, not {command}")
        grace = str(services[name].get("stop_grace_period", ""))
        if grace != "30s":
            problems.append(f"{name}: stop_grace_period {grace!r}, expected 30s")
        if "container_name" in services[name]:
            problems.append(f"{name} has a container_name: it cannot be scaled")
    for volume in ("postgres-data", "rabbitmq-data"):
        if volume not in (doc.get("volumes") or {}):
            problems.append(f"no named volume {volume}")
    return problems


def literal_secret_problems(where: str, key: str, value: object) -> list[str]:
    """A secret-looking setting must come from outside (interpolated), never written here."""
    text = "" if value is None else str(value)
    problems = []
    if "guest" in text.lower():
        problems.append(f"{where}: {key} uses the guest user")
    if SECRET_NAME.search(key) and text and not INTERPOLATION.match(text):
        problems.append(f"{where}: {key} is a literal secret")
    for password in URL_PASSWORD.findall(text):
        if not INTERPOLATION.match(password):
            problems.append(f"{where}: {key} holds a literal password in a URL")
    return problems


def compose_secret_problems(doc: dict[str, Any]) -> list[str]:
    problems = []
    for name, service in doc["services"].items():
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.partition("=")[::2] for item in environment)
        for key, value in environment.items():
            problems += literal_secret_problems(f"compose {name}", key, value)
        if service.get("env_file"):
            problems.append(f"compose {name}: env_file hands every secret to one container")
    return problems


def env_example_problems(text: str) -> list[str]:
    problems = []
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if line.startswith("#") or not sep:
            continue
        if SECRET_NAME.search(key) and value.strip().strip('"') not in PLACEHOLDERS:
            problems.append(f".env.example: {key} is not a placeholder")
        if "guest" in value.lower():
            problems.append(f".env.example: {key} uses the guest user")
    return problems


def containers(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    template = doc.get("spec", {}).get("template", {}).get("spec", {})
    yield from template.get("containers", [])
    yield from template.get("initContainers", [])


def kubernetes_secret_problems(docs: list[dict[str, Any]]) -> list[str]:
    problems = []
    for doc in docs:
        where = f"{doc['kind']} {doc['metadata']['name']}"
        if doc["kind"] == "Secret" and (doc.get("data") or doc.get("stringData")):
            problems.append(f"{where}: a Secret with its values is committed")
        for key, value in (doc.get("data") or {}).items() if doc["kind"] == "ConfigMap" else ():
            problems += literal_secret_problems(where, key, value)
        for container in containers(doc):
            for variable in container.get("env", []):
                problems += literal_secret_problems(where, variable["name"], variable.get("value"))
    return problems


def probe_path(probe: dict[str, Any] | None) -> str | None:
    return None if probe is None else probe.get("httpGet", {}).get("path")


def deployment_problems(docs: list[dict[str, Any]]) -> list[str]:
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    deployments = by_kind.get("Deployment", {})
    problems = [f"no Deployment {name}" for name in ROLE_SERVICES if name not in deployments]
    for name, doc in deployments.items():
        pod = doc["spec"]["template"]["spec"]
        if pod.get("terminationGracePeriodSeconds", 30) < 30:
            problems.append(f"Deployment {name}: terminationGracePeriodSeconds < 30")
        annotations = doc["spec"]["template"].get("metadata", {}).get("annotations", {})
        if annotations.get("prometheus.io/scrape") != "true":
            problems.append(f"Deployment {name}: no Prometheus scrape annotation")
        for container in pod["containers"]:
            if probe_path(container.get("livenessProbe")) != "/healthz":
                problems.append(f"Deployment {name}: no liveness probe on /healthz")
            if probe_path(container.get("readinessProbe")) != "/readyz":
                problems.append(f"Deployment {name}: no readiness probe on /readyz")
            resources = container.get("resources", {})
            if not resources.get("requests") or "memory" not in resources.get("limits", {}):
                problems.append(f"Deployment {name}: no resource requests or memory limit")
            if name in ROLE_SERVICES and container.get("args") != ROLE_SERVICES[name]:
                problems.append(f"Deployment {name} runs {container.get('args')}")
    for name in sorted(API_DEPLOYMENTS):
        if name not in by_kind.get("Service", {}):
            problems.append(f"no Service {name}")
        if name not in by_kind.get("PodDisruptionBudget", {}):
            problems.append(f"no PodDisruptionBudget for {name}")
    for name in sorted(AUTOSCALED):
        hpas = by_kind.get("HorizontalPodAutoscaler", {}).values()
        if not any(h["spec"]["scaleTargetRef"]["name"] == name for h in hpas):
            problems.append(f"no HorizontalPodAutoscaler for {name}")
    if not by_kind.get("Job"):
        problems.append("no migration Job")
    return problems


def dockerfile_problems(text: str) -> list[str]:
    problems = []
    lines = [line.strip() for line in text.replace("\\\n", " ").splitlines()]
    if sum(line.upper().startswith("FROM ") for line in lines) < 2:
        problems.append("Dockerfile is not multi-stage")
    if not any(re.search(r"uv sync\b.*--frozen\b.*--no-dev\b", line) for line in lines):
        problems.append("Dockerfile does not run `uv sync --frozen --no-dev`")
    users = [line.split()[1] for line in lines if line.upper().startswith("USER ")]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("Dockerfile does not run as a non-root user")
    if not any(line.upper().startswith("HEALTHCHECK ") and "/healthz" in text for line in lines):
        problems.append("Dockerfile has no HEALTHCHECK on /healthz")
    if not any(line.startswith("ENTRYPOINT") and '"-m"' in line for line in lines):
        problems.append('Dockerfile ENTRYPOINT is not ["python", "-m"]')
    return problems


# --- the real files ----------------------------------------------------------------------------


def test_compose_file_matches_the_compose_spec_schema() -> None:
    result = check_jsonschema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
    return subprocess.run([*command, str(path)], capture_output=True, text=True, check=False)


def test_compose_rules_hold() -> None:
    doc = load_compose()
    assert published_port_problems(doc) == []
    assert healthcheck_problems(doc) == []
    assert setup_dependency_problems(doc) == []
    assert role_problems(doc) == []
    assert compose_secret_problems(doc) == []
    assert env_example_problems(ENV_EXAMPLE.read_text()) == []


def test_the_real_env_file_is_never_committed() -> None:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    result = subprocess.run(
        ["git", "check-ignore", "-q", "deploy/.env"], cwd=ROOT, check=False, capture_output=True
    )
    assert result.returncode == 0, "deploy/.env is not gitignored"


@pytest.mark.parametrize("path", kubernetes_files(), ids=lambda p: str(p.relative_to(KUBERNETES)))
def test_kubernetes_manifest_is_valid(path: Path) -> None:
    for doc in yaml.safe_load_all(path.read_text()):
        if doc is not None:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_every_manifest_is_in_a_kustomization() -> None:
    listed = set()
    for kustomization in KUBERNETES.rglob("kustomization.yaml"):
        for resource in yaml.safe_load(kustomization.read_text())["resources"]:
            path = (kustomization.parent / resource).resolve()
            assert path.exists(), f"{kustomization}: {resource} does not exist"
            listed.add(path)
    assert {p.resolve() for p in kubernetes_files()} == listed


@pytest.mark.parametrize("directory", [KUBERNETES, KUBERNETES / "migrate"], ids=["main", "migrate"])
def test_kustomize_builds(directory: Path) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    result = subprocess.run(
        ["kubectl", "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    for doc in yaml.safe_load_all(result.stdout):
        assert doc["metadata"].get("namespace", "vrac") == "vrac"
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_kubernetes_rules_hold() -> None:
    docs = kubernetes_documents()
    assert deployment_problems(docs) == []
    assert kubernetes_secret_problems(docs) == []


def test_dockerfile_rules_hold() -> None:
    assert dockerfile_problems(DOCKERFILE.read_text()) == []
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "deploy/.env", "tests"} <= set(ignored)


def haproxy_check(path: Path) -> subprocess.CompletedProcess[str]:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        unavailable("haproxy is not installed (make tools)")
    return subprocess.run(
        [haproxy, "-c", "-f", str(path)], capture_output=True, text=True, check=False
    )


def test_haproxy_config_is_valid() -> None:
    result = haproxy_check(HAPROXY_CFG)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # `init-addr none`: the replicas are found at run time through Docker's DNS (127.0.0.11),
    # so the check needs no resolvable name here; and nothing may warn.
    assert "[WARNING]" not in output and "[ALERT]" not in output, output


def test_haproxy_config_checks_readiness_and_lets_requests_finish() -> None:
    text = "\n".join(line.split("#")[0] for line in HAPROXY_CFG.read_text().splitlines())
    assert "option httpchk GET /readyz" in text
    assert "http-check expect status 200" in text
    assert re.search(r"default-server .*inter 1s fall 1 rise 2", text)
    assert "shutdown-sessions" not in text
    # Retried only when the request cannot have been handled (a POST may have been applied).
    retry_on = re.findall(r"^\s*retry-on (.*)$", text, re.MULTILINE)
    assert retry_on and all(set(r.split()) <= {"conn-failure", "empty-response"} for r in retry_on)
    assert "resolvers docker" in text and "127.0.0.11:53" in text
    for name in ROLE_SERVICES:
        if name.endswith("-api"):
            assert re.search(rf"server-template \w+ \d+ {name}:\d+ check", text), name


# --- each rule catches what it is for ----------------------------------------------------------


def broken_compose(change: str) -> dict[str, Any]:
    doc = copy.deepcopy(load_compose())
    services = doc["services"]
    if change == "port":
        services["ordering-api"]["ports"] = ["8082:8082"]
    elif change == "healthcheck":
        del services["logistics-worker"]["healthcheck"]
    elif change == "setup":
        services["web-api"]["depends_on"] = {"postgres": {"condition": "service_healthy"}}
    elif change == "secret":
        services["ordering-api"]["environment"] = {
            **services["ordering-api"]["environment"],
            "ORDERING_SERVICE_SECRET": "hunter2",
        }
    elif change == "url-password":
        services["accounts-worker"]["environment"] = {
            "ACCOUNTS_DATABASE_URL": "postgresql://accounts:hunter2@postgres:5432/vrac"
        }
    elif change == "guest":
        services["logistics-api"]["environment"] = {
            "LOGISTICS_AMQP_URL": "amqp://guest:${X}@rabbitmq:5672/"
        }
    elif change == "role":
        services["ordering-worker"]["command"] = ["services.ordering", "all"]
    return doc


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ("port", published_port_problems),
        ("healthcheck", healthcheck_problems),
        ("setup", setup_dependency_problems),
        ("secret", compose_secret_problems),
        ("url-password", compose_secret_problems),
        ("guest", compose_secret_problems),
        ("role", role_problems),
    ],
)
def test_compose_rule_catches(change: str, rule: Any) -> None:
    assert rule(broken_compose(change)) != []


def test_env_example_rule_catches_a_real_value() -> None:
    text = ENV_EXAMPLE.read_text().replace(
        "ORDERING_DB_PASSWORD=change-me", "ORDERING_DB_PASSWORD=x"
    )
    assert env_example_problems(text) == [".env.example: ORDERING_DB_PASSWORD is not a placeholder"]


def test_compose_schema_check_catches_an_unknown_key(tmp_path: Path) -> None:
    doc = load_compose()
    doc["services"]["web-api"]["helthcheck"] = {"test": ["CMD", "true"]}
    broken = tmp_path / "compose.yaml"
    broken.write_text(yaml.safe_dump(doc))
    assert check_jsonschema(broken).returncode != 0


def broken_kubernetes(change: str) -> list[dict[str, Any]]:
    docs = copy.deepcopy(kubernetes_documents())
    deployment = next(d for d in docs if d["metadata"]["name"] == "ordering-worker")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    if change == "liveness":
        del container["livenessProbe"]
    elif change == "readiness":
        container["readinessProbe"]["httpGet"]["path"] = "/healthz"
    elif change == "resources":
        del container["resources"]["limits"]
    elif change == "missing-deployment":
        docs.remove(deployment)
    elif change == "secret-object":
        docs.append(
            {"kind": "Secret", "metadata": {"name": "vrac-ordering"}, "data": {"K": "aHVudGVyMg=="}}
        )
    elif change == "literal-env":
        container["env"].append({"name": "ORDERING_SERVICE_SECRET", "value": "hunter2"})
    elif change == "configmap-url":
        configmap = next(d for d in docs if d["kind"] == "ConfigMap")
        configmap["data"]["ORDERING_AMQP_URL"] = "amqp://guest:guest@rabbitmq:5672/"
    elif change == "pdb":
        docs = [d for d in docs if d["kind"] != "PodDisruptionBudget"]
    elif change == "hpa":
        docs = [d for d in docs if d["kind"] != "HorizontalPodAutoscaler"]
    return docs


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ("liveness", deployment_problems),
        ("readiness", deployment_problems),
        ("resources", deployment_problems),
        ("missing-deployment", deployment_problems),
        ("pdb", deployment_problems),
        ("hpa", deployment_problems),
        ("secret-object", kubernetes_secret_problems),
        ("literal-env", kubernetes_secret_problems),
        ("configmap-url", kubernetes_secret_problems),
    ],
)
def test_kubernetes_rule_catches(change: str, rule: Any) -> None:
    assert rule(broken_kubernetes(change)) != []


def test_kubernetes_validation_catches_an_unknown_field() -> None:
    docs = kubernetes_documents()
    doc = copy.deepcopy(next(d for d in docs if d["kind"] == "Deployment"))
    doc["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("USER 10001:10001", "USER root"),
        ("HEALTHCHECK ", "# HEALTHCHECK "),
        ("uv sync --frozen --no-dev", "uv sync"),
        ("FROM python:3.11-slim AS runtime", "# single stage"),
    ],
)
def test_dockerfile_rule_catches(old: str, new: str) -> None:
    text = DOCKERFILE.read_text()
    assert old in text
    assert dockerfile_problems(text.replace(old, new)) != []


def test_haproxy_check_catches_a_broken_config(tmp_path: Path) -> None:
    broken = tmp_path / "haproxy.cfg"
    broken.write_text(HAPROXY_CFG.read_text().replace("balance leastconn", "balance fastest"))
    assert haproxy_check(broken).returncode != 0
