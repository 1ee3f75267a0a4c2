// Renders the API description (window.TICKETING_OPENAPI, set by openapi.js, which
// api/build-docs.sh makes from openapi.yaml) with Redoc's standalone bundle.
/* global Redoc */
Redoc.init(
  window.TICKETING_OPENAPI,
  {
    expandResponses: '200,201,204',
    jsonSampleExpandLevel: 3,
    hideHostname: true,
    downloadFileName: 'openapi.json',
  },
  document.getElementById('redoc'),
);
