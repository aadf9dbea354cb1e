"""Themes (专题, issue 20): any department's indicators, declared in the city config.

``spec`` validates ``[[themes]]``; ``compute`` aggregates a theme's stored readings and
events into hour and day values (the ``indicators`` table, named ``<theme>.<indicator>``);
``queries`` is what pages, the wall, briefings and the API read. The ingestion of a
theme's source lives in ``connectors.theme``.
"""
