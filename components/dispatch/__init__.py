"""UI pieces of 指挥调度 (issue 21): order cards with running clocks, state labels, counts."""
