// express-receiver.js: the Okta event-hook receiver Okta's own samples show (Express: answer the
// verification challenge, check the Authorization header, log each event, answer 200), over HTTPS
// with the same certificate as hookd and nginx. Nothing is stored or deduplicated: that is the point
// of comparison. Usage: node express-receiver.js PORT CERT KEY SECRET_FILE  (express from bench/node)
'use strict';
const fs = require('fs');
const https = require('https');
const path = require('path');
const express = require(path.join(__dirname, 'node', 'node_modules', 'express'));

const [port, certFile, keyFile, secretFile] = process.argv.slice(2);
const secret = fs.readFileSync(secretFile, 'utf8').trim();
const app = express();
app.use(express.json({ limit: '1mb' }));

function authorized(req) {
  return req.headers['authorization'] === secret;
}

app.get('/hooks/okta', (req, res) => {
  if (!authorized(req)) return res.sendStatus(401);
  res.json({ verification: req.headers['x-okta-verification-challenge'] });
});

app.post('/hooks/okta', (req, res) => {
  if (!authorized(req)) return res.sendStatus(401);
  const events = (req.body && req.body.data && req.body.data.events) || [];
  for (const e of events) {
    const target = (e.target || []).find((t) => t.type === 'User') || {};
    console.log(`${e.published} ${e.eventType} ${e.uuid} ${target.alternateId || '-'}`);
  }
  res.sendStatus(200);
});

app.get('/healthz', (req, res) => res.sendStatus(200));

https.createServer({
  cert: fs.readFileSync(certFile),
  key: fs.readFileSync(keyFile),
  minVersion: 'TLSv1.2',
}, app).listen(Number(port), '127.0.0.1', () => console.error(`express receiver on ${port}`));
