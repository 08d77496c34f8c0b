// Renders the REST API's OpenAPI document at /api/docs with Swagger UI (swagger-ui-dist,
// copied beside this file by build.mjs). A file of its own: the page's CSP allows no
// inline script. The document's URL is the #docs element's data-url.
(function () {
  "use strict";
  var root = document.getElementById("docs");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return; // the renderer is not built: the page keeps its link to the document
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-url") || "/api/v1/openapi.json",
    domNode: root,
    deepLinking: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
})();
