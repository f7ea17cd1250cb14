"""The consent texts a client reads and signs, as versioned, cited data.

``clinic/data/consent_texts.yaml`` holds every text the clinic has ever shown,
one record per version (never edited once used: a stored consent names the
version its client saw, and the consent page shows that very text). The last
record of a kind is the one offered for new consents. The file is read
through the atlas's data-file registry like every other data file.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from acuface.atlas.datafiles import DataFile, SourceIds, register
from acuface.errors import NotFound

#: The kinds of consent a client gives (one text each, in versions).
ConsentTextKind = Literal["treatment", "photography", "research"]
CONSENT_KINDS: tuple[ConsentTextKind, ...] = ("treatment", "photography", "research")


class ConsentText(BaseModel):
    """One version of one consent text, as shown to the client."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(pattern=r"^[a-z]+-[0-9]{4}-[0-9]{2}[a-z0-9-]*$", max_length=100)
    kind: ConsentTextKind
    version: str = Field(min_length=1, max_length=40, description="Shown with the signature.")
    title: str = Field(min_length=3, max_length=200)
    paragraphs: list[str] = Field(min_length=1, description="The text, one item a paragraph.")
    source: SourceIds


class ConsentTextsFile(BaseModel):
    """The layout of ``consent_texts.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1]
    consent_texts: list[ConsentText]

    @model_validator(mode="after")
    def _ids_unique_and_every_kind_present(self) -> ConsentTextsFile:
        ids = [t.id for t in self.consent_texts]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"consent text ids must be unique; repeated: {', '.join(dupes)}")
        missing = [k for k in CONSENT_KINDS if not any(t.kind == k for t in self.consent_texts)]
        if missing:
            raise ValueError(f"every consent kind needs a text; missing: {', '.join(missing)}")
        return self


#: ``clinic/data/consent_texts.yaml``, registered with the atlas's data-file registry.
CONSENT_TEXTS: DataFile[ConsentTextsFile] = register(
    DataFile(
        name="consent_texts",
        model=ConsentTextsFile,
        package="acuface.clinic",
        filename="consent_texts.yaml",
        description="the consent texts clients sign (treatment, photography, research), versioned",
    )
)


def current_text(kind: str) -> ConsentText:
    """Return the text offered today for consents of *kind* (the kind's last version).

    Raises
    ------
    NotFound
        For a kind that has no text.
    """
    found = [t for t in CONSENT_TEXTS.load().consent_texts if t.kind == kind]
    if not found:
        raise NotFound(f"No consent text for {kind!r}; kinds: {', '.join(CONSENT_KINDS)}.")
    return found[-1]


def text_by_id(text_id: str | None) -> ConsentText | None:
    """Return the consent text version *text_id*, or None (older records name none)."""
    return next((t for t in CONSENT_TEXTS.load().consent_texts if t.id == text_id), None)
