#!/usr/bin/env node
// serve.mjs — a small, dependency-free static server for the telltale page (npm start).
//
// URL layout (docs/web.md):
//   /                      web/index.html
//   /<file>                web/<file>          (app.js, worker.js, render.js, sw.js, style.css, icons/…)
//   /wasm/telltale.mjs     wasm/telltale.mjs   (the JS loader)
//   /wasm/dist/<file>      wasm/dist/<file>    (telltale.wasm, telltale-nosimd.wasm)
//   /models/<file>.ttm     models/<file>.ttm   (the shipped model)
//   /fixtures/<file>       tests/fixtures/<file>  only with --fixtures or TELLTALE_SERVE_FIXTURES=1 (tests)
//
// Listens on 127.0.0.1 only. PORT (env) or --port N picks the port (default 8080; 0 = any free port).
// Prints "telltale: serving http://127.0.0.1:PORT/" once listening.
// Every response carries COOP/COEP/CORP and a strict CSP; no path may leave its mounted folder.

import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.ttm': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/** Mounts, most specific first: [url prefix, folder relative to the repo, allowed extensions or null]. */
function mounts(fixtures) {
  const m = [
    ['/wasm/dist/', 'wasm/dist', ['.wasm', '.mjs', '.js']],
    ['/wasm/', 'wasm', ['.mjs', '.js']],
    ['/models/', 'models', ['.ttm', '.json', '.md']],
  ];
  if (fixtures) m.push(['/fixtures/', 'tests/fixtures', null]);
  m.push(['/', 'web', null]);
  return m;
}

/**
 * Map a request path to a file inside a mounted folder, or null.
 * Rejects encoded slashes/backslashes, NUL, dot-segments and dotfiles, the extension folder, and
 * anything whose real path (after symlinks) is outside the mount.
 */
export async function resolvePath(urlPath, { fixtures = false, root = ROOT } = {}) {
  let p;
  try { p = decodeURIComponent(urlPath); } catch { return null; }
  if (p.includes('\0') || p.includes('\\') || !p.startsWith('/')) return null;
  if (/%2f|%5c/i.test(urlPath)) return null;
  const segs = p.split('/');
  if (segs.some((s) => s === '..' || s === '.' || (s.startsWith('.') && s.length > 0))) return null;
  if (p === '/') p = '/index.html';
  for (const [prefix, dir, exts] of mounts(fixtures)) {
    if (!p.startsWith(prefix)) continue;
    const rel = p.slice(prefix.length);
    if (!rel || rel.endsWith('/')) return null;
    if (dir === 'web' && (rel === 'extension' || rel.startsWith('extension/'))) return null;
    if (exts && !exts.includes(path.extname(rel))) return null;
    const base = path.join(root, dir);
    const file = path.join(base, ...rel.split('/'));
    if (!file.startsWith(base + path.sep)) return null;
    try {
      const [realBase, realFile] = await Promise.all([fsp.realpath(base), fsp.realpath(file)]);
      if (!realFile.startsWith(realBase + path.sep)) return null;
      const st = await fsp.stat(realFile);
      return st.isFile() ? { file: realFile, stat: st } : null;
    } catch { return null; }
  }
  return null;
}

function baseHeaders() {
  return {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  };
}

export function createServer({ fixtures = false, root = ROOT, log = null } = {}) {
  return http.createServer(async (req, res) => {
    const send = (status, body, extra = {}) => {
      res.writeHead(status, { ...baseHeaders(), 'Content-Type': 'text/plain; charset=utf-8', ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (log) log(`${req.method} ${req.url}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    let url;
    try { url = new URL(req.url, 'http://localhost'); } catch { return send(400, 'bad request\n'); }
    const hit = await resolvePath(url.pathname, { fixtures, root });
    if (!hit) return send(404, 'not found\n');
    const { file, stat } = hit;
    const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    const headers = {
      ...baseHeaders(),
      'Content-Type': MIME[path.extname(file)] || 'application/octet-stream',
      'Cache-Control': 'no-cache',
      ETag: etag,
    };
    if (req.headers['if-none-match'] === etag) {
      if (log) log(`304 ${req.url}`);
      res.writeHead(304, headers);
      return res.end();
    }
    headers['Content-Length'] = String(stat.size);
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    const stream = fs.createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });
}

async function main() {
  const args = process.argv.slice(2);
  const portArg = args.indexOf('--port');
  const port = Number(portArg >= 0 ? args[portArg + 1] : (process.env.PORT ?? 8080));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`telltale: PORT must be an integer 0..65535, got "${process.env.PORT}"`);
    process.exit(2);
  }
  const fixtures = args.includes('--fixtures') || process.env.TELLTALE_SERVE_FIXTURES === '1';
  const verbose = args.includes('--verbose');
  for (const f of ['web/index.html', 'wasm/telltale.mjs', 'wasm/dist/telltale.wasm', 'models/telltale-small.ttm']) {
    if (!fs.existsSync(path.join(ROOT, f))) console.warn(`telltale: warning: ${f} is missing; the page will say what failed`);
  }
  const server = createServer({ fixtures, log: verbose ? (s) => console.log(s) : null });
  server.on('error', (e) => {
    console.error(`telltale: cannot listen on 127.0.0.1:${port}: ${e.message}`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => {
    console.log(`telltale: serving http://127.0.0.1:${server.address().port}/`);
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
