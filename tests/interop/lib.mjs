// Shared helpers for the interop CLIs: an OFFLINE JSON-LD document loader built from microcred's
// packaged contexts, a did:key resolver, key loading, argument/IO helpers.
//
// The loader never touches the network. It serves, in this order:
//   1. documents from the JSON file named by MICROCRED_INTEROP_DOCUMENTS ({url: document}); the Python
//      tests write every context microcred's own loader serves there, so both sides read the same bytes;
//   2. the contexts packaged in src/microcred/jsonld/contexts/ (index.json maps URL -> file);
//   3. microcred's extension contexts (https://w3id.org/microcred/...) the way a web verifier gets them:
//      the w3id.org redirect rules (w3id/microcred/.htaccess) are applied, and the target URL is answered
//      from the published site's URL map (MICROCRED_INTEROP_SITE, {url: file}) — never the internet;
//   4. did:key DIDs and verification method URLs, resolved locally (Ed25519 "z6Mk" keys).
// Anything else is an error that names the URL.
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import path from 'node:path';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import {driver as didKeyDriverFactory} from '@digitalbazaar/did-method-key';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
const CONTEXTS_DIR = path.join(REPO_ROOT, 'src', 'microcred', 'jsonld', 'contexts');

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** URL -> document table from microcred's packaged contexts (plus MICROCRED_INTEROP_DOCUMENTS). */
export function packagedDocuments() {
  const table = new Map();
  const index = readJson(path.join(CONTEXTS_DIR, 'index.json'));
  for(const [url, file] of Object.entries(index)) {
    table.set(url, readJson(path.join(CONTEXTS_DIR, file)));
  }
  const extra = process.env.MICROCRED_INTEROP_DOCUMENTS;
  if(extra) {
    for(const [url, doc] of Object.entries(readJson(extra))) {
      table.set(url, doc);
    }
  }
  return table;
}

const W3ID_BASE = 'https://w3id.org/microcred/';
const W3ID_RULES = path.join(REPO_ROOT, 'w3id', 'microcred', '.htaccess');

/** Where w3id.org sends a w3id.org/microcred URL: the first RewriteRule of .htaccess that matches. */
export function w3idRedirect(url) {
  const rulesPath = process.env.MICROCRED_INTEROP_W3ID_RULES || W3ID_RULES;
  const rel = url.slice(W3ID_BASE.length);
  for(const line of readFileSync(rulesPath, 'utf8').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if(parts[0] !== 'RewriteRule') {
      continue;
    }
    const m = new RegExp(parts[1]).exec(rel);
    if(m) {
      return parts[2].replace(/\$(\d)/g, (_, i) => m[Number(i)]);
    }
  }
  return null;
}

/** A published site as a URL map ({url: file}, MICROCRED_INTEROP_SITE): what an HTTPS GET would return. */
function siteDocument(url) {
  const map = process.env.MICROCRED_INTEROP_SITE ? readJson(process.env.MICROCRED_INTEROP_SITE) : {};
  return map[url] ? readJson(map[url]) : null;
}

export function makeDidKeyDriver() {
  const didKeyDriver = didKeyDriverFactory();
  didKeyDriver.use({
    multibaseMultikeyHeader: 'z6Mk',
    fromMultibase: Ed25519Multikey.from
  });
  didKeyDriver.use({
    multibaseMultikeyHeader: 'zDna',  // P-256 (ecdsa-rdfc-2019)
    fromMultibase: EcdsaMultikey.from
  });
  return didKeyDriver;
}

/**
 * An offline documentLoader for jsonld.js / jsonld-signatures / @digitalbazaar/vc.
 * `documents` are served at their own `id` (after the packaged ones and MICROCRED_INTEROP_DOCUMENTS).
 * `served` collects every URL answered, so a CLI can report what it read.
 */
export function makeDocumentLoader({documents = []} = {}) {
  const table = packagedDocuments();
  for(const document of documents) {
    // e.g. a status list credential, served at its own id
    if(!(document && typeof document.id === 'string')) {
      throw new UsageError('a document to serve has no "id"');
    }
    table.set(document.id, document);
  }
  const didKeyDriver = makeDidKeyDriver();
  const served = [];
  const normalise = url => {
    let key = url;
    if(table.has(key)) {
      return key;
    }
    if(key.startsWith('http://')) {
      const https = 'https://' + key.slice('http://'.length);
      if(table.has(https)) {
        return https;
      }
    }
    return key;
  };
  async function documentLoader(url) {
    const key = normalise(url);
    if(table.has(key)) {
      served.push(url);
      return {contextUrl: null, documentUrl: url, document: structuredClone(table.get(key))};
    }
    if(url.startsWith(W3ID_BASE)) {
      // as a web verifier: follow the w3id.org redirect, then GET the target from the published site
      const target = w3idRedirect(url);
      const document = target ? siteDocument(target) : null;
      if(document) {
        served.push(url);
        return {contextUrl: null, documentUrl: target, document};
      }
      throw new Error(`document loader: ${url} redirects to ${target}, which the site does not serve`);
    }
    if(url.startsWith('did:key:')) {
      const document = await didKeyDriver.get({url});
      served.push(url);
      return {contextUrl: null, documentUrl: url, document};
    }
    throw new Error(`offline document loader: ${url} is not packaged with microcred (no network is used)`);
  }
  documentLoader.served = served;
  return documentLoader;
}

/**
 * An Ed25519 Multikey key pair (with signer) from JSON: Multikey
 * ({publicKeyMultibase, secretKeyMultibase | privateKeyMultibase, id?, controller?}) or an Ed25519 JWK
 * (with "d"). Without id/controller the key's did:key is used.
 */
export async function loadEd25519KeyPair(json) {
  let keyPair;
  if(json.kty) {
    keyPair = await Ed25519Multikey.fromJwk({jwk: json, secretKey: Boolean(json.d)});
  } else {
    const multikey = {
      type: 'Multikey',
      publicKeyMultibase: json.publicKeyMultibase,
      secretKeyMultibase: json.secretKeyMultibase ?? json.privateKeyMultibase
    };
    keyPair = await Ed25519Multikey.from(multikey);
  }
  const controller = json.controller ?? `did:key:${keyPair.publicKeyMultibase}`;
  keyPair.controller = controller;
  keyPair.id = json.id ?? json.kid ?? `${controller}#${keyPair.publicKeyMultibase}`;
  return keyPair;
}

/**
 * A P-256 Multikey key pair (with signer) from JSON: Multikey (publicKeyMultibase zDna… +
 * secretKeyMultibase) or an EC P-256 JWK (with "d"). Without id/controller the key's did:key is used.
 */
export async function loadEcdsaKeyPair(json) {
  const keyPair = json.kty ?
    await EcdsaMultikey.fromJwk({jwk: json, secretKey: Boolean(json.d)}) :
    await EcdsaMultikey.from({
      type: 'Multikey',
      publicKeyMultibase: json.publicKeyMultibase,
      secretKeyMultibase: json.secretKeyMultibase ?? json.privateKeyMultibase
    });
  const controller = json.controller ?? `did:key:${keyPair.publicKeyMultibase}`;
  keyPair.controller = controller;
  keyPair.id = json.id ?? json.kid ?? `${controller}#${keyPair.publicKeyMultibase}`;
  return keyPair;
}

/** Whether key JSON is a P-256 key (EC JWK, or a zDna… Multikey). */
export function isEcdsaKey(json) {
  return json.kty === 'EC' || String(json.publicKeyMultibase ?? '').startsWith('zDna');
}

/** A file's text, or stdin for "-". */
export function readInput(arg) {
  if(arg === undefined) {
    throw new UsageError('missing input argument');
  }
  return arg === '-' ? readFileSync(0, 'utf8') : readFileSync(arg, 'utf8');
}

export function readJsonArg(arg) {
  const text = readInput(arg);
  try {
    return JSON.parse(text);
  } catch(e) {
    throw new UsageError(`${arg === '-' ? 'stdin' : arg} is not JSON: ${e.message}`);
  }
}

export class UsageError extends Error {}

export function errorText(e) {
  if(!e) {
    return null;
  }
  if(e instanceof Error) {
    const parts = [e.message];
    if(Array.isArray(e.errors)) {
      for(const inner of e.errors) {
        parts.push(errorText(inner));
      }
    }
    if(e.cause) {
      parts.push(`cause: ${errorText(e.cause)}`);
    }
    return parts.filter(Boolean).join('; ');
  }
  if(Array.isArray(e)) {
    return e.map(errorText).join('; ');
  }
  if(typeof e === 'object' && e.message) {
    return String(e.message);
  }
  return String(e);
}

/** Run `main` on `argv`: {exitCode, stdout, stderr} as a CLI run would print them (JSON result, or
 * {"error"} and exit 2 for a usage error or crash). */
export async function invoke(main, usage, argv) {
  try {
    const result = await main(argv);
    return {exitCode: 0, stdout: JSON.stringify(result, null, 2) + '\n', stderr: ''};
  } catch(e) {
    const message = e instanceof UsageError ? `${e.message}\nusage: ${usage}` : (e?.stack ?? String(e));
    return {exitCode: 2, stdout: JSON.stringify({error: errorText(e)}) + '\n', stderr: message + '\n'};
  }
}

/** Run `main` on the command line and print its JSON result; a usage error or crash prints {"error"}
 * and exits 2. Under serve.mjs, hand `main` to the server instead (it runs it once per request). */
export async function runCli(main, usage) {
  if(globalThis.microcredInteropServer) {
    globalThis.microcredInteropServer.register(main, usage);
    return;
  }
  const {exitCode, stdout, stderr} = await invoke(main, usage, process.argv.slice(2));
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  process.exitCode = exitCode;
}
