"""Early warnings: rules, four-colour levels, a lifecycle without flapping, handling,
notification and backtesting (issue 5).

* :mod:`alerts.levels` — blue/yellow/orange/red (蓝 IV … 红 I), labels and colours;
* :mod:`alerts.rules` — ``[[warnings]]`` and ``[[webhooks]]`` from ``<city>.warnings.toml``;
* :mod:`alerts.conditions` — what a rule sees at an instant (pure, pandas/numpy);
* :mod:`alerts.lifecycle` — the condition axis as a pure, table-driven state machine;
* :mod:`alerts.engine` — evaluate at ``now`` and persist (live and replay alike);
* :mod:`alerts.handling` — acknowledge / assign / close / note, silences, reading;
* :mod:`alerts.notify` — webhook delivery (JSON, DingTalk, WeCom) with retries;
* :mod:`alerts.replay` — the backtest over a past period.
"""
