"""Fuzz the API against its own OpenAPI document with schemathesis, as anonymous, analyst and
editor, with valid (positive) and invalid (negative) data: prints server errors (5xx) and
schema violations (response body or content type not as declared) per operation.

    python bench/schemathesis_audit.py [--examples 25] [--db sqlite|postgresql]

The app runs in-process (ASGI) over a temporary store holding the test corpus and three
users. Operations that start crawl processes or fetch from the network are left out (listed
in the output); everything else, state-changing routes included, is called.
Needs the bench extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]
os.environ.setdefault("DAIHUO_INSECURE_TEST_SCRYPT_N", str(2**14))  # logins, not hashing, are fuzzed

# start processes, fetch pages or post to webhooks: not for a fuzzer
EXCLUDED = {("POST", "/api/runs"), ("POST", "/api/runs/{run_id}/rerun"), ("POST", "/api/runs/{run_id}/resume"),
            ("POST", "/api/schedules/{schedule_id}/run"), ("POST", "/api/sources/{name}/test"),
            ("POST", "/api/webhooks/{webhook_id}/test"), ("POST", "/api/auth/logout")}
PASSWORDS = {"analyst": ("ana", "analyst password"), "editor": ("ed", "editor password")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=25, help="examples per operation and identity")
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = ap.parse_args()

    import hypothesis
    import schemathesis
    from fastapi.testclient import TestClient
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
    )
    from sitedata import make_store

    from daihuo.web.accounts import create_user
    from daihuo.web.app import create_app

    tmp = tempfile.mkdtemp(prefix="st-audit-")
    os.environ["DAIHUO_HOME"] = str(Path(tmp) / "home")
    schema_name = None
    if args.db == "sqlite":
        url = f"sqlite:///{tmp}/store.sqlite"
    else:
        import psycopg

        schema_name = f"st_{uuid.uuid4().hex[:10]}"
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as c:
            c.execute(f'CREATE SCHEMA "{schema_name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema_name}"
    store, _ = make_store(url)
    store.close()
    app = create_app(url)
    create_user(app.state.engine, "ana", "analyst password", "analyst")
    create_user(app.state.engine, "ed", "editor password", "editor")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    totals: Counter = Counter()
    failures: dict[tuple[str, str], set[str]] = defaultdict(set)
    def fuzz(op, identity: str, headers: dict, mode):  # noqa: ANN001, ANN202 - one hypothesis test per operation
        @settings(max_examples=args.examples, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy(generation_mode=mode))
        def run(case) -> None:  # noqa: ANN001
            totals[identity] += 1
            try:
                response = case.call(headers=headers)
            except Exception as exc:  # noqa: BLE001 - the app raised: a 500 behind a server
                totals[f"{identity} 5xx"] += 1
                failures[(identity, f"{op.method.upper()} {op.path}")].add(
                    f"server exception: {type(exc).__name__}: {exc}"[:300])
                return
            if response.status_code >= 500:
                totals[f"{identity} 5xx"] += 1
            try:
                case.validate_response(response, checks=checks, headers=headers)
            except BaseException as exc:  # noqa: BLE001 - a failed check (an exception group): record, go on
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                first = str(exc).strip().splitlines()
                failures[(identity, f"{op.method.upper()} {op.path}")].add(
                    f"{type(exc).__name__}: {' / '.join(first[:3])[:300]}")
        return run

    print(f"schemathesis {schemathesis.SCHEMATHESIS_VERSION}, hypothesis {hypothesis.__version__}; "
          f"store: {args.db}; {args.examples} positive + {args.examples} negative examples per operation and identity")
    t0 = time.monotonic()
    skipped = []
    for identity in ("anonymous", "analyst", "editor"):
        headers: dict[str, str] = {}
        if identity != "anonymous":
            with TestClient(app) as client:
                name, pw = PASSWORDS[identity]
                r = client.post("/api/auth/login", json={"name": name, "password": pw})
                r.raise_for_status()
                headers = {"Cookie": f"daihuo_session={client.cookies['daihuo_session']}",
                           "X-CSRF-Token": r.json()["csrf_token"]}
        for result in schema.get_all_operations():
            op = result.ok()
            key = (op.method.upper(), op.path)
            if key in EXCLUDED or (key == ("POST", "/api/auth/login") and identity != "anonymous"):
                if identity == "anonymous":
                    skipped.append(f"{key[0]} {key[1]}")
                continue

            runs = [fuzz(op, identity, headers, mode) for mode in schemathesis.GenerationMode]
            for run in runs:
                try:
                    run()
                except Unsatisfiable:  # no invalid input exists (an operation without parameters)
                    pass
                except BaseException as exc:  # noqa: BLE001 - a failure group, or a strategy the schema cannot build
                    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                        raise
                    failures[(identity, f"{op.method.upper()} {op.path}")].add(
                        f"not run: {type(exc).__name__}: {exc}"[:300])
    elapsed = time.monotonic() - t0
    app.state.engine.dispose()
    if schema_name:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as c:
            c.execute(f'DROP SCHEMA "{schema_name}" CASCADE')
    print(f"left out (start processes / fetch / end the session): {', '.join(sorted(skipped))}")
    for identity in ("anonymous", "analyst", "editor"):
        print(f"{identity:<9} {totals[identity]:>6} requests, {totals[identity + ' 5xx']:>3} server errors")
    if failures:
        print(f"\n{len(failures)} operation/identity pairs with failed checks:")
        for (identity, op), msgs in sorted(failures.items()):
            for msg in sorted(msgs):
                print(f"  [{identity}] {op}: {msg}")
    server_errors = sum(totals[f"{i} 5xx"] for i in ("anonymous", "analyst", "editor"))
    violations = sum(len(m) for m in failures.values())
    print(f"\ntotal: {sum(totals[i] for i in ('anonymous', 'analyst', 'editor'))} requests in {elapsed:.0f} s, "
          f"{server_errors} server errors, {violations} distinct check failures")


if __name__ == "__main__":
    main()
