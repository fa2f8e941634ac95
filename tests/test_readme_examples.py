"""The README's example commands, run as written against the demo corpus (`daihuo demo` in a
fresh DAIHUO_HOME): every search and listing example returns results. Also what the demo
teaches: stages in pipeline order, first-run drops named for what they are, next steps, and
demo sources disabled once their site has stopped."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from daihuo.cli.demo_summary import stage_order
from daihuo.demo.demo_server import DemoSite

README = Path(__file__).resolve().parents[1] / "README.md"
pytestmark = pytest.mark.slow


def readme_examples() -> list[str]:
    """The commands of the README's "Examples:" block."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"^Examples:\s*\n+```sh\n(.*?)```", text, re.S | re.M)
    assert block, "README has an Examples: block"
    return [ln.strip() for ln in block.group(1).splitlines() if ln.strip().startswith("daihuo ")]


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("readme")
    env = dict(os.environ, DAIHUO_HOME=str(tmp / "home"),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    env.pop("DAIHUO_DATABASE_URL", None)
    first = subprocess.run(["daihuo", "demo"], capture_output=True, text=True, env=env, cwd=tmp, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    return tmp, env, first


def test_demo_summary_teaches(demo_home):
    _tmp, _env, first = demo_home
    out = first.stdout
    # stage times in the order pages pass the stages, not alphabetically
    line = next(ln for ln in out.splitlines() if "stage time" in ln)
    shown = re.findall(r"([a-z_]+) \d+", line.split(":", 1)[1])
    expected = [s for s in stage_order() if s in shown]
    assert shown == expected and shown[0] == "fetch", line
    # the demo replaced its sources: nothing can be "unchanged" since an earlier crawl
    dropped = next(ln for ln in out.splitlines() if ln.strip().startswith("dropped:"))
    assert "unchanged" not in dropped, dropped
    # ends with next steps; its sources are disabled now that the site is gone
    tail = out.rstrip().splitlines()[-6:]
    assert any("daihuo serve" in ln for ln in tail) and any("daihuo user add" in ln for ln in tail)
    assert "demo sources disabled" in out
    # the progress line counts up, with the pages found so far as its total
    progress = [p for p in first.stderr.replace("\r", "\n").splitlines() if p.startswith("crawling")]
    assert progress and re.search(r"fetched \d+/\d+", progress[-1]), progress[-3:]
    assert "3/3 source(s) done" in progress[-1]


def test_demo_sources_are_disabled_after_the_demo(demo_home):
    tmp, env, _first = demo_home
    from editorial.sources import list_sources
    from storage.store import Store

    store = Store.open(f"sqlite:///{tmp / 'home' / 'daihuo.sqlite'}")
    try:
        demo = [s for s in list_sources(store.engine) if s.name.startswith("demo-")]
    finally:
        store.close()
    assert demo and not any(s.enabled for s in demo)


def test_readme_examples_return_results(demo_home):
    tmp, env, _first = demo_home
    examples = readme_examples()
    assert examples[0] == "daihuo demo" and any(e.startswith("daihuo search") for e in examples)
    saved = tmp / "saved_pages"  # what `daihuo parse saved_pages/` reads: pages saved earlier
    saved.mkdir(exist_ok=True)
    site = DemoSite()
    for path in ("/news/1001.html", "/news/1002.html"):
        status, _ctype, body = site.respond(path, "http://127.0.0.1:1")
        assert status == 200
        (saved / path.rsplit("/", 1)[1]).write_bytes(body)
    # paths in the examples are the checkout's (crawlers/sources.toml): the same file here
    (tmp / "crawlers").mkdir(exist_ok=True)
    (tmp / "crawlers" / "sources.toml").write_bytes((README.parent / "crawlers" / "sources.toml").read_bytes())
    ran = []
    for cmd in examples:
        if cmd.startswith("daihuo crawl"):
            continue  # crawls a real site on the internet: no test touches the network
        res = subprocess.run(cmd, shell=True, capture_output=True, text=True, env=env, cwd=tmp, timeout=600)
        assert res.returncode == 0, (cmd, res.stderr[-1500:])
        ran.append(cmd)
        words = shlex.split(cmd)
        if words[1] == "search":
            assert "(no results)" not in res.stdout and re.search(r"^\s+1\. ", res.stdout, re.M), (cmd, res.stdout)
            if "--platform" in words:
                platform = words[words.index("--platform") + 1]
                assert f"#{platform}" in res.stdout, res.stdout
        if words[1] == "listings" and ">" in words:
            rows = (tmp / words[-1]).read_text(encoding="utf-8").splitlines()
            assert len(rows) > 1, f"{cmd}: no listing rows"
        if words[1] == "parse":
            assert len(list((tmp / "parsed").glob("*.json"))) == 2
        if words[1:3] == ["sources", "import"]:
            listed = subprocess.run(["daihuo", "sources", "list"], capture_output=True, text=True, env=env,
                                    cwd=tmp, timeout=120)
            assert "example-live-news" in listed.stdout, listed.stdout + listed.stderr
    assert len(ran) == len(examples) - sum(e.startswith("daihuo crawl") for e in examples)
    assert any(e.startswith("daihuo search") for e in ran)
