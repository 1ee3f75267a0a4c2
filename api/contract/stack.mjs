// A local stack for the contract test, started and stopped with the project's own run command
// (scripts/run.sh start --detach / stop) from a build's binaries, on a block of free loopback
// ports in a temporary data directory, as tests/e2e/stack.cpp does for the C++ end-to-end tests.
// stop() is idempotent and synchronous, so signal handlers and `finally` blocks can call it.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// scripts/run.sh derives every port from TICKETING_PORT_BASE: base..base+12 for the ingress, the
// servers and Prometheus, base+20.. for the services (10 per service).
const PORT_SPAN = 70;

function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

// A block at a multiple of 100 from 10000 to 31900, as tests/e2e/stack.cpp picks: below the
// kernel's ephemeral ports (32768..), so no client socket of another test takes a port of the
// stack while its owner is stopped (this test stops payments for its 503 step).
async function freePortBlock() {
  for (let attempt = 0; attempt < 200; ++attempt) {
    const base = (100 + Math.floor(Math.random() * 220)) * 100;
    let free = true;
    for (let port = base; port < base + PORT_SPAN && free; ++port) {
      free = await portFree(port);
    }
    if (free) {
      return base;
    }
  }
  throw new Error('no block of free ports');
}

export class LocalStack {
  // root: the checkout; bin: the CMake build directory holding the services' binaries.
  static async start({ root, bin, env = {} }) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketing-contract-'));
    // mkdtemp makes it 0700; a stack on PostgreSQL runs initdb as the postgres user.
    chmodSync(dir, 0o755);
    const stack = new LocalStack(root, bin, dir, await freePortBlock(), env);
    const started = stack.run(['start', '--detach']);
    if (started.status !== 0) {
      const output = started.output;
      stack.stop();
      throw new Error(`scripts/run.sh start failed (${started.status}):\n${output}`);
    }
    return stack;
  }

  constructor(root, bin, dir, base, env) {
    this.root = root;
    this.bin = bin;
    this.dir = dir;
    this.base = base;
    this.env = env;
    this.stopped = false;
    this.runs = 0;
  }

  get ingressUrl() {
    return `http://127.0.0.1:${this.base}`;
  }

  run(args, timeoutMs = 300_000) {
    const log = path.join(this.dir, `run-${++this.runs}.log`);
    const out = openSync(log, 'w');
    let result;
    try {
      result = spawnSync('bash', [path.join(this.root, 'scripts/run.sh'), ...args], {
        env: {
          ...process.env,
          TICKETING_DATA_DIR: this.dir,
          TICKETING_PORT_BASE: String(this.base),
          TICKETING_SKIP_BUILD: '1',
          TICKETING_BIN: this.bin,
          EXPIRATION_WINDOW_SECONDS: '300',
          TICKETING_AUTH_RATE: '1000',
          LOG_LEVEL: 'info',
          ...this.env,
        },
        stdio: ['ignore', out, out],
        timeout: timeoutMs,
      });
    } finally {
      closeSync(out);
    }
    const output = readFileSync(log, 'utf8');
    return { status: result.status ?? -1, output };
  }

  // supervisorctl on this stack's supervisord (e.g. ['stop', 'payments-0']).
  supervisorctl(args) {
    const result = spawnSync('supervisorctl', ['-c', path.join(this.dir, 'run/supervisord.conf'), ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: result.status ?? -1, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
  }

  // Stops everything and removes the data directory (kept with TICKETING_KEEP_TEMP=1, as the C++
  // tests do, to look at the logs).
  stop() {
    if (this.stopped) {
      return;
    }
    this.stopped = true;
    const stopped = this.run(['stop'], 120_000);
    if (stopped.status !== 0) {
      process.stderr.write(`scripts/run.sh stop failed (${stopped.status}):\n${stopped.output}\n`);
    }
    if (process.env.TICKETING_KEEP_TEMP === '1') {
      process.stderr.write(`kept the stack's data and logs in ${this.dir}\n`);
    } else {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
