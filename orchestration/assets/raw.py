"""The raw event log as Dagster assets: one asset per raw table, all written by the loaders."""


from dagster import AssetExecutionContext, AssetKey, AssetSpec, Config, Failure, MaterializeResult, multi_asset

from ingest.errors import LoadError
from ingest.raw_schema import BATCH_TABLE, RAW_SCHEMA, ensure_raw_schema
from orchestration import project, settings
from orchestration.demo import RAW_SOURCE, install_demo
from orchestration.inbox import load_inbox_files
from orchestration.warehouse import WarehouseResource, row_count

__all__ = ["DemoDataConfig", "raw_data", "RAW_SPECS"]

# One spec per table of the dbt source, keyed by the source's meta.dagster.asset_key: the dbt
# staging models then hang off these assets without any hand-typed key.
RAW_SPECS = [
    AssetSpec(
        key=AssetKey(table["meta"]["dagster"]["asset_key"]),
        description=table.get("description") or None,
        group_name="raw",
        kinds={"python", "duckdb"},
        owners=["team:data-engineering"],
        metadata={"dagster/table_name": f"{table['schema']}.{table['identifier']}"},
    )
    for table in project.source_tables(RAW_SOURCE)
]


class DemoDataConfig(Config):
    """Size and seed of the demo retailer loaded into a warehouse that has no data yet, and the
    inbox files to load first (path -> format; the sensor ``inbox_files`` fills this in)."""

    people: int = settings.DEFAULT_DEMO_PEOPLE
    seed: int = settings.DEFAULT_DEMO_SEED
    inbox_files: dict[str, str] = {}


@multi_asset(specs=RAW_SPECS, name="raw_data")
def raw_data(context: AssetExecutionContext, config: DemoDataConfig, warehouse: WarehouseResource):
    """The append-only raw event log: every load batch so far (``loyalist load``, the inbox, the demo).

    Files the inbox sensor passed in (``inbox_files``) are loaded first, one batch each, and moved
    to ``loaded/`` (orchestration.inbox); a bad file fails the run with its row and column named and
    stays in the inbox. A warehouse with no load batch at all then gets the demo retailer
    (``people``, ``seed``) as its first batch, which is what ``make run`` does on a fresh clone; a
    warehouse holding any batch is left as it is, so a user's own data never gets demo rows mixed
    in. Reports each table's rows and batches.
    """
    with warehouse.connect() as con:
        ensure_raw_schema(con)
        try:
            for line in load_inbox_files(con, config.inbox_files):
                context.log.info(f"inbox: {line}")
        except (LoadError, ValueError) as error:
            raise Failure(description=f"inbox: {error}") from None
        batches = row_count(con, f"{RAW_SCHEMA}.{BATCH_TABLE}")
    if batches == 0:
        context.log.info(f"no data loaded yet: loading the demo retailer ({config.people:,} people, seed {config.seed})")
        loaded = install_demo(warehouse, people=config.people, seed=config.seed, progress=False)
        origin = f"demo loaded as batch {loaded.batch_id}: {config.people:,} people, seed {config.seed}"
    else:
        origin = f"kept: {batches} load batch(es) already in the warehouse"
    with warehouse.connect(read_only=True) as con:
        counts = {spec.key.path[-1]: row_count(con, f"{RAW_SCHEMA}.{spec.key.path[-1]}") for spec in RAW_SPECS}
    for spec in RAW_SPECS:
        yield MaterializeResult(
            asset_key=spec.key,
            # load_batches is one of the raw tables: its row count is the number of batches
            metadata={"dagster/row_count": counts[spec.key.path[-1]], "load_batches": counts[BATCH_TABLE], "origin": origin},
        )
