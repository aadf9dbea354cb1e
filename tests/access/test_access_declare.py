"""The declaration registry (access.declare): one callback per set of outputs.

A page's callbacks are keyed by their outputs; a second function declaring the same
outputs used to replace the first without a word (issue 21: the dispatch board's card
buttons sent nothing). A re-import of the same function stays allowed."""

from __future__ import annotations

from dataclasses import replace

import pytest
from dash import Input, Output

from access.declare import Declaration, Registry


def _decl(fn) -> Declaration:
    return Declaration(page="dispatch", action="view", resource=None, scope={}, fn=fn, args=("n",), hints=(int,),
                       outputs=(Output("x-changed", "data", allow_duplicate=True),),
                       inputs=(Input("x-go", "n_clicks"),), states=())


def first(n: int) -> int:
    return n


def second(n: int) -> int:
    return n


def test_two_functions_writing_the_same_outputs_are_refused():
    registry = Registry()
    registry.add(_decl(first))
    registry.add(_decl(first))  # the module imported again: the same function, accepted
    assert len(registry) == 1
    with pytest.raises(ValueError, match="write the same outputs .* make them one callback") as err:
        registry.add(_decl(second))
    assert "first" in str(err.value) and "second" in str(err.value)
    # other outputs: a callback of its own
    other = _decl(second)
    registry.add(replace(other, outputs=(Output("x-feedback", "children"),)))
    assert len(registry) == 2
