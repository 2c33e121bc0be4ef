"""ReadyLayer CDN runners: cache warming and asset optimisation.

``readylayer.cache.warm`` (``warm.py``) asks the ``readylayer.cdn`` connector to fetch a
list of URLs through the edge, in batches no larger than the connector's burst size, and
reports an outcome per URL. ``readylayer.assets.optimize`` (``optimize.py``) decides for
each asset whether to compress, convert, resize or re-header it, and why. The pure rules
live beside them (``urls.py``, ``batches.py``, ``asset_rules.py``) so they can be tested
without a job.
"""
