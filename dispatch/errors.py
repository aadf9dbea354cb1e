"""Why a dispatch action is refused. Scope refusals are :class:`citybrain.errors.AccessRefused`;
everything here is "the action does not apply" (the API's 409) or "the input is wrong" (400)."""

from __future__ import annotations

from citybrain.errors import CitybrainError


class DispatchError(CitybrainError):
    """Base of the dispatch errors; the message says what is wrong and what to do."""


class InvalidInput(DispatchError):
    """A value given is malformed (an unknown level, an empty title, a naive time): HTTP 400."""


class NotFound(DispatchError):
    """No such event or order (or not one the principal may see): HTTP 404."""


class NotApplicable(DispatchError):
    """The action does not apply to the order as it stands (wrong state, no pending extension): HTTP 409."""


class Conflict(NotApplicable):
    """Someone else changed the order between reading and writing it: one of two actors wins."""
