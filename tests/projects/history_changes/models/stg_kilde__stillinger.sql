select
    cast(stilling_id as {{ dbt.type_string() }}) as stilling_id,
    cast(tittel as {{ dbt.type_string() }}) as tittel,
    cast(prosent as {{ dbt.type_int() }}) as stillingsprosent,
    cast(endret_tid as {{ dbt.type_timestamp() }}) as endret_tidspunkt,
    cast(endringstype as {{ dbt.type_string() }}) as endringstype
from {{ source('kilde', 'stillinger') }}
