"""--format customers: customer records of a CRM or loyalty system into raw.customer_records, and
their dbt staging view stg_customers__records (folded names, typed dates, latest batch per key)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from ingest_testkit import batches, raw_counts, refused_load_line, warehouse_raw_counts, write_csv

from ingest.errors import LoadError
from ingest.load import load_file
from ingest.raw_schema import ensure_raw_schema
from orchestration.cli import main
from orchestration.settings import REPO_ROOT

#: Splink's two synthetic fake_1000 person files, shared beside the repository and never copied into it.
SPLINK = REPO_ROOT.parent / "shared" / "data" / "splink_fake_1000"
FAKE_1000 = (SPLINK / "splink_datasets_fake_1000.parquet", SPLINK / "fake_1000_from_splink_demos.parquet")
needs_fake_1000 = pytest.mark.skipif(
    not all(path.exists() for path in FAKE_1000), reason=f"reference files in {SPLINK} not present"
)

#: The flags of the documented command, exactly as a user types them.
FAKE_1000_FLAGS = ["--map", "key=unique_id", "--map", "first_name=first_name", "--map", "surname=surname",
                   "--map", "dob=dob", "--map", "email=email", "--map", "city=city"]
RAW_COLUMNS = ["_batch_id", "_source_row", "source", "record_key", "full_name", "first_name", "surname", "dob",
               "email", "phone", "street", "city", "postcode"]

CRM_HEADER = ["id", "name", "born", "mail", "tel", "street", "town", "zip"]
CRM_ROWS = [
    ["17", "  Łukasz Żółć-Kowalski ", "1984-02-29", " Lukasz.Z@Example.PL ", "+48 502 133 360",
     "ul. Świętokrzyska 5", "ŁÓDŹ", "90-001 "],
    ["18.0", "Jan", "29/02/1984", "", "", "", "Kraków", "sw1a 1aa"],
    ["C-19", "Anna  Maria Nowak", "not a date", "anna@example.com", "", "", "", ""],
]
CRM_MAP = {"key": "id", "full_name": "name", "dob": "born", "email": "mail", "phone": "tel", "street": "street",
           "city": "town", "postcode": "zip"}


def customer_rows(con: duckdb.DuckDBPyConnection, batch_id: int | None = None) -> list[dict]:
    """raw.customer_records as dicts in (batch, row) order, optionally of one batch."""
    where = "" if batch_id is None else f"where _batch_id = {int(batch_id)}"
    cursor = con.execute(f"select * from raw.customer_records {where} order by _batch_id, _source_row")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _map_flags(mapping: dict[str, str]) -> list[str]:
    return [flag for target, column in mapping.items() for flag in ("--map", f"{target}={column}")]


def _read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse), read_only=True)


# --- loading ----------------------------------------------------------------------------------


@needs_fake_1000
def test_both_fake_1000_files_load_through_the_cli_with_the_documented_flags(cli_env, capsys):
    for path in FAKE_1000:
        assert main(["load", "--format", "customers", str(path), *FAKE_1000_FLAGS]) == 0
    out = capsys.readouterr().out
    assert "1,000 rows appended to raw.customer_records (customers, source customers)" in out

    with _read_only(cli_env) as con:
        columns = [r[0] for r in con.execute("describe raw.customer_records").fetchall()]
        types = {r[1] for r in con.execute("describe raw.customer_records").fetchall() if not r[0].startswith("_")}
        logged = batches(con)
        for batch, path in zip(logged, FAKE_1000, strict=True):
            rows = customer_rows(con, batch["batch_id"])
            expected = pd.read_parquet(path)
            assert (batch["format"], batch["source"], batch["row_count"]) == ("customers", "customers", 1000)
            assert len(rows) == 1000
            # an integer id column loads as '1', never '1.0'; values are kept as read (trailing spaces too)
            assert [r["record_key"] for r in rows] == [str(k) for k in expected["unique_id"]]
            assert [r["first_name"] for r in rows] == [None if pd.isna(v) else v for v in expected["first_name"]]
            assert [r["dob"] for r in rows] == list(expected["dob"])
            assert {r["full_name"] for r in rows} == {None} and {r["phone"] for r in rows} == {None}
    assert columns == RAW_COLUMNS  # cluster (unmapped) is not loaded
    assert types == {"VARCHAR"}


def test_the_customer_table_exists_empty_before_any_customer_file(db):
    ensure_raw_schema(db)

    assert raw_counts(db)["customer_records"] == 0
    described = db.execute("describe raw.customer_records").fetchall()
    assert [r[0] for r in described] == RAW_COLUMNS
    assert [r[1] for r in described[2:]] == ["VARCHAR"] * (len(RAW_COLUMNS) - 2)


def test_a_yaml_mapping_file_sets_columns_and_source(tmp_path, cli_env, capsys):
    path = write_csv(tmp_path / "crm.csv", CRM_HEADER, CRM_ROWS, delimiter=";")
    mapping = tmp_path / "crm.yml"
    mapping.write_text("source: crm_pl\ncolumns:\n" + "".join(f"  {t}: {c}\n" for t, c in CRM_MAP.items()))

    assert main(["load", "--format", "customers", "--mapping", str(mapping), str(path)]) == 0

    assert "3 rows appended to raw.customer_records (customers, source crm_pl)" in capsys.readouterr().out
    with _read_only(cli_env) as con:
        first, second, third = customer_rows(con)
        (batch,) = batches(con)
    assert first == {
        "_batch_id": 1, "_source_row": 1, "source": "crm_pl", "record_key": "17",
        "full_name": "  Łukasz Żółć-Kowalski ", "first_name": None, "surname": None, "dob": "1984-02-29",
        "email": " Lukasz.Z@Example.PL ", "phone": "+48 502 133 360", "street": "ul. Świętokrzyska 5",
        "city": "ŁÓDŹ", "postcode": "90-001 ",
    }
    # the key loses the float artefact like a transaction's customer key; empty fields are NULL
    assert (second["record_key"], second["email"], second["street"]) == ("18", None, None)
    assert (third["record_key"], third["dob"]) == ("C-19", "not a date")
    assert '"mapping": {"city": "town"' in batch["options"] and '"mapping_file"' in batch["options"]


def test_source_flag_overrides_the_default_and_unmapped_targets_are_null(tmp_path, db):
    path = write_csv(tmp_path / "crm.csv", CRM_HEADER, CRM_ROWS)

    result = load_file(db, "customers", path, mapping={"key": "id", "email": "mail"}, source="loyalty_app")

    assert (result.format, result.source, result.rows, result.tables) == (
        "customers", "loyalty_app", 3, {"customer_records": 3})
    rows = customer_rows(db)
    assert [r["source"] for r in rows] == ["loyalty_app"] * 3
    assert {r["full_name"] for r in rows} == {None} and {r["city"] for r in rows} == {None}


def test_a_full_name_only_mapping_loads_the_full_name_and_leaves_the_parts_null(tmp_path, db):
    path = write_csv(tmp_path / "names.csv", ["id", "name"], [["1", "Zoë Ångström"], ["2", ""]])

    load_file(db, "customers", path, mapping={"key": "id", "full_name": "name"})

    assert [(r["record_key"], r["full_name"], r["first_name"], r["surname"]) for r in customer_rows(db)] == [
        ("1", "Zoë Ångström", None, None), ("2", None, None, None)]


def test_the_same_file_twice_is_a_no_op_and_another_file_is_a_new_batch(tmp_path, db):
    path = write_csv(tmp_path / "crm.csv", CRM_HEADER, CRM_ROWS)
    again = tmp_path / "copy_of_crm.csv"
    again.write_bytes(path.read_bytes())
    later = write_csv(tmp_path / "crm_2.csv", CRM_HEADER, [["17", "Łukasz Żółć", "", "", "", "", "Gdańsk", ""]])

    first = load_file(db, "customers", path, mapping=CRM_MAP)
    repeat = load_file(db, "customers", again, mapping=CRM_MAP)
    second = load_file(db, "customers", later, mapping=CRM_MAP)

    assert (repeat.already_loaded, repeat.batch_id, repeat.rows, repeat.tables) == (
        True, first.batch_id, 0, {"customer_records": 0})
    assert (second.already_loaded, second.batch_id, second.rows) == (False, 2, 1)
    assert raw_counts(db)["customer_records"] == 4 and [b["file_name"] for b in batches(db)] == [
        "crm.csv", "crm_2.csv"]


# --- refused loads ----------------------------------------------------------------------------

NAMES = ["id", "first", "last"]
NAME_ROWS = [["1", "Anna", "Nowak"], ["2", "Jan", "Kowalski"], ["3", "Ewa", "Lis"], ["4", "Olaf", "Berg"]]
NAME_MAP = ["--map", "key=id", "--map", "first_name=first", "--map", "surname=last"]
# The refused files differ from the loaded one: a file already loaded is a no-op before any check.
CASE_ROWS = NAME_ROWS + [["5", "Iga", "Wąs"]]


# Each case builds its file in a folder and returns (argv after `load`, fragments the message must hold).
def case_key_not_mapped(d: Path):
    write_csv(d / "crm.csv", NAMES, CASE_ROWS)
    return (["--format", "customers", "--map", "first_name=first", str(d / "crm.csv")],
            ["crm.csv", "no column mapped for key", "--map TARGET=COLUMN", "optional: full_name, first_name"])


def case_unknown_target(d: Path):
    write_csv(d / "crm.csv", NAMES, CASE_ROWS)
    return (["--format", "customers", *NAME_MAP, "--map", "nickname=first", str(d / "crm.csv")],
            ["crm.csv", "unknown --map target 'nickname'",
             "targets: key, full_name, first_name, surname, dob, email, phone, street, city, postcode",
             "required: key and one or more of the others"])


def case_unknown_target_in_a_mapping_file(d: Path):
    write_csv(d / "crm.csv", NAMES, CASE_ROWS)
    (d / "crm.yml").write_text("columns:\n  key: id\n  customer: first\n")
    return (["--format", "customers", "--mapping", str(d / "crm.yml"), str(d / "crm.csv")],
            ["crm.yml", "unknown mapping target 'customer'", "targets: key, full_name"])


def case_mapped_column_not_in_file(d: Path):
    write_csv(d / "crm.csv", NAMES, CASE_ROWS)
    return (["--format", "customers", *NAME_MAP, "--map", "email=mail", str(d / "crm.csv")],
            ["crm.csv", "column 'mail'", "(for email) is not in the file", "columns found: 'id', 'first', 'last'"])


def case_no_attribute_besides_the_key(d: Path):
    write_csv(d / "crm.csv", NAMES, CASE_ROWS)
    return (["--format", "customers", "--map", "key=id", str(d / "crm.csv")],
            ["crm.csv", "no column mapped besides key",
             "map at least one of full_name, first_name, surname, dob, email, phone, street, city, postcode"])


def case_empty_key(d: Path):
    rows = [list(r) for r in CASE_ROWS]
    rows[2][0] = ""
    write_csv(d / "crm.csv", NAMES, rows)
    return (["--format", "customers", *NAME_MAP, str(d / "crm.csv")],
            ["crm.csv: row 3, column 'id': the record key is empty"])


def case_blank_key(d: Path):
    rows = [list(r) for r in CASE_ROWS]
    rows[1][0] = "   "
    write_csv(d / "crm.csv", NAMES, rows)
    return (["--format", "customers", *NAME_MAP, str(d / "crm.csv")],
            ["crm.csv: row 2, column 'id': the record key is empty"])


def case_null_key_in_parquet(d: Path):
    frame = pd.DataFrame({"id": pd.array([1, 2, None, 4], dtype="Int64"), "first": ["a", "b", "c", "d"],
                          "last": ["e", "f", "g", "h"]})
    frame.to_parquet(d / "crm.parquet")
    return (["--format", "customers", *NAME_MAP, str(d / "crm.parquet")],
            ["crm.parquet: row 3, column 'id': the record key is empty"])


def case_duplicate_key(d: Path):
    rows = [list(r) for r in CASE_ROWS]
    rows[3][0] = "2"
    write_csv(d / "crm.csv", NAMES, rows)
    return (["--format", "customers", *NAME_MAP, str(d / "crm.csv")],
            ["crm.csv: row 4, column 'id': record key '2' is on rows 2 and 4", "unique within a file"])


def case_duplicate_key_written_two_ways(d: Path):
    # '2.0' is loaded as '2' and ' 2' staged as '2': one key, whichever way the export spelled it
    rows = [list(r) for r in CASE_ROWS]
    rows[0][0], rows[2][0] = "2.0", " 2"
    write_csv(d / "crm.csv", NAMES, rows)
    return (["--format", "customers", *NAME_MAP, str(d / "crm.csv")],
            ["crm.csv: row 2, column 'id': record key '2' is on rows 1 and 2"])


def case_timestamp_format(d: Path):
    write_csv(d / "crm.csv", NAMES, CASE_ROWS)
    return (["--format", "customers", *NAME_MAP, "--timestamp-format", "%d.%m.%Y", str(d / "crm.csv")],
            ["crm.csv", "--timestamp-format", "does not apply to --format customers"])


CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]


@pytest.fixture()
def loaded_warehouse(tmp_path, cli_env, capsys):
    """A warehouse already holding one customer batch, so that 'nothing written' is checked against real rows."""
    good = write_csv(tmp_path / "good.csv", NAMES, NAME_ROWS)
    assert main(["load", "--format", "customers", *NAME_MAP, str(good)]) == 0
    capsys.readouterr()
    return cli_env


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__.removeprefix("case_"))
def test_a_refused_customer_load_prints_one_line_exits_2_and_writes_nothing(case, tmp_path, loaded_warehouse, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    argv, fragments = case(folder)
    before = warehouse_raw_counts(loaded_warehouse)

    line = refused_load_line(argv, capsys)

    for fragment in fragments:
        assert fragment in line
    assert warehouse_raw_counts(loaded_warehouse) == before
    assert before["customer_records"] == len(NAME_ROWS) and before["load_batches"] == 1


def test_a_repeated_key_error_carries_the_file_row_and_column(tmp_path, db):
    path = write_csv(tmp_path / "crm.csv", NAMES, [["7", "a", "b"], ["8", "c", "d"], ["7", "e", "f"]])

    with pytest.raises(LoadError) as refused:
        load_file(db, "customers", path, mapping={"key": "id", "first_name": "first"})

    assert (refused.value.file, refused.value.row, refused.value.column) == (str(path), 3, "id")
    assert "rows 1 and 3" in refused.value.message
    assert db.execute("select count(*) from raw.load_batches").fetchall() == [(0,)]


# --- staging ----------------------------------------------------------------------------------


def _dbt_build(warehouse: Path, target: Path) -> None:
    """Build stg_customers__records (and its tests) into ``warehouse`` with the project's dbt."""
    from orchestration.project import dbt_executable, dbt_project

    done = subprocess.run(
        [dbt_executable(), "build", "--select", "stg_customers__records", "source:retail.customer_records",
         "--target-path", str(target)],
        cwd=dbt_project.project_dir,
        env={**os.environ, "LOYALIST_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """A warehouse with a Polish CRM export (batch 1), its re-export (batch 2) and fake_1000 loaded, and
    the staging view built."""
    root = tmp_path_factory.mktemp("customers_staged")
    warehouse = root / "loyalist.duckdb"
    crm = write_csv(root / "crm.csv", CRM_HEADER, CRM_ROWS)
    # the CRM's next export: record 17 moved, record C-19 is unchanged, record 20 is new
    reexport = write_csv(root / "crm_later.csv", CRM_HEADER, [
        ["17", "Łukasz Żółć-Kowalski", "1984-02-29", "lukasz.z@example.pl", "0048 502-133-360", " Długa 1 ",
         "Gdańsk", "80-827"],
        CRM_ROWS[2],
        ["20", "Ola", "", "", "", "", "", ""],
    ])
    with duckdb.connect(str(warehouse)) as con:
        load_file(con, "customers", crm, mapping=CRM_MAP, source="crm_pl")
        load_file(con, "customers", reexport, mapping=CRM_MAP, source="crm_pl")
        if FAKE_1000[0].exists():
            load_file(con, "customers", FAKE_1000[0], mapping={
                "key": "unique_id", "first_name": "first_name", "surname": "surname", "dob": "dob", "email": "email",
                "city": "city"})
    _dbt_build(warehouse, root / "target")
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def _staged_rows(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, dict]:
    cursor = con.execute("select * from pii.stg_customers__records where source = ? order by record_key", [source])
    names = [d[0] for d in cursor.description]
    return {row[names.index("record_key")]: dict(zip(names, row)) for row in cursor.fetchall()}


@needs_fake_1000
def test_staging_normalises_the_fake_1000_records(staged):
    rows = _staged_rows(staged, "customers")
    raw = pd.read_parquet(FAKE_1000[0]).set_index("unique_id")

    assert len(rows) == 1000 and len({r["record_id"] for r in rows.values()}) == 1000
    assert rows["0"]["record_id"] == "customers:0"
    for key, row in rows.items():
        given = raw.loc[int(key)]
        assert row["first_name"] == (None if pd.isna(given["first_name"]) else given["first_name"].strip().lower())
        assert row["email"] == (None if pd.isna(given["email"]) else given["email"].strip().lower())
        assert row["dob"] == pd.Timestamp(given["dob"]).date()  # a DATE, not text
        assert row["birth_year"] == row["dob"].year
    assert all(r["full_name"] == f"{r['first_name']} {r['surname']}" for r in rows.values()
               if r["first_name"] and r["surname"])
    types = dict(staged.execute("select column_name, data_type from information_schema.columns "
                                "where table_schema = 'pii' and table_name = 'stg_customers__records'").fetchall())
    assert (types["dob"], types["birth_year"], types["record_id"]) == ("DATE", "INTEGER", "VARCHAR")


def test_staging_folds_names_splits_full_names_and_normalises_contacts(staged):
    rows = _staged_rows(staged, "crm_pl")

    lukasz, jan, anna = rows["17"], rows["18"], rows["C-19"]
    assert (lukasz["record_id"], lukasz["full_name"], lukasz["first_name"], lukasz["surname"]) == (
        "crm_pl:17", "lukasz zolc-kowalski", "lukasz", "zolc-kowalski")
    assert (lukasz["email"], lukasz["phone"], lukasz["street"], lukasz["city"], lukasz["postcode"]) == (
        "lukasz.z@example.pl", "48502133360", "dluga 1", "gdansk", "80-827")
    # one word: a first name and no surname; a day-first date is not an ISO date
    assert (jan["first_name"], jan["surname"], jan["dob"], jan["birth_year"]) == ("jan", None, None, None)
    assert (jan["record_key"], jan["city"], jan["postcode"], jan["email"]) == ("18", "krakow", "SW1A1AA", None)
    # a double space inside the name still gives the last word
    assert (anna["first_name"], anna["surname"], anna["dob"]) == ("anna", "nowak", None)
    assert (rows["20"]["first_name"], rows["20"]["surname"], rows["20"]["full_name"]) == ("ola", None, "ola")


def test_staging_keeps_the_latest_batch_of_each_record(staged):
    rows = _staged_rows(staged, "crm_pl")

    # the re-export (batch 2) supersedes the first export: record 17 moved from Łódź to Gdańsk
    assert {key: row["load_batch_id"] for key, row in rows.items()} == {"17": 2, "18": 1, "C-19": 2, "20": 2}
    assert rows["17"]["city"] == "gdansk" and rows["17"]["source_row"] == 1
