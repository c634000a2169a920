// Package examples holds segrun's example material: the pipeline specs under pipelines/ and
// GenerateRetail, the seeded synthetic retail dataset behind `segrun demo` and `make bench`.
//
// # The retail dataset
//
// GenerateRetail writes two CSV files. customers.csv has customer_id (1..N), signup_date, country,
// channel (web, app, store), birth_year (empty for about 5%), email_opt_in and email (made from the id;
// every seventh with capitals and a leading space, as people type them). orders.csv has exactly
// customer_id, order_id, ordered_at ("YYYY-MM-DD HH:MM:SS") and amount (a plain decimal with two digits);
// order ids are unique and dense, handed out per customer in time order, and refunds are rows of their
// own with a new order id and a negative amount. A peer benchmark reads orders.csv with pandas, so its
// layout is a contract.
//
// The data is meant to make segmentation worth doing: behind every customer is one of seven archetypes,
// which is never written out, so RFM scoring and clustering have to rediscover it. With the default
// options (20,000 customers, 2023-01-01..2025-03-31: the quarter after the demo's last as-of date gives its KPIs outcomes to measure) the archetypes and their parameters are:
//
//	archetype          share  orders/year  basket median, sigma  refunds  lifecycle
//	loyal high-value     6%       17.5           85, 0.55          2.5%   customer before the window (85%), active throughout
//	regular             24%        5.3           45, 0.60          2.0%   before the window (70%) or early in it, active throughout
//	bargain hunter      12%        9             16, 0.45          1.5%   as regular: frequent, small baskets
//	seasonal            12%        3.5           60, 0.65          3.0%   about three quarters of orders in November and December
//	one-timer           18%        one order     38, 0.70          4.0%   signs up any time, orders once within 45 days
//	churned             16%        7             40, 0.60          2.5%   active from signup until a churn day, then silent
//	new                 12%        9             42, 0.60          2.0%   signs up in the window's last 270 days
//
// Each customer's order rate is the archetype's times a lognormal factor (sigma 0.5, mean 1) and their
// basket sizes carry a lognormal spend factor (sigma 0.3, mean 1). The number of orders is Poisson over
// the customer's active days, weighted by the calendar below, and at least one, so every customer has a
// recency. Baskets are lognormal per archetype, 15% larger in November and December, and bounded to
// 1.99..9,999.99. Churn days fall uniformly between 60 days after the first active day and 30 days
// before the window's end, so churned customers keep going quiet throughout the window. A customer who
// signs up inside the window places their first order on the signup day with probability 0.6; no order is
// ever before its customer's signup date.
//
// Order days follow the calendar: month weights from 0.78 (February, July) to 1.38 (December), weekday
// weights from 0.86 (Tuesday) to 1.28 (Saturday), Black Friday at 3x and the weekend to Cyber Monday at
// 1.8x, Christmas Day at 0.35x, Boxing Day at 1.6x, and 8% growth per year. Times of day follow an
// online curve (quiet nights, lunchtime bump, evening peak) or, for store customers, opening hours.
// Refunds take back the whole order (75%) or 10..90% of it, 1 to 60 days later (exponential, mean 6
// days), during opening hours, and never after the window's end.
//
// The overall result is about nine rows per customer (1M customers give about 9.1M order rows), about 2%
// of them refunds, November and December holding about 30% of the orders against 17% of the calendar,
// and weekends about 35% against 29%. Because churned customers stop, new ones start late and seasonal
// ones come back for Christmas, lifecycle segments move: about a quarter of customers order in the last
// quarter of 2024 after being silent in the 90 days to 2024-09-30, and about 8% go the other way.
//
// Every customer is generated from their own PCG stream, seeded from Seed and the customer id, so the
// files are byte-identical for equal options whatever Workers is; customers are generated in shards in
// parallel and the shards written in order.
package examples
