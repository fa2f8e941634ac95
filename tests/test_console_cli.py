"""The console's CLI: sources import/list/add/enable/disable, queue, approve/reject/feature/
edit, rules and settings, against a temporary store."""

import json

import click
import pytest
from click.testing import CliRunner
from sitedata import make_store
from sqlalchemy import select

from daihuo.cli.editorial_commands import register
from editorial.curation import article_history
from storage.models import Article


@pytest.fixture
def cli(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("DAIHUO_DATABASE_URL", url)
    monkeypatch.setenv("DAIHUO_HOME", str(tmp_path / "home"))
    store, ids = make_store(url)

    @click.group()
    def main() -> None:
        pass

    @main.group()
    def sources() -> None:
        pass

    @sources.command(name="check")
    def check() -> None:
        click.echo("checked")

    register(main)  # merges into the existing `sources` group
    runner = CliRunner()

    def run(*args, ok=True):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    yield run, store, ids
    store.close()


REGISTRY = """
[[source]]
name = "alpha"
kind = "news"
start_urls = ["https://alpha.example.com/live/"]

[[source]]
name = "demo-like"
kind = "news"
start_urls = ["{demo}/"]
enabled = false
"""


def test_sources_commands(cli, tmp_path):
    run, store, _ = cli
    assert run("sources", "check").output == "checked\n"  # the lead's command is kept
    path = tmp_path / "reg.toml"
    path.write_text(REGISTRY, encoding="utf-8")
    out = run("sources", "import", "--registry", path, "--var", "demo=http://127.0.0.1:9").output
    assert out.startswith("added 2, updated 0")
    assert run("sources", "import", "--registry", path, "--var", "demo=http://127.0.0.1:9"
               ).output.startswith("added 0, updated 0, unchanged 2")
    r = run("sources", "add", "lan", "--url", "http://192.168.1.5/", ok=False)
    assert r.exit_code == 1 and "private/loopback/link-local" in r.output
    run("settings", "allow-network", "192.168.1.0/24")
    assert "192.168.1.0/24" in run("settings", "show").output
    run("sources", "add", "lan", "--url", "http://192.168.1.5/", "--articles", r"/\d+\.html", "--tier", "A")
    run("sources", "disable", "alpha")
    run("sources", "edit", "lan", "--delay", "4")
    listed = json.loads(run("sources", "list", "--json").output)
    by_name = {s["name"]: s for s in listed}
    assert by_name["alpha"]["enabled"] is False and by_name["lan"]["tier"] == "A"
    assert by_name["lan"]["config"]["delay"] == 4.0
    assert "news-a" in run("sources", "list").output  # sources the crawl synced are listed too
    assert run("sources", "enable", "nope", ok=False).exit_code == 1


def test_queue_and_decisions(cli):
    run, store, ids = cli
    out = run("queue").output
    assert out.strip().endswith("4 stories (page 1/1)") and "+1 reposts" in out
    first, repost = ids["https://a.example.com/live/1.html"], ids["https://b.example.org/n/88.html"]
    run("approve", first, "--story", "--reason", "solid")
    other = ids["https://a.example.com/live/2.html"]
    run("approve", other, "--at", "2030-01-01T09:00")
    assert run("reject", ids["https://a.example.com/live/3.html"], ok=False).exit_code == 2  # --reason needed
    run("reject", ids["https://a.example.com/live/3.html"], "--reason", "off topic")
    run("feature", other)
    run("edit", other, "--title", "新标题", "--summary", "摘要")
    with store.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(Article.id, Article.status, Article.featured,
                                                     Article.edited_title, Article.publish_at))}
    assert rows[first].status == rows[repost].status == "approved"
    assert rows[other].featured and rows[other].edited_title == "新标题"
    assert rows[other].publish_at.year == 2030
    assert [e["action"] for e in article_history(store.engine, other)] == ["schedule", "feature", "edit"]
    assert json.loads(run("queue", "--json").output)["total"] == 1
    assert json.loads(run("queue", "--status", "all", "--json").output)["total"] == 4


def test_rules_commands(cli):
    run, store, ids = cli
    r = run("rules", "add", "bad", "tier Z", "--action", "approve", ok=False)
    assert r.exit_code == 1 and "tier takes" in r.output
    run("rules", "add", "kuaishou", "platform 快手 and no flag spam", "--action", "approve")
    assert "kuaishou" in run("rules", "list").output
    preview = run("rules", "run").output
    assert "preview" in preview and "kuaishou" in preview
    assert json.loads(run("queue", "--json").output)["total"] == 4
    run("rules", "run", "--apply")
    remaining = json.loads(run("queue", "--json").output)
    assert all("快手" not in item["platforms"] for item in remaining["items"])
    run("rules", "set", "kuaishou", "--disable")
    assert json.loads(run("rules", "list", "--json").output)[0]["enabled"] is False
    run("rules", "remove", "kuaishou")
    assert run("rules", "list").output.strip() == "0 rules"
