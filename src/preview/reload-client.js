// Served as /reload.js by `sudi preview` (an external file: the preview's CSP allows no inline script).
// Reloads the page whenever the preview server says the issue file or a template changed.
(function () {
  if (!('EventSource' in window)) return;
  var events = new EventSource('/events');
  events.addEventListener('reload', function () {
    window.location.reload();
  });
})();
