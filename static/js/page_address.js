// A page that answers a form sent to another address (the uploaded registration
// list's preview is the upload's answer) shows its own address, given by the
// script tag's data-address: reloading the page, a bookmark or going back and
// forth then opens that address instead of sending the form again.
(function () {
  "use strict";
  var script = document.currentScript;
  var address = script && script.getAttribute("data-address");
  if (address && window.history && history.replaceState && window.location.pathname !== address) {
    history.replaceState(null, "", address);
  }
})();
