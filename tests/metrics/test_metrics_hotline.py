"""12345 hotline KPIs (GB/T 33358-2016)."""

from __future__ import annotations

import pandas as pd
import pytest

from metrics import hotline
from metrics.errors import MissingColumnsError, UnknownKeyError

NOW = pd.Timestamp("2026-01-05 00:00", tz="UTC")


def _tickets(rows):
    columns = ["ticket", "created_at", "category", "district", "channel", "answered",
               "wait_seconds", "due_at", "closed_at", "satisfaction", "status"]
    frame = pd.DataFrame(rows, columns=columns)
    for c in ("created_at", "due_at", "closed_at"):
        frame[c] = pd.to_datetime(frame[c], utc=True)
    return frame


ROWS = [
    # ticket, created, category, district, channel, answered, wait, due, closed, satisfaction, status
    ("1", "2026-01-01", "噪音", "A", "phone", True, 15, "2026-01-02", "2026-01-02", "satisfied", "closed"),
    ("2", "2026-01-01", "噪音", "B", "phone", False, None, "2026-01-03", None, "basically_satisfied", "open"),
    ("3", "2026-01-01", "交通", "A", "web", None, None, None, None, None, "open"),
    ("4", "2026-01-01", None, "A", "phone", True, 16, "2026-01-10", None, "dissatisfied", "open"),
    ("5", "2026-01-01", "供水", "C", "phone", True, 3, "2026-01-02", "2026-01-04", None, "closed"),
    ("6", "2026-01-01", "噪音", "A", "app", None, None, "2026-01-05", None, None, "open"),
]


def test_rates_by_hand():
    k = hotline.kpis(_tickets(ROWS), now=NOW)
    assert (k.tickets, k.offered, k.answered) == (6, 4, 3)             # web/app have no call
    assert k.answer_rate == pytest.approx(3 / 4)
    assert k.answered_within_15s == 2 and k.answer_rate_15s == pytest.approx(2 / 4)  # 15 s counts, 16 s not
    # Due: 1 (closed), 2 (deadline passed), 5 (closed); 4 not yet due; 6 due exactly now → not passed.
    assert (k.due, k.closed_on_time) == (3, 1)
    assert k.on_time_rate == pytest.approx(1 / 3)
    assert k.overdue == 1 and k.closed_late == 1
    assert k.revisited == 3
    assert k.satisfaction_broad == pytest.approx(2 / 3)
    assert k.satisfaction_strict == pytest.approx(1 / 3)
    assert k.satisfaction_rate == k.satisfaction_broad
    assert hotline.kpis(_tickets(ROWS), now=NOW, satisfaction="strict").satisfaction_rate == pytest.approx(1 / 3)


def test_volumes_and_top_issues():
    k = hotline.kpis(_tickets(ROWS), now=NOW, top_n=2)
    assert k.by_category == {"噪音": 3, "": 1, "交通": 1, "供水": 1}
    assert k.by_district == {"A": 4, "B": 1, "C": 1}
    assert k.top_issues == (("噪音", 3), ("交通", 1))  # unlabelled left out, ties by name


def test_zero_denominators_give_none_not_zero():
    web_only = [("9", "2026-01-01", "交通", "A", "web", None, None, None, None, None, "open")]
    k = hotline.kpis(_tickets(web_only), now=NOW)
    assert k.offered == 0 and k.answer_rate is None and k.answer_rate_15s is None
    assert k.due == 0 and k.on_time_rate is None
    assert k.revisited == 0 and k.satisfaction_broad is None and k.satisfaction_strict is None
    empty = hotline.kpis(_tickets([]), now=NOW)
    assert empty.tickets == 0 and empty.answer_rate is None and empty.by_category == {}


def test_errors():
    with pytest.raises(MissingColumnsError, match="satisfaction"):
        hotline.kpis(_tickets(ROWS).drop(columns="satisfaction"), now=NOW)
    with pytest.raises(UnknownKeyError, match="basically_satisfied"):
        bad = _tickets(ROWS)
        bad.loc[0, "satisfaction"] = "happy"
        hotline.kpis(bad, now=NOW)
    with pytest.raises(UnknownKeyError, match="strict"):
        hotline.kpis(_tickets(ROWS), now=NOW, satisfaction="loose")


def _random_tickets(n: int, seed: int) -> pd.DataFrame:
    import numpy as np

    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 5 * 24 * 60, n), unit="min")
    due = created + pd.to_timedelta(rng.integers(-60, 4 * 24 * 60, n), unit="min")
    closed = created + pd.to_timedelta(rng.integers(0, 5 * 24 * 60, n), unit="min")
    phone = rng.random(n) < 0.7
    return pd.DataFrame({
        "ticket": [str(i) for i in range(n)], "created_at": created,
        "category": rng.choice(["噪音", "交通", "供水", None], n),
        "district": rng.choice(["A", "B", "C", None], n, p=[0.4, 0.3, 0.2, 0.1]),
        "channel": np.where(phone, "phone", "web"),
        "answered": pd.array([bool(a) if p else None for a, p in zip(rng.random(n) < 0.9, phone)], dtype=object),
        "wait_seconds": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 40, n).astype(float)),
        "due_at": due.where(rng.random(n) < 0.9), "closed_at": closed.where(rng.random(n) < 0.6),
        "satisfaction": rng.choice(list(hotline.SATISFACTION_VALUES) + [None], n),
        "status": "open",
    })


@pytest.mark.parametrize("satisfaction", ["broad", "strict"])
def test_kpi_table_is_kpis_of_each_group(satisfaction):
    """Issue 10: the per-group table gives, group by group, exactly the numbers of kpis on
    the group's tickets alone (rates bit for bit; None where kpis says None)."""
    tickets = _random_tickets(3000, 7)
    tickets["day"] = tickets["created_at"].dt.floor("D")
    web_only = tickets["day"] == tickets["day"].max()  # a day without calls: 接通率 None
    tickets.loc[web_only, "answered"] = None
    tickets = pd.concat([tickets, tickets.iloc[:1].assign(day=pd.Timestamp("2026-02-01", tz="UTC"))],
                        ignore_index=True)
    tickets.loc[len(tickets) - 1, ["due_at", "closed_at", "satisfaction"]] = [pd.NaT, pd.NaT, None]  # nothing due
    for by in ("day", ["day", "district"]):
        table = hotline.kpi_table(tickets, by, now=NOW, satisfaction=satisfaction)
        groups = list(tickets.groupby(by))
        assert len(table) == len(groups) > 4
        for row, (key, group) in zip(table.to_dict("records"), groups):
            assert tuple(row[k] for k in ([by] if isinstance(by, str) else by)) == (key if isinstance(key, tuple)
                                                                                     else (key,))
            k = hotline.kpis(group, now=NOW, satisfaction=satisfaction)
            for column in hotline.KPI_TABLE_COLUMNS:
                expected, got = getattr(k, column), row[column]
                assert (got != got) if expected is None else (got == expected and type(got) is not bool), \
                    (key, column, got, expected)
    assert table["answer_rate"].isna().any() and table["on_time_rate"].isna().any()


def test_kpi_table_refuses_what_kpis_refuses():
    bad = _tickets(ROWS)
    bad.loc[0, "satisfaction"] = "happy"
    with pytest.raises(UnknownKeyError, match="basically_satisfied"):
        hotline.kpi_table(bad, "district", now=NOW)
    with pytest.raises(MissingColumnsError, match="day"):
        hotline.kpi_table(_tickets(ROWS), "day", now=NOW)
