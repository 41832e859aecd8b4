{#-
    Small-cell suppression ("prikking") of an aggregated table, as one select statement.

    Primary: a cell whose count is below the threshold (var suppression_threshold, default 5) or null is suppressed
    ('PRIMAER'). Secondary: a published table with known totals per group (each entry of `margins` is one way of
    grouping, e.g. [kvartal, naering_hovedomraade] = the total per quarter and industry) would give away a single
    suppressed cell by subtraction (total minus the published cells); so in every group with exactly one suppressed
    cell the unsuppressed cell with the smallest count (ties: the dimension values in order) is suppressed as well
    ('SEKUNDAER'). Each pass handles one margin, in turn (one at a time suppresses less than all at once), and passes
    repeat since one new suppression can leave another group with a single one. Cells alone in a group of another
    margin are chosen last (their value is that group's total).
    Each pass is two portable CTEs (window functions, no recursion), so the statement runs unchanged on DuckDB,
    PostgreSQL and BigQuery. After `passes` passes, any block still unsafe (the dimensions all margins share, e.g. one
    quarter) is suppressed whole ('SEKUNDAER'): the guarantee holds whatever the number of passes.

    Suppressed cells keep their dimensions; the count and every measure are null, and `prikket` says why.
    Limit: a cell alone in its group equals that group's total, so when it is suppressed the total must not be
    published either. For a primary cell the same threshold on the totals table hides it; a lone cell is taken as a
    secondary complement only when its group has no other candidate.
-#}
{%- macro suppress_small_cells(relation, count_column, margins, measures=[], threshold=none, passes=12) -%}
    {%- set threshold = threshold if threshold is not none else var('suppression_threshold', 5) -%}
    {%- if margins | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "suppress_small_cells in " ~ model.name ~ ": give at least one margin (a list of dimension columns whose"
            ~ " totals are published or known), e.g. margins=[['kvartal', 'fylkesnummer']]"
        ) }}
    {%- endif -%}
    {%- set dimensions = [] -%}
    {%- for margin in margins -%}
        {%- for column in margin -%}
            {%- if column not in dimensions -%}{%- do dimensions.append(column) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set block = [] -%}
    {%- for column in dimensions -%}
        {%- set shared = namespace(value=true) -%}
        {%- for margin in margins -%}
            {%- if column not in margin -%}{%- set shared.value = false -%}{%- endif -%}
        {%- endfor -%}
        {%- if shared.value -%}{%- do block.append(column) -%}{%- endif -%}
    {%- endfor -%}
    {%- set columns = (dimensions + [count_column] + measures) | join(', ') -%}
    {%- set carried = columns ~ ', prikk__alene' -%}
    {%- set suppressed = 'case when prikk__kode > 0 then 1 else 0 end' -%}
    {%- set tie_break = [] -%}
    {%- for column in dimensions -%}{%- do tie_break.append(column ~ ' nulls last') -%}{%- endfor -%}

    with

    prikk__pass_0 as (

        select
            {{ columns }},
            case when {{ count_column }} is null or {{ count_column }} < {{ threshold }} then 1 else 0 end as prikk__kode,
            {#- a cell alone in a group equals that group's total: a poor complement, chosen last #}
            case
                when
                    {%- for margin in margins %}
                    count(*) over (partition by {{ margin | join(', ') }}) = 1{{ ' or' if not loop.last }}
                    {%- endfor %}
                then 1
                else 0
            end as prikk__alene

        from {{ relation }}

    ),
    {%- for pass in range(1, passes + 1) %}
    {%- set margin = margins[(pass - 1) % (margins | length)] %}

    prikk__pass_{{ pass }}_vindu as (

        select
            {{ carried }},
            prikk__kode,
            sum({{ suppressed }}) over (partition by {{ margin | join(', ') }}) as prikk__antall,
            row_number() over (
                partition by {{ margin | join(', ') }}
                order by {{ suppressed }}, prikk__alene, {{ count_column }}, {{ tie_break | join(', ') }}
            ) as prikk__rang

        from prikk__pass_{{ pass - 1 }}

    ),

    prikk__pass_{{ pass }} as (

        select
            {{ carried }},
            case when prikk__kode = 0 and prikk__antall = 1 and prikk__rang = 1 then 2 else prikk__kode end as prikk__kode

        from prikk__pass_{{ pass }}_vindu

    ),
    {%- endfor %}

    prikk__sikring_vindu as (

        select
            {{ carried }},
            prikk__kode,
            {%- for margin in margins %}
            sum({{ suppressed }}) over (partition by {{ margin | join(', ') }}) as prikk__antall_{{ loop.index }},
            count(*) over (partition by {{ margin | join(', ') }}) as prikk__celler_{{ loop.index }}{{ ',' if not loop.last }}
            {%- endfor %}

        from prikk__pass_{{ passes }}

    ),

    prikk__sikring as (

        select
            {{ carried }},
            prikk__kode,
            max(
                case
                    when
                        {%- for margin in margins %}
                        (prikk__antall_{{ loop.index }} = 1 and prikk__celler_{{ loop.index }} >= 2){{ ' or' if not loop.last }}
                        {%- endfor %}
                    then 1
                    else 0
                end
            ) over ({{ ('partition by ' ~ block | join(', ')) if block }}) as prikk__usikker

        from prikk__sikring_vindu

    )

    select
        {%- for column in dimensions %}
        {{ column }},
        {%- endfor %}
        {%- for column in [count_column] + measures %}
        case when prikk__kode > 0 or prikk__usikker = 1 then null else {{ column }} end as {{ column }},
        {%- endfor %}
        case
            when prikk__kode = 1 then 'PRIMAER'
            when prikk__kode = 2 or prikk__usikker = 1 then 'SEKUNDAER'
        end as prikket

    from prikk__sikring
{%- endmacro -%}
