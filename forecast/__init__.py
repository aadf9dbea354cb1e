"""Forecasts (决策支持, issue 22): the next hours and days of the series a duty leader acts
on, each from the model that wins its own backtest — never one that does not beat the
seasonal-naive baseline — with 80 % and 95 % intervals and their accuracy in the open.

* :mod:`forecast.models` — the models, the rolling-origin backtest, the choice (pure);
* :mod:`forecast.series` — which series are forecast and how they are read from the store;
* :mod:`forecast.run` — the nightly backtest and the refresh after new data (jobs, CLI);
* :mod:`forecast.read` — what pages, the API, the wall and the briefing read;
* :mod:`forecast.warn` — the ``forecast`` warning rule's observations and its hit rate.
"""
