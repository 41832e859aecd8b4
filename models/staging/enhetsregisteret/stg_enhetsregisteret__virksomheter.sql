with

source as (

    select * from {{ source('enhetsregisteret', 'virksomheter') }}

),

renamed as (

    select
        ---------- ids
        orgnr as organisasjonsnummer,

        ---------- strings
        navn as virksomhetsnavn,
        naeringskode as naeringskode,
        kommunenr as kommunenummer

    from source

)

select * from renamed
