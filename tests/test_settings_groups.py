"""Settings by concern: sectioned TOML files, shipped profiles, precedence and `qa-bot config`."""

from __future__ import annotations

import re
import tomllib

import pytest

from qa_bot.settings import Settings
from qa_bot.settings_groups import (
    GROUP_OF, GROUPS, ConfigFileError, profile_names, read_profile, read_toml, short_name,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    """No configuration from the machine: no ./qa-bot.toml, no QA_BOT_CONFIG or QA_BOT_PROFILE."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QA_BOT_CONFIG", raising=False)
    monkeypatch.delenv("QA_BOT_PROFILE", raising=False)


def test_every_setting_belongs_to_exactly_one_group():
    listed = [name for names in GROUPS.values() for name in names]
    assert len(listed) == len(set(listed)), "a setting is listed in two groups"
    assert set(listed) == set(Settings.model_fields)


def test_the_documented_profile_is_the_defaults_and_names_every_setting(tmp_path):
    values = read_profile("laptop")
    defaults = Settings(data_dir=tmp_path)
    for name, value in values.items():
        assert getattr(defaults, name) == value, f"laptop.toml says {name} = {value!r}, the code {getattr(defaults, name)!r}"
    from importlib import resources

    text = resources.files("qa_bot.profiles").joinpath("laptop.toml").read_text()
    for name in set(Settings.model_fields) - set(values):  # machine-dependent or unset: documented as comments
        assert re.search(rf"^# {re.escape(short_name(GROUP_OF[name], name))} = ", text, re.M), f"{name} undocumented"


def test_sections_drop_their_prefix_and_flat_keys_still_work(tmp_path, monkeypatch):
    toml = tmp_path / "qa.toml"
    toml.write_text('k = 9\n[llm]\nbackend = "fake"\nopenai_timeout_s = 5\n[store]\nmode = "http"\nport = 9001\n'
                    '[verifier]\nthreshold = 0.3\n[ui]\nport = 7999\n')
    monkeypatch.setenv("QA_BOT_CONFIG", str(toml))
    s = Settings(data_dir=tmp_path)
    assert (s.k, s.llm_backend, s.openai_timeout_s, s.store_mode, s.store_port, s.checker_threshold, s.ui_port) == (
        9, "fake", 5.0, "http", 9001, 0.3, 7999)


@pytest.mark.parametrize("text, message", [
    ('[llm]\nbakend = "fake"\n', "did you mean 'backend'"),
    ("[llm]\nk = 3\n", r"belongs in \[retrieval\]"),
    ("[retreival]\nk = 3\n", "did you mean 'retrieval'"),
    ("chunk_token = 100\n", "did you mean 'chunk_tokens'"),
    ("k = \n", "not valid TOML"),
])
def test_a_typo_in_a_settings_file_is_an_error_naming_file_and_fix(tmp_path, monkeypatch, text, message):
    toml = tmp_path / "bad.toml"
    toml.write_text(text)
    monkeypatch.setenv("QA_BOT_CONFIG", str(toml))
    with pytest.raises(ConfigFileError, match=message) as info:
        Settings(data_dir=tmp_path)
    assert str(toml) in str(info.value)


def test_a_missing_config_file_is_an_error_not_silently_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_BOT_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ValueError, match="not a file"):
        Settings(data_dir=tmp_path)


def test_precedence_arguments_environment_file_profile_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_BOT_PROFILE", "extractive")
    assert (Settings(data_dir=tmp_path).mode, Settings(data_dir=tmp_path).llm_backend) == ("extractive", "none")
    toml = tmp_path / "qa.toml"
    toml.write_text('[answering]\nmode = "generative"\n[retrieval]\nk = 4\n')
    monkeypatch.setenv("QA_BOT_CONFIG", str(toml))
    s = Settings(data_dir=tmp_path)
    assert (s.mode, s.llm_backend, s.k) == ("generative", "none", 4)  # file beats profile, profile beats default
    monkeypatch.setenv("QA_BOT_K", "6")
    assert Settings(data_dir=tmp_path).k == 6
    assert Settings(data_dir=tmp_path, k=2).k == 2


def test_every_shipped_profile_loads_and_an_unknown_one_is_named(tmp_path, monkeypatch):
    assert {"laptop", "server", "extractive", "fake", "checker"} <= set(profile_names())
    for name in profile_names():
        monkeypatch.setenv("QA_BOT_PROFILE", name)
        Settings(data_dir=tmp_path)
    monkeypatch.setenv("QA_BOT_PROFILE", "sever")
    with pytest.raises(ConfigFileError, match="did you mean 'server'"):
        Settings(data_dir=tmp_path)


def test_config_command_prints_toml_that_reads_back_to_the_same_settings(tmp_path, monkeypatch, capsys):
    from qa_bot.cli import main

    monkeypatch.setenv("QA_BOT_PROFILE", "")
    monkeypatch.setenv("QA_BOT_OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("QA_BOT_K", "7")
    assert main(["--data-dir", str(tmp_path), "--profile", "server", "config"]) == 0
    out = capsys.readouterr().out
    assert "sk-very-secret" not in out and 'openai_api_key = "***"' in out
    parsed = tomllib.loads(out)
    assert parsed["llm"]["backend"] == "openai" and parsed["store"]["mode"] == "http" and parsed["retrieval"]["k"] == 7
    written = tmp_path / "written.toml"
    written.write_text(out)
    monkeypatch.delenv("QA_BOT_PROFILE")
    monkeypatch.delenv("QA_BOT_K")
    monkeypatch.delenv("QA_BOT_OPENAI_API_KEY")
    monkeypatch.setenv("QA_BOT_CONFIG", str(written))
    again = Settings().model_dump()
    expected = Settings(data_dir=tmp_path, k=7, llm_backend="openai", store_mode="http",
                        openai_base_url="http://127.0.0.1:8081/v1", openai_model="qwen2.5-coder-1.5b",
                        openai_api_key="***").model_dump()
    assert again == expected
    assert read_toml(written)["llm_backend"] == "openai"


def test_config_command_reports_a_bad_file_in_one_line(tmp_path, monkeypatch, capsys):
    from qa_bot.cli import main

    toml = tmp_path / "bad.toml"
    toml.write_text('[llm]\nbakend = "fake"\n')
    monkeypatch.setenv("QA_BOT_CONFIG", str(toml))
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert "invalid configuration" in err and "did you mean 'backend'" in err and "Traceback" not in err
