// Verify a credential the way a stranger would, against the issuer's published site only.
//
//   node verify-site.mjs CRED.json --site https://127.0.0.1:PORT/ [--now ISO8601]
//
// Digital Bazaar's @digitalbazaar/vc verifyCredential with eddsa-rdfc-2022 and the Bitstring Status List
// checkStatus, given a document loader that answers every document from the site over HTTPS: the
// did:web DID document (and the verification method in it), the signed status lists at the exact URLs
// the credential names, and microcred's extension context(s) from the site's mirror
// (https://w3id.org/microcred/… → <site>contexts/microcred/…). Only the W3C and 1EdTech contexts come
// from the packaged table (lib.mjs); microcred's own are removed from it, so they must come from the site.
// Any other URL, or a response that is not JSON served as application/json (or ld+json), is an error.
// Trust the test server's CA with NODE_EXTRA_CA_CERTS.
//
// Prints {"verified", "error", "status", "fetched": [url...], "documentsLoaded": [url...]}.
import {parseArgs} from 'node:util';
import * as vc from '@digitalbazaar/vc';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {errorText, packagedDocuments, readJsonArg, runCli, UsageError} from './lib.mjs';

const USAGE = 'node verify-site.mjs CRED.json --site https://127.0.0.1:PORT/ [--now ISO8601]';
const EXTENSION_PREFIX = 'https://w3id.org/microcred/';
const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';

function didWebUrl(did) {
  const parts = did.slice('did:web:'.length).split(':');
  const host = decodeURIComponent(parts[0]);
  const path = parts.slice(1).map(decodeURIComponent);
  return path.length ? `https://${host}/${path.join('/')}/did.json` : `https://${host}/.well-known/did.json`;
}

await runCli(async argv => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {site: {type: 'string'}, now: {type: 'string'}}
    });
  } catch(e) {
    throw new UsageError(e.message);
  }
  if(parsed.positionals.length !== 1 || !parsed.values.site) {
    throw new UsageError('expected one credential and --site');
  }
  const site = new URL(parsed.values.site).href;
  const credential = readJsonArg(parsed.positionals[0]);
  const table = packagedDocuments();
  for(const url of [...table.keys()]) {
    if(url.startsWith(EXTENSION_PREFIX)) {
      table.delete(url);
    }
  }
  const fetched = [];
  const served = [];
  async function fromSite(url) {
    if(!url.startsWith(site)) {
      throw new Error(`${url} is not on the site ${site}; this loader reads nothing else`);
    }
    const response = await fetch(url, {headers: {accept: 'application/json, application/ld+json'}});
    fetched.push(url);
    if(!response.ok) {
      throw new Error(`${url}: HTTP ${response.status}`);
    }
    const type = (response.headers.get('content-type') ?? '').split(';')[0].trim();
    if(type !== 'application/json' && type !== 'application/ld+json' && type !== 'application/did+json') {
      throw new Error(`${url} is served as ${type || 'no content type'}, not JSON`);
    }
    return response.json();
  }
  async function documentLoader(url) {
    served.push(url);
    let document;
    if(table.has(url)) {
      document = structuredClone(table.get(url));
    } else if(url.startsWith(EXTENSION_PREFIX)) {
      document = await fromSite(site + 'contexts/' + url.slice('https://w3id.org/'.length));
    } else if(url.startsWith('did:web:')) {
      const [did, fragment] = url.split('#');
      const didDocument = await fromSite(didWebUrl(did));
      if(didDocument.id !== did) {
        throw new Error(`the DID document for ${did} names itself ${didDocument.id}`);
      }
      if(fragment === undefined) {
        document = didDocument;
      } else {
        const method = (didDocument.verificationMethod ?? []).find(m => m.id === url);
        if(!method) {
          throw new Error(`${did} does not list ${url}`);
        }
        document = {'@context': MULTIKEY_CONTEXT, ...method};
      }
    } else {
      document = await fromSite(url);
    }
    return {contextUrl: null, documentUrl: url, document};
  }
  const options = {
    credential,
    suite: new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite}),
    documentLoader,
    checkStatus
  };
  if(parsed.values.now) {
    options.now = parsed.values.now;
  }
  const result = await vc.verifyCredential(options);
  const status = (result.statusResult?.results ?? []).map(r => ({
    statusPurpose: r.credentialStatus?.statusPurpose,
    statusListIndex: r.credentialStatus?.statusListIndex,
    status: r.status
  }));
  const proofErrors = (result.results ?? []).filter(r => !r.verified).map(r => errorText(r.error));
  const statusError = result.statusResult && !result.statusResult.verified ?
    errorText(result.statusResult.error) : null;
  return {
    verified: Boolean(result.verified),
    error: result.verified ? null :
      (errorText(result.error) || proofErrors.join('; ') || statusError || 'not verified'),
    status,
    fetched,
    documentsLoaded: [...new Set(served)]
  };
}, USAGE);
