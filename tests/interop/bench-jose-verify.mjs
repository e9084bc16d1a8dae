// Time `jose` VC-JWT verification for benchmarks/run.py (the JS side of "large VC-JWT verify").
//
//   node bench-jose-verify.mjs TOKEN_FILE PUBLIC_JWK.json NOW_ISO8601 [ROUNDS]
//
// Imports the key once, then verifies the token (signature and time claims, as jose-verify.mjs does)
// in batches of ~50 ms, ROUNDS times (default 7). Prints {"verified", "median_ms", "best_ms"}: ms per
// verification. Benchmarks only; the interop tests use jose-verify.mjs.
import {readFileSync} from 'node:fs';
import * as jose from 'jose';

const [tokenFile, jwkFile, now, roundsArg] = process.argv.slice(2);
const token = readFileSync(tokenFile, 'utf8').trim();
const {d, ...publicJwk} = JSON.parse(readFileSync(jwkFile, 'utf8'));
const key = await jose.importJWK(publicJwk, 'EdDSA');
const options = {algorithms: ['EdDSA'], currentDate: new Date(now)};
const once = async () => (await jose.jwtVerify(token, key, options)).payload;
await once();
let batch = 1;
for(;;) {
  const start = performance.now();
  for(let i = 0; i < batch; i++) {
    await once();
  }
  if(performance.now() - start > 50) {
    break;
  }
  batch *= 2;
}
const samples = [];
for(let r = 0; r < Number(roundsArg ?? 7); r++) {
  const start = performance.now();
  for(let i = 0; i < batch; i++) {
    await once();
  }
  samples.push((performance.now() - start) / batch);
}
samples.sort((a, b) => a - b);
console.log(JSON.stringify({
  verified: true, median_ms: samples[Math.floor(samples.length / 2)], best_ms: samples[0],
}));
