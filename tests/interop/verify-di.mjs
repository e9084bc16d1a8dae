// Verify a Data Integrity (eddsa-rdfc-2022, ecdsa-rdfc-2019, eddsa-jcs-2022) credential with Digital Bazaar's stack.
//
//   node verify-di.mjs CRED.json|- [--proof-only] [--now ISO8601] [--status-list LIST.json ...]
//
// Default: @digitalbazaar/vc verifyCredential (credential shape, validity dates, and the proof with
// CredentialIssuancePurpose, which also requires the key's controller to be the credential's issuer).
// --proof-only: jsonld-signatures verify with AssertionProofPurpose (proof and key only, for documents
// such as the W3C test vectors whose issuer is not the signing DID).
// --status-list (repeatable): a BitstringStatusListCredential, served offline at its id; the
// credential's status is then checked with @digitalbazaar/vc-bitstring-status-list checkStatus (which
// verifies the list credential's own proof and that its issuer is the credential's issuer) and
// "status" lists {statusPurpose, statusListIndex, status} per entry. Without it a credentialStatus is
// not checked ("statusChecked": false).
// Prints {"verified": bool, "error": str|null, "mode", "statusChecked", "status", "documentsLoaded"}.
import {parseArgs} from 'node:util';
import * as vc from '@digitalbazaar/vc';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import jsigs from 'jsonld-signatures';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {cryptosuite as ecdsaRdfc2019CryptoSuite} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import {createVerifyCryptosuite as eddsaJcs2022} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {errorText, makeDocumentLoader, readJsonArg, runCli, UsageError} from './lib.mjs';

const USAGE = 'node verify-di.mjs CRED.json|- [--proof-only] [--now ISO8601] [--status-list LIST.json ...]';

await runCli(async argv => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        'proof-only': {type: 'boolean'},
        now: {type: 'string'},
        'status-list': {type: 'string', multiple: true}
      }
    });
  } catch(e) {
    throw new UsageError(e.message);
  }
  if(parsed.positionals.length !== 1) {
    throw new UsageError('expected exactly one input');
  }
  const credential = readJsonArg(parsed.positionals[0]);
  const lists = (parsed.values['status-list'] ?? []).map(readJsonArg);
  const documentLoader = makeDocumentLoader({documents: lists});
  const suite = [  // eddsa-rdfc-2022, ecdsa-rdfc-2019 and eddsa-jcs-2022
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite}),
    new DataIntegrityProof({cryptosuite: ecdsaRdfc2019CryptoSuite}),
    new DataIntegrityProof({cryptosuite: eddsaJcs2022()})
  ];
  const proofOnly = Boolean(parsed.values['proof-only']);
  let result;
  let statusChecked = false;
  let status = null;
  if(proofOnly) {
    result = await jsigs.verify(credential, {
      suite, documentLoader, purpose: new jsigs.purposes.AssertionProofPurpose()
    });
  } else {
    const options = {credential, suite, documentLoader};
    if(parsed.values.now) {
      options.now = parsed.values.now;
    }
    if(credential.credentialStatus) {
      if(lists.length > 0) {
        statusChecked = true;
        options.checkStatus = checkStatus;
      } else {
        options.checkStatus = async () => ({verified: true});
      }
    }
    result = await vc.verifyCredential(options);
    if(statusChecked && result.statusResult) {
      status = (result.statusResult.results ?? []).map(r => ({
        statusPurpose: r.credentialStatus?.statusPurpose,
        statusListIndex: r.credentialStatus?.statusListIndex,
        status: r.status
      }));
    }
  }
  const proofErrors = (result.results ?? []).filter(r => !r.verified).map(r => errorText(r.error));
  const statusError = result.statusResult && !result.statusResult.verified ?
    errorText(result.statusResult.error) : null;
  const error = result.verified ? null :
    (errorText(result.error) || proofErrors.join('; ') || statusError || 'not verified');
  return {
    verified: Boolean(result.verified),
    error,
    mode: proofOnly ? 'proof-only' : 'credential',
    statusChecked,
    status,
    documentsLoaded: [...new Set(documentLoader.served)]
  };
}, USAGE);
