// Sign a credential with Digital Bazaar's stack: DataIntegrityProof, cryptosuite eddsa-rdfc-2022 (an
// Ed25519 key; eddsa-jcs-2022 with --jcs) or ecdsa-rdfc-2019 (a P-256 key: EC JWK or zDna… Multikey).
//
//   node sign-di.mjs UNSIGNED.json|- KEYPAIR.json [--created ISO8601] [--proof-only]
//
// KEYPAIR.json: Ed25519 Multikey JSON (publicKeyMultibase + secretKeyMultibase, or privateKeyMultibase
// as the W3C vectors spell it; optional id/controller) or an Ed25519 private JWK. Without id/controller
// the verification method is the key's did:key (did:key:z6Mk...#z6Mk...).
// Default: @digitalbazaar/vc issue (checks the credential, CredentialIssuancePurpose).
// --proof-only: jsonld-signatures sign with AssertionProofPurpose (any JSON-LD document).
// Prints the signed document.
import {parseArgs} from 'node:util';
import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {cryptosuite as ecdsaRdfc2019CryptoSuite} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import {createSignCryptosuite as eddsaJcs2022} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {
  isEcdsaKey, loadEcdsaKeyPair, loadEd25519KeyPair, makeDocumentLoader, readJsonArg, runCli, UsageError
} from './lib.mjs';

const USAGE = 'node sign-di.mjs UNSIGNED.json|- KEYPAIR.json [--created ISO8601] [--proof-only] [--jcs]';

await runCli(async argv => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {'proof-only': {type: 'boolean'}, jcs: {type: 'boolean'}, created: {type: 'string'}}
    });
  } catch(e) {
    throw new UsageError(e.message);
  }
  if(parsed.positionals.length !== 2) {
    throw new UsageError('expected an input document and a key pair file');
  }
  const [input, keyFile] = parsed.positionals;
  const credential = readJsonArg(input);
  const keyJson = readJsonArg(keyFile);
  const ecdsa = isEcdsaKey(keyJson);
  const keyPair = ecdsa ? await loadEcdsaKeyPair(keyJson) : await loadEd25519KeyPair(keyJson);
  const documentLoader = makeDocumentLoader();
  const cryptosuite = ecdsa ? ecdsaRdfc2019CryptoSuite :
    parsed.values.jcs ? eddsaJcs2022() : eddsaRdfc2022CryptoSuite;
  const options = {signer: keyPair.signer(), cryptosuite};
  if(parsed.values.created) {
    const created = new Date(parsed.values.created);
    if(Number.isNaN(created.getTime())) {
      throw new UsageError(`--created ${parsed.values.created} is not a date`);
    }
    options.date = created;
  }
  const suite = new DataIntegrityProof(options);
  if(parsed.values['proof-only']) {
    return jsigs.sign(credential, {
      suite, documentLoader, purpose: new jsigs.purposes.AssertionProofPurpose()
    });
  }
  return vc.issue({credential, suite, documentLoader});
}, USAGE);
