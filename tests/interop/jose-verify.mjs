// Verify a VC-JWT with the `jose` npm package.
//
//   node jose-verify.mjs TOKEN|TOKEN_FILE|- PUBLIC_JWK.json [--now ISO8601]
//
// The allowed algorithm comes from the key, never from the token: OKP/Ed25519 -> EdDSA,
// EC/P-256 -> ES256, RSA -> RS256. jose's jwtVerify checks the signature and the time claims
// (nbf, exp; 0 s clock tolerance) against --now or the current time.
// Prints {"verified": bool, "error": str|null, "code": jose error code|null, "header", "payload"}.
import {existsSync, readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';
import * as jose from 'jose';
import {errorText, readJsonArg, runCli, UsageError} from './lib.mjs';

const USAGE = 'node jose-verify.mjs TOKEN|TOKEN_FILE|- PUBLIC_JWK.json [--now ISO8601]';

function algorithmForKey(jwk) {
  if(jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    return 'EdDSA';
  }
  if(jwk.kty === 'EC' && jwk.crv === 'P-256') {
    return 'ES256';
  }
  if(jwk.kty === 'RSA') {
    return 'RS256';
  }
  throw new UsageError(`no VC-JWT algorithm for a ${jwk.kty}/${jwk.crv ?? '-'} key`);
}

function readToken(arg) {
  if(arg === '-') {
    return readFileSync(0, 'utf8').trim();
  }
  if(!/^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(arg) && existsSync(arg)) {
    return readFileSync(arg, 'utf8').trim();
  }
  return arg.trim();
}

await runCli(async argv => {
  let parsed;
  try {
    parsed = parseArgs({args: argv, allowPositionals: true, options: {now: {type: 'string'}}});
  } catch(e) {
    throw new UsageError(e.message);
  }
  if(parsed.positionals.length !== 2) {
    throw new UsageError('expected a token and a public JWK');
  }
  const token = readToken(parsed.positionals[0]);
  const jwk = readJsonArg(parsed.positionals[1]);
  const {d, p, q, dp, dq, qi, ...publicJwk} = jwk; // verify with the public part only
  const alg = algorithmForKey(publicJwk);
  const key = await jose.importJWK(publicJwk, alg);
  const options = {algorithms: [alg]};
  if(parsed.values.now) {
    options.currentDate = new Date(parsed.values.now);
  }
  let header = null;
  try {
    header = jose.decodeProtectedHeader(token);
  } catch {
    // reported by jwtVerify below
  }
  try {
    const {payload, protectedHeader} = await jose.jwtVerify(token, key, options);
    return {verified: true, error: null, code: null, alg, header: protectedHeader, payload};
  } catch(e) {
    return {verified: false, error: errorText(e), code: e?.code ?? null, alg, header, payload: null};
  }
}, USAGE);
