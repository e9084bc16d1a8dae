// Run the interop CLIs in one Node process for a whole test session, instead of one process per call:
// loading the Digital Bazaar stack costs ~0.3 s a process, which was most of the interop tests' time.
//
//   node serve.mjs        then, per request, one line of JSON on stdin: {"script": "verify-di.mjs",
//                         "args": [...]}; per answer, one line on stdout: {"exitCode", "stdout", "stderr"},
//                         exactly what `node <script> <args>` prints and returns.
//
// Each script is imported once; its top-level runCli() registers its main function here (lib.mjs).
// Requests that read stdin ("-") are not served: the Python side runs those as a process of their own.
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';
import path from 'node:path';
import {invoke} from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCRIPTS = new Set(['contexts.mjs', 'jose-sign.mjs', 'jose-verify.mjs', 'present-di.mjs', 'sign-di.mjs',
  'statuslist.mjs', 'verify-di.mjs']);
const handlers = new Map();
let loading = null;
globalThis.microcredInteropServer = {
  register(main, usage) {
    handlers.set(loading, {main, usage});
  }
};

async function handler(script) {
  if(!SCRIPTS.has(script)) {
    throw new Error(`serve.mjs does not run ${script}`);
  }
  if(!handlers.has(script)) {
    loading = script;
    await import(path.join(HERE, script));
    loading = null;
  }
  return handlers.get(script);
}

const lines = createInterface({input: process.stdin, crlfDelay: Infinity});
for await (const line of lines) {
  let answer;
  try {
    const {script, args} = JSON.parse(line);
    const {main, usage} = await handler(script);
    answer = await invoke(main, usage, args.map(String));
  } catch(e) {
    answer = {exitCode: 70, stdout: '', stderr: `serve.mjs: ${e?.stack ?? e}\n`};
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
