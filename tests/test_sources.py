"""Sources in the store: validation (schemes, private addresses), add/edit/enable, and an
idempotent import from the registry file."""

import ipaddress

import pytest

from editorial.sources import (
    SourceError,
    add_source,
    allowed_networks,
    check_url,
    get_source,
    import_registry,
    list_sources,
    recent_audit,
    set_allowed_networks,
    set_enabled,
    source_config,
    update_source,
)


@pytest.fixture
def engine(migrated_engine):
    return migrated_engine


def fake_dns(table):
    def resolve(host):
        if host not in table:
            raise SourceError(f"host {host!r} does not resolve")
        return table[host]
    return resolve


DNS = fake_dns({"news.example.com": ["93.184.216.34"], "intranet.example.com": ["10.1.2.3"],
                "split.example.com": ["93.184.216.34", "192.168.0.7"],
                "v6.example.com": ["2606:2800:220:1::1"], "mapped.example.com": ["::ffff:127.0.0.1"]})


@pytest.mark.parametrize("url", ["ftp://news.example.com/", "javascript:alert(1)", "file:///etc/passwd",
                                 "http:///nohost", "news.example.com/live"])
def test_only_http_urls(url):
    with pytest.raises(SourceError):
        check_url(url, resolver=DNS)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/", "http://[::1]/", "http://169.254.169.254/latest/",
                                 "http://10.0.0.5/", "http://intranet.example.com/",
                                 "http://split.example.com/", "http://mapped.example.com/", "http://0.0.0.0/"])
def test_private_loopback_link_local_refused(url):
    with pytest.raises(SourceError, match="private/loopback/link-local"):
        check_url(url, resolver=DNS)


def test_public_hosts_and_allowed_networks():
    check_url("https://news.example.com/live/", resolver=DNS)
    check_url("http://v6.example.com/", resolver=DNS)
    loopback = [ipaddress.ip_network("127.0.0.0/8")]
    check_url("http://127.0.0.1:8080/", loopback, resolver=DNS)
    with pytest.raises(SourceError):  # allowing loopback does not allow the LAN
        check_url("http://10.0.0.5/", loopback, resolver=DNS)
    with pytest.raises(SourceError, match="does not resolve"):
        check_url("http://nowhere.invalid/", resolver=DNS)


def test_add_edit_enable(engine):
    data = {"name": "lan-news", "start_urls": ["http://127.0.0.1:9/"], "articles": [r"/\d+\.html"]}
    with pytest.raises(SourceError, match="private"):
        add_source(engine, data, "ed")
    with pytest.raises(SourceError, match="field 'articles'"):
        add_source(engine, {**data, "articles": ["(unclosed"]}, "ed")
    with pytest.raises(SourceError, match="field 'name'"):
        add_source(engine, {**data, "name": "Bad Name"}, "ed")
    assert list_sources(engine) == []

    set_allowed_networks(engine, ["127.0.0.0/8"], "admin")
    assert allowed_networks(engine) == [ipaddress.ip_network("127.0.0.0/8")]
    view = add_source(engine, data, "ed", tier="A", note="demo")
    assert (view.name, view.tier, view.enabled, view.note) == ("lan-news", "A", True, "demo")
    assert view.config["allowed_domains"] == ["127.0.0.1"] and view.config["delay"] == 2.0
    with pytest.raises(SourceError, match="exists already"):
        add_source(engine, data, "ed")

    view = update_source(engine, "lan-news", {"delay": 0.5, "start_urls": ["http://localhost:9/list"]}, "ed",
                         tier="C", resolver=fake_dns({"localhost": ["127.0.0.1"]}))
    assert view.config["delay"] == 0.5 and view.tier == "C"
    assert view.config["articles"] == [r"/\d+\.html"]  # untouched fields stay
    assert view.config["allowed_domains"] == ["localhost"]  # recomputed from the new URL
    with pytest.raises(SourceError, match="renamed"):
        update_source(engine, "lan-news", {"name": "other"}, "ed")
    with pytest.raises(SourceError, match="private"):
        update_source(engine, "lan-news", {"start_urls": ["http://10.0.0.1/"]}, "ed")
    assert get_source(engine, "lan-news").config["start_urls"] == ["http://localhost:9/list"]

    set_enabled(engine, "lan-news", False, "ed")
    cfg = source_config(engine, "lan-news")
    assert cfg.enabled is False and cfg.delay == 0.5 and cfg.start_urls == ["http://localhost:9/list"]
    actions = [a["action"] for a in recent_audit(engine)]
    assert actions[:4] == ["source_disable", "source_edit", "source_add", "setting_set"]
    with pytest.raises(SourceError, match="no source"):
        set_enabled(engine, "missing", True, "ed")


REGISTRY = """
[[source]]
name = "alpha"
kind = "news"
start_urls = ["https://alpha.example.com/live/"]
delay = 3.0

[[source]]
name = "beta"
kind = "news"
start_urls = ["{demo}/"]
enabled = false
"""


def test_import_is_idempotent_and_keeps_editors_choices(engine, tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(REGISTRY, encoding="utf-8")
    demo = {"demo": "http://127.0.0.1:8000"}
    first = import_registry(engine, path, variables=demo)
    assert (sorted(first.added), first.updated, first.unchanged) == (["alpha", "beta"], [], [])
    again = import_registry(engine, path, variables=demo)
    assert (again.added, again.updated, sorted(again.unchanged)) == ([], [], ["alpha", "beta"])
    assert len(list_sources(engine)) == 2 and get_source(engine, "beta").enabled is False

    set_enabled(engine, "alpha", False, "ed")  # an editor's decision survives re-imports
    update_source(engine, "alpha", {}, "ed", tier="A")
    path.write_text(REGISTRY.replace("delay = 3.0", "delay = 5.0"), encoding="utf-8")
    third = import_registry(engine, path, variables=demo)
    assert (third.added, third.updated, third.unchanged) == ([], ["alpha"], ["beta"])
    alpha = get_source(engine, "alpha")
    assert alpha.config["delay"] == 5.0 and alpha.enabled is False and alpha.tier == "A"
    assert import_registry(engine, path, variables=demo).updated == []

    path.write_text('[[source]]\nname = "x"\nstart_urls = ["ftp://x/"]\n', encoding="utf-8")
    with pytest.raises(SourceError, match="start_urls"):
        import_registry(engine, path)
