"""--format demo and install_demo: ten tables as one batch, all or nothing, one demo per warehouse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_testkit import batches, raw_counts

from datagen.runner import generate
from datagen.schemas import RAW_SCHEMAS
from ingest.demo_folder import demo_fingerprint
from ingest.errors import LoadError
from ingest.load import load_demo, load_file
from ingest.raw_schema import DEMO_TABLES
from orchestration.cli import main
from orchestration.demo import install_demo
from orchestration.warehouse import WarehouseResource

PEOPLE, SEED = 300, 5


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A small demo with three part files per per-person table (read-only for the tests)."""
    folder = tmp_path_factory.mktemp("demo") / "demo-300"
    generate(folder, people=PEOPLE, seed=SEED, chunk_people=100, progress=False)
    return folder


def _copy(demo: Path, to: Path) -> Path:
    shutil.copytree(demo, to)
    return to


def test_a_demo_folder_loads_its_ten_tables_as_one_batch(demo, db):
    manifest = json.loads((demo / "manifest.json").read_text())

    result = load_demo(db, demo)

    expected = {t: manifest["rows"]["raw"][t] for t in DEMO_TABLES}
    assert (result.batch_id, result.format, result.source, result.file_name) == (1, "demo", "demo", "demo-300")
    assert (result.tables, result.rows, result.already_loaded) == (expected, sum(expected.values()), False)
    assert raw_counts(db) == {**expected, "transaction_lines": 0, "customer_records": 0, "load_batches": 1}
    (batch,) = batches(db)
    assert (batch["format"], batch["source"], batch["file_name"], batch["row_count"]) == (
        "demo", "demo", "demo-300", result.rows)
    parts = {t: sorted((demo / "raw" / t).glob("*.parquet")) for t in DEMO_TABLES}
    assert batch["file_hash"] == demo_fingerprint(demo, manifest, parts)
    options = json.loads(batch["options"])
    assert (options["people"], options["seed"], options["tables"]) == (PEOPLE, SEED, expected)


def test_source_rows_run_on_across_part_files_in_name_order(demo, db):
    load_demo(db, demo)

    for table in ("orders", "order_lines", "web_views"):
        files = sorted((demo / "raw" / table).glob("*.parquet"))
        assert len(files) == 3
        expected = pa.concat_tables([pq.read_table(f) for f in files])
        loaded = db.sql(f"select * exclude (_batch_id, _source_row) from raw.{table} order by _source_row"
                        ).to_arrow_table()
        assert loaded.column_names == RAW_SCHEMAS[table].names
        assert loaded.cast(expected.schema).equals(expected)
        ((first, last, distinct),) = db.execute(
            f"select min(_source_row), max(_source_row), count(distinct _source_row) from raw.{table}").fetchall()
        assert (first, last, distinct) == (1, expected.num_rows, expected.num_rows)


def test_the_same_demo_again_is_a_noop_even_from_a_copy(demo, tmp_path, db):
    load_demo(db, demo)
    before = raw_counts(db)

    again = load_demo(db, demo)
    copied = load_file(db, "demo", _copy(demo, tmp_path / "copy"))

    assert again.already_loaded and copied.already_loaded
    assert (again.batch_id, again.rows, copied.batch_id) == (1, 0, 1)
    assert raw_counts(db) == before


def test_a_regenerated_identical_demo_is_recognised_although_its_run_time_differs(demo, tmp_path, db):
    load_demo(db, demo)
    copy = _copy(demo, tmp_path / "copy")
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**manifest, "seconds": manifest["seconds"] + 9.5}, indent=2))

    assert load_demo(db, copy).already_loaded


def test_a_different_demo_is_refused_with_what_to_do(demo, tmp_path, db):
    load_demo(db, demo)
    before = raw_counts(db)
    other = tmp_path / "other"
    generate(other, people=120, seed=SEED, progress=False)

    with pytest.raises(LoadError) as error:
        load_demo(db, other)

    message = str(error.value)
    assert message.startswith(f"{other}: the warehouse already holds demo batch 1 (demo-300: 300 people, seed 5)")
    assert "LOYALIST_WAREHOUSE" in message and "make clean" in message
    assert raw_counts(db) == before


def test_a_corrupt_file_in_the_second_table_leaves_nothing(demo, tmp_path, db):
    broken = _copy(demo, tmp_path / "broken")
    assert DEMO_TABLES[:2] == ("products", "stores")
    (part,) = (broken / "raw" / "stores").glob("*.parquet")
    data = bytearray(part.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little") + 8
    data[4:-footer] = b"\xff" * (len(data) - footer - 4)  # pages destroyed, footer (row counts) intact
    part.write_bytes(bytes(data))

    with pytest.raises(LoadError, match="raw table 'stores'"):
        load_demo(db, broken)

    assert raw_counts(db) == {table: 0 for table in raw_counts(db)}
    assert batches(db) == []
    assert not load_demo(db, demo).already_loaded  # and the good demo still loads afterwards


def test_a_table_whose_files_disagree_with_the_manifest_is_refused(demo, tmp_path, db):
    partial = _copy(demo, tmp_path / "partial")
    (partial / "raw" / "orders" / "part-00002.parquet").unlink()

    with pytest.raises(LoadError, match="raw table 'orders': manifest.json says .* rows, the Parquet files hold"):
        load_demo(db, partial)
    assert batches(db) == []


def test_a_warehouse_from_before_the_raw_log_is_refused(demo, db):
    db.execute("create schema raw")
    db.execute("create table raw.orders as select 1 as order_id")

    with pytest.raises(LoadError, match=r"raw.orders has no _batch_id column: .* `make clean`"):
        load_demo(db, demo)


def test_install_demo_generates_once_appends_once_and_refuses_another_size(tmp_path):
    warehouse = WarehouseResource(path=str(tmp_path / "wh" / "loyalist.duckdb"))

    first = install_demo(warehouse, people=PEOPLE, seed=SEED, progress=False)
    again = install_demo(warehouse, people=PEOPLE, seed=SEED, progress=False)
    with pytest.raises(LoadError, match="already holds demo batch 1 .*300 people, seed 5.*: use a new warehouse"):
        install_demo(warehouse, people=150, seed=SEED, progress=False)

    assert (first.batch_id, first.already_loaded, again.batch_id, again.already_loaded) == (1, False, 1, True)
    manifest = json.loads((tmp_path / "wh" / "demo" / "manifest.json").read_text())
    assert manifest["people"] == PEOPLE  # refused before the loaded demo's files were replaced
    con = duckdb.connect(str(warehouse.resolved_path), read_only=True)
    try:
        assert raw_counts(con)["orders"] == manifest["rows"]["raw"]["orders"]
        assert len(batches(con)) == 1
    finally:
        con.close()


def test_a_demo_of_an_older_generator_is_regenerated_or_refused(tmp_path, monkeypatch):
    """After an upgrade the same people and seed make other data: never mix or silently reuse it."""
    import orchestration.demo as demo_module
    from datagen.common import GENERATOR_VERSION

    warehouse = WarehouseResource(path=str(tmp_path / "wh" / "loyalist.duckdb"))
    folder = tmp_path / "wh" / "demo"
    generate(folder, people=PEOPLE, seed=SEED, progress=False)
    manifest_path = folder / "manifest.json"
    stale = json.loads(manifest_path.read_text()) | {"generator_version": "0.9.0"}
    manifest_path.write_text(json.dumps(stale))
    # a cached folder of another generator version is written anew, not reused
    assert demo_module.generate_demo(folder, PEOPLE, SEED, progress=False)["generator_version"] == GENERATOR_VERSION

    install_demo(warehouse, people=PEOPLE, seed=SEED, progress=False)
    # pretend the loaded demo came from an older generator: the same call must now refuse, naming both
    with duckdb.connect(str(warehouse.resolved_path)) as con:
        con.execute("update raw.load_batches set options = replace(options, ?, '0.9.0')", [GENERATOR_VERSION])
    with pytest.raises(LoadError, match=rf"generator 0.9.0; this Loyalist generates version {GENERATOR_VERSION}.*make clean"):
        install_demo(warehouse, people=PEOPLE, seed=SEED, progress=False)


def test_the_demo_and_load_commands_report_the_batch(demo, cli_env, capsys):
    assert main(["demo", "--people", str(PEOPLE), "--seed", str(SEED), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("batch 1: demo: ")
    assert "rows appended to 10 raw tables (demo, source demo)" in out
    assert "raw.order_lines" in out

    assert main(["load", "--format", "demo", str(cli_env.parent / "demo")]) == 0
    assert capsys.readouterr().out == "demo: already loaded as batch 1: nothing appended\n"

    assert main(["demo", "--people", "100", "--seed", str(SEED), "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("loyalist demo: error: the warehouse already holds demo batch 1")
