"""citybrain — 城市运行智慧大脑: the operations dashboard of a city's smart brain."""

__version__ = "0.1.0"
