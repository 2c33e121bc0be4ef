"""``json.JSONEncoder.encode`` without its per-call set-up.

For every call the json module builds a new C encoder from the encoder's settings; for the
small documents a worker writes per job, that set-up costs more than the encoding. A
:class:`ReusableEncoder` keeps one C encoder per thread (its circular-reference markers are
per encoder, so threads must not share one) and builds a fresh one after any error, which
may leave those markers behind. Output is identical to ``encoder.encode``.
"""

from __future__ import annotations

import json
import json.encoder
import threading
from collections.abc import Callable
from typing import Any

_CEncoder = Callable[[Any, int], Any]


class ReusableEncoder:
    def __init__(self, encoder: json.JSONEncoder) -> None:
        self._encoder = encoder
        self._local = threading.local()
        self._make_c_encoder = getattr(json.encoder, "c_make_encoder", None)
        if encoder.indent is not None:
            self._make_c_encoder = None  # the C encoder only writes compact JSON

    def encode(self, value: Any) -> str:
        """``encoder.encode(value)``."""
        c_encoder: _CEncoder | None = getattr(self._local, "c_encoder", None)
        if c_encoder is None:
            if self._make_c_encoder is None:
                return self._encoder.encode(value)
            c_encoder = self._local.c_encoder = self._build()
        try:
            chunks = c_encoder(value, 0)
        except BaseException:
            self._local.c_encoder = None
            raise
        return "".join(chunks)

    def _build(self) -> _CEncoder:
        encoder = self._encoder
        assert self._make_c_encoder is not None
        string_encoder = (
            json.encoder.encode_basestring_ascii
            if encoder.ensure_ascii
            else json.encoder.encode_basestring
        )
        c_encoder: _CEncoder = self._make_c_encoder(
            {} if encoder.check_circular else None,
            encoder.default,
            string_encoder,
            encoder.indent,
            encoder.key_separator,
            encoder.item_separator,
            encoder.sort_keys,
            encoder.skipkeys,
            encoder.allow_nan,
        )
        return c_encoder
