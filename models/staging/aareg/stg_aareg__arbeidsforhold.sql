with

source as (

    select * from {{ source('aareg', 'arbeidsforhold') }}

),

renamed as (

    select
        ---------- ids
        arbforhold_id as arbeidsforhold_id,
        fnr as fodselsnummer,
        orgnr as organisasjonsnummer,

        ---------- numerics
        cast(stillingspst as {{ dbt.type_numeric() }}) as stillingsprosent,

        ---------- dates
        cast(fom_dato as date) as fra_og_med_dato,
        cast(tom_dato as date) as til_og_med_dato,
        cast(endret_tid as {{ dbt.type_timestamp() }}) as endret_tidspunkt

    from source

)

select * from renamed
