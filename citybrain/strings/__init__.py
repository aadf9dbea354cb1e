"""The translation catalogue, one module per area; each defines ``STRINGS: dict[key, (zh, en)]``."""
