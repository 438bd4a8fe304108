#!/usr/bin/env node
// pack-extension.mjs — assemble the Manifest V3 extension and zip it (npm run pack-extension).
//
//   node scripts/pack-extension.mjs [--model PATH] [--out DIR] [--zip FILE | --no-zip]
//
// Defaults: --model models/telltale-small.ttm, --out build/extension, --zip build/telltale-extension.zip.
// build/extension/ (load it unpacked in chrome://extensions) gets:
//   web/extension/*            manifest.json, background.js, offscreen.*, result.*, icons/
//   web/{render,client,worker,config}.js, web/style.css    shared with the page (copied, not duplicated)
//   wasm/telltale.mjs, wasm/dist/telltale.wasm, wasm/dist/telltale-nosimd.wasm
//   models/<model file>        and extension-config.json naming it
// Every file the extension uses is bundled; it loads no remote code.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const o = { model: 'models/telltale-small.ttm', out: 'build/extension', zip: 'build/telltale-extension.zip' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--model' || a === '--out' || a === '--zip') {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      o[a.slice(2)] = argv[++i];
    } else if (a === '--no-zip') o.zip = null;
    else throw new Error(`unknown argument ${a} (expected --model PATH, --out DIR, --zip FILE or --no-zip)`);
  }
  return o;
}

// ---- a minimal zip writer (stored or deflated entries, no zip64; enough for a few MB) -----------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** entries: [{name, data: Buffer}] → Buffer of a .zip file. Fixed timestamp: reproducible output. */
export function makeZip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  const DOS_TIME = 0; // 00:00:00
  const DOS_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1; // 2026-01-01
  for (const { name, data } of entries) {
    const nameBuf = Buffer.from(name, 'utf8');
    const deflated = zlib.deflateRawSync(data, { level: 9 });
    const useDeflate = deflated.length < data.length;
    const body = useDeflate ? deflated : data;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(useDeflate ? 8 : 0, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBuf, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by: unix, 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(useDeflate ? 8 : 0, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attrs: regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBuf);
    offset += 30 + nameBuf.length + body.length;
  }
  const cdSize = centrals.reduce((a, b) => a + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

// ---- assembling ------------------------------------------------------------------------------

function listFiles(dir, base = dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else if (e.isFile()) out.push(path.relative(base, p));
  }
  return out.sort();
}

export function packExtension({ model, out, zip }) {
  const abs = (p) => path.resolve(ROOT, p);
  const copies = []; // [source (abs), destination (relative to out)]
  for (const f of listFiles(abs('web/extension'))) copies.push([abs(path.join('web/extension', f)), f]);
  for (const f of ['render.js', 'client.js', 'worker.js', 'config.js', 'fresh.js', 'style.css']) copies.push([abs(`web/${f}`), f]);
  copies.push([abs('wasm/telltale.mjs'), 'wasm/telltale.mjs']);
  for (const f of ['telltale.wasm', 'telltale-nosimd.wasm']) copies.push([abs(`wasm/dist/${f}`), `wasm/dist/${f}`]);
  const modelDest = `models/${path.basename(model)}`;
  copies.push([abs(model), modelDest]);

  const missing = copies.filter(([src]) => !fs.existsSync(src)).map(([src]) => path.relative(ROOT, src));
  if (missing.length) {
    throw new Error(`cannot pack the extension, missing: ${missing.join(', ')}` +
      (missing.some((m) => m.startsWith('wasm/dist')) ? ' (run npm run build)' : '') +
      (missing.some((m) => m.endsWith('.ttm')) ? ' (train the model, or pass --model PATH)' : ''));
  }
  const outDir = abs(out);
  fs.rmSync(outDir, { recursive: true, force: true });
  const entries = [];
  for (const [src, dest] of copies) {
    const target = path.join(outDir, dest);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(src, target);
    entries.push({ name: dest.split(path.sep).join('/'), data: fs.readFileSync(src) });
  }
  const cfg = Buffer.from(JSON.stringify({ model: modelDest }, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'extension-config.json'), cfg);
  entries.push({ name: 'extension-config.json', data: cfg });
  entries.sort((a, b) => (a.name === 'manifest.json' ? -1 : b.name === 'manifest.json' ? 1 : a.name.localeCompare(b.name)));
  let zipPath = null;
  if (zip) {
    zipPath = abs(zip);
    fs.mkdirSync(path.dirname(zipPath), { recursive: true });
    fs.writeFileSync(zipPath, makeZip(entries));
  }
  return { outDir, zipPath, files: entries.map((e) => e.name) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const r = packExtension(parseArgs(process.argv.slice(2)));
    console.log(`telltale: extension assembled in ${path.relative(ROOT, r.outDir)}/ (${r.files.length} files)` +
      (r.zipPath ? `, zipped to ${path.relative(ROOT, r.zipPath)}` : ''));
    console.log('Load it unpacked: chrome://extensions → Developer mode → Load unpacked → that folder.');
  } catch (e) {
    console.error(`telltale: ${e.message}`);
    process.exit(1);
  }
}
