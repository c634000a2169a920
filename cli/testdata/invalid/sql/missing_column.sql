-- RFM from a file: the error must point here, not at the spec.
select customer_id,
       count(distinct order_id) as frequency,
       sum(amout) as monetary
from orders
group by customer_id
