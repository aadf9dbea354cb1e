"""Callbacks declared with their permission: the one way citybrain registers a Dash callback.

Every server callback is written as::

    @declare.callback(Output(...), Input(ids.ACK, "n_clicks"), State(ids.SELECTED, "data"),
                      page="warnings", action="handle", scope={"selected": "warning"},
                      prevent_initial_call=True)
    def act(_ack: int | None, selected: int | None) -> ...: ...

and says, next to the function, which page it belongs to, the resource it reads or changes
(the page's resource unless given), the action it performs (``view``, ``handle``, ``export``,
``print``, ``administer``) and which of its arguments carry a scope (a warning id, a
domain, a district, a page view, a wall screen). The function's own type hints are the
JSON types its arguments may take.

Nothing is registered with Dash when the module is imported: :func:`install` registers
every declaration on one app (``create_app`` calls it) and keeps, per app, the map from
Dash's callback key to its :class:`Declaration`. The gate (:mod:`access.gate`) and the
wall's lean dependency list read that map; nobody reads Dash's private registries.

Declarations are code, collected while modules are imported, keyed by their outputs so a
module Dash executes again for a second app replaces its entries instead of doubling them.
They hold no request data.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dash.dependencies import DashDependency, Input, Output, State

from access.roles import ACTIONS

#: the kinds of scope an argument may carry, checked by :mod:`access.gate`
#: (``theme``: the code of the theme a theme page's callback serves — its resource, issue 20)
SCOPE_KINDS: frozenset[str] = frozenset({"warning", "domain", "district", "view", "screen", "wall_config", "theme"})
#: ``server.extensions`` key of an app's {Dash callback key: Declaration}
EXTENSION = "citybrain.callbacks"


@dataclass(frozen=True)
class Declaration:
    """One callback and what it needs. ``resource`` None: the resource of ``page``."""

    page: str
    action: str
    resource: str | None
    scope: Mapping[str, str]
    fn: Callable[..., Any] | None
    args: tuple[str, ...]  # the function's parameters in the order Dash passes them
    hints: tuple[Any, ...]  # the JSON type each argument may have (Any: unchecked)
    outputs: tuple[Output, ...]
    inputs: tuple[Input, ...]
    states: tuple[State, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    clientside: Any = None  # the JavaScript of a clientside callback (no server request, no gate)

    @property
    def key(self) -> str:
        """Identifies the declaration across re-imports: its outputs (Dash allows one callback per output set)."""
        return "|".join(f"{o}{'@dup' if getattr(o, 'allow_duplicate', False) else ''}" for o in self.outputs)

    @property
    def dependencies(self) -> tuple[DashDependency, ...]:
        return (*self.outputs, *self.inputs, *self.states)


class Registry:
    """Declarations by key, in declaration order. One per process (:data:`DECLARED`): like
    Flask's view functions and Dash's own callbacks it is filled by imports, never by requests."""

    def __init__(self) -> None:
        self._items: dict[str, Declaration] = {}

    def add(self, decl: Declaration) -> None:
        # a re-import declares the same function again; another function with the same outputs
        # would silently replace the first (issue 21: the dispatch board's buttons sent nothing)
        old = self._items.get(decl.key)
        if old is not None and _origin(old) != _origin(decl):
            raise ValueError(f"callbacks {_origin(old)} and {_origin(decl)} write the same outputs "
                             f"({decl.key}); make them one callback")
        self._items[decl.key] = decl

    def __iter__(self) -> Any:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)


def _origin(decl: Declaration) -> str:
    fn = decl.fn
    return f"{fn.__module__}.{fn.__qualname__}" if fn is not None else f"clientside {str(decl.clientside)[:80]}"


DECLARED = Registry()


def _split(deps: tuple[Any, ...]) -> tuple[tuple[Output, ...], tuple[Input, ...], tuple[State, ...]]:
    flat: list[Any] = []
    for d in deps:
        flat.extend(d if isinstance(d, (list, tuple)) else [d])
    outputs = tuple(d for d in flat if isinstance(d, Output))
    inputs = tuple(d for d in flat if isinstance(d, Input))
    states = tuple(d for d in flat if isinstance(d, State))
    if len(outputs) + len(inputs) + len(states) != len(flat):
        raise TypeError("a callback takes Output, Input and State objects only")
    if not inputs:
        raise TypeError("a callback needs at least one Input")
    return outputs, inputs, states


def _check(page: str, action: str, scope: Mapping[str, str], args: tuple[str, ...]) -> None:
    if not page:
        raise TypeError("declare the page a callback belongs to (page='traffic', …)")
    if action not in ACTIONS:
        raise TypeError(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
    for name, kind in scope.items():
        if kind not in SCOPE_KINDS:
            raise TypeError(f"unknown scope kind {kind!r} for {name!r}; use one of {', '.join(sorted(SCOPE_KINDS))}")
        if name not in args:
            raise TypeError(f"scope names {name!r}, which is not an argument of the callback ({', '.join(args)})")


def _signature(fn: Callable[..., Any], count: int) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The names and type hints of the ``count`` values Dash passes ``fn``, in order
    (a ``*rest`` parameter takes the remaining ones, typed by its annotation)."""
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 — an unresolvable hint is unchecked, not a crash at import
        hints = {}
    names: list[str] = []
    types_: list[Any] = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            rest = count - len(names)
            names += [f"{p.name}[{i}]" for i in range(rest)]
            types_ += [hints.get(p.name, Any)] * rest
            break
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
            types_.append(hints.get(p.name, Any))
    if len(names) != count:
        raise TypeError(f"{fn.__qualname__} takes {len(names)} values but is given {count} inputs and states")
    return tuple(names), tuple(types_)


def callback(*deps: Any, page: str, action: str = "view", resource: str | None = None,
             scope: Mapping[str, str] | None = None, **options: Any) -> Callable[[Callable], Callable]:
    """Declare a server callback of ``page`` (a page module's short name, e.g. ``"warnings"``)."""
    outputs, inputs, states = _split(deps)
    scope = dict(scope or {})

    def declare(fn: Callable[..., Any]) -> Callable[..., Any]:
        args, hints = _signature(fn, len(inputs) + len(states))
        _check(page, action, scope, args)
        DECLARED.add(Declaration(page=page, action=action, resource=resource, scope=scope, fn=fn, args=args,
                                 hints=hints, outputs=outputs, inputs=inputs, states=states, options=options))
        return fn

    return declare


def clientside(code: Any, *deps: Any, page: str, **options: Any) -> None:
    """Declare a clientside callback of ``page``: pure presentation in the browser, no request."""
    outputs, inputs, states = _split(deps)
    DECLARED.add(Declaration(page=page, action="view", resource=None, scope={}, fn=None, args=(), hints=(),
                             outputs=outputs, inputs=inputs, states=states, options=options, clientside=code))


def install(app: Any) -> dict[str, Declaration]:
    """Register every declaration on the Dash ``app``; the {callback key: Declaration} map
    is kept in ``app.server.extensions`` for the gate and returned."""
    by_key: dict[str, Declaration] = app.server.extensions.setdefault(EXTENSION, {})
    for decl in DECLARED:
        before = set(app.callback_map)
        if decl.clientside is not None:
            app.clientside_callback(decl.clientside, *decl.dependencies, **decl.options)
        else:
            app.callback(*decl.dependencies, **decl.options)(decl.fn)
        for key in set(app.callback_map) - before:
            by_key[key] = decl
    return by_key


def declarations(server: Any) -> dict[str, Declaration]:
    """The app's {Dash callback key: Declaration} (empty before :func:`install`)."""
    return server.extensions.get(EXTENSION, {})


# ------------------------------------------------------------------ JSON types of arguments

def conforms(value: Any, hint: Any) -> bool:
    """Is the JSON ``value`` one the annotation ``hint`` admits? (``Any``: everything.)

    JSON has no tuples and no ints that are bools: ``true`` is not an ``int``; an ``int``
    is a ``float``.
    """
    if hint is Any or hint is object:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(conforms(value, h) for h in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if origin in (list, tuple, typing.Sequence, Mapping, dict) or hint in (list, dict, tuple):
        container = list if (origin or hint) in (list, tuple, typing.Sequence) else dict
        if not isinstance(value, container):
            return False
        params = typing.get_args(hint)
        if container is list and params and params[-1] is not Ellipsis:
            return all(conforms(v, params[0]) for v in value)
        if container is dict and len(params) == 2:
            return all(isinstance(k, str) for k in value) and all(conforms(v, params[1]) for v in value.values())
        return True
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return True  # a class of ours (not JSON): the function checks it
