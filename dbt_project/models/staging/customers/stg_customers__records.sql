{#
    Customer records from CRM and loyalty-system files (`loyalist load --format customers`), one row
    per (source, record key): the row of the latest batch that holds the key, because each file is an
    export of the system as it was then, so a later export supersedes what an earlier one said.

    Names, streets and cities are folded (trimmed, lower-cased, diacritics removed: macro fold_name)
    so that 'Łukasz ' and 'lukasz' compare equal. A file that maps only full_name gets first_name and
    surname from its first and last word; one without full_name gets it from first_name and surname.
    A date of birth that is not an ISO date (YYYY-MM-DD) is null, not an error: the record still links
    by its other attributes. Restricted schema pii (names, dates of birth, contacts, addresses).
#}

with

records as (
    select * from {{ source('retail', 'customer_records') }}
),

-- the loader refuses a key twice in one file, so (source, key, batch) picks one row
latest as (
    select *
    from (
        select
            records.*,
            row_number() over (partition by source, trim(record_key) order by _batch_id desc) as load_rank
        from records
    ) as ranked
    where load_rank = 1
),

folded as (
    select
        source,
        trim(record_key) as record_key,
        _batch_id as load_batch_id,
        _source_row as source_row,
        {{ fold_name('full_name') }} as full_name_given,
        {{ fold_name('first_name') }} as first_name_given,
        {{ fold_name('surname') }} as surname_given,
        {{ parse_text('trim(dob)', 'date') }} as dob,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone') }} as phone,
        {{ fold_name('street') }} as street,
        {{ fold_name('city') }} as city,
        -- 'sw1a 1aa' and 'SW1A1AA' are one postcode; so are '00-950' and '00-950 '
        nullif(upper(replace(trim(postcode), ' ', '')), '') as postcode
    from latest
),

final as (
    select
        {{ dbt.concat(['source', "':'", 'record_key']) }} as record_id,
        source,
        record_key,
        load_batch_id,
        source_row,
        coalesce(
            full_name_given,
            {{ dbt.concat(['first_name_given', "' '", 'surname_given']) }},
            first_name_given,
            surname_given
        ) as full_name,
        coalesce(first_name_given, {{ dbt.split_part('full_name_given', "' '", 1) }}) as first_name,
        coalesce(
            surname_given,
            -- a one-word full name is a first name only: it must not double as the surname
            case
                when {{ dbt.split_part('full_name_given', "' '", 1) }} <> full_name_given
                    then {{ dbt.split_part('full_name_given', "' '", -1) }}
            end
        ) as surname,
        dob,
        cast(extract(year from dob) as integer) as birth_year,
        email,
        phone,
        street,
        city,
        postcode
    from folded
)

select * from final
