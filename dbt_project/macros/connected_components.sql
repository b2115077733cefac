{#
    Connected components of an undirected edge list (node_id, neighbour_id, with a self-loop per node),
    in plain SQL that DuckDB and Spark both run: min-label propagation with pointer jumping, one table
    per round, stopping as soon as a round moves no label (at most max_rounds rounds).

    Each round a node takes the smallest label among its neighbours, then the label of that label's
    node ("pointer jumping"). Labels are node ids, so the final label of every node is the smallest
    node id of its component. Identity components are small and star-shaped (a person's accounts,
    cards and contacts): 4 rounds on the demo, 7 at 1M people. The jump does not bound the rounds
    by log2 of a component's diameter, though: a long chain of links in a bad id order can take
    nearly as many rounds as it has nodes (tests/spark measures 8 to 37 for random 40-node chains),
    which the convergence test reports rather than hides.

    Runs its rounds with run_query while the model compiles (dbt compiles a node right before running
    it, so the edges exist) and leaves (node_id, component_id) in components_relation(), which the
    model selects from and drops in a post-hook. Outside `dbt run` / `dbt build` (parse, compile, docs)
    it does nothing and the model compiles to a placeholder select.
#}

{# Where connected_components leaves its result: a name fixed at parse time, for the post-hook. #}
{% macro components_relation() -%}
    {{ return(this.schema ~ '.' ~ this.identifier ~ '__components') }}
{%- endmacro %}

{% macro connected_components(edges, max_rounds) -%}
    {#- only when the model is built: `dbt compile`, `docs generate` or `show` must not create tables -#}
    {%- if not execute or flags.WHICH not in ('run', 'build') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set prefix = this.schema ~ '.' ~ this.identifier ~ '__round_' -%}
    {%- set result = components_relation() -%}
    {%- set nodes, int_edges = prefix ~ 'nodes', prefix ~ 'edges' -%}
    {%- for stale in [nodes, int_edges, prefix ~ '0', result] -%}
        {%- do run_query('drop table if exists ' ~ stale) -%}
    {%- endfor -%}
    {# Rounds join on integers, many times faster than on the long node ids; numbering the nodes in
       id order keeps "smallest label" meaning "smallest node id". The reason for a link does not
       matter here, only that it exists. #}
    {%- do run_query(
        'create table ' ~ nodes ~ ' as select node_id, row_number() over (order by node_id) as node_key
        from (select distinct node_id from ' ~ edges ~ ') as distinct_nodes') -%}
    {%- do run_query(
        'create table ' ~ int_edges ~ ' as select distinct from_node.node_key as node_id, to_node.node_key as neighbour_id
        from ' ~ edges ~ ' as edges
        inner join ' ~ nodes ~ ' as from_node on from_node.node_id = edges.node_id
        inner join ' ~ nodes ~ ' as to_node on to_node.node_id = edges.neighbour_id') -%}
    {%- set edges = int_edges -%}
    {%- do run_query(
        'create table ' ~ prefix ~ '0 as select node_id, min(neighbour_id) as component_id from '
        ~ edges ~ ' group by node_id') -%}
    {%- set state = namespace(last=0, done=false) -%}
    {%- for round in range(1, max_rounds + 1) if not state.done -%}
        {%- set previous = prefix ~ (round - 1) -%}
        {%- set current = prefix ~ round -%}
        {%- do run_query('drop table if exists ' ~ current) -%}
        {%- do run_query(
            'create table ' ~ current ~ ' as
            with hop as (
                select edges.node_id, min(labels.component_id) as component_id
                from ' ~ edges ~ ' as edges
                inner join ' ~ previous ~ ' as labels on labels.node_id = edges.neighbour_id
                group by edges.node_id
            )
            select hop.node_id, least(hop.component_id, coalesce(jump.component_id, hop.component_id)) as component_id
            from hop
            left join ' ~ previous ~ ' as jump on jump.node_id = hop.component_id') -%}
        {%- set moved = run_query(
            'select count(*) from ' ~ current ~ ' as current_labels
            inner join ' ~ previous ~ ' as previous_labels on previous_labels.node_id = current_labels.node_id
            where current_labels.component_id <> previous_labels.component_id').columns[0].values()[0] -%}
        {%- do run_query('drop table ' ~ previous) -%}
        {%- set state.last = round -%}
        {%- if moved == 0 -%}
            {%- set state.done = true -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do run_query(
        'create table ' ~ result ~ ' as select node.node_id, component.node_id as component_id
        from ' ~ prefix ~ state.last ~ ' as labels
        inner join ' ~ nodes ~ ' as node on node.node_key = labels.node_id
        inner join ' ~ nodes ~ ' as component on component.node_key = labels.component_id') -%}
    {%- for used in [nodes, int_edges, prefix ~ state.last] -%}
        {%- do run_query('drop table ' ~ used) -%}
    {%- endfor -%}
    {%- do log('connected components: ' ~ state.last ~ ' rounds' ~ ('' if state.done else ' (not converged)'), info=false) -%}
    {{ return(result) }}
{%- endmacro %}
