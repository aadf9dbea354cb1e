"""Read functions the pages and the API use — they only read the store.

One module per area (``sources``, the wall, the department pages, …). Each returns
plain data (dicts, frames); figure builders and components turn that into pictures.
Memoize with ``citybrain.cache.memoize(…)`` where the data's cadence
allows, with the timeout following that cadence.
"""
