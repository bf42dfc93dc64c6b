// admin-spec.js: validates admin API answers against docs/admin-api.yaml (OpenAPI 3.1, JSON Schema 2020-12).
'use strict';
const fs = require('fs');
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020');

// validator(specPath) -> check(method, template, status, body): [] when the answer is what the spec
// documents for that operation and status, else the list of problems (an undocumented status is one).
function validator(specPath) {
  const spec = YAML.parse(fs.readFileSync(specPath, 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'admin-api', components: spec.components }, 'admin-api');
  const rewrite = (s) => JSON.parse(JSON.stringify(s).replace(/"#\/components\//g, '"admin-api#/components/'));
  const cache = new Map();
  return function check(method, template, status, body) {
    const op = (spec.paths[template] || {})[method.toLowerCase()];
    if (!op) return [`${method} ${template} is not in the spec`];
    let resp = op.responses[String(status)];
    if (!resp) return [`${method} ${template} answered ${status}, which the spec does not document`];
    if (resp.$ref) resp = spec.components.responses[resp.$ref.split('/').pop()];
    const schema = resp.content && resp.content['application/json'] && resp.content['application/json'].schema;
    if (!schema) return body === null || body === undefined ? [] : [`${method} ${template} ${status} has a body the spec does not`];
    const key = `${method} ${template} ${status}`;
    if (!cache.has(key)) cache.set(key, ajv.compile(rewrite(schema)));
    const v = cache.get(key);
    return v(body) ? [] : v.errors.map((e) => `${key}: ${e.instancePath || '/'} ${e.message}`);
  };
}

module.exports = { validator };
