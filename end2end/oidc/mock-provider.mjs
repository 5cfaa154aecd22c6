// A real OpenID Connect provider on loopback for Keyport's single sign-on tests
// (oauth2-mock-server: discovery, JWKS, authorize with PKCE, token endpoint, RS256 ID
// tokens), plus a small fake of GitHub's OAuth and user API, and a control endpoint that
// shapes the NEXT token.
//
//   node end2end/oidc/mock-provider.mjs [--port 0] [--control-port 0] [--exit-with-stdin]
//
// Prints one JSON line once listening:
//   {"issuer":"http://127.0.0.1:P","control":"http://127.0.0.1:C","github":"http://127.0.0.1:C"}
//
// Control (JSON bodies):
//   POST {control}/__control/default  {sub, email, email_verified}          claims of every token
//   POST {control}/__control/next     {sub?, email?, email_verified?, expired?, bad_signature?,
//                                      wrong_nonce?, wrong_audience?}      the next token only
//   POST {control}/__control/github   {id, login, emails: [{email, primary, verified}]}
// The authorize step signs in whoever the claims say, without a login form.

import { createServer } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import { OAuth2Server } from 'oauth2-mock-server';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const port = Number(arg('--port', '0'));
const controlPort = Number(arg('--control-port', '0'));

let defaults = { sub: 'mock-user-1', email: 'mock.user@example.com', email_verified: true };
let next = null;
let github = { id: 4242, login: 'octo', emails: [{ email: 'octo@example.com', primary: true, verified: true, visibility: 'public' }] };

const oidc = new OAuth2Server();
await oidc.issuer.keys.generate('RS256');

oidc.service.on('beforeTokenSigning', (token) => {
  const shape = { ...defaults, ...(next ?? {}) };
  token.payload.sub = shape.sub;
  token.payload.email = shape.email;
  token.payload.email_verified = shape.email_verified;
  if (shape.expired) {
    const now = Math.floor(Date.now() / 1000);
    token.payload.iat = now - 7200;
    token.payload.nbf = now - 7200;
    token.payload.exp = now - 3600;
  }
  if (shape.wrong_nonce && 'nonce' in token.payload) token.payload.nonce = 'not-the-nonce-of-this-flow';
  if (shape.wrong_audience && 'aud' in token.payload) token.payload.aud = 'some-other-client';
});

oidc.service.on('beforeResponse', (response) => {
  const shape = next ?? {};
  if (shape.bad_signature && typeof response.body.id_token === 'string') {
    const [h, p, sig] = response.body.id_token.split('.');
    // A different first character: still base64url, no longer the provider's signature.
    const tampered = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    response.body.id_token = [h, p, tampered].join('.');
  }
  next = null;
});

await oidc.start(port, '127.0.0.1');
const issuer = `http://127.0.0.1:${oidc.address().port}`;
oidc.issuer.url = issuer;

// GitHub: authorize (no login form), token (one use per code, PKCE checked), user, emails.
const codes = new Map();
const tokens = new Map();
const MAX = 1000;

const body = (req) =>
  new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
      if (data.length > 65536) req.destroy();
    });
    req.on('end', () => resolve(data));
  });
const json = (res, status, value) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
};
const remember = (map, key, value) => {
  if (map.size >= MAX) map.delete(map.keys().next().value);
  map.set(key, value);
};

const control = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  try {
    if (req.method === 'POST' && url.pathname.startsWith('/__control/')) {
      const value = JSON.parse((await body(req)) || '{}');
      if (url.pathname === '/__control/default') defaults = { ...defaults, ...value };
      else if (url.pathname === '/__control/next') next = value;
      else if (url.pathname === '/__control/github') github = value;
      else return json(res, 404, { error: 'unknown control' });
      return json(res, 200, { ok: true });
    }
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const redirect = new URL(url.searchParams.get('redirect_uri'));
      const code = randomUUID();
      remember(codes, code, {
        profile: structuredClone(github),
        client_id: url.searchParams.get('client_id'),
        challenge: url.searchParams.get('code_challenge'),
      });
      redirect.searchParams.set('code', code);
      if (url.searchParams.get('state')) redirect.searchParams.set('state', url.searchParams.get('state'));
      res.writeHead(302, { location: redirect.href });
      return res.end();
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(await body(req));
      const grant = codes.get(form.get('code'));
      codes.delete(form.get('code'));
      if (!grant || !form.get('client_secret') || grant.client_id !== form.get('client_id')) {
        return json(res, 200, { error: 'bad_verification_code' });
      }
      if (grant.challenge) {
        const verifier = form.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (challenge !== grant.challenge) return json(res, 200, { error: 'bad_verification_code' });
      }
      const token = `gho_${randomUUID().replaceAll('-', '')}`;
      remember(tokens, token, grant.profile);
      return json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
    }
    if (req.method === 'GET' && (url.pathname === '/api/user' || url.pathname === '/api/user/emails')) {
      const auth = req.headers.authorization ?? '';
      const profile = tokens.get(auth.replace(/^(Bearer|token) /, ''));
      if (!profile) return json(res, 401, { message: 'Bad credentials' });
      if (url.pathname === '/api/user') return json(res, 200, { id: profile.id, login: profile.login, email: null });
      return json(res, 200, profile.emails);
    }
    json(res, 404, { message: 'Not Found' });
  } catch (e) {
    json(res, 400, { error: String(e) });
  }
});
await new Promise((resolve) => control.listen(controlPort, '127.0.0.1', resolve));
const controlUrl = `http://127.0.0.1:${control.address().port}`;

process.stdout.write(JSON.stringify({ issuer, control: controlUrl, github: controlUrl }) + '\n');

// Straight out: a graceful close would wait for the browser's keep-alive connections.
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (args.includes('--exit-with-stdin')) {
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}
