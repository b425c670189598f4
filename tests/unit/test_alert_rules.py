"""deploy/prometheus: the alert rules load, fire when they should and only then, and use only
metrics that exist (a renamed metric or label fails here, not silently at 2 a.m.)."""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.metrics import MetricWrapperBase

import shared.metrics
from tests.support.infra import unavailable

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "alerts.yml"
RULE_TESTS = PROMETHEUS / "alerts_test.yml"
CONFIG = PROMETHEUS / "prometheus.yml"
OPERATING = ROOT / "docs" / "operating.md"

# Series of RabbitMQ's own plugin (rabbitmq_prometheus) the rules may use: the families
# queue_coarse_metrics and queue_consumer_count of /metrics/detailed, prefixed rabbitmq_detailed_.
RABBITMQ_FAMILIES = {"queue_coarse_metrics", "queue_consumer_count"}
RABBITMQ_SERIES = {
    "rabbitmq_detailed_queue_messages_ready",
    "rabbitmq_detailed_queue_messages_unacked",
    "rabbitmq_detailed_queue_messages",
    "rabbitmq_detailed_queue_consumers",
}
TARGET_LABELS = {"instance", "job"}
PROMQL_WORDS = {
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "inf",
    "nan",
}
SEVERITIES = {"critical", "warning", "info"}


def promtool() -> str:
    found = shutil.which("promtool") or (
        "/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None
    )
    if found is None:
        unavailable("promtool not installed (`make tools` installs Debian's prometheus package)")
    return found


def run_promtool(*args: str) -> None:
    result = subprocess.run(
        [promtool(), *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}{result.stderr}"


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def exported_series() -> dict[str, set[str]]:
    """Every series name the services export (shared/metrics.py), with its label names."""
    series: dict[str, set[str]] = {}
    for metric in vars(shared.metrics).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        labels = set(metric._labelnames) | TARGET_LABELS
        for family in metric.describe():
            if family.type == "counter":
                series[f"{family.name}_total"] = labels
            elif family.type == "histogram":
                series[f"{family.name}_bucket"] = labels | {"le"}
                series[f"{family.name}_sum"] = labels
                series[f"{family.name}_count"] = labels
            else:
                series[family.name] = labels
    return series


def allowed_series() -> dict[str, set[str]]:
    allowed = exported_series()
    allowed["up"] = set(TARGET_LABELS)
    for name in RABBITMQ_SERIES:
        allowed[name] = {"vhost", "queue"} | TARGET_LABELS
    return allowed


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(metric name, label names it filters on) of every selector of a PromQL expression."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    found = []
    for match in re.finditer(r"(?<![\w:.])([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^}]*\})?", text):
        name, braces = match.group(1), match.group(2)
        if name.lower() in PROMQL_WORDS:
            continue
        if braces is None and text[match.end() :].lstrip().startswith("("):
            continue  # a function: rate(, sum(, histogram_quantile(…
        labels = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", braces or ""))
        found.append((name, labels))
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {
        slug(line.lstrip("#"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    }


def test_promtool_checks_the_rules():
    run_promtool("check", "rules", str(RULES))


def test_promtool_checks_the_example_config():
    run_promtool("check", "config", str(CONFIG))


def test_promtool_unit_tests_pass():
    """alerts_test.yml: lag, broker loss, DLQ and the others fire; a healthy platform is quiet."""
    run_promtool("test", "rules", str(RULE_TESTS))


def test_selector_parser_finds_metrics_and_labels():
    expr = (
        "histogram_quantile(0.99, sum by (le) (rate("
        'http_request_duration_seconds_bucket{service="o", route=~".*/v"}[5m]))) > 1'
        " and on (instance) up unless x_total offset 5m"
    )
    assert selectors(expr) == [
        ("http_request_duration_seconds_bucket", {"service", "route"}),
        ("up", set()),
        ("x_total", set()),
    ]


def test_every_metric_and_label_in_the_rules_exists():
    allowed = allowed_series()
    unknown = []
    for rule in rules():
        for name, labels in selectors(str(rule["expr"])):
            if name not in allowed:
                unknown.append(f"{rule['alert']}: metric {name}")
            elif not labels <= allowed[name]:
                unknown.append(f"{rule['alert']}: {name} has no label {labels - allowed[name]}")
    assert not unknown, (
        "alerts.yml uses series the services (shared/metrics.py) or RabbitMQ's plugin do not "
        f"export: {unknown}"
    )


def test_every_alert_has_severity_summary_and_a_runbook_that_exists():
    known = anchors(OPERATING)
    for rule in rules():
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        annotations = rule["annotations"]
        assert annotations.get("summary"), rule["alert"]
        path, _, anchor = annotations["runbook"].partition("#")
        assert path == "docs/operating.md", rule["alert"]
        assert anchor in known, f"{rule['alert']}: no section #{anchor} in docs/operating.md"


def test_unit_tests_cover_every_alert():
    names = {rule["alert"] for rule in rules()}
    document = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))
    quiet = {
        check["alertname"]
        for test in document["tests"]
        if test["name"].startswith("healthy")
        for check in test["alert_rule_test"]
        if not check.get("exp_alerts")
    }
    firing = {
        check["alertname"]
        for test in document["tests"]
        for check in test["alert_rule_test"]
        if check.get("exp_alerts")
    }
    assert names - quiet == set(), "alerts missing from the healthy case of alerts_test.yml"
    assert names - firing == set(), "alerts never shown firing in alerts_test.yml"


def test_scrape_config_asks_rabbitmq_for_the_families_the_rules_use():
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    queues = jobs["rabbitmq-queues"]
    assert queues["metrics_path"] == "/metrics/detailed"
    assert set(queues["params"]["family"]) == RABBITMQ_FAMILIES
    assert config["rule_files"] == ["alerts.yml"]


def test_operating_guide_describes_every_metric():
    text = OPERATING.read_text(encoding="utf-8")
    names = []
    for metric in vars(shared.metrics).values():
        if isinstance(metric, MetricWrapperBase):
            for family in metric.describe():
                suffix = "_total" if family.type == "counter" else ""
                names.append(family.name + suffix)
    missing = [name for name in names if f"`{name}" not in text]
    assert not missing, f"docs/operating.md does not describe {missing}"
