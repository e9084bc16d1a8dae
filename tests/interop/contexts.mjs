// Print the JSON-LD contexts that the Digital Bazaar packages ship, as {"contexts": {url: document}}.
// tests/test_interop.py compares them with microcred's packaged copies: both sides must read the same
// vocabulary for a signature over the canonical form to mean the same thing.
//
//   node contexts.mjs
import {named as credentialsContexts} from '@digitalbazaar/credentials-context';
import {contexts as statusListContexts} from '@digitalbazaar/vc-bitstring-status-list-context';
import {runCli} from './lib.mjs';

await runCli(async () => {
  const contexts = {};
  for(const {id, context} of credentialsContexts.values()) {
    contexts[id] = context;
  }
  for(const [url, context] of statusListContexts) {
    contexts[url] = context;
  }
  return {contexts};
}, 'node contexts.mjs');
