import pytest

from crawlers.registry import DEFAULT_REGISTRY, RegistryError, load_registry, parse_source

GOOD = {"name": "a-site", "kind": "news", "start_urls": ["https://a.example.com/list/"],
        "articles": [r"/p/\d+\.html$"]}


def test_shipped_registry_is_valid():
    assert load_registry(DEFAULT_REGISTRY)


def test_defaults_are_polite():
    src = parse_source(GOOD)
    assert src.delay == 2.0 and src.concurrency == 1 and src.autothrottle
    assert src.allowed_domains == ["a.example.com"]


@pytest.mark.parametrize("change, field", [
    ({"start_urls": []}, "start_urls"),
    ({"start_urls": ["ftp://x.example.com/"]}, "start_urls"),
    ({"kind": "blog"}, "kind"),
    ({"articles": ["(unclosed"]}, "articles"),
    ({"delay": -1}, "delay"),
    ({"concurrency": 0}, "concurrency"),
    ({"region": "mars"}, "region"),
    ({"colour": "red"}, "colour"),
    ({"name": "Bad Name"}, "name"),
])
def test_errors_name_the_source_and_field(change, field):
    with pytest.raises(RegistryError) as err:
        parse_source({**GOOD, **change}, where="sources.toml: source #3")
    msg = str(err.value)
    assert "source #3" in msg and f"field '{field}'" in msg


def test_file_errors(tmp_path):
    bad = tmp_path / "r.toml"
    bad.write_text("[[source]]\nname = \n", encoding="utf-8")
    with pytest.raises(RegistryError, match="not valid TOML"):
        load_registry(bad)
    dup = tmp_path / "d.toml"
    dup.write_text('[[source]]\nname="x"\nstart_urls=["http://a.example.com/"]\n' * 2, encoding="utf-8")
    with pytest.raises(RegistryError, match="duplicate name"):
        load_registry(dup)
    with pytest.raises(RegistryError, match="cannot read"):
        load_registry(tmp_path / "missing.toml")


def test_placeholders_are_filled(tmp_path):
    f = tmp_path / "r.toml"
    f.write_text('[[source]]\nname="demo"\nstart_urls=["{demo}/"]\n', encoding="utf-8")
    (src,) = load_registry(f, variables={"demo": "http://127.0.0.1:8080"})
    assert src.start_urls == ["http://127.0.0.1:8080/"]
