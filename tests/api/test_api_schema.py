"""schemathesis against the running API: no server errors, every response matches the document,
what the document forbids is rejected and what it allows is accepted (issue 17's acceptance).

The API is served over a real socket by a Werkzeug server in a thread, from its own app
and store (the run acknowledges warnings: it must not change the shared harness other
tests read), and schemathesis's engine runs every phase the CLI runs — examples,
coverage (boundary and negative values: empty ``to=``, ``null`` bodies, undeclared
methods), fuzzing, stateful — with every default check, once per token: an admin, a
department head and a district-level department head. ``max-examples`` bounds the run
(~30 s on the development machine); the seed is fixed so a CI failure replays.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

UTC = dt.timezone.utc
TOKENS = ("u_admin", "u_traffic", "u_traffic_d")
MAX_EXAMPLES = 30


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    from werkzeug.serving import make_server

    from tests.access.harness import build

    h = build(tmp_path_factory.mktemp("schemathesis"))
    _seed_observations(h)
    server = make_server("127.0.0.1", 0, h.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield h, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _seed_observations(h: Any) -> None:
    """A few rows per observation domain, so the fuzzer sees real rows serialised."""
    from sqlalchemy import insert

    from store.schema import obs_air, obs_traffic

    now = dt.datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    station, segment = h.settings.stations[0].code, h.settings.segments[0].code
    common = {"source": "test", "ingested_at": now}
    with h.engine.begin() as conn:
        conn.execute(insert(obs_air), [{"station": station, "time": now - dt.timedelta(hours=i), "pm25": 35.0 + i,
                                        "pm10": None, **common} for i in range(5)])
        conn.execute(insert(obs_traffic), [{"segment": segment, "time": now - dt.timedelta(minutes=5 * i),
                                            "speed": 30.0, "volume": 12.0, **common} for i in range(5)])


def _run(schema: Any) -> tuple[int, list[str]]:
    """Run the engine as the CLI does; (scenarios run, a line per failed check or engine error)."""
    from schemathesis.engine import Status, events, from_schema

    scenarios, failures = 0, []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            scenarios += 1
            rec = event.recorder
            for case_id, checks in rec.checks.items():
                for check in checks:
                    if check.status != Status.FAILURE:
                        continue
                    inter = rec.interactions.get(case_id)
                    sent = f"{inter.request.method} {inter.request.uri} {(inter.request.body or b'')[:120]!r}" \
                        if inter is not None else "?"
                    got = f"{inter.response.status_code} {(inter.response.content or b'')[:200]!r}" \
                        if inter is not None and inter.response else None
                    info = check.failure_info.failure if check.failure_info else None
                    failures.append(f"{rec.label}: {check.name} — {info.title if info else ''}: "
                                    f"{str(info.message if info else '')[:300]} [{sent} → {got}]")
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            failures.append(f"engine error: {getattr(event, 'info', None) or getattr(event, 'exception', None)}")
    return scenarios, failures


@pytest.mark.parametrize("user", TOKENS)
def test_schemathesis_finds_no_server_errors_and_no_schema_violations(served, user):
    from schemathesis.config import SchemathesisConfig

    h, base = served
    config = SchemathesisConfig.from_dict({
        "seed": 17, "cache": {"enabled": False}, "headers": {"Authorization": f"Bearer {h.tokens[user]}"},
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"}})
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json", config=config)
    assert {op.ok().label for op in schema.get_all_operations()} >= {
        "GET /sources", "GET /observations/{domain}", "GET /indicators/{name}", "GET /vital-signs",
        "GET /warnings", "GET /warnings/{id}", "POST /warnings/{id}/ack"}
    scenarios, failures = _run(schema)
    assert scenarios >= 50, f"only {scenarios} scenarios ran"
    assert not failures, "\n".join(dict.fromkeys(failures))  # one line per distinct failure


def test_openapi_document_is_served_without_a_token(served):
    import requests

    _, base = served
    doc = requests.get(f"{base}/api/v1/openapi.json", timeout=10).json()
    assert doc["openapi"].startswith("3.") and "/warnings/{id}/ack" in doc["paths"]
