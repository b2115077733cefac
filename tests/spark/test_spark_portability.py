"""Portability of the identity graph: the real connected_components macro (and the helper macros it
sits beside) gives the same result on Spark as on DuckDB, and both give the components a union-find
finds in Python.

The throwaway project (tests/spark/portability_project) gets, at test time, the repository's own
macros, its components model int_identifiers_clustered and its test
assert_identity_components_converged, so what runs is the code in dbt_project, never a copy. Spark is a
local SparkSession inside the dbt process (dbt-spark's `session` method), its warehouse and Derby
metastore under tmp_path; DuckDB is a file under tmp_path. Each engine runs one `dbt build`; an
on-run-end hook logs what the engine returns for the built tables.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
FIXTURE_PROJECT = Path(__file__).resolve().parent / "portability_project"
DBT = Path(sys.executable).parent / "dbt"
# the rounds the real project allows (var identity_max_iterations)
MAX_ROUNDS = int(yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text())["vars"]["identity_max_iterations"])

# (name, other name): diacritics folded by fold_name, distances and node ids (md5 of the UTF-8 bytes).
# The other names are plain ASCII.
NAME_SAMPLES = [
    ["  Łódź ", "Lodz"],
    ["Michał", "Michal"],
    ["Żaneta Ąę", "zaneta ae"],
    ["Jørgen", "Jurgen"],
    ["Wąsowicz-Gęś", "Wasowicz-Gess"],
    ["ĆWIKŁA", "cwikla"],
    ["Müller", "Mueller"],
    ["   ", "x"],
]
FOLDED = {
    "  Łódź ": "lodz", "Michał": "michal", "Żaneta Ąę": "zaneta ae", "Jørgen": "jorgen",
    "Wąsowicz-Gęś": "wasowicz-ges", "ĆWIKŁA": "cwikla", "Müller": "muller", "   ": None,
}

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime (17+)")


# --- the graph and what it must give --------------------------------------------------------------

def _node(kind: str, value: str) -> str:
    """A node id shaped like identity_node_id: '<type>:<16 hex digits of an md5>'."""
    return f"{kind}:{hashlib.md5(value.encode()).hexdigest()[:16]}"


def _graph() -> tuple[list[tuple[str, str]], list[str]]:
    """Undirected links and all nodes: a 40-node chain, a star, a cycle, a pair, isolated nodes."""
    rng = random.Random(0)
    kinds = ["email", "phone", "card", "account"]
    nodes = [_node(kinds[i % 4], f"person-{i}") for i in range(80)]
    links: list[tuple[str, str]] = []
    # chain of 40 in random id order (node ids are hashes); it needs a dozen rounds (test below)
    chain = nodes[:40]
    rng.shuffle(chain)
    links += list(zip(chain, chain[1:]))
    # star: one card held by twelve e-mails
    centre, leaves = nodes[40], nodes[41:53]
    links += [(centre, leaf) for leaf in leaves]
    # cycle of eight, in random order
    cycle = nodes[53:61]
    rng.shuffle(cycle)
    links += list(zip(cycle, cycle[1:] + cycle[:1]))
    links.append((nodes[61], nodes[62]))
    # nodes[63:80]: isolated (only their self-loop)
    return links, nodes


def _edges(links, nodes) -> list[tuple[str, str, str]]:
    """The edge list as int_identifier_edges_built leaves it: both directions and a self-loop per node,
    one row per reason (a pair linked deterministically and probabilistically appears twice)."""
    rows = {(node, node, node.split(":")[0]) for node in nodes}
    for left, right in links:
        rows |= {(left, right, left.split(":")[0]), (right, left, left.split(":")[0])}
    for left, right in links[:3]:
        rows |= {(left, right, "probabilistic"), (right, left, "probabilistic")}
    return sorted(rows)


def _union_find(links, nodes) -> dict[str, str]:
    """Every node's component, labelled by its smallest node id."""
    parent = {node: node for node in nodes}

    def find(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for left, right in links:
        a, b = find(left), find(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {node: find(node) for node in nodes}


def _rounds(edges) -> int:
    """The rounds connected_components runs on these edges (same propagation and pointer jumping, on
    the ids themselves: the macro's integer keys keep their order)."""
    neighbours = defaultdict(set)
    for node, neighbour, _ in edges:
        neighbours[node].add(neighbour)
    labels = {node: min(near) for node, near in neighbours.items()}
    for round_ in range(1, MAX_ROUNDS + 1):
        hop = {node: min(labels[n] for n in near) for node, near in neighbours.items()}
        moved = {node: min(label, labels[label]) for node, label in hop.items()}
        if moved == labels:
            return round_
        labels = moved
    return MAX_ROUNDS + 1


def _levenshtein(left: str, right: str) -> int:
    previous = list(range(len(right) + 1))
    for i, a in enumerate(left, 1):
        current = [i]
        for j, b in enumerate(right, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]


# --- the builds -----------------------------------------------------------------------------------

def _project(root: Path, edges) -> Path:
    project = root / "project"
    shutil.copytree(FIXTURE_PROJECT, project)
    shutil.copytree(DBT_PROJECT / "macros", project / "macros" / "loyalist")
    model = DBT_PROJECT / "models" / "intermediate" / "identity" / "int_identifiers_clustered.sql"
    shutil.copy(model, project / "models" / model.name)
    (project / "tests").mkdir()
    shutil.copy(DBT_PROJECT / "tests" / "assert_identity_components_converged.sql", project / "tests")
    (project / "seeds").mkdir()
    # named like the model it stands in for, so the real model and test ref() it unchanged
    with open(project / "seeds" / "int_identifier_edges_built.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["node_id", "neighbour_id", "link_type"])
        writer.writerows(edges)
    (root / "profiles.yml").write_text(json.dumps({"portability": {"target": "duckdb", "outputs": {
        "duckdb": {"type": "duckdb", "path": str(root / "portability.duckdb"), "schema": "main", "threads": 1},
        "spark": {
            "type": "spark", "method": "session", "host": "NA", "schema": "main", "threads": 1,
            "server_side_parameters": {
                "spark.master": "local[2]",
                "spark.sql.warehouse.dir": str(root / "spark-warehouse"),
                "spark.hadoop.javax.jdo.option.ConnectionURL":
                    f"jdbc:derby:;databaseName={root / 'metastore_db'};create=true",
                "spark.sql.shuffle.partitions": "2",
                "spark.ui.enabled": "false",
                "spark.driver.host": "127.0.0.1",
            },
        },
    }}}))
    return project


def _build(project: Path, target: str, max_rounds: int = MAX_ROUNDS) -> dict:
    """dbt build on one target: the process, the status of each node (run_results.json), the
    on-run-end dump and the rounds the macro logged."""
    run = f"{target}-{max_rounds}"
    logs, target_path = project.parent / f"logs-{run}", project.parent / f"target-{run}"
    result = subprocess.run(
        [str(DBT), "build", "--target", target, "--profiles-dir", str(project.parent),
         "--target-path", str(target_path), "--log-path", str(logs),
         "--log-format", "json",
         "--vars", json.dumps({"identity_max_iterations": max_rounds, "name_samples": NAME_SAMPLES})],
        cwd=project, capture_output=True, text=True, timeout=600,
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
             "PYSPARK_PYTHON": sys.executable},
    )
    messages = [json.loads(line)["info"]["msg"] for line in result.stdout.splitlines() if line.startswith("{")]
    dumps = [json.loads(m.split(" ", 1)[1]) for m in messages if m.startswith("PORTABILITY_RESULT ")]
    # the macro logs its round count at debug level: the file log has it
    file_messages = [json.loads(line)["info"]["msg"] for line in (logs / "dbt.log").read_text().splitlines()
                     if line.startswith("{")]
    rounds = [found.groups() for m in file_messages
              if (found := re.fullmatch(r"connected components: (\d+) rounds( \(not converged\))?", m))]
    run_results = target_path / "run_results.json"
    results = json.loads(run_results.read_text())["results"] if run_results.exists() else []
    return {"process": result, "statuses": {node["unique_id"]: node["status"] for node in results},
            "dump": dumps[0] if dumps else {}, "rounds": rounds}


@pytest.fixture(scope="module")
def graph():
    links, nodes = _graph()
    edges = _edges(links, nodes)
    return {"links": links, "nodes": nodes, "edges": edges,
            "components": _union_find(links, nodes), "rounds": _rounds(edges)}


@pytest.fixture(scope="module")
def builds(graph, tmp_path_factory):
    project = _project(tmp_path_factory.mktemp("portability"), graph["edges"])
    return {target: _build(project, target) for target in ("spark", "duckdb")} | {"project": project}


# --- the assertions -------------------------------------------------------------------------------

def test_fixture_graph_is_not_trivial(graph):
    components = set(graph["components"].values())
    assert len(graph["nodes"]) == 80 and len(components) == 1 + 1 + 1 + 1 + 17
    # the chain needs several rounds, so one round or a wrong pointer jump would show, and converges
    # within the project's identity_max_iterations
    assert 4 <= graph["rounds"] <= MAX_ROUNDS


@pytest.mark.parametrize("target", ["spark", "duckdb"])
def test_build_passes(builds, target):
    build = builds[target]
    process = build["process"]
    assert process.returncode == 0, process.stdout[-6000:] + process.stderr[-3000:]
    assert build["statuses"] == {
        "seed.loyalist.int_identifier_edges_built": "success",
        "model.loyalist.int_identifiers_clustered": "success",
        "model.loyalist.portable_helpers": "success",
        "test.loyalist.assert_identity_components_converged": "pass",
        "operation.loyalist.loyalist-on-run-end-0": "success",
    }
    assert build["dump"], "the on-run-end hook logged nothing"


@pytest.mark.parametrize("target", ["spark", "duckdb"])
def test_components_equal_union_find(builds, graph, target):
    rows = builds[target]["dump"]["int_identifiers_clustered"]
    assert len(rows) == len(graph["nodes"]), "one row per node"
    assert {node: component for node, component in rows} == graph["components"]


@pytest.mark.parametrize("target", ["spark", "duckdb"])
def test_rounds_converged_and_cleaned_up(builds, graph, target):
    assert builds[target]["rounds"] == [(str(graph["rounds"]), None)]
    # round tables, node numbering and the result table are all dropped
    assert builds[target]["dump"]["identity_tables"] == ["int_identifiers_clustered", "portable_helpers"]


def test_spark_equals_duckdb(builds):
    spark, duckdb_ = builds["spark"]["dump"], builds["duckdb"]["dump"]
    assert sorted(spark["int_identifiers_clustered"]) == sorted(duckdb_["int_identifiers_clustered"])
    assert sorted(spark["portable_helpers"]) == sorted(duckdb_["portable_helpers"])


@pytest.mark.parametrize("target", ["spark", "duckdb"])
def test_helper_macros(builds, target):
    dump = builds[target]["dump"]
    columns = ["name", "other", "folded_portable", "folded", "distance", "folded_distance", "node_id"]
    rows = {row[0]: dict(zip(columns, row)) for row in dump["portable_helpers"]}
    assert sorted(rows) == sorted(name for name, _ in NAME_SAMPLES)
    for name, other in NAME_SAMPLES:
        row = rows[name]
        # folded: fold_name as dispatched (DuckDB: its strip_accents fast path; Spark: the portable one)
        assert row["folded_portable"] == row["folded"] == FOLDED[name], row
        assert row["distance"] == str(_levenshtein(name, other)), row
        assert other.isascii()
        expected_folded = (None if FOLDED[name] is None
                           else str(_levenshtein(FOLDED[name], other.strip().lower())))
        assert row["folded_distance"] == expected_folded, row
        assert row["node_id"] == _node("email", name), row


def test_convergence_test_catches_too_few_rounds(builds, graph):
    """With fewer rounds than the chain needs, the macro says so and the project's test fails."""
    build = _build(builds["project"], "duckdb", max_rounds=2)
    assert build["rounds"] == [("2", " (not converged)")]
    assert build["process"].returncode != 0
    assert build["statuses"]["model.loyalist.int_identifiers_clustered"] == "success"
    assert build["statuses"]["test.loyalist.assert_identity_components_converged"] == "fail"
    assert build["dump"]["int_identifiers_clustered"] != builds["duckdb"]["dump"]["int_identifiers_clustered"]
