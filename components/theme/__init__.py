"""The surfaces of a theme (issue 20), driven only by its spec: the page ``/t/<code>``
(:mod:`.layout`, :mod:`.callbacks`), the view it shows built from the spec and the stored
values (:mod:`.model`, pure) and the navigation entries (:mod:`.nav`). The wall screen is
``components.wall.theme``, the briefing section ``briefings.theme_section``.
"""
