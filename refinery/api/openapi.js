// Starts Swagger UI on /api/docs. A file, not an inline script, so the page's CSP can
// say script-src 'self'. validatorUrl null: never ask an outside validator about us.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
