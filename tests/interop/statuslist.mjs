// Encode and decode Bitstring Status List `encodedList` values with
// @digitalbazaar/vc-bitstring-status-list (createList / decodeList: GZIP, then multibase base64url "u").
//
//   node statuslist.mjs decode ENCODED_LIST|-        -> {"length": bits, "set": [index, ...]}
//   node statuslist.mjs encode LENGTH [I,J,...|-]    -> {"encodedList": "u...", "length": bits}
//
// "-" reads the encoded list, or the indexes, from stdin (both can be long). Indexes are decimal,
// separated by commas (or any whitespace on stdin).
import {readFileSync} from 'node:fs';
import {createList, decodeList} from '@digitalbazaar/vc-bitstring-status-list';
import {runCli, UsageError} from './lib.mjs';

const USAGE = 'node statuslist.mjs decode ENCODED_LIST|- | encode LENGTH [I,J,...|-]';

function setBits(list) {
  const set = [];
  for(let i = 0; i < list.length; ++i) {
    if(list.getStatus(i)) {
      set.push(i);
    }
  }
  return set;
}

function integer(text, what) {
  if(!/^\d+$/.test(text)) {
    throw new UsageError(`${what} ${JSON.stringify(text)} is not a non-negative integer`);
  }
  return Number(text);
}

await runCli(async argv => {
  const [command, ...rest] = argv;
  if(command === 'decode') {
    if(rest.length !== 1) {
      throw new UsageError('decode takes one encoded list');
    }
    const encodedList = rest[0] === '-' ? readFileSync(0, 'utf8').trim() : rest[0];
    const list = await decodeList({encodedList});
    return {length: list.length, set: setBits(list)};
  }
  if(command === 'encode') {
    if(rest.length < 1 || rest.length > 2) {
      throw new UsageError('encode takes a length and optional indexes');
    }
    const length = integer(rest[0], 'length');
    const text = rest[1] === '-' ? readFileSync(0, 'utf8') : (rest[1] ?? '');
    const indexes = text.split(/[\s,]+/).filter(Boolean).map(i => integer(i, 'index'));
    const list = await createList({length});
    for(const index of indexes) {
      if(index >= length) {
        throw new UsageError(`index ${index} is outside a list of ${length} bits`);
      }
      list.setStatus(index, true);
    }
    return {encodedList: await list.encode(), length: list.length};
  }
  throw new UsageError(`unknown command ${JSON.stringify(command ?? '')}`);
}, USAGE);
