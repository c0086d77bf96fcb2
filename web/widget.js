/* AHCA chat widget. A site owner pastes one line:
 *   <script src="https://<AHCA web origin>/widget.js" data-business="<businessId>" async></script>
 * This loader stays a classic script (it works with async and needs no
 * type=module) and imports the widget's ES modules from its own origin. */
(function () {
  var s = document.currentScript;
  var id = s && (s.getAttribute('data-business') || '').trim();
  if (!id) {
    console.error(
      s
        ? 'AHCA chat widget: not shown: the <script src=".../widget.js"> tag needs data-business="<businessId>".'
        : 'AHCA chat widget: not shown: load widget.js with a plain <script src=".../widget.js" data-business="<businessId>" async> tag (not type="module").',
    );
    return;
  }
  var base = new URL('.', s.src).href;
  import(base + 'js/embed.js')
    .then(function (m) {
      return m.mountWidget({ businessId: id, base: base, ws: s.getAttribute('data-ws') || '' });
    })
    .catch(function (err) {
      console.error(
        'AHCA chat widget: not shown: could not load ' + base + 'js/embed.js. Does this page\'s Content-Security-Policy allow scripts from ' +
          new URL(base).origin + '?',
        err,
      );
    });
})();
