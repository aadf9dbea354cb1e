"""The demo's themes are config only (issue 20): their departments are generated from
[[demo.departments]] by simulator.generic, and no Python outside simulator/ names them."""

from __future__ import annotations

import re
import subprocess
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

import simulator
from citybrain.settings import PROJECT_ROOT, load_settings

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 10, 12, 12, 0, tzinfo=TZ)  # a Monday: history spans a weekend


def rows(url: str, table: str) -> list[dict]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            t = sa.Table(table, sa.MetaData(), autoload_with=conn)
            return [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
    finally:
        engine.dispose()


def demo(tmp_path: Path):
    """The demo city and its configured departments (by kind, named by the config only)."""
    settings = load_settings(env={}, data_dir=tmp_path)
    depts = {d.kind: d for d in settings.demo.departments}
    assert set(depts) == {"readings", "events"}
    return settings, depts


def test_history_at_once_equals_history_tick_by_tick(tmp_path):
    settings, depts = demo(tmp_path)
    names = [d.name for d in depts.values()]
    once = {d: f"sqlite:///{tmp_path}/once_{d}.db" for d in names}
    ticks = {d: f"sqlite:///{tmp_path}/ticks_{d}.db" for d in names}
    simulator.create(settings, once, end=END, days=2, departments=names)
    simulator.create(settings, ticks, end=END - timedelta(hours=5), days=2, departments=names)
    for k in range(1, 6):
        simulator.advance(settings, ticks, until=END - timedelta(hours=5) + timedelta(hours=k), departments=names)
    assert set(simulator.advance(settings, ticks, until=END, departments=names).values()) == {0}
    for d in depts.values():
        a, b = rows(once[d.name], d.table), rows(ticks[d.name], d.table)
        # the two histories start at different times: compare the rows both cover
        first = max(min(r[d.time] for r in a), min(r[d.time] for r in b))
        assert [r for r in a if r[d.time] >= first] == [r for r in b if r[d.time] >= first], d.name


def test_generated_rows_follow_their_description(tmp_path):
    settings, depts = demo(tmp_path)
    simulator.create(settings, end=END, days=7, departments=[d.name for d in depts.values()])
    urls = simulator.default_urls(settings)
    ev = depts["events"]
    cases = rows(urls[ev.name], ev.table)
    assert len({c[ev.id] for c in cases}) == len(cases) > 1000
    assert {c[ev.entity] for c in cases} == {d.code for d in settings.districts}
    assert {c[ev.category.column] for c in cases} <= set(ev.category.values)
    later = next(f for f in ev.flags if f.after is not None)
    negated = next(f for f in ev.flags if f.negate == later.column)
    closed = [c for c in cases if c[later.column] is not None]
    assert closed and all(c[negated.column] == 1 - c[later.column] for c in closed)
    assert abs(sum(c[later.column] for c in closed) / len(closed) - later.p) < 0.04
    assert any(c[later.column] is None for c in cases)  # the newest are still open
    by_hour = [0] * 24
    for c in cases:
        by_hour[c[ev.time].hour] += 1
    assert max(by_hour[8:11]) > 5 * max(by_hour[1:4])  # daytime reports, quiet nights
    rd = depts["readings"]
    value = rd.values[0]
    caps = {e.code: e.attrs[value.level] for e in settings.theme(rd.theme).entities}
    spaces = rows(urls[rd.name], rd.table)
    assert all(0 <= r[value.column] <= caps[r[rd.entity]] for r in spaces)
    share: dict[int, list[float]] = {}
    for r in spaces:
        if r[rd.time].weekday() < 5:
            share.setdefault(r[rd.time].hour, []).append(r[value.column] / caps[r[rd.entity]])
    mean = {h: sum(v) / len(v) for h, v in share.items()}
    assert mean[10] > 0.7 and mean[20] > 0.65 and mean[3] < 0.15 and mean[18] < mean[20]  # work and shopping peaks


def _demo_names() -> list[str]:
    """The demo themes' codes (quoted), names, entities' names and department tables — less the
    words the built-in domains already use (城市管理 is also a 12345 category)."""
    builtin = (PROJECT_ROOT / "simulator" / "hotline.py").read_text(encoding="utf-8")
    names = []
    for city in ("xuchang", "panzhihua"):
        raw = tomllib.loads((PROJECT_ROOT / "config" / f"{city}.toml").read_text(encoding="utf-8"))
        for theme in raw.get("themes", []):
            names += [f'"{theme["code"]}"', f"'{theme['code']}'", theme["name_zh"]]
            names += [e["name_zh"] for e in theme.get("entities", []) if isinstance(e, dict)]
        names += [d["table"] for d in raw.get("demo", {}).get("departments", [])]
    return [n for n in names if n not in builtin]


def test_no_python_outside_the_simulator_names_the_demo_themes():
    names = _demo_names()
    assert len(names) > 10  # three themes: codes, names, entities, tables
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "*.py"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, check=True).stdout.split()
    here = Path(__file__).resolve().relative_to(PROJECT_ROOT).as_posix()
    pattern = re.compile("|".join(re.escape(n) for n in names))
    config = (PROJECT_ROOT / "config" / "xuchang.toml").read_text(encoding="utf-8")
    assert len(pattern.findall(config)) > 10  # the pattern finds the themes where they are named
    found = []
    for path in sorted(set(tracked) | set(untracked)):
        if path.startswith("simulator/") or path == here or not (PROJECT_ROOT / path).exists():
            continue
        for i, line in enumerate((PROJECT_ROOT / path).read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path}:{i}: {line.strip()[:80]}")
    assert not found, "the demo's themes must be config only:\n" + "\n".join(found)
