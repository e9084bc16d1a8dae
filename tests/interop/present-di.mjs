// Verifiable presentations with Digital Bazaar's stack (@digitalbazaar/vc signPresentation / verify):
//
//   node present-di.mjs sign VP.json|- KEYPAIR.json --challenge C [--domain D] [--created ISO8601]
//   node present-di.mjs verify VP.json|- --challenge C [--domain D] [--now ISO8601]
//
// sign: the holder's eddsa-rdfc-2022 (Ed25519) or ecdsa-rdfc-2019 (P-256) proof, purpose authentication,
// with the challenge and domain; prints the signed presentation.
// verify: the presentation's proof (AuthenticationProofPurpose with the challenge and domain) and every
// embedded credential (CredentialIssuancePurpose); prints {"verified", "error", "credentialResults"}.
import {parseArgs} from 'node:util';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {cryptosuite as ecdsaRdfc2019CryptoSuite} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import {
  errorText, isEcdsaKey, loadEcdsaKeyPair, loadEd25519KeyPair, makeDocumentLoader, readJsonArg, runCli,
  UsageError
} from './lib.mjs';

const USAGE = 'node present-di.mjs sign VP.json KEYPAIR.json --challenge C [--domain D] | ' +
  'verify VP.json --challenge C [--domain D] [--now ISO]';

await runCli(async argv => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        challenge: {type: 'string'}, domain: {type: 'string'},
        created: {type: 'string'}, now: {type: 'string'}
      }
    });
  } catch(e) {
    throw new UsageError(e.message);
  }
  const [command, input, keyFile] = parsed.positionals;
  const {challenge, domain} = parsed.values;
  if(!challenge) {
    throw new UsageError('--challenge is required');
  }
  const presentation = readJsonArg(input);
  const documentLoader = makeDocumentLoader();
  if(command === 'sign') {
    const keyJson = readJsonArg(keyFile);
    const ecdsa = isEcdsaKey(keyJson);
    const keyPair = ecdsa ? await loadEcdsaKeyPair(keyJson) : await loadEd25519KeyPair(keyJson);
    const options = {
      signer: keyPair.signer(), cryptosuite: ecdsa ? ecdsaRdfc2019CryptoSuite : eddsaRdfc2022CryptoSuite
    };
    if(parsed.values.created) {
      options.date = new Date(parsed.values.created);
    }
    const suite = new DataIntegrityProof(options);
    return vc.signPresentation({presentation, suite, documentLoader, challenge, domain});
  }
  if(command === 'verify') {
    const suite = [
      new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite}),
      new DataIntegrityProof({cryptosuite: ecdsaRdfc2019CryptoSuite})
    ];
    const options = {presentation, suite, documentLoader, challenge, domain};
    if(parsed.values.now) {
      options.now = parsed.values.now;
    }
    const result = await vc.verify(options);
    return {
      verified: Boolean(result.verified),
      error: result.verified ? null : (errorText(result.error) || 'not verified'),
      presentationVerified: Boolean(result.presentationResult?.verified),
      credentialResults: (result.credentialResults ?? []).map(r => Boolean(r.verified))
    };
  }
  throw new UsageError(`unknown command ${command}`);
}, USAGE);
