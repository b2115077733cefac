{#
    Identifier normalisation shared by every staging model that carries an e-mail or a phone.
#}

{% macro digits_only(expression) -%}
    {{ return(adapter.dispatch('digits_only', 'loyalist')(expression)) }}
{%- endmacro %}

{# Spark and most engines replace every match by default. #}
{% macro default__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]', '')
{%- endmacro %}

{# DuckDB replaces only the first match unless told 'g'. #}
{% macro duckdb__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]', '', 'g')
{%- endmacro %}

{#
    A phone as digits with the country code: '+48 502 133 360', '502133360' and '0048502133360'
    all become '48502133360'. National numbers (9 digits) get var('default_phone_country_code').
    Empty input gives null.
#}
{% macro normalize_phone(expression) -%}
    {%- set digits = digits_only(expression) -%}
    case
        when {{ digits }} = '' then null
        -- '00' is the international prefix only on numbers longer than a national one ('000000000' is junk, kept)
        when {{ digits }} like '00%' and length({{ digits }}) > 11 then substr({{ digits }}, 3)
        when length({{ digits }}) = 9
            then {{ dbt.concat(["'" ~ var('default_phone_country_code') ~ "'", digits]) }}
        else {{ digits }}
    end
{%- endmacro %}

{# E-mails compare case-insensitively and arrive with stray whitespace. #}
{% macro normalize_email(expression) -%}
    case when trim({{ expression }}) = '' then null else lower(trim({{ expression }})) end
{%- endmacro %}

{#
    A name (or a city, a street) as compared: trimmed, lower-cased, Polish and other Latin diacritics
    folded to their base letter ('  Łódź ' -> 'lodz', 'Müller' -> 'muller'), empty -> null. One
    translate() (DuckDB and Spark alike) after lower(), which is Unicode-aware on both, so only the
    lower-case letters are listed; the lists are paired here so the two strings cannot drift apart.
    Letters that fold to two ('ß', 'æ') are kept as they are: translate maps one character to one.
#}
{% macro fold_name(expression) -%}
    {{ return(adapter.dispatch('fold_name', 'loyalist')(expression)) }}
{%- endmacro %}

{#
    DuckDB: strip_accents() does the decomposable letters ten times faster than a long translate()
    (which costs seconds per million names); the few letters with no decomposition ('ł', 'đ', 'ø',
    'ı') are translated. Same result for every letter the portable version lists.
#}
{% macro duckdb__fold_name(expression) -%}
    nullif(translate(strip_accents(lower(trim({{ expression }}))), 'łđøı', 'ldoi'), '')
{%- endmacro %}

{% macro default__fold_name(expression) -%}
    {%- set letters = [
        ('a', 'ąàáâãäåāă'), ('c', 'ćçč'), ('d', 'ďđ'), ('e', 'ęèéêëēėěĕ'), ('g', 'ğ'), ('i', 'ìíîïīı'),
        ('l', 'łľĺ'), ('n', 'ńñň'), ('o', 'óòôõöøōő'), ('r', 'řŕ'), ('s', 'śšşș'), ('t', 'ťţț'),
        ('u', 'ùúûüūůű'), ('y', 'ýÿ'), ('z', 'źżž'),
    ] -%}
    {%- set folded = namespace(accented='', plain='') -%}
    {%- for plain, accented in letters -%}
        {%- set folded.accented = folded.accented ~ accented -%}
        {%- set folded.plain = folded.plain ~ (plain * (accented | length)) -%}
    {%- endfor -%}
    nullif(translate(lower(trim({{ expression }})), '{{ folded.accented }}', '{{ folded.plain }}'), '')
{%- endmacro %}
