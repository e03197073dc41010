import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OptionSpec } from '../../src/config/index.js';
import {
  decodeOrder,
  encodeOrder,
  PIPELINE_ORDER,
  SERVICE_KINDS,
  SERVICES,
} from '../../src/model/index.js';
import { toFlags } from '../../src/supervisor/flags.js';
import { parseScale } from '../../src/supervisor/scale.js';

const order = {
  id: '0b8f4d3e-8a57-4d6f-9a39-6a1de3a0f4b1',
  item: 'widget',
  quantity: 3,
  createdAtMs: 1,
};

test('an order survives the bus encoding unchanged', () => {
  assert.deepEqual(decodeOrder(encodeOrder(order)), order);
});

const malformed: Array<[string, string, RegExp]> = [
  ['not JSON', '{', /not JSON/],
  ['not an object', '3', /not a JSON object/],
  ['bad id', JSON.stringify({ ...order, id: 'x' }), /id must be a UUID/],
  ['empty item', JSON.stringify({ ...order, item: '' }), /item must be/],
  ['fractional quantity', JSON.stringify({ ...order, quantity: 1.5 }), /quantity must be/],
  ['zero quantity', JSON.stringify({ ...order, quantity: 0 }), /quantity must be/],
  ['missing createdAtMs', JSON.stringify({ ...order, createdAtMs: undefined }), /createdAtMs/],
];
for (const [name, body, why] of malformed) {
  test(`a malformed bus message is refused with a reason: ${name}`, () => {
    assert.throws(() => decodeOrder(body), why);
  });
}

test('services follow the spec: names, stage spans, steps and topics chain', () => {
  assert.deepEqual(
    PIPELINE_ORDER.map((k) => [SERVICES[k].serviceName, SERVICES[k].stageSpan, SERVICES[k].steps]),
    [
      ['api-service', 'create_order', ['input_validation', 'audit_logging']],
      ['processing-service', 'process_order', ['data_transformation', 'business_logic']],
      ['notification-service', 'notify_order', ['message_formatting']],
      ['analytics-service', 'analyze_order', ['data_analysis']],
    ],
  );
  for (let i = 1; i < PIPELINE_ORDER.length; i++) {
    assert.equal(SERVICES[PIPELINE_ORDER[i]!].consumes, SERVICES[PIPELINE_ORDER[i - 1]!].publishes);
  }
  // Inventory is called, not fed by a topic: never part of the queue pipeline.
  assert.equal(SERVICE_KINDS.at(-2), 'inventory');
  assert.ok(!(PIPELINE_ORDER as readonly string[]).includes('inventory'));
  assert.deepEqual(
    [SERVICES.inventory.serviceName, SERVICES.inventory.stageSpan, SERVICES.inventory.steps],
    ['inventory-service', 'reserve_stock', ['stock_check']],
  );
  assert.equal(SERVICES.inventory.consumes, undefined);
});

test('audit is a second consumer group on the topic analytics reads, off the pipeline', () => {
  assert.equal(SERVICE_KINDS.at(-1), 'audit');
  assert.ok(!(PIPELINE_ORDER as readonly string[]).includes('audit'));
  const { audit, analytics } = SERVICES;
  assert.deepEqual(
    [audit.serviceName, audit.stageSpan, audit.steps, audit.publishes],
    ['audit-service', 'audit_order', ['audit_check'], undefined],
  );
  assert.equal(audit.consumes, analytics.consumes);
  // Each service's consumer group is named after it: two groups, each reading every message.
  assert.notEqual(audit.serviceName, analytics.serviceName);
});

test('--scale parses replicas and refuses what cannot run', () => {
  assert.deepEqual(parseScale(['processing=3', 'inventory=2']), {
    api: 1,
    processing: 3,
    notification: 1,
    analytics: 1,
    inventory: 2,
    audit: 0,
  });
  // audit runs only when asked for; then once, or as many as --scale says.
  assert.equal(parseScale([], { audit: true }).audit, 1);
  assert.equal(parseScale(['audit=2'], { audit: true }).audit, 2);
  assert.throws(() => parseScale(['audit=2']), /audit runs only with --audit/);
  assert.throws(() => parseScale(['processing']), /expected SERVICE=N/);
  assert.throws(() => parseScale(['billing=2']), /unknown service "billing"/);
  assert.throws(() => parseScale(['api=2']), /API runs once/);
  assert.throws(() => parseScale(['analytics=0']), /from 1 to 32/);
});

test('resolved settings become the same flags for a child process', () => {
  const specs: OptionSpec[] = [
    { name: 'seed', type: 'number', description: '' },
    { name: 'intensity', type: 'list', description: '' },
    { name: 'json', type: 'boolean', description: '' },
    { name: 'unset', type: 'string', description: '' },
  ];
  assert.deepEqual(
    toFlags(specs, { seed: 7, intensity: ['processing=heavy', 'api=light'], json: true }),
    ['--seed', '7', '--intensity', 'processing=heavy', '--intensity', 'api=light', '--json'],
  );
});
