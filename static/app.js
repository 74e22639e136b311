// Referrals: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Copy buttons: <button data-copy-target="#id" data-copy-status="#status-id">.
  // Uses the Clipboard API, falling back to selecting the text and execCommand.
  function copyText(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    return new Promise(function (resolve, reject) {
      input.focus();
      input.select();
      try {
        document.execCommand("copy") ? resolve() : reject(new Error("copy refused"));
      } catch (e) {
        reject(e);
      }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy-target"));
    var status = document.querySelector(button.getAttribute("data-copy-status"));
    if (!input) return;
    copyText(input).then(function () {
      if (status) status.textContent = "Copied to your clipboard.";
      button.setAttribute("data-copied", "true");
    }, function () {
      input.select();
      if (status) status.textContent = "Press Ctrl+C (or Cmd+C) to copy the selected link.";
    });
  });

  // Confirmation before consequential actions: <form data-confirm="Pay this batch?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // "Select all" checkboxes: <input type="checkbox" data-select-all="name-of-boxes">.
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (!all) return;
    var name = all.getAttribute("data-select-all");
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });

  // Share buttons: <button hidden data-share-url="..." data-share-title="...">. They
  // appear only where the browser can share (the Web Share API, mostly phones).
  if (navigator.share) {
    document.querySelectorAll("[data-share-url]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-share-url]");
    if (!button || !navigator.share) return;
    navigator.share({
      title: button.getAttribute("data-share-title") || document.title,
      url: button.getAttribute("data-share-url")
    }).catch(function () { /* the person closed the share sheet */ });
  });
})();
