"""Dagster orchestration of Loyalist: dbt models and Python model assets over one DuckDB warehouse."""
