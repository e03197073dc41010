/**
 * The compose files' containers checked by running what they run: each container's command
 * with its environment (`--help` parses it), and the health checks against live sockets.
 * The checks that only read the files are in compose.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';
import { SERVICES } from '../src/model/index.js';
import {
  CORE,
  OTEL_STANDARD,
  combinations,
  commandOf,
  defaultInHelp,
  envNamesInHelp,
  environmentOf,
  helpFor,
  loadCompose,
  parsePort,
  servicesOf,
  tracelabServices,
} from './helpers/compose.js';
import type { Service } from './helpers/compose.js';

test('every tracelab container runs a command the CLI has, with settings that command reads', async () => {
  for (const { label, config } of combinations()) {
    const services = tracelabServices(config);
    assert.deepEqual(
      services.map(([name]) => name).sort(),
      Object.values(SERVICES)
        .map((s) => s.serviceName)
        .sort(),
      `${label}: one container per pipeline service, named as the spec names them`,
    );
    for (const [name, service] of services) {
      const command = commandOf(service);
      const env = environmentOf(service);
      // Values are checked too: --help parses the environment before it prints.
      const help = await helpFor(command, env);
      const accepted = envNamesInHelp(help);
      assert.ok(accepted.size > 0, `tracelab ${command.join(' ')} --help lists no env names`);
      for (const variable of Object.keys(env)) {
        assert.ok(
          accepted.has(variable) || OTEL_STANDARD.has(variable),
          `${label}: ${name} sets ${variable}, which tracelab ${command[0]} does not read (it reads ${[...accepted].join(', ')})`,
        );
      }
      const kind = command[1];
      assert.equal(
        SERVICES[kind as keyof typeof SERVICES]?.serviceName,
        name,
        `${label}: ${name} runs "${command.join(' ')}", another service's code`,
      );
    }
  }
});

test('the API is published on the port it listens on, on every interface of the container', async () => {
  for (const { label, config } of combinations()) {
    const api = servicesOf(config)['api-service'];
    assert.ok(api, `${label}: api-service`);
    const env = environmentOf(api);
    const help = await helpFor(commandOf(api), env);
    const port = Number(env.TRACELAB_API_PORT ?? defaultInHelp(help, 'api-port'));
    assert.ok(port > 0, `${label}: api-service listens on a fixed port`);
    assert.equal(
      env.TRACELAB_HOST,
      '0.0.0.0',
      `${label}: a published port reaches only a server bound to 0.0.0.0`,
    );
    const ports = (Array.isArray(api.ports) ? api.ports : []).map(parsePort);
    assert.ok(ports.length > 0, `${label}: api-service publishes a port`);
    for (const p of ports) {
      assert.equal(
        p.target,
        port,
        `${label}: api-service publishes ${p.target}, listens on ${port}`,
      );
      assert.ok(p.published !== undefined, `${label}: api-service's port has a fixed host port`);
    }
  }
});

/** Runs a compose `CMD` health check here, with node standing in for the container's node. */
function runHealthcheck(service: Service, env: Record<string, string>): Promise<number | null> {
  const testCmd = (service.healthcheck as { test: string[] }).test;
  assert.equal(testCmd[0], 'CMD');
  assert.equal(testCmd[1], 'node');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, testCmd.slice(2), {
      env: { PATH: process.env.PATH, ...env },
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

test("the API's health check passes on a healthy API and fails otherwise", async (t) => {
  const api = servicesOf(loadCompose(CORE))['api-service']!;
  let status = 200;
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/health' ? status : 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = String((server.address() as AddressInfo).port);
  assert.equal(await runHealthcheck(api, { TRACELAB_API_PORT: port }), 0);
  status = 503;
  assert.equal(await runHealthcheck(api, { TRACELAB_API_PORT: port }), 1);
  server.close();
  assert.equal(await runHealthcheck(api, { TRACELAB_API_PORT: port }), 1);
});

test(
  "a consumer's health check passes only while it holds a connection to its bus",
  { skip: !existsSync('/proc/net/tcp') },
  async (t) => {
    const consumer = servicesOf(loadCompose(CORE))['processing-service']!;
    const sockets: Socket[] = [];
    const broker = createTcpServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const s of sockets) s.destroy();
      broker.close();
    });
    const port = (broker.address() as AddressInfo).port;
    const env = { TRACELAB_BUS: 'kafka', KAFKA_BROKERS: `127.0.0.1:${port}` };
    assert.equal(await runHealthcheck(consumer, env), 1, 'no connection yet');
    const client = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    assert.equal(await runHealthcheck(consumer, env), 0, 'connected');
    assert.equal(
      await runHealthcheck(consumer, {
        TRACELAB_BUS: 'redis',
        REDIS_URL: `redis://127.0.0.1:${port}`,
      }),
      0,
      'same check on Redis Streams',
    );
    client.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await runHealthcheck(consumer, env), 1, 'connection gone');
  },
);
