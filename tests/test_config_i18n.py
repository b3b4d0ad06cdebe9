"""Config errors name file, line and key; both catalogs have the same keys; money parsing refuses junk."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench import config, i18n
from workbench.money import MoneyError, format_fen, parse_yuan


def test_defaults_without_file(tmp_path: Path) -> None:
    settings = config.load(tmp_path / "missing.toml")
    assert settings.shop.timezone == "Asia/Shanghai" and settings.ui.lang == "zh"


def test_broken_toml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[ui]\nlang = "zh"\nbell = tru\n', "utf-8")
    with pytest.raises(config.ConfigError) as info:
        config.load(path)
    assert info.value.path == str(path) and info.value.line == 3


def test_unknown_key_and_wrong_type(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[shop]\nname = "店"\ntimezon = "Asia/Shanghai"\n', "utf-8")
    with pytest.raises(config.ConfigError) as info:
        config.load(path)
    assert info.value.key == "shop.timezon" and info.value.line == 3
    path.write_text('[ui]\n\nbell = "yes"\n', "utf-8")
    with pytest.raises(config.ConfigError) as info:
        config.load(path)
    assert info.value.key == "ui.bell" and info.value.line == 3
    path.write_text('[shop]\ntimezone = "Mars/Base"\n', "utf-8")
    with pytest.raises(config.ConfigError, match="timezone"):
        config.load(path)


def test_catalogs_have_the_same_keys() -> None:
    zh, en = i18n.catalog("zh"), i18n.catalog("en")
    assert set(zh) - set(en) == set(), "missing in English"
    assert set(en) - set(zh) == set(), "missing in Chinese"
    assert all(value.strip() for value in zh.values())


def test_translation_fills_fields_and_shows_missing_keys() -> None:
    assert i18n.t("main.pending", lang="zh", count=3) == "待同步 3"
    assert i18n.t("main.pending", lang="en", count=3) == "3 to sync"
    assert i18n.t("no.such.key") == "no.such.key"


@pytest.mark.parametrize("text,fen", [("50", 5000), ("49.9", 4990), ("¥1,299.00", 129900), ("0.01", 1), (50, 5000)])
def test_money_parses(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["50.005", "-1", "1e9", "NaN", "五十", "", "inf", float("nan"), True])
def test_money_refuses(text: object) -> None:
    with pytest.raises(MoneyError):
        parse_yuan(text)  # type: ignore[arg-type]


def test_money_formats() -> None:
    assert format_fen(5000) == "¥50" and format_fen(4990) == "¥49.90" and format_fen(12345600) == "¥123,456"
