{#
    The identity helper macros on a few names with diacritics (var name_samples, set by the test):
    the portable fold_name, fold_name as dispatched on this engine, edit_distance raw and folded,
    and identity_node_id.
#}
with

samples as (
    {%- for name, other in var('name_samples') %}
    select {{ as_text("'" ~ name ~ "'") }} as name, {{ as_text("'" ~ other ~ "'") }} as other
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
)

select
    name,
    other,
    {{ loyalist.default__fold_name('name') }} as folded_portable,
    {{ fold_name('name') }} as folded,
    {{ edit_distance('name', 'other') }} as distance,
    {{ edit_distance(fold_name('name'), fold_name('other')) }} as folded_distance,
    {{ identity_node_id("'email'", 'name') }} as node_id
from samples
