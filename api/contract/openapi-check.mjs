// Validates real HTTP answers against api/openapi.yaml: the status must be listed for the
// operation, the content type must be one the response declares, the body must match the
// response's JSON Schema and the declared response headers must be there and match theirs.
// Schemas are checked by Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1) with formats; nothing here checks a field by hand. Used by contract.mjs.
import { readFileSync } from 'node:fs';

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

const DOC_ID = 'urn:ticketing:openapi';

function escapePointer(segment) {
  return String(segment).replaceAll('~', '~0').replaceAll('/', '~1');
}

function mediaType(contentType) {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

export class OpenApiChecker {
  constructor(path) {
    this.doc = parse(readFileSync(path, 'utf8'));
    // Strict: a keyword Ajv does not know in a schema of the document is an error, so a typo in
    // the document cannot silently validate nothing.
    this.ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(this.ajv);
    // The document itself is registered as one schema, so that `$ref: '#/components/...'` inside
    // any schema resolves against it; its OpenAPI parts are not schema keywords.
    for (const keyword of ['openapi', 'info', 'servers', 'tags', 'paths', 'components']) {
      this.ajv.addKeyword({ keyword });
    }
    this.ajv.addSchema({ ...this.doc, $id: DOC_ID });
    this.validators = new Map();
  }

  // The object a local `$ref` ('#/a/b') points to, and its pointer.
  deref(node, pointer) {
    let guard = 0;
    while (node && typeof node.$ref === 'string') {
      if (!node.$ref.startsWith('#/') || ++guard > 10) {
        throw new Error(`unsupported $ref ${node.$ref} at ${pointer}`);
      }
      pointer = node.$ref.slice(1);
      node = pointer
        .split('/')
        .slice(1)
        .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
        .reduce((at, key) => (at === undefined ? undefined : at[key]), this.doc);
    }
    return { node, pointer };
  }

  operation(method, template) {
    const op = this.doc.paths?.[template]?.[method.toLowerCase()];
    if (!op) {
      throw new Error(`no operation ${method} ${template} in the document`);
    }
    return op;
  }

  // Every operation of the document, as "METHOD /template".
  operations() {
    const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
    return Object.entries(this.doc.paths).flatMap(([template, item]) =>
      methods.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${template}`),
    );
  }

  // The statuses the document lists for an operation.
  statuses(method, template) {
    return Object.keys(this.operation(method, template).responses);
  }

  validator(pointer) {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.getSchema(`${DOC_ID}#${pointer}`);
      if (!validate) {
        throw new Error(`no schema at ${pointer}`);
      }
      this.validators.set(pointer, validate);
    }
    return validate;
  }

  errorsOf(validate, value, what) {
    if (validate(value)) {
      return [];
    }
    // Ajv's own words, with its parameters (which property, which allowed values).
    return validate.errors.map(
      (e) => `${what}${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`,
    );
  }

  // Problems of a request body the test sends, against the operation's request schema (a
  // request the document calls invalid must not be used to claim a route works).
  checkRequest(method, template, body) {
    const base = `/paths/${escapePointer(template)}/${method.toLowerCase()}`;
    const { node: requestBody, pointer } = this.deref(this.operation(method, template).requestBody, `${base}/requestBody`);
    if (!requestBody) {
      return body === undefined ? [] : ['the document declares no request body'];
    }
    const schemaPointer = `${pointer}/content/application~1json/schema`;
    return this.errorsOf(this.validator(schemaPointer), body, 'request');
  }

  // Problems of one answer of `METHOD template`; an empty list when it conforms.
  checkResponse(method, template, answer) {
    const base = `/paths/${escapePointer(template)}/${method.toLowerCase()}/responses`;
    const responses = this.operation(method, template).responses;
    const status = String(answer.status);
    const key = [status, `${status[0]}XX`, 'default'].find((k) => responses[k] !== undefined);
    if (key === undefined) {
      return [`status ${status} is not listed (listed: ${Object.keys(responses).join(', ')})`];
    }
    const { node: response, pointer } = this.deref(responses[key], `${base}/${escapePointer(key)}`);
    return [
      ...this.checkHeaders(response, pointer, answer),
      ...this.checkBody(response, pointer, answer),
    ];
  }

  // Problems of an answer that belongs to no operation (the ingress's own, for a path or method
  // the API does not have) against one schema of components.
  checkAgainstSchema(schemaName, answer) {
    const problems = [];
    if (mediaType(answer.headers['content-type']) !== 'application/json') {
      problems.push(`content type ${answer.headers['content-type']} is not application/json`);
    }
    const body = parseJson(answer.body);
    if (body.error) {
      return [...problems, body.error];
    }
    const pointer = `/components/schemas/${escapePointer(schemaName)}`;
    return [...problems, ...this.errorsOf(this.validator(pointer), body.value, 'body')];
  }

  checkHeaders(response, pointer, answer) {
    const problems = [];
    for (const [name, declared] of Object.entries(response.headers ?? {})) {
      const { node: header, pointer: headerPointer } = this.deref(declared, `${pointer}/headers/${escapePointer(name)}`);
      const raw = answer.headers[name.toLowerCase()];
      const values = raw === undefined ? [] : [].concat(raw);
      if (values.length === 0) {
        if (header.required) {
          problems.push(`header ${name} is missing`);
        }
        continue;
      }
      if (header.schema) {
        const validate = this.validator(`${headerPointer}/schema`);
        // A header may come more than once (Set-Cookie): one value must match.
        if (!values.some((v) => validate(v))) {
          problems.push(...this.errorsOf(validate, values[0], `header ${name}`));
        }
      }
    }
    return problems;
  }

  checkBody(response, pointer, answer) {
    const content = response.content;
    if (!content) {
      return answer.body.length === 0 ? [] : [`a body of ${answer.body.length} bytes where none is declared`];
    }
    const type = mediaType(answer.headers['content-type']);
    const declared = Object.keys(content).find((t) => t.toLowerCase() === type);
    if (declared === undefined) {
      return [`content type "${answer.headers['content-type'] ?? ''}" is not declared (${Object.keys(content).join(', ')})`];
    }
    if (!content[declared].schema) {
      return [];
    }
    const body = parseJson(answer.body);
    if (body.error) {
      return [body.error];
    }
    const schemaPointer = `${pointer}/content/${escapePointer(declared)}/schema`;
    return this.errorsOf(this.validator(schemaPointer), body.value, 'body');
  }
}

function parseJson(text) {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `the body is not JSON (${e.message}): ${text.slice(0, 120)}` };
  }
}
