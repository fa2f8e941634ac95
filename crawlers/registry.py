"""The project's source registry file (crawlers/sources.toml) and its format.

The format and its validation live in editorial.source_config (the store validates sources too);
this module names the file and re-exports them for the crawl side.
"""

from pathlib import Path

from editorial.source_config import (  # noqa: F401  (re-exported)
    KINDS,
    RegistryError,
    SourceConfig,
    load_registry,
    parse_source,
)

DEFAULT_REGISTRY = Path(__file__).with_name("sources.toml")
