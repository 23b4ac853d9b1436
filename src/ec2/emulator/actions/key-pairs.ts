import { Ec2Errors } from '../errors.js';
import { compileFilters, type FilterTable } from '../filters.js';
import { newId } from '../ids.js';
import { generateKeyMaterial, type KeyPairType, parseImportedPublicKey } from '../keygen.js';
import type { KeyPairRecord } from '../model.js';
import type { ActionContext, ActionHandler } from './context.js';
import { tagSetXml } from './context.js';
import { validateNewTags } from './resolve.js';

const KEY_TYPES: ReadonlySet<string> = new Set(['rsa', 'ed25519']);

function checkName(ctx: ActionContext): string {
  const name = ctx.params.required('KeyName');
  if (name.length > 255 || !/^[\x20-\x7e]+$/.test(name)) {
    throw Ec2Errors.invalidParameterValue(`Invalid value '${name}' for keyName. Key names are 1-255 printable ASCII characters.`);
  }
  if (ctx.region.keyPairs.has(name)) throw Ec2Errors.keyPairDuplicate(name);
  return name;
}

function storeKey(ctx: ActionContext, record: Omit<KeyPairRecord, 'id' | 'createTime' | 'tags'>): KeyPairRecord {
  const tags = ctx.params.tagSpecifications('key-pair');
  validateNewTags(tags);
  const stored: KeyPairRecord = {
    ...record,
    id: newId('key'),
    createTime: ctx.now,
    tags: new Map(tags.map((t) => [t.key, t.value ?? ''])),
  };
  ctx.region.keyPairs.set(stored.name, stored);
  return stored;
}

/** CreateKeyPair: generates a real key (rsa by default, as EC2). KeyFormat `ppk` is answered with PEM. */
export const createKeyPair: ActionHandler = (ctx) => {
  const name = checkName(ctx);
  const type = ctx.params.str('KeyType') ?? 'rsa';
  if (!KEY_TYPES.has(type)) throw Ec2Errors.invalidParameterValue(`Invalid value '${type}' for KeyType. Expected rsa or ed25519.`);
  const material = generateKeyMaterial(type as KeyPairType, name);
  const stored = storeKey(ctx, { name, type: type as KeyPairType, fingerprint: material.fingerprint, publicKey: material.publicKey });
  return {
    keyName: stored.name,
    keyFingerprint: stored.fingerprint,
    keyMaterial: material.privateKey,
    keyPairId: stored.id,
    tagSet: stored.tags.size > 0 ? tagSetXml(stored.tags) : undefined,
  };
};

/** ImportKeyPair: `PublicKeyMaterial` arrives base64-encoded (the SDK encodes the blob); raw text is accepted too. */
export const importKeyPair: ActionHandler = (ctx) => {
  const name = checkName(ctx);
  const raw = ctx.params.required('PublicKeyMaterial');
  const decoded = Buffer.from(raw, 'base64').toString('utf8');
  const parsed = parseImportedPublicKey(decoded, name) ?? parseImportedPublicKey(raw, name);
  if (!parsed) throw Ec2Errors.keyFormat();
  const stored = storeKey(ctx, { name, type: parsed.type, fingerprint: parsed.fingerprint, publicKey: parsed.publicKey });
  return {
    keyFingerprint: stored.fingerprint,
    keyName: stored.name,
    keyPairId: stored.id,
    tagSet: stored.tags.size > 0 ? tagSetXml(stored.tags) : undefined,
  };
};

const KEY_FILTERS: FilterTable<KeyPairRecord> = {
  'key-name': (k) => k.name,
  'key-pair-id': (k) => k.id,
  fingerprint: (k) => k.fingerprint,
  'key-type': (k) => k.type,
};

export const describeKeyPairs: ActionHandler = (ctx) => {
  const { params, region } = ctx;
  const names = params.list('KeyName');
  const ids = params.list('KeyPairId');
  const all = [...region.keyPairs.values()];
  for (const name of names) if (!region.keyPairs.has(name)) throw Ec2Errors.keyPairNotFound(name);
  for (const id of ids) if (!all.some((k) => k.id === id)) throw Ec2Errors.keyPairNotFound(id);
  const matches = compileFilters(params.filters(), KEY_FILTERS, (k) => k.tags, ctx.env.questionMark);
  const includePublicKey = params.bool('IncludePublicKey') ?? false;
  const selected = all
    .filter((k) => (names.length === 0 && ids.length === 0) || names.includes(k.name) || ids.includes(k.id))
    .filter(matches)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    keySet: selected.map((k) => ({
      keyPairId: k.id,
      keyType: k.type,
      tagSet: tagSetXml(k.tags),
      publicKey: includePublicKey ? k.publicKey : undefined,
      createTime: new Date(k.createTime),
      keyName: k.name,
      keyFingerprint: k.fingerprint,
    })),
  };
};

/** DeleteKeyPair is idempotent in EC2: deleting a key that does not exist succeeds. */
export const deleteKeyPair: ActionHandler = (ctx) => {
  const name = ctx.params.str('KeyName');
  const id = ctx.params.str('KeyPairId');
  if (name === undefined && id === undefined) throw Ec2Errors.missingParameter('KeyName or KeyPairId');
  const found = [...ctx.region.keyPairs.values()].find((k) => (name !== undefined ? k.name === name : k.id === id));
  if (found) ctx.region.keyPairs.delete(found.name);
  return { return: true, keyPairId: found?.id };
};
