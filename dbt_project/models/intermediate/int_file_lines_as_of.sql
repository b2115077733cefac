{#
    The sales and returns of loaded files before as_of: the one place that cuts file-loaded lines at
    the run's as_of and leaves out stock write-offs, for every model that reads them as customer events.
#}

select * from {{ ref('stg_transactions__lines') }}
where line_type in ('sale', 'return')
    and {{ before_as_of('ordered_at') }}
