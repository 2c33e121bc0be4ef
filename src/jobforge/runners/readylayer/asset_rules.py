"""What to do with one asset, and why: the rules of ``readylayer.assets.optimize``.

Pure functions of one asset and the policy, so the result never depends on the other
assets or their order. Four aspects are judged, each ending in an action or ``leave``:
compression (brotli or gzip), image format (WebP or AVIF), image size, and Cache-Control.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

COMPRESSION, FORMAT, SIZE, CACHE_CONTROL = "compression", "format", "size", "cache_control"
COMPRESS, CONVERT, RESIZE, SET_CACHE_CONTROL, LEAVE = (
    "compress",
    "convert",
    "resize",
    "set_cache_control",
    "leave",
)
ACTIONS = (COMPRESS, CONVERT, RESIZE, SET_CACHE_CONTROL)
ENCODING_NAMES = {"br": "brotli", "gzip": "gzip", "identity": "no compression"}
# Formats a CDN image service converts, from least to most compact at equal quality.
FORMAT_RANK = {
    "image/bmp": 0,
    "image/tiff": 0,
    "image/png": 1,
    "image/jpeg": 1,
    "image/webp": 2,
    "image/avif": 3,
}
FORMAT_NAMES = {
    "image/bmp": "BMP",
    "image/tiff": "TIFF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/webp": "WebP",
    "image/avif": "AVIF",
}
# Text-like types that shrink a lot when compressed, besides text/*, *+json and *+xml.
COMPRESSIBLE_TYPES = frozenset(
    {
        "application/javascript",
        "application/x-javascript",
        "application/json",
        "application/xml",
        "application/wasm",
        "application/vnd.ms-fontobject",
        "font/otf",
        "font/ttf",
        "image/bmp",
        "image/svg+xml",
        "image/vnd.microsoft.icon",
        "image/x-icon",
    }
)
# A hash in a file name: 8 or more hex digits with a digit and a letter, between
# separators (app.3f9a1c2b.js, logo-a1b2c3d4e5.png); a date like 20240101 is not one.
_HASH_TOKEN = re.compile(r"(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,}")
_NAME_SEPARATORS = re.compile(r"[._\-~]")


@dataclass(frozen=True, slots=True)
class Policy:
    """The zone's optimisation policy: the payload's ``policy``, defaults filled in."""

    compression: str = "br"
    image_format: str = "webp"
    min_bytes: int = 1024
    max_image_width: int = 2560
    pixel_density: int = 2
    max_age_seconds: int = 3600
    immutable_max_age_seconds: int = 31_536_000

    @classmethod
    def from_payload(cls, policy: Mapping[str, Any] | None) -> Policy:
        known = {name: value for name, value in (policy or {}).items() if name in _POLICY_KEYS}
        return cls(**known)

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _POLICY_KEYS}


_POLICY_KEYS = tuple(Policy.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Asset:
    """One entry of the payload's ``assets``; ``content_type`` lower-case, no parameters."""

    path: str
    content_type: str
    size_bytes: int
    content_encoding: str = "identity"
    cache_control: str | None = None
    width: int | None = None
    height: int | None = None
    display_width: int | None = None
    fingerprinted: bool | None = None

    @classmethod
    def from_payload(cls, entry: Mapping[str, Any]) -> Asset:
        return cls(
            path=entry["path"],
            content_type=media_type(entry["content_type"]),
            size_bytes=entry["size_bytes"],
            content_encoding=entry.get("content_encoding", "identity"),
            cache_control=entry.get("cache_control"),
            width=entry.get("width"),
            height=entry.get("height"),
            display_width=entry.get("display_width"),
            fingerprinted=entry.get("fingerprinted"),
        )

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def has_content_hash(self) -> bool:
        """Whether the path changes whenever the content does (given, else inferred)."""
        if self.fingerprinted is not None:
            return self.fingerprinted
        return has_hash_in_file_name(self.path)


@dataclass(frozen=True, slots=True)
class Decision:
    """One aspect of one asset: the action (or ``leave``), why, and its parameters."""

    aspect: str
    action: str
    reason: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        fields = {"aspect": self.aspect, "action": self.action, "reason": self.reason}
        return {**fields, **self.parameters}


def media_type(content_type: str) -> str:
    """``Text/HTML; charset=utf-8`` -> ``text/html``."""
    return content_type.split(";", 1)[0].strip().lower()


def has_hash_in_file_name(path: str) -> bool:
    file_name = path.split("?", 1)[0].rsplit("/", 1)[-1].lower()
    return any(_HASH_TOKEN.fullmatch(token) for token in _NAME_SEPARATORS.split(file_name))


def is_compressible(content_type: str) -> bool:
    return (
        content_type.startswith("text/")
        or content_type in COMPRESSIBLE_TYPES
        or content_type.endswith(("+json", "+xml"))
    )


def decide(asset: Asset, policy: Policy) -> list[Decision]:
    """Every aspect that applies to ``asset``, in a fixed order."""
    decisions = [compression_decision(asset, policy)]
    if asset.is_image:
        decisions += [format_decision(asset, policy), size_decision(asset, policy)]
    decisions.append(cache_control_decision(asset, policy))
    return decisions


def compression_decision(asset: Asset, policy: Policy) -> Decision:
    wanted, current = policy.compression, asset.content_encoding
    if not is_compressible(asset.content_type):
        return _leave(COMPRESSION, f"{asset.content_type} is already compact or not text-like")
    if asset.size_bytes < policy.min_bytes:
        return _leave(COMPRESSION, _too_small(asset, policy))
    if current == wanted:
        return _leave(COMPRESSION, f"already served with {ENCODING_NAMES[current]}")
    if current == "br":
        return _leave(COMPRESSION, "already served with brotli, which beats gzip on text")
    if current == "gzip":
        reason = "served with gzip; brotli makes text smaller and every current browser takes it"
    else:
        reason = f"{asset.content_type} is text-like and served uncompressed"
    return Decision(COMPRESSION, COMPRESS, reason, {"encoding": wanted})


def format_decision(asset: Asset, policy: Policy) -> Decision:  # noqa: PLR0911 - a rule a return
    target = f"image/{policy.image_format}"
    target_name = FORMAT_NAMES[target]
    if asset.content_type == "image/svg+xml":
        return _leave(FORMAT, "a vector image: SVG is already the right format")
    if asset.content_type == "image/gif":
        return _leave(FORMAT, "a GIF may be animated: converting it is left to a person")
    rank = FORMAT_RANK.get(asset.content_type)
    if rank is None:
        return _leave(FORMAT, f"{asset.content_type} is not a raster format the CDN converts")
    if asset.size_bytes < policy.min_bytes:
        return _leave(FORMAT, _too_small(asset, policy))
    if asset.content_type == target:
        return _leave(FORMAT, f"already {target_name}")
    if rank >= FORMAT_RANK[target]:
        current_name = FORMAT_NAMES[asset.content_type]
        return _leave(FORMAT, f"already {current_name}, as compact as {target_name} or more")
    reason = (
        f"{target_name} is smaller than {FORMAT_NAMES[asset.content_type]} at the same visual "
        "quality and current browsers display it"
    )
    return Decision(FORMAT, CONVERT, reason, {"format": policy.image_format})


def size_decision(asset: Asset, policy: Policy) -> Decision:
    if asset.content_type not in FORMAT_RANK:
        return _leave(SIZE, f"{asset.content_type} is not a raster format the CDN resizes")
    if asset.width is None or asset.height is None:
        return _leave(SIZE, "dimensions unknown: give width and height to judge the size")
    limit, why = policy.max_image_width, "the policy's max_image_width"
    if asset.display_width is not None:
        needed = asset.display_width * policy.pixel_density
        if needed < limit:
            limit = needed
            why = f"displayed {asset.display_width} px wide at {policy.pixel_density}x density"
    if asset.width <= limit:
        return _leave(SIZE, f"{asset.width} px wide, no wider than the {limit} px needed ({why})")
    height = max(1, (2 * asset.height * limit + asset.width) // (2 * asset.width))
    reason = f"{asset.width} px wide, but {limit} px is all that is needed ({why})"
    return Decision(SIZE, RESIZE, reason, {"width": limit, "height": height})


def cache_control_decision(asset: Asset, policy: Policy) -> Decision:
    current = cache_directives(asset.cache_control)
    kept_private = sorted({"private", "no-store"} & {name.split("=")[0] for name in current})
    if kept_private:
        return _leave(
            CACHE_CONTROL,
            f"the origin marks it {' and '.join(kept_private)}: it is never made shared-cacheable",
        )
    if asset.has_content_hash:
        wanted = f"public, max-age={policy.immutable_max_age_seconds}, immutable"
        why = "the path carries a content hash, so what it names never changes"
    elif asset.content_type == "text/html":
        wanted = "public, no-cache"
        why = "HTML names the other assets: revalidated on every request, a deploy shows at once"
    else:
        wanted = f"public, max-age={policy.max_age_seconds}"
        why = f"no content hash in the path: cached {policy.max_age_seconds} s, then revalidated"
    if current == cache_directives(wanted):
        return _leave(CACHE_CONTROL, f"already {wanted!r}")
    was = (
        f"today it is {asset.cache_control!r}"
        if asset.cache_control is not None
        else "none is set today"
    )
    return Decision(CACHE_CONTROL, SET_CACHE_CONTROL, f"{why}; {was}", {"value": wanted})


def cache_directives(header: str | None) -> frozenset[str]:
    """The directives of a Cache-Control value, lower-case, order and spacing ignored."""
    if not header:
        return frozenset()
    directives = (part.strip().lower().replace(" ", "") for part in header.split(","))
    return frozenset(directive for directive in directives if directive)


def _leave(aspect: str, reason: str) -> Decision:
    return Decision(aspect, LEAVE, reason)


def _too_small(asset: Asset, policy: Policy) -> str:
    return (
        f"{asset.size_bytes} bytes, below the {policy.min_bytes}-byte threshold: too little to gain"
    )
