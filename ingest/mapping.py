"""Column mappings: the ``--map`` flags, the ``--mapping`` YAML file, and matching them to a header.

A mapping file looks like::

    source: shopify            # optional: the source system's name
    timestamp_format: "%d.%m.%Y %H:%M"   # optional
    encoding: latin-1          # optional
    delimiter: ";"             # optional
    columns:
      customer: cust_id
      order: order_no
      ...

Flags override the file: ``--map`` per target, the other flags per key.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from ingest.errors import LoadError
from ingest.formats import FormatSpec, normalise_name

__all__ = ["LoadOptions", "read_mapping_file", "merge_options", "resolve_columns", "delimiter_hint"]

_FILE_KEYS = ("columns", "source", "timestamp_format", "encoding", "delimiter")
_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "'\\t'", "|": "'|'"}


@dataclass(frozen=True)
class LoadOptions:
    """Everything a load was told, after merging the mapping file and the flags."""

    columns: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    timestamp_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    mapping_file: str | None = None


def _check_targets(spec: FormatSpec, columns: dict[str, str], origin: str, file: str | Path) -> None:
    for target, column in columns.items():
        if target not in spec.targets:
            raise LoadError(f"unknown {origin} target {target!r}; targets: {spec.targets_list()}", file=file)
        if not isinstance(column, str) or not column:
            raise LoadError(f"{origin} target {target!r} needs a column name, got {column!r}", file=file)


def read_mapping_file(path: str | Path, spec: FormatSpec) -> LoadOptions:
    """Read a ``--mapping`` YAML file for format ``spec``; a :class:`LoadError` naming the file if it is malformed."""
    path = Path(path)
    if not path.is_file():
        raise LoadError("mapping file not found", file=path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        where = f"line {exc.problem_mark.line + 1}: " if exc.problem_mark else ""
        raise LoadError(f"not a readable YAML file ({where}{exc.problem})", file=path) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LoadError(f"not a readable YAML file ({' '.join(str(exc).split())})", file=path) from None
    if not isinstance(data, dict):
        raise LoadError("expected a mapping with a 'columns:' section", file=path)
    unknown = sorted(set(data) - set(_FILE_KEYS))
    if unknown:
        raise LoadError(f"unknown keys {', '.join(map(repr, unknown))}; allowed: {', '.join(_FILE_KEYS)}", file=path)
    columns = data.get("columns") or {}
    if not isinstance(columns, dict):
        raise LoadError("'columns:' must map targets to column names (customer: cust_id)", file=path)
    # YAML reads `order: 2024` as an int: a column may well be named by digits
    columns = {str(k): str(v) if isinstance(v, (int, float)) else v for k, v in columns.items()}
    _check_targets(spec, columns, "mapping", path)
    text = {key: data.get(key) for key in _FILE_KEYS[1:]}
    for key, value in text.items():
        if value is not None and not isinstance(value, str):
            raise LoadError(f"{key!r} must be text, got {value!r}", file=path)
    return LoadOptions(columns=columns, mapping_file=str(path), **text)


def merge_options(
    spec: FormatSpec,
    data_file: str | Path,
    *,
    mapping: dict[str, str] | None,
    mapping_file: str | Path | None,
    source: str | None,
    encoding: str | None,
    delimiter: str | None,
    timestamp_format: str | None,
) -> LoadOptions:
    """The options of one load: the mapping file's, overridden by the flags given (not None)."""
    if not spec.takes_mapping and (mapping or mapping_file):
        raise LoadError(f"--map and --mapping do not apply to --format {spec.name}", file=data_file)
    base = read_mapping_file(mapping_file, spec) if mapping_file else LoadOptions()
    flags = dict(mapping or {})
    _check_targets(spec, flags, "--map", data_file)
    merged = replace(base, columns={**base.columns, **flags})
    for key, value in (("source", source), ("encoding", encoding), ("delimiter", delimiter),
                       ("timestamp_format", timestamp_format)):
        if value is not None:
            merged = replace(merged, **{key: value})
    if merged.source is not None and not merged.source.strip():
        raise LoadError("the source name must not be empty", file=data_file)
    if merged.timestamp_format is not None and spec.timestamp_target is None:
        # a format without timestamps would silently ignore it: say so instead
        raise LoadError(
            f"--timestamp-format (timestamp_format in a mapping file) does not apply to --format {spec.name}",
            file=data_file,
        )
    return merged


def delimiter_hint(header: list[str], delimiter: str | None) -> str:
    """A hint when the header read as one column but visibly holds another delimiter, else ''."""
    if len(header) != 1:
        return ""
    for candidate, shown in _DELIMITER_NAMES.items():
        if candidate != delimiter and candidate in header[0]:
            return f"; looks {shown}-delimited: pass --delimiter {shown}"
    return ""


def _find(header: list[str], name: str) -> int | None:
    """Index of ``name`` in the header: an exact match, else the one match ignoring case/spaces/underscores."""
    if name in header:
        return header.index(name)
    wanted = normalise_name(name)
    matches = [i for i, column in enumerate(header) if normalise_name(column) == wanted]
    return matches[0] if len(matches) == 1 else None


def _found(header: list[str]) -> str:
    shown = ", ".join(repr(h) for h in header[:30])
    return shown + (f", ... ({len(header)} columns)" if len(header) > 30 else "")


def resolve_columns(
    spec: FormatSpec, header: list[str], columns: dict[str, str], data_file: str | Path, delimiter: str | None = None
) -> dict[str, int]:
    """Map each filled target to its column's index in ``header``; refuse a load that lacks a required one.

    An explicit mapping wins over the format's built-in names. A mapped column that is not in
    the file is an error of its own (it is a typo, not a missing column).
    """
    resolved: dict[str, int] = {}
    for target, column in columns.items():
        index = _find(header, column)
        if index is None:
            raise LoadError(
                f"mapped column {column!r} (for {target}) is not in the file; columns found: {_found(header)}"
                + delimiter_hint(header, delimiter),
                file=data_file,
                column=column,
            )
        resolved[target] = index
    for target, names in spec.aliases.items():
        if target in resolved:
            continue
        for name in names:
            index = _find(header, name)
            if index is not None:
                resolved[target] = index
                break
    missing = [t for t in spec.required if t not in resolved]
    if missing:
        if spec.aliases and len(missing) == len(spec.required):
            what, expected = f"none of the expected columns {spec.expected_columns()}", ""
        elif spec.aliases:
            what = "missing columns " + ", ".join(" or ".join(spec.aliases[t]) for t in missing)
            expected = f"expected {spec.expected_columns()}; "
        else:
            what = "no column mapped for " + ", ".join(missing)
            expected = (f"pass --map TARGET=COLUMN (or a --mapping file) for each of {', '.join(spec.required)}"
                        f"; optional: {', '.join(spec.optional_targets())}; ")
        raise LoadError(f"{what}; {expected}found {_found(header)}{delimiter_hint(header, delimiter)}", file=data_file)
    if spec.requires_any and not any(t in resolved for t in spec.requires_any):
        raise LoadError(
            f"no column mapped besides {', '.join(spec.required)}; map at least one of {', '.join(spec.requires_any)}"
            f" (--map TARGET=COLUMN or a --mapping file); found {_found(header)}",
            file=data_file,
        )
    return resolved
