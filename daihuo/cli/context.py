"""What every command shares: the process's System (daihuo.system), built once when the
``daihuo`` group starts, and one way to print JSON. Store problems become one-line errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from daihuo.system import System
from storage.config import redact
from storage.db import SchemaBehind


def cli_system() -> System:
    """The System of this command (built from the environment on first use)."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx else None
    if root is None:
        return System.from_env()
    if not isinstance(root.obj, System):
        root.obj = System.from_env()
        root.call_on_close(root.obj.close)
    return root.obj


def cli_engine() -> Engine:
    """The store's engine; a store that is behind or unreachable is a clear error."""
    system = cli_system()
    try:
        return system.engine
    except SchemaBehind as exc:
        raise click.ClickException(str(exc)) from None
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise click.ClickException(f"cannot open the store {redact(system.config.database_url)}: "
                                   f"{reason}") from None


@contextmanager
def engine_scope() -> Iterator[Engine]:
    yield cli_engine()


def echo_json(obj: object) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))
