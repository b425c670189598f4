"""docs/configuration.md is generated from the settings classes and must be up to date."""

import subprocess
import sys

import pytest
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from deploy import configuration
from shared.settings import ServiceSettings

REGENERATE = f"run `{configuration.COMMAND}` and commit docs/configuration.md"


def test_committed_reference_is_up_to_date():
    committed = configuration.OUTPUT.read_text(encoding="utf-8")
    generated = configuration.render()
    assert committed == generated, f"docs/configuration.md is out of date: {REGENERATE}"


def test_every_variable_of_every_service_is_listed():
    text = configuration.render()
    for cls in configuration.SERVICES.values():
        for field in cls.model_fields:
            assert f"`{configuration.env_name(cls, field)}`" in text, field
    # The shared fields are described once, with their wildcard name.
    for field in ServiceSettings.model_fields:
        assert f"`*_{field.upper()}`" in text


def test_secrets_are_flagged():
    text = configuration.render()
    for line in text.splitlines():
        if "`*_SERVICE_SECRET`" in line or "`WEB_CSRF_SECRET`" in line:
            assert "**Secret**" in line


def test_environment_does_not_leak_into_the_reference(monkeypatch):
    monkeypatch.setenv("ORDERING_PORT", "9999")
    monkeypatch.setenv("ORDERING_DB_POOL_MAX", "77")
    assert configuration.render() == configuration.OUTPUT.read_text(encoding="utf-8")


def test_a_setting_without_description_is_refused():
    class Careless(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="CARELESS_", extra="ignore")

        documented: int = Field(default=1, description="Has one.")
        undocumented: int = 3

    with pytest.raises(configuration.ConfigurationError, match=r"Careless\.undocumented"):
        configuration.settings_of(Careless)


def test_an_override_keeps_the_shared_description():
    class Override(ServiceSettings):
        port: int = 9000

    assert configuration.settings_of(Override)["port"].description == (
        configuration.settings_of(ServiceSettings)["port"].description
    )
    assert configuration.settings_of(Override)["port"].default == "`9000`"


def test_check_mode_exits_zero_when_up_to_date():
    result = subprocess.run(
        [sys.executable, "-m", "deploy.configuration", "--check"],
        cwd=configuration.ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"{result.stderr}\n{REGENERATE}"


def test_check_mode_fails_on_a_stale_file(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "configuration.md"
    stale.write_text(configuration.render().replace("ORDERING_", "ORDERNG_", 1), encoding="utf-8")
    monkeypatch.setattr(configuration, "OUTPUT", stale)
    assert configuration.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert configuration.main([]) == 0
    assert configuration.main(["--check"]) == 0
