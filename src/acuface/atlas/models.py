"""Pydantic models of the acupoint atlas: the schema of ``atlas/data/*.yaml``.

The models are the single source of truth for what a point record may hold.
They reject unknown fields (``extra="forbid"``) and are frozen, so a loaded
atlas cannot be changed by accident. A JSON Schema generated from them is
committed under ``atlas/schema/`` for people who edit the YAML by hand
(``acuface atlas schema`` regenerates it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from acuface.atlas import datafiles
from acuface.atlas.datafiles import SOURCE_ID_PATTERN, DataFile, SourceIds, register
from acuface.vocab import BILATERAL_SIDES, MIDLINE_SIDES, Side

Channel = Literal[
    "LU", "LI", "ST", "SP", "HT", "SI", "BL", "KI", "PC", "TE", "GB", "LR", "GV", "CV", "EX"
]
Region = Literal["face", "head", "neck", "body"]
Zone = Literal[
    "forehead",
    "glabella",
    "periorbital",
    "crows_feet",
    "cheek",
    "nose",
    "nasolabial",
    "perioral",
    "marionette",
    "chin",
    "jawline",
    "temple",
    "ear",
    "scalp",
    "neck",
    "upper_limb",
    "lower_limb",
    "abdomen",
    "back",
    "chest",
]
Tag = Literal[
    "near_eye",
    "bleeding_prone",
    "near_artery",
    "palpation_defined",
    "hair_covered",
    "forbidden_in_pregnancy",
    "strong_stimulation",
    "painful",
    "nape",
    "ear",
]
Angle = Literal["perpendicular", "oblique", "transverse", "intradermal"]
#: The ways a point is used, each with its own technique record.
TechniqueUse = Literal["standard", "cosmetic"]
#: How much the needle is manipulated once in, gentlest first.
Manipulation = Literal["none", "gentle", "even", "strong"]
MANIPULATION_ORDER: tuple[str, ...] = get_args(Manipulation)
#: ``method``: a measurement or construction of this project (documented in docs/),
#: cited so that data records say where a number came from; never clinical evidence.
SourceKind = Literal[
    "standard",
    "textbook",
    "review",
    "trial",
    "guideline",
    "article",
    "case_report",
    "website",
    "method",
]

#: Regions whose points the locator places on a photo.
FACIAL_REGIONS: frozenset[str] = frozenset({"face", "head", "neck"})
#: Zones a face/head/neck point may carry, in head-to-neck order (forms list them so).
FACIAL_ZONE_ORDER: tuple[str, ...] = get_args(Zone)[: get_args(Zone).index("neck") + 1]
FACIAL_ZONES: frozenset[str] = frozenset(FACIAL_ZONE_ORDER)
#: Zones a body (text-only) point may carry; the nape ("neck") belongs to both.
BODY_ZONES: frozenset[str] = frozenset(
    {"neck", "upper_limb", "lower_limb", "abdomen", "back", "chest"}
)
#: Channels on the midline: their points are single, never bilateral.
MIDLINE_CHANNELS: frozenset[str] = frozenset({"GV", "CV"})
#: Extra points that lie on the midline (Yintang; Sishencong is four points, not listed).
MIDLINE_EXTRA_POINTS: frozenset[str] = frozenset({"EX-HN3"})

#: Highest point number of each channel in WHO 2008 (GV29 is Yintang there).
CHANNEL_POINT_COUNT: dict[str, int] = {
    "LU": 11,
    "LI": 20,
    "ST": 45,
    "SP": 21,
    "HT": 9,
    "SI": 19,
    "BL": 67,
    "KI": 27,
    "PC": 9,
    "TE": 23,
    "GB": 44,
    "LR": 14,
    "GV": 29,
    "CV": 24,
}
#: Highest number of each extra-point group in the WHO 1991 nomenclature.
EXTRA_GROUP_COUNT: dict[str, int] = {"HN": 15, "CA": 1, "B": 9, "UE": 11, "LE": 12}

#: A channel point ("ST2", "GV26") or an extra point ("EX-HN5", "EX-UE9").
CODE_PATTERN = re.compile(
    r"^(?:(?P<channel>LU|LI|ST|SP|HT|SI|BL|KI|PC|TE|GB|LR|GV|CV)(?P<number>[1-9][0-9]?)"
    r"|EX-(?P<group>HN|CA|B|UE|LE)(?P<exnumber>[1-9][0-9]?))$"
)
#: CJK unified ideographs (basic block and extension A).
HANZI_PATTERN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")

#: Plausible needling depths in cun. Deeper than 3 cun is never facial or
#: routine body work; shallower than 0.05 cun is not an insertion.
MIN_DEPTH_CUN = 0.05
MAX_DEPTH_CUN = 3.0

_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _no_duplicates(values: Sequence[str], what: str) -> Sequence[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is listed twice")
        seen.add(value)
    return values


class Needle(BaseModel):
    """A typical needle for a technique: diameter and length in millimetres."""

    model_config = _STRICT

    diameter_mm: float = Field(ge=0.1, le=0.4, description="Shaft diameter, e.g. 0.16.")
    length_mm: int = Field(ge=5, le=75, description="Shaft length, e.g. 15.")

    def __str__(self) -> str:
        return f"{self.diameter_mm:g} × {self.length_mm} mm"


#: Cosmetic work at the orbital rim stays outside the orbit: at most this deep (cun).
COSMETIC_NEAR_EYE_MAX_DEPTH_CUN = 0.2


class Technique(BaseModel):
    """How a point is needled for one use (``standard``, ``cosmetic``).

    Depths are typical textbook ranges for an adult of average build, in
    proportional body inches (B-cun); they are guidance, not limits.
    """

    model_config = _STRICT

    use: TechniqueUse = Field(description="Which use this record is for.")
    depth_cun: tuple[float, float] = Field(
        description="Typical insertion depth (min, max) in B-cun; 0.05 <= min <= max <= 3."
    )
    angle: Angle = Field(description="Angle of insertion relative to the skin.")
    direction: str | None = Field(
        default=None, description="Where the needle tip points, in plain words."
    )
    needle: Needle = Field(description="A typical needle for this technique.")
    retain: bool = Field(default=True, description="Whether the needle stays in (retained).")
    mouth: Literal["open", "closed"] | None = Field(
        default=None, description="Mouth open or closed while needling, where it matters."
    )
    manipulation: Manipulation = Field(description="How much the needle is manipulated.")
    pressure_after: bool = Field(
        default=False, description="Press the point after withdrawal (bruise-prone sites)."
    )
    enters_orbit: bool = Field(
        default=False, description="The needle passes inside the orbital rim (eye-disease use)."
    )
    note: str | None = Field(default=None, description="Technique notes in plain words.")
    cautions: list[str] = Field(default_factory=list, description="Safety notes for this use.")
    source: SourceIds

    @field_validator("depth_cun")
    @classmethod
    def _depth_sane(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if low > high:
            raise ValueError(f"minimum depth {low} is greater than maximum depth {high}")
        if low < MIN_DEPTH_CUN or high > MAX_DEPTH_CUN:
            raise ValueError(
                f"depth ({low}, {high}) cun is outside the sane range "
                f"{MIN_DEPTH_CUN}-{MAX_DEPTH_CUN} cun"
            )
        return value

    def describe(self) -> str:
        """One line for plans, charts and handouts (depth, angle, needle, retention)."""
        low, high = self.depth_cun
        parts = [f"{self.angle} {low:g}-{high:g} cun", f"needle {self.needle}"]
        if self.direction:
            parts.append(self.direction)
        if self.mouth:
            parts.append(f"mouth {self.mouth}")
        parts.append(
            "no manipulation"
            if self.manipulation == "none"
            else f"{self.manipulation} manipulation"
        )
        if self.pressure_after:
            parts.append("press after withdrawal")
        parts.append("retained" if self.retain else "needled and withdrawn, not retained")
        return "; ".join(parts)


class Source(BaseModel):
    """One bibliography entry that point records cite by ``id``."""

    model_config = _STRICT

    id: str = Field(description="Stable lower-case id, e.g. 'who2008'.")
    citation: str = Field(min_length=10, description="Full citation in plain text.")
    url: str | None = Field(default=None, description="Where to read it, if public.")
    kind: SourceKind = Field(description="What sort of source this is.")

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str) -> str:
        if not SOURCE_ID_PATTERN.match(value):
            raise ValueError(
                f"source id {value!r} must be lower-case letters, digits and underscores"
            )
        return value


class Point(BaseModel):
    """One acupoint; a bilateral point is one record with ``bilateral: true``."""

    model_config = _STRICT

    code: str = Field(description="WHO 2008 style code: 'ST2', 'GV26', 'EX-HN5'.")
    pinyin: str = Field(min_length=2, description="Pinyin name without tone marks.")
    hanzi: str = Field(min_length=1, description="Chinese name in simplified characters.")
    english: str = Field(min_length=2, description="English translation of the name.")
    aliases: list[str] = Field(
        default_factory=list, description="Other codes or names, e.g. 'GV29', 'Renzhong'."
    )
    channel: Channel = Field(description="Channel (meridian) code; 'EX' for extra points.")
    region: Region = Field(
        description="'face', 'head' (scalp, vertex, ear area), 'neck' or 'body' (text only)."
    )
    zones: list[Zone] = Field(min_length=1, description="Cosmetic/anatomical zones it serves.")
    bilateral: bool = Field(description="True for a left/right pair held as one record.")
    location: str = Field(min_length=20, description="Where it is, in our own words.")
    location_reference: str = Field(
        min_length=5, description="Which definition the location follows, e.g. 'WHO 2008, ST3'."
    )
    cautions: list[str] = Field(default_factory=list, description="Safety notes.")
    tags: list[Tag] = Field(default_factory=list, description="Flags the planner acts on.")
    # After tags: the technique rules depend on them (e.g. near_eye).
    techniques: list[Technique] = Field(
        min_length=1, description="One record per use; 'standard' is required."
    )
    source: SourceIds

    @field_validator("code")
    @classmethod
    def _code_format(cls, value: str) -> str:
        match = CODE_PATTERN.match(value)
        if match is None:
            raise ValueError(
                f"code {value!r} is not a WHO-style point code (e.g. 'ST2', 'GV26', 'EX-HN5')"
            )
        if match["channel"]:
            top = CHANNEL_POINT_COUNT[match["channel"]]
            if int(match["number"]) > top:
                raise ValueError(f"code {value!r}: channel {match['channel']} has {top} points")
        else:
            top = EXTRA_GROUP_COUNT[match["group"]]
            if int(match["exnumber"]) > top:
                raise ValueError(f"code {value!r}: group EX-{match['group']} has {top} points")
        return value

    @field_validator("hanzi")
    @classmethod
    def _hanzi_is_chinese(cls, value: str) -> str:
        # Catches pinyin or English pasted into the wrong field.
        if not HANZI_PATTERN.match(value):
            raise ValueError(f"hanzi {value!r} must be Chinese characters only")
        return value

    @field_validator("aliases", "tags", "zones")
    @classmethod
    def _unique_items(cls, value: list[str], info: ValidationInfo) -> list[str]:
        _no_duplicates(value, (info.field_name or "item").rstrip("s"))
        return value

    # Cross-field rules are field validators (they see the fields declared
    # before them in ``info.data``) so that errors point at the right field
    # and YAML line. A field that failed its own validation is absent there.

    @field_validator("channel")
    @classmethod
    def _channel_matches_code(cls, value: str, info: ValidationInfo) -> str:
        code = info.data.get("code")
        if code is not None:
            expected = "EX" if code.startswith("EX-") else code.rstrip("0123456789")
            if value != expected:
                raise ValueError(
                    f"channel {value!r} does not match code {code!r} (expected {expected!r})"
                )
        return value

    @field_validator("zones")
    @classmethod
    def _zones_fit_region(cls, value: list[str], info: ValidationInfo) -> list[str]:
        region = info.data.get("region")
        if region is not None:
            allowed = BODY_ZONES if region == "body" else FACIAL_ZONES
            wrong = [zone for zone in value if zone not in allowed]
            if wrong:
                raise ValueError(
                    f"zones {wrong} do not belong to region {region!r} (allowed: {sorted(allowed)})"
                )
        return value

    @field_validator("bilateral")
    @classmethod
    def _midline_is_single(cls, value: bool, info: ValidationInfo) -> bool:
        code = info.data.get("code", "")
        channel = info.data.get("channel")
        if value and (channel in MIDLINE_CHANNELS or code in MIDLINE_EXTRA_POINTS):
            raise ValueError(f"{code} lies on the midline, so bilateral must be false")
        return value

    @field_validator("location_reference")
    @classmethod
    def _channel_points_follow_who(cls, value: str, info: ValidationInfo) -> str:
        channel = info.data.get("channel")
        if channel is not None and channel != "EX" and "WHO 2008" not in value:
            raise ValueError("channel points must follow the WHO 2008 location standard")
        return value

    @field_validator("techniques")
    @classmethod
    def _techniques_fit(cls, value: list[Technique], info: ValidationInfo) -> list[Technique]:
        uses = [t.use for t in value]
        _no_duplicates(uses, "technique use")
        if "standard" not in uses:
            raise ValueError("a point needs a 'standard' technique")
        tags = set(info.data.get("tags") or [])
        for technique in value:
            if technique.use != "cosmetic":
                continue
            # Cosmetic work never enters the orbit: at the rim, shallow and flat.
            if technique.enters_orbit:
                raise ValueError("a cosmetic technique may not enter the orbit")
            if "near_eye" in tags:
                problems = []
                if technique.depth_cun[1] > COSMETIC_NEAR_EYE_MAX_DEPTH_CUN:
                    problems.append(f"at most {COSMETIC_NEAR_EYE_MAX_DEPTH_CUN} cun deep")
                if technique.angle not in ("transverse", "intradermal"):
                    problems.append("transverse or intradermal")
                if technique.manipulation != "none":
                    problems.append("no manipulation")
                if not technique.pressure_after:
                    problems.append("pressure after withdrawal")
                if problems:
                    raise ValueError(
                        "a cosmetic technique at the orbital rim must be " + ", ".join(problems)
                    )
        return value

    def technique(self, use: str) -> Technique | None:
        """Return the technique record for *use*, or None when the point has none for it."""
        return next((t for t in self.techniques if t.use == use), None)

    @property
    def standard(self) -> Technique:
        """The standard technique (every point has one)."""
        found = self.technique("standard")
        assert found is not None  # guaranteed by the validator
        return found

    @property
    def is_facial(self) -> bool:
        """Whether the locator places this point on a photo (face, head or neck)."""
        return self.region in FACIAL_REGIONS

    @property
    def sides(self) -> tuple[Side, ...]:
        """The sides this record stands for: ``("left", "right")`` or ``("midline",)``."""
        return BILATERAL_SIDES if self.bilateral else MIDLINE_SIDES


class PointsFile(BaseModel):
    """The layout of ``points.yaml`` (or of each file under ``points/``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    points: list[Point] = Field(description="Point records, in display order.")


class SourcesFile(BaseModel):
    """The layout of ``sources.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: list[Source] = Field(description="Bibliography entries cited by `source` ids.")


#: ``atlas/data/sources.yaml``: the bibliography every ``source`` field cites.
SOURCES: DataFile[SourcesFile] = register(
    DataFile(
        name="sources",
        model=SourcesFile,
        package="acuface.atlas",
        filename="sources.yaml",
        description="bibliography cited by every `source` field",
        check_sources=False,
    )
)
#: ``atlas/data/points.yaml`` (or a folder ``points/`` of files read in name order).
POINTS: DataFile[PointsFile] = register(
    DataFile(
        name="points",
        model=PointsFile,
        package="acuface.atlas",
        filename="points.yaml",
        description="acupoints: names, location, needling, cautions, tags",
        folder="points",
        merge_key="points",
    )
)


def json_schemas() -> dict[str, str]:
    """Return the JSON Schemas of every registered data file, rendered as text.

    Returns
    -------
    dict of str to str
        File name (e.g. ``"points.schema.json"``) -> JSON text ending in a newline,
        stable across runs so the committed copies can be compared byte for byte.
    """
    return datafiles.json_schemas()


#: All valid values, for CLIs and forms.
ALL_ZONES: tuple[str, ...] = get_args(Zone)
ALL_TAGS: tuple[str, ...] = get_args(Tag)
ALL_REGIONS: tuple[str, ...] = get_args(Region)
