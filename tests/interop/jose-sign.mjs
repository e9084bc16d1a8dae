// Sign a VC-JWT with the `jose` npm package (compact JWS).
//
//   node jose-sign.mjs PAYLOAD.json|- PRIVATE_JWK.json ALG [--kid KID] [--typ TYP] [--ob3-claims] [--vc-claim]
//
// ALG: EdDSA, ES256 or RS256. The protected header is {alg, kid, typ} (kid defaults to the JWK's "kid";
// typ defaults to "JWT"). PAYLOAD is signed as given; with --ob3-claims the Open Badges 3.0 JWT claims
// are added from the credential first (iss = issuer id, jti = id, sub = credentialSubject.id,
// nbf = validFrom or issuanceDate, exp = validUntil or expirationDate, as NumericDate seconds),
// leaving claims already present alone. --vc-claim signs the VCDM 1.1 JWT shape instead: the credential
// goes under a "vc" claim, beside the same registered claims.
// Prints {"token": "..."}.
import {parseArgs} from 'node:util';
import * as jose from 'jose';
import {readJsonArg, runCli, UsageError} from './lib.mjs';

const USAGE = 'node jose-sign.mjs PAYLOAD.json|- PRIVATE_JWK.json EdDSA|ES256|RS256 ' +
  '[--kid KID] [--typ TYP] [--ob3-claims] [--vc-claim]';
const ALGS = new Set(['EdDSA', 'ES256', 'RS256']);

function seconds(value, name) {
  const time = Date.parse(value);
  if(Number.isNaN(time)) {
    throw new UsageError(`${name} ${JSON.stringify(value)} is not a date`);
  }
  return Math.floor(time / 1000);
}

function ob3Claims(credential, {vcClaim = false} = {}) {
  const claims = vcClaim ? {vc: credential} : {...credential};
  const issuer = typeof credential.issuer === 'string' ? credential.issuer : credential.issuer?.id;
  const subject = Array.isArray(credential.credentialSubject) ?
    credential.credentialSubject[0] : credential.credentialSubject;
  const add = (name, value) => {
    if(value !== undefined && value !== null && claims[name] === undefined) {
      claims[name] = value;
    }
  };
  add('iss', issuer);
  add('jti', credential.id);
  add('sub', subject?.id);
  // VCDM 2.0 names; VCDM 1.1 credentials (OB 3.0.0) use issuanceDate / expirationDate
  const from = credential.validFrom ?? credential.issuanceDate;
  const until = credential.validUntil ?? credential.expirationDate;
  if(from) {
    add('nbf', seconds(from, 'validFrom'));
  }
  if(until) {
    add('exp', seconds(until, 'validUntil'));
  }
  return claims;
}

await runCli(async argv => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        kid: {type: 'string'}, typ: {type: 'string'},
        'ob3-claims': {type: 'boolean'}, 'vc-claim': {type: 'boolean'}
      }
    });
  } catch(e) {
    throw new UsageError(e.message);
  }
  if(parsed.positionals.length !== 3) {
    throw new UsageError('expected a payload, a private JWK and an algorithm');
  }
  const [payloadFile, jwkFile, alg] = parsed.positionals;
  if(!ALGS.has(alg)) {
    throw new UsageError(`algorithm ${alg} is not one of ${[...ALGS].join(', ')}`);
  }
  let payload = readJsonArg(payloadFile);
  if(parsed.values['ob3-claims'] || parsed.values['vc-claim']) {
    payload = ob3Claims(payload, {vcClaim: Boolean(parsed.values['vc-claim'])});
  }
  const jwk = readJsonArg(jwkFile);
  const key = await jose.importJWK(jwk, alg);
  const header = {alg, typ: parsed.values.typ ?? 'JWT'};
  const kid = parsed.values.kid ?? jwk.kid;
  if(kid) {
    header.kid = kid;
  }
  const token = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header)
    .sign(key);
  return {token};
}, USAGE);
