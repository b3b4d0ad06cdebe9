"""``[sources.*]`` configuration, secrets from env or 0600 files, and the refresh contract for the app."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adapters.http import Redactor, retry_after, same_origin
from adapters.sources import RefreshResult, build_sources
from http_fixtures import SHOPIFY_TOKEN, fake_server, install_shopify, payloads  # noqa: F401
from workbench import config
from workbench.config import ConfigError


def load(tmp_path: Path, text: str, mode: int = 0o600) -> config.Settings:
    path = tmp_path / "config.toml"
    path.write_text(text, "utf-8")
    os.chmod(path, mode)
    return config.load(path)


def test_build_sources_reads_tables(tmp_path):
    settings = load(tmp_path, '[sources.myshop]\nkind = "shopify"\nbase_url = "https://myshop.myshopify.com"\n'
                              'interval_minutes = 5\n[sources.kd]\nkind = "kuaidi100"\n'
                              '[sources.off]\nkind = "woocommerce"\nbase_url = "https://shop.example"\nenabled = false\n')
    sources = build_sources(settings)
    assert [(s.name, s.kind) for s in sources] == [("myshop", "shopify"), ("kd", "kuaidi100")]
    assert sources[0].interval.total_seconds() == 300 and sources[1].base_url == "https://poll.kuaidi100.com"


@pytest.mark.parametrize("body, key, line", [
    ('[sources.a]\nkind = "magento"\n', "sources.a.kind", 2),
    ('[sources.a]\nkind = "shopify"\nbase_url = "https://x.myshopify.com"\ntokn = "x"\n', "sources.a.tokn", 4),
    ('[sources.a]\nkind = "shopify"\nbase_url = "http://shop.example.com"\n', "sources.a.base_url", 3),
    ('[sources.a]\nkind = "shopify"\n', "sources.a.base_url", 1),
    ('[sources.a]\nkind = "kuaidi100"\ninterval_minutes = 0\n', "sources.a.interval_minutes", 3),
])
def test_bad_tables_name_file_line_and_key(tmp_path, body, key, line):
    with pytest.raises(ConfigError) as raised:
        build_sources(load(tmp_path, body))
    assert raised.value.key == key and raised.value.line == line and "config.toml" in str(raised.value)


def test_secret_sources_and_file_permissions(tmp_path, monkeypatch):
    token_file = tmp_path / "shop.token"
    token_file.write_text(SHOPIFY_TOKEN + "\n", "utf-8")
    os.chmod(token_file, 0o644)
    settings = load(tmp_path, f'[sources.a]\nkind = "shopify"\nbase_url = "https://a.myshopify.com"\n'
                              f'token_file = "{token_file}"\n')
    source = build_sources(settings)[0]
    with pytest.raises(Exception) as exposed:
        source.secret("token")
    assert "chmod 600" in str(exposed.value) and SHOPIFY_TOKEN not in str(exposed.value)
    os.chmod(token_file, 0o600)
    assert source.secret("token") == SHOPIFY_TOKEN
    monkeypatch.setenv("WORKBENCH_A_TOKEN", "from-env")
    assert source.secret("token") == "from-env"  # the environment wins


def test_inline_secret_needs_a_private_config_file(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_A_TOKEN", raising=False)
    text = '[sources.a]\nkind = "shopify"\nbase_url = "https://a.myshopify.com"\ntoken = "shpat_inline_secret"\n'
    assert build_sources(load(tmp_path, text, 0o600))[0].secret("token") == "shpat_inline_secret"
    with pytest.raises(Exception) as raised:
        build_sources(load(tmp_path, text, 0o644))[0].secret("token")
    assert "chmod 600" in str(raised.value)


def test_missing_secret_is_a_clear_whole_source_failure(ctx, fake_server, payloads, monkeypatch):
    install_shopify(fake_server, payloads)
    monkeypatch.delenv("WORKBENCH_NOTOKEN_TOKEN", raising=False)
    ctx.settings.sources = {"notoken": {"kind": "shopify", "base_url": fake_server.url}}
    result = build_sources(ctx.settings)[0].refresh_sync(ctx)
    assert isinstance(result, RefreshResult) and not result.ok
    assert "WORKBENCH_NOTOKEN_TOKEN" in result.error and fake_server.requests == []


def test_http_helpers():
    redact = Redactor(["s3cr3t-token"])
    text = redact("GET https://x/y?access_token=abc&consumer_secret=cs_1&page=2 failed: s3cr3t-token "
                  "Authorization: Basic dXNlcjpwYXNz X-Shopify-Access-Token: shpat_zzz")
    assert "s3cr3t-token" not in text and "abc" not in text and "cs_1" not in text and "dXNlcjpwYXNz" not in text
    assert "shpat_zzz" not in text and "page=2" in text
    assert retry_after("3") == 3.0 and retry_after("garbage") is None and retry_after(None) is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: retry now
    assert same_origin("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/b?x")
    assert not same_origin("http://127.0.0.1:8000/a", "http://127.0.0.1:8001/a")


def test_pull_command_refreshes_configured_sources(ctx, fake_server, payloads, tmp_path, monkeypatch, capsys):
    import json

    from http_fixtures import KD_CUSTOMER, KD_KEY, install_kuaidi100, load as load_payload
    from workbench.cli import main

    install_shopify(fake_server, payloads)
    signed = load_payload(payloads, "kuaidi100/query_response_yuantong_signed.json")
    install_kuaidi100(fake_server, {"803131****92530823": signed})
    cfg = tmp_path / "cli.toml"
    cfg.write_text(f'[sources.myshop]\nkind = "shopify"\nbase_url = "{fake_server.url}"\n'
                   f'[sources.kd]\nkind = "kuaidi100"\nbase_url = "{fake_server.url}"\n', "utf-8")
    monkeypatch.setenv("WORKBENCH_MYSHOP_TOKEN", SHOPIFY_TOKEN)
    monkeypatch.setenv("WORKBENCH_KD_CUSTOMER", KD_CUSTOMER)
    monkeypatch.setenv("WORKBENCH_KD_KEY", KD_KEY)
    db = str(ctx.store.path)
    assert main(["--db", db, "--config", str(cfg), "pull", "shopify", "--json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert result["source"] == "myshop" and result["ok"] and result["count"] > 0
    assert main(["--db", db, "--config", str(cfg), "pull", "kuaidi100", "--carrier", "yuantong",
                 "--tracking", "803131****92530823"]) == 0
    out = capsys.readouterr().out
    assert "已签收" in out and "王阳" in out
    assert main(["--db", db, "--config", str(cfg), "pull", "woocommerce"]) == 2
    assert "woocommerce" in capsys.readouterr().err
    monkeypatch.setenv("WORKBENCH_MYSHOP_TOKEN", "shpat_wrong")
    assert main(["--db", db, "--config", str(cfg), "pull", "myshop"]) == 2
    err = capsys.readouterr().err
    assert "401" in err and "shpat_wrong" not in err
