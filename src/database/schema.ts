/**
 * The inventory schema, one migration per entry, applied in order by `migrate`. Each runs in
 * its own transaction and is recorded in `schema_migrations`; a migration once applied never
 * changes (a change is a new entry).
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Statements run in order; the seed's sizes are the migrate call's. */
  statements(seed: SeedSizes): string[];
}

export interface SeedSizes {
  readonly catalogueSize: number;
  readonly movementsPerItem: number;
}

export const WAREHOUSES = 8;
export const LOOKUP_INDEX = 'stock_movements_item_idx';
export const LOOKUP_INDEX_DDL = `CREATE INDEX IF NOT EXISTS ${LOOKUP_INDEX} ON stock_movements (item_id, at)`;
export const CATEGORIES = [
  'books',
  'games',
  'garden',
  'kitchen',
  'music',
  'sports',
  'tools',
  'toys',
];

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'inventory schema',
    statements: () => [
      `CREATE TABLE items (
         id serial PRIMARY KEY,
         sku text UNIQUE NOT NULL,
         name text NOT NULL,
         category text NOT NULL,
         price_cents int NOT NULL)`,
      'CREATE INDEX items_name_idx ON items (name)',
      'CREATE TABLE warehouses (id serial PRIMARY KEY, name text NOT NULL)',
      `CREATE TABLE stock (
         item_id int REFERENCES items,
         warehouse_id int REFERENCES warehouses,
         quantity int NOT NULL CHECK (quantity >= 0),
         PRIMARY KEY (item_id, warehouse_id))`,
      `CREATE TABLE reservations (
         order_id uuid PRIMARY KEY,
         item_id int NOT NULL REFERENCES items,
         quantity int NOT NULL,
         status text NOT NULL CHECK (status IN ('reserved', 'out_of_stock')),
         created_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE stock_movements (
         id bigserial PRIMARY KEY,
         item_id int NOT NULL,
         warehouse_id int NOT NULL,
         delta int NOT NULL,
         at timestamptz NOT NULL)`,
      LOOKUP_INDEX_DDL,
      'CREATE TABLE counters (name text PRIMARY KEY, value bigint NOT NULL)',
      "INSERT INTO counters (name, value) VALUES ('reservations', 0)",
    ],
  },
  {
    version: 2,
    name: 'catalogue seed',
    // Made by the server from generate_series: one round trip whatever the size. Item n is
    // `SKU-0000n`, id n (the ids are contiguous, which the item mapping relies on).
    statements: ({ catalogueSize, movementsPerItem }) => [
      `INSERT INTO warehouses (name)
         SELECT 'warehouse ' || w FROM generate_series(1, ${WAREHOUSES}) AS w`,
      `INSERT INTO items (sku, name, category, price_cents)
         SELECT 'SKU-' || lpad(n::text, 6, '0'),
                (ARRAY['${CATEGORIES.join("','")}'])[1 + n % ${CATEGORIES.length}] || ' item ' || n,
                (ARRAY['${CATEGORIES.join("','")}'])[1 + n % ${CATEGORIES.length}],
                100 + (n * 7919) % 99900
           FROM generate_series(1, ${catalogueSize}) AS n`,
      // Plenty per warehouse, so a long run does not empty a popular item.
      `INSERT INTO stock (item_id, warehouse_id, quantity)
         SELECT i.id, w.id, 10000 + (i.id * 31 + w.id * 17) % 1000
           FROM items i CROSS JOIN warehouses w`,
      `INSERT INTO stock_movements (item_id, warehouse_id, delta, at)
         SELECT i, 1 + (i + m) % ${WAREHOUSES}, 1 + (i * m) % 50,
                now() - make_interval(mins => m * 7 + i % 7)
           FROM generate_series(1, ${catalogueSize}) AS i,
                generate_series(1, ${movementsPerItem}) AS m`,
      'ANALYZE items',
      'ANALYZE stock',
      'ANALYZE stock_movements',
    ],
  },
];
