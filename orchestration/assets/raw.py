"""Raw data assets: the retailer's source tables in the warehouse's raw schema."""


from dagster import AssetExecutionContext, AssetKey, AssetSpec, Config, MaterializeResult, multi_asset

from orchestration import project, settings
from orchestration.demo import RAW_SOURCE, install_demo, raw_schema
from orchestration.warehouse import WarehouseResource, row_count, table_exists

__all__ = ["DemoDataConfig", "demo_raw_data", "RAW_SPECS"]

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
    """How big the generated demo retailer is, and whether to replace raw data already loaded."""

    people: int = settings.DEFAULT_DEMO_PEOPLE
    seed: int = settings.DEFAULT_DEMO_SEED
    regenerate: bool = False


@multi_asset(specs=RAW_SPECS, name="demo_raw_data")
def demo_raw_data(context: AssetExecutionContext, config: DemoDataConfig, warehouse: WarehouseResource):
    """Raw tables of the synthetic omnichannel retailer (the embedded default data).

    When the warehouse has no raw data yet (or ``regenerate`` is set), generates the demo retailer
    with ``people`` and ``seed`` and loads every table in one transaction; otherwise keeps what is
    there, so data loaded by ``loyalist demo`` is never overwritten by a default run.
    """
    schema = raw_schema()
    names = [spec.key.path[-1] for spec in RAW_SPECS]
    with warehouse.connect() as con:
        present = all(table_exists(con, f"{schema}.{name}") for name in names)
        counts = {name: row_count(con, f"{schema}.{name}") for name in names} if present else {}
    if present and not config.regenerate:
        origin = "kept (already in the warehouse)"
    else:
        context.log.info(f"generating the demo retailer: {config.people:,} people, seed {config.seed}")
        counts = install_demo(warehouse, people=config.people, seed=config.seed, progress=False)
        origin = f"generated: {config.people:,} people, seed {config.seed}"
    for spec in RAW_SPECS:
        yield MaterializeResult(
            asset_key=spec.key,
            metadata={"dagster/row_count": counts[spec.key.path[-1]], "origin": origin},
        )
