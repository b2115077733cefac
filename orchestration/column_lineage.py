"""Column-level lineage of the dbt models, for Dagster's column lineage view.

dagster-dbt can fetch column metadata while dbt runs (``DbtEventIterator.fetch_column_metadata``),
but it reads the warehouse from the Dagster process while the dbt process still holds DuckDB's
single write lock. So each dbt stage reads the columns once dbt has exited (one query over
``information_schema``), and this module derives, with sqlglot, which parent columns feed each
column of a model's compiled SQL. The result is standard Dagster metadata:
``dagster/column_schema`` (the built columns and their types) and ``dagster/column_lineage``,
plus the lineage as a Markdown table (``column_lineage``), which the open-source UI shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetKey, MetadataValue, TableColumn, TableColumnDep, TableColumnLineage, TableSchema
from sqlglot import MappingSchema, exp, parse_one
from sqlglot.lineage import lineage
from sqlglot.optimizer import optimize
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope

__all__ = ["RelationColumns", "warehouse_columns", "lineage_schema", "model_column_metadata", "lineage_markdown"]

logger = logging.getLogger(__name__)

#: (schema, table) -> [(column, type)], in the table's column order.
RelationColumns = Mapping[tuple[str, str], list[tuple[str, str]]]


def warehouse_columns(con) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Every table's and view's columns in the DuckDB warehouse, by (schema, table), lower-cased."""
    rows = con.execute("""
        select lower(table_schema), lower(table_name), lower(column_name), data_type
        from information_schema.columns
        where table_catalog = current_database()
        order by table_schema, table_name, ordinal_position
    """).fetchall()
    columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        columns.setdefault((schema, table), []).append((column, data_type))
    return columns


def _relation(props: Mapping[str, Any]) -> tuple[str, str]:
    """(schema, table) of a manifest node or source."""
    name = props.get("alias") or props.get("identifier") or props["name"]
    return props["schema"].lower(), name.lower()


def _parent_props(manifest: Mapping[str, Any], unique_id: str) -> Mapping[str, Any]:
    return (manifest["sources"] if unique_id.startswith("source.") else manifest["nodes"])[unique_id]


def _column_deps(sql: str, schema: MappingSchema, parents: Mapping[tuple[str, str], AssetKey],
                 dialect: str) -> dict[str, list[TableColumnDep]]:
    """For each output column of ``sql``, the parent columns it is computed from."""
    # Optimized (qualified, stars expanded), every leaf of the lineage names a real table column.
    # The optimized text is parsed again (lineage's walk expects that form of the tree), qualified
    # and scoped once for all columns: lineage() would otherwise redo both for every column.
    tree = parse_one(sql, dialect=dialect)
    for table in tree.find_all(exp.Table):
        # schema.table only: the catalog is the DuckDB file's name, which the manifest and the
        # warehouse may spell differently
        table.set("catalog", None)
    optimized = optimize(tree, schema=schema, dialect=dialect)
    tree = qualify(parse_one(optimized.sql(dialect=dialect), dialect=dialect), schema=schema, dialect=dialect,
                   validate_qualify_columns=False)
    scope = build_scope(tree)
    deps: dict[str, list[TableColumnDep]] = {}
    for column in optimized.named_selects:
        found: set[TableColumnDep] = set()
        for node in lineage(column, tree, schema=schema, dialect=dialect, scope=scope, copy=False).walk():
            table = node.expression.find(exp.Table) if not node.downstream else None
            key = parents.get((table.db.lower(), table.name.lower())) if table is not None else None
            if key is not None:
                found.add(TableColumnDep(asset_key=key, column_name=exp.to_column(node.name).name.lower()))
        deps[column.lower()] = sorted(found, key=lambda dep: (dep.asset_key.to_user_string(), dep.column_name))
    return deps


def _direct_parents(manifest: Mapping[str, Any], unique_id: str) -> list[str]:
    """A node's parents, with ephemeral models replaced by their own parents: an ephemeral model
    is a CTE inlined into the compiled SQL, not a table, and not a Dagster asset."""
    found = []
    for parent in manifest["nodes"][unique_id]["depends_on"]["nodes"]:
        props = _parent_props(manifest, parent)
        if props.get("config", {}).get("materialized") == "ephemeral":
            found += _direct_parents(manifest, parent)
        else:
            found.append(parent)
    return found


def lineage_schema(columns: RelationColumns, dialect: str) -> MappingSchema:
    """Every warehouse relation's columns for sqlglot: the SQL may also read tables that no dbt
    node declares (e.g. one a hook writes), and they must resolve for the rest to be followed."""
    schema = MappingSchema(dialect=dialect)
    for (db, table), table_columns in columns.items():
        schema.add_table(exp.table_(table, db=db), dict(table_columns), dialect=dialect)
    return schema


def model_column_metadata(manifest: Mapping[str, Any], unique_id: str, compiled_root: Path, columns: RelationColumns,
                          schema: MappingSchema, asset_key_of: Callable[[str], AssetKey]) -> dict[str, Any]:
    """``dagster/column_schema`` and ``dagster/column_lineage`` of one built dbt model (a seed: its schema).

    ``compiled_root`` is the invocation's ``target/compiled`` folder; ``columns`` the warehouse's
    columns after the build and ``schema`` the same for sqlglot (lineage_schema); ``asset_key_of``
    maps a parent's unique id to its asset key. A model whose SQL sqlglot cannot follow gets its
    schema only (logged), never a failed build.
    """
    props = manifest["nodes"][unique_id]
    built = columns.get(_relation(props))
    if not built:
        return {}
    metadata: dict[str, Any] = {
        "dagster/column_schema": TableSchema(columns=[TableColumn(name=name, type=data_type) for name, data_type in built])}
    if props["resource_type"] != "model":
        return metadata  # a seed is a loaded file: columns, no lineage
    dialect = manifest["metadata"]["adapter_type"]
    parents = {_relation(_parent_props(manifest, parent)): asset_key_of(parent) for parent in _direct_parents(manifest, unique_id)}
    sql_path = compiled_root / props["package_name"] / props["original_file_path"]
    try:
        deps = _column_deps(sql_path.read_text(), schema, parents, dialect)
    except Exception as why:  # sqlglot does not know every dialect feature; the build stands
        logger.warning(f"no column lineage for {unique_id}: {type(why).__name__}: {why}")
        return metadata
    # columns built but not named by the SQL (e.g. added by a materialisation) depend on nothing known
    by_column = {name: deps.get(name, []) for name, _ in built}
    metadata["dagster/column_lineage"] = TableColumnLineage(deps_by_column=by_column)
    # the open-source UI draws no column lineage (a Dagster+ view): the same as a table it shows
    metadata["column_lineage"] = MetadataValue.md(lineage_markdown(by_column))
    return metadata


def lineage_markdown(deps_by_column: Mapping[str, list[TableColumnDep]]) -> str:
    """Column lineage as a Markdown table: each column and the parent columns it is computed from."""
    rows = ["| column | computed from |", "|---|---|"]
    for column, deps in deps_by_column.items():
        parents = ", ".join(f"{dep.asset_key.to_user_string()}.{dep.column_name}" for dep in deps)
        rows.append(f"| {column} | {parents or '(no column: a constant or a count)'} |")
    return "\n".join(rows)

