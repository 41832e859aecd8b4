{#- Generic model test: no two rows share the same values in all the given columns (the model's grain). -#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as antall
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
