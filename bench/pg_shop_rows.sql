-- Scales the shop fixture (tests/fixtures/postgres/shop.sql, loaded first) up for bench/pg.sh:
-- :scale = 1 gives 1,000,000 rows across customers (10%), addresses (10%), products (0.1%),
-- orders (29.9%) and order_items (50%). Fixed values (no random()): every run copies the same data.
SELECT (100000 * :scale)::int AS nc, (1000 * :scale)::int AS np, (299000 * :scale)::int AS no,
       (500000 * :scale)::int AS ni \gset
INSERT INTO customers
SELECT 1000 + i, 'c' || i || '@example.com', 'Customer ' || i, timestamptz '2020-01-01' + i * interval '1 minute'
FROM generate_series(1, :nc) i;
INSERT INTO addresses (customer_id, street, city, country)
SELECT 1000 + i, i || ' Main Street', 'City ' || (i % 500), 'GB' FROM generate_series(1, :nc) i;
INSERT INTO products
SELECT 'P-' || i, 'Product ' || i, (i % 10000) / 100.0 + 0.99, 1 + i % 4, ARRAY['t' || (i % 7)]
FROM generate_series(1, :np) i;
INSERT INTO orders
SELECT 10000 + i, 1001 + i % :nc, 4 + i % :nc, 4 + i % :nc,
       (ARRAY['new', 'paid', 'shipped']::order_status[])[1 + i % 3], date '2020-01-01' + i % 1500
FROM generate_series(1, :no) i;
INSERT INTO order_items
SELECT 10001 + i / 2, 'P-' || (1 + (i * 7 + i / 2) % :np), 1 + i % 5, (i % 10000) / 100.0
FROM generate_series(0, :ni - 1) i;
ANALYZE;
