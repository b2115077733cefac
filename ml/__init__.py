"""Pure machine-learning code of Loyalist.

Everything in this package takes DataFrames or arrays and returns DataFrames or arrays: no
database connections, file paths, clocks, environment variables or printing. Orchestration
(``orchestration/``) reads the marts, calls these functions and writes the results back.
"""
