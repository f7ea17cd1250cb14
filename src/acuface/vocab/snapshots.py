"""Versioned snapshots: records that cross layers and outlive the code that wrote them.

A snapshot (a plan, a face map, a skin report, an intake) is written once and
stored by the clinic; the code that reads it may be years newer. Each producer
owns one frozen :class:`Snapshot` subclass whose ``schema_version`` field says
which shape it has. :meth:`Snapshot.read` upgrades an older stored document
step by step, like a database migration, before validating it, so an old
record always reads as today's type:

.. code-block:: python

    class PlanSnapshot(Snapshot):
        schema_version: Literal[3] = 3      # bump when the shape changes ...
        new_field: list[str]                # ... add the field ...

        UPGRADES = {1: _v1_to_v2, 2: _v2_to_v3}  # ... and the step from the old shape

A document without ``schema_version`` is version 1 (the shape before versions
were written).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict

from acuface.errors import InvalidSnapshot

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


class Snapshot(BaseModel):
    """Base of every stored, versioned record: frozen, unknown fields refused.

    Subclasses declare ``schema_version: Literal[N] = N`` and, from version 2
    on, ``UPGRADES``: version ``n`` -> a function turning a version-``n``
    document into a version-``n + 1`` one (pure: a new dict, no I/O).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Version ``n`` -> step from the version-``n`` shape to version ``n + 1``.
    UPGRADES: ClassVar[Mapping[int, Upgrade]] = {}

    schema_version: int

    @classmethod
    def current_version(cls) -> int:
        """Return the version this code writes (the ``schema_version`` default)."""
        return int(cls.model_fields["schema_version"].default)

    @classmethod
    def upgrade(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """Return *data* upgraded to :meth:`current_version` (not yet validated).

        Raises
        ------
        InvalidSnapshot
            The document is newer than this code, or a step is missing.
        """
        doc = dict(data)
        version = int(doc.get("schema_version", 1))
        current = cls.current_version()
        if version > current:
            raise InvalidSnapshot(
                f"This {cls.__name__} was stored by a newer Acuface (schema version "
                f"{version}, this one reads up to {current}); update Acuface to read it."
            )
        while version < current:
            step = cls.UPGRADES.get(version)
            if step is None:
                raise InvalidSnapshot(
                    f"{cls.__name__}: no upgrade step from schema version {version}."
                )
            doc = step(doc)
            version += 1
            doc["schema_version"] = version
        doc["schema_version"] = current
        return doc

    @classmethod
    def read(cls, data: Mapping[str, Any] | Self) -> Self:
        """Return a stored document (any known version) as today's snapshot.

        Raises
        ------
        InvalidSnapshot
            Too new, no upgrade path, or not a valid document after upgrading.
        """
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise InvalidSnapshot(f"{cls.__name__}: expected a JSON object, got {type(data)}.")
        try:
            return cls.model_validate(cls.upgrade(data))
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise InvalidSnapshot(f"{cls.__name__}: the stored record is invalid: {exc}") from exc

    def to_json(self) -> dict[str, Any]:
        """Return the JSON document to store (with ``schema_version``)."""
        return self.model_dump(mode="json")
