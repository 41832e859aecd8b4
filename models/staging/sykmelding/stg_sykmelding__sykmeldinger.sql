with

source as (

    select * from {{ source('sykmelding', 'sykmeldinger') }}

),

renamed as (

    select
        ---------- ids
        sykmelding_id as sykmelding_id,
        fnr as fodselsnummer,
        orgnr as organisasjonsnummer,

        ---------- strings
        diagnosegruppe as diagnosegruppe,

        ---------- numerics
        cast(sykm_grad as {{ dbt.type_int() }}) as sykmeldingsgrad,

        ---------- dates
        cast(fom_dato as date) as fra_og_med_dato,
        cast(tom_dato as date) as til_og_med_dato,
        cast(endret_tid as {{ dbt.type_timestamp() }}) as endret_tidspunkt

    from source

)

select * from renamed
