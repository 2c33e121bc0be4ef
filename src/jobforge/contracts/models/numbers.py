"""Numbers kept as written: ``10`` stays the integer 10, so no output shows it as ``10.0``.

A strict ``float`` field accepts an integer but turns it into a float, and every dump
(``registry.json``, the registry pages) would then print ``10.0`` for a file's ``10``.
``AsWritten`` keeps the integer after the float validation (constraints included) passed,
and dumps the value unchanged. ``int`` is a ``float`` to the type checker, so code reading
the field needs no change.
"""

from __future__ import annotations

from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema


class AsWritten:
    """Pydantic annotation for a number field: validate as a float, keep an integer as is."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_wrap_validator_function(
            _keep_integer,
            handler(source),
            serialization=core_schema.plain_serializer_function_ser_schema(
                _unchanged,
                return_schema=core_schema.union_schema(
                    [core_schema.int_schema(), core_schema.float_schema()]
                ),
            ),
        )


def _keep_integer(value: Any, validate: core_schema.ValidatorFunctionWrapHandler) -> Any:
    validated = validate(value)
    # The float validation refused booleans already; an int that passed is kept.
    return value if type(value) is int else validated


def _unchanged(value: Any) -> Any:
    return value
