"""The command-centre wall (大屏): its shell and the pieces it is made of.

Every piece is rendered once, empty, by the page layout (cheap, config only), and filled
by the wall's single refresh callback through pattern-matching ids (:mod:`.ids`). Each
module exposes a builder (layout) and a ``*_fill`` function (data → the values of its ids),
so what a tile shows and how it is filled live side by side.
"""
